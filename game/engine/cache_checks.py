"""What a story read back from the cache must be before the game uses it.

The cache is checked against the story's files by a key and against damage by a digest, but a
file with a correct digest can still hold anything (a hand edit that recomputes it, a bug in an
old writer). The decoder builds the model's dataclasses from it positionally, so what it builds
is checked here: every field of the type its annotation says, and every id a scene names —
scenes it leads to, speakers, pilots, variables, evidence, endings, maps — one the story
declares. A story or scene that fails is not used: the cache is rebuilt from the files
(`game.engine.cache`), so a tampered cache can at worst describe a different story, as the
cache module promises, and never crash a game under way.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any

from game.engine import model

_FIXED_SPEAKERS = model.FIXED_SPEAKERS


class NotAStory(ValueError):
    """What the cache holds is not the story it claims to be."""


class _NoCondition:
    """Stands for `Expression` while the condition parser is not loaded: no condition can have
    been compiled then, so none may be found (the title screen reads the start scene from the
    cache without loading the parser; `game.engine.model`)."""


def _hints(cls: type) -> dict[str, Any]:
    conditions = sys.modules.get("game.engine.conditions")
    return _resolved(cls, conditions.Expression if conditions else _NoCondition)


@functools.cache
def _resolved(cls: type, expression: type) -> dict[str, Any]:
    names = {
        "Expression": expression,
        "Type": typing.Literal["bool", "int", "text"],
        "Value": bool | int | str,
    }
    return typing.get_type_hints(cls, globalns={**vars(model), **names})


def well_typed(value: Any, hint: Any, where: str = "story") -> None:
    """Raise `NotAStory` unless `value` is of the type `hint` says, through every field of
    every dataclass of the model inside it."""
    if not _ok(value, hint):
        raise NotAStory(f"{where} is not a well-formed {getattr(hint, '__name__', hint)}")


def _ok(value: Any, hint: Any) -> bool:  # noqa: C901, PLR0911, PLR0912 - one case per kind of hint
    if hint is Any:
        return True
    if isinstance(hint, type) and not typing.get_args(hint):
        if hint is int:
            return type(value) is int
        if not isinstance(value, hint):
            return False
        if dataclasses.is_dataclass(hint) and hint.__module__ == model.__name__:
            return all(_ok(getattr(value, name), sub) for name, sub in _hints(hint).items())
        return True
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_ok(value, arm) for arm in args)
    if origin is typing.Literal:
        return value in args
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_ok(item, args[0]) for item in value)
        return len(args) == len(value) and all(map(_ok, value, args))
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return isinstance(value, Mapping) and all(
            _ok(key, args[0]) and _ok(item, args[1]) for key, item in value.items()
        )
    if hint is None or hint is type(None):
        return value is None
    return False


def check_scene(scene: Any, scene_id: str, story: model.Story) -> model.Scene:
    """`scene` as decoded for `scene_id`, if it is a well-typed scene of `story` naming only
    what the story declares; raises `NotAStory` otherwise."""
    well_typed(scene, model.Scene, f"scene {scene_id}")
    if scene.id != scene_id:
        raise NotAStory(f"scene {scene_id} calls itself {scene.id}")
    speakers = {*_FIXED_SPEAKERS, *story.pilots, *story.speakers}
    problems: list[str] = []

    def named(ids: Any, known: Any, what: str) -> None:
        problems.extend(f"{what} {i}" for i in ids if i not in known)

    def effects(found: model.Effects) -> None:
        named((n for n, _ in (*found.set, *found.add)), story.variables, "variable")
        named(found.reveal, story.evidence, "evidence")
        named((*found.learn, *found.asked, *(p for p, _ in found.status)), story.pilots, "pilot")

    def lines(found: tuple[model.Line, ...]) -> None:
        named((line.speaker for line in found), speakers, "speaker")

    def orders(found: tuple[model.Order, ...]) -> None:
        for order in found:
            effects(order.effects)
            lines(order.radio)
            for branch in order.branches:
                effects(branch.effects)
                lines(branch.radio)
                named((branch.goto,), story.scenes, "scene")

    lines(scene.radio)
    effects(scene.enter)
    orders(scene.orders)
    if scene.ending is not None:
        named((scene.ending,), story.endings, "ending")
    if scene.map is not None:
        named((scene.map,), story.maps, "map")
    if scene.engagement is not None:
        fight = scene.engagement
        named(fight.at_risk, story.pilots, "pilot")
        orders(fight.orders)
        for round_ in fight.rounds:
            lines(round_.radio)
            orders(round_.orders)
        for branch in fight.after:
            effects(branch.effects)
            lines(branch.radio)
            named((branch.goto,), story.scenes, "scene")
    if problems:
        raise NotAStory(f"scene {scene_id} names an undeclared {problems[0]}")
    return scene


def check_tables(story: model.Story) -> None:
    """The story's declarations (everything but its scenes) well typed, and its start a scene;
    raises `NotAStory`."""
    tables = {
        "chapters": model.Chapter,
        "variables": model.Variable,
        "pilots": model.Pilot,
        "evidence": model.Evidence,
        "deductions": model.Deduction,
        "endings": model.Ending,
        "tones": model.Tone,
        "personas": model.Persona,
        "speakers": model.Speaker,
    }
    for name, cls in tables.items():
        for key, item in getattr(story, name).items():
            well_typed(item, cls, f"{name}[{key!r}]")
    if story.start not in story.scenes:
        raise NotAStory(f"the start scene {story.start} is not in the story")
