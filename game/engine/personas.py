"""Persona playtests: the story played many times the way one kind of player would play it.

A persona (declared in `story.yaml`, see `model.Persona`) prefers orders of some tones and avoids
others. At each choice it takes one of the orders whose tone it prefers, `consistency` percent of
the time when such an order is offered; otherwise it chooses by chance among the orders whose tone
it does not avoid (among all of them when every order offered is one it avoids). Orders without a
tone are never preferred and never avoided. Chance in the story itself comes from each game's seed,
as in every other playtest, so a persona run is reproducible from its seed.

The report says how far each game got (the highest chapter of any scene it entered), how it ended,
and where games were cut off: the games that ended before the story's last chapter, grouped by the
scene the last order was given in and the ending, with the meters' values at that moment. Authors
use it to see whether the players a story is written for can finish it.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from game.engine.conditions import Value
from game.engine.model import Order, Persona, Story, split_state
from game.engine.playtest import (
    MAX_STEPS,
    Finding,
    Progress,
    Report,
    enabled_orders,
    order_key,
)
from game.engine.runtime import METERS, Engine

__all__ = ["CutOff", "PersonaReport", "choose_as", "last_chapter", "persona_playtest"]


@dataclass
class CutOff:
    """Games that ended early at one place: the scene of the last order and the ending."""

    scene: str
    ending: str
    count: int = 0
    # Every int variable's value in each of these games when it ended.
    values: dict[str, list[int]] = field(default_factory=dict)

    def spread(self, name: str) -> tuple[int, int, int]:
        """(lowest, median, highest) of a variable over these games."""
        values = sorted(self.values.get(name, [0]))
        return values[0], int(statistics.median_low(values)), values[-1]

    def to_json(self) -> dict[str, Any]:
        return {
            "scene": self.scene,
            "ending": self.ending,
            "count": self.count,
            "meters": {
                name: dict(zip(("min", "median", "max"), self.spread(name), strict=True))
                for name in self.values
            },
        }


@dataclass
class PersonaReport:
    """One persona's games: the playtest report (endings, coverage, findings) plus how far each
    game got and where the early endings happened."""

    persona: Persona
    report: Report
    chapters: Counter[int] = field(default_factory=Counter)
    cut_offs: dict[tuple[str, str], CutOff] = field(default_factory=dict)
    final_chapter: int = 1

    @property
    def runs(self) -> int:
        """Games played."""
        return self.report.runs

    def reached(self, chapter: int) -> float:
        """The share of games (0..1) that entered a scene of `chapter` or a later one."""
        if not self.runs:
            return 0.0
        return sum(n for c, n in self.chapters.items() if c >= chapter) / self.runs

    def ending_share(self) -> dict[str, float]:
        """Each ending's share of the games (0..1), for every ending the story declares."""
        runs = self.runs or 1
        return {e: self.report.endings.get(e, 0) / runs for e in self.report.story.endings}

    def places(self) -> list[CutOff]:
        """Where games were cut off, the commonest place first."""
        return sorted(self.cut_offs.values(), key=lambda c: (-c.count, c.scene, c.ending))

    def to_json(self) -> dict[str, Any]:
        data = self.report.to_json()
        data["persona"] = {
            "id": self.persona.id,
            "title": self.persona.title,
            "prefers": list(self.persona.prefers),
            "avoids": list(self.persona.avoids),
            "consistency": self.persona.consistency,
        }
        data["final_chapter"] = self.final_chapter
        data["chapters"] = {str(c): self.chapters.get(c, 0) for c in _chapters(self.report.story)}
        data["reached_final"] = round(self.reached(self.final_chapter), 4)
        data["cut_off"] = [c.to_json() for c in self.places()]
        return data


def _chapters(story: Story) -> list[int]:
    numbers = set(story.chapters) | {s.chapter for s in story.scenes.values()}
    return sorted(numbers) or [1]


def last_chapter(story: Story) -> int:
    """The story's last chapter: the highest chapter number of any scene (or declared)."""
    return _chapters(story)[-1]


def choose_as(persona: Persona, orders: list[Order], chooser: random.Random) -> int:
    """Which of the offered `orders` (by position in the list) the persona gives.

    The rule is the module docstring's: a preferred tone `consistency` percent of the time when
    one is offered, otherwise chance among the orders whose tone is not avoided.
    """
    preferred = [
        i for i, o in enumerate(orders) if o.tone is not None and o.tone in persona.prefers
    ]
    # Draw the roll every time, so that one choice does not shift the next choice's chance.
    roll = chooser.random() * 100
    if preferred and roll < persona.consistency:
        return chooser.choice(preferred)
    allowed = [i for i, o in enumerate(orders) if o.tone is None or o.tone not in persona.avoids]
    return chooser.choice(allowed or list(range(len(orders))))


def persona_playtest(
    story: Story,
    persona: Persona | str,
    runs: int = 100,
    seed: int = 0,
    *,
    warp: str | None = None,
    sets: Mapping[str, Value] | None = None,
    max_steps: int | None = None,
    progress: Progress | None = None,
) -> PersonaReport:
    """Play `runs` games as `persona` (a `Persona` or its id). Game i uses seed `seed + i` for
    the story's chance and a generator of its own, named by the persona and that seed, for the
    choices, so each persona's games are reproducible and independent of the others'.

    `warp` and `sets` start every game at a scene with variables preset, as `--warp`/`--set` do:
    for an author trying one chapter with the meters a player typically brings to it."""
    if isinstance(persona, str):
        if persona not in story.personas:
            raise ValueError(f"no persona '{persona}' in this story")
        persona = story.personas[persona]
    # A long story needs more orders than a short one; never cut a game off for length alone.
    limit = max_steps if max_steps is not None else max(MAX_STEPS, 2 * len(story.states()))
    result = PersonaReport(
        persona, Report(story, "persona", seed, warp=warp), final_chapter=last_chapter(story)
    )
    report = result.report
    presets = dict(sets or {})
    engine = Engine.new(story, seed, warp=warp, sets=presets)
    for run in range(runs):
        run_seed = seed + run
        engine.reset(run_seed, warp=warp, sets=presets)
        chooser = random.Random(f"persona:{persona.id}:{run_seed}")
        numbers: list[int] = []
        report.runs += 1
        for _ in range(limit + 1):
            state = engine.state
            report.visited.update(state.visits)
            if state.ending is not None:
                _count_ending(result, engine, numbers)
                break
            if len(state.log) >= limit:
                report.add_finding(
                    _finding(engine, "too_long", f"no ending after {limit} orders", numbers)
                )
                break
            views = enabled_orders(engine)
            if not views:
                report.add_finding(_finding(engine, "no_orders", "no order is available", numbers))
                break
            written = engine.story.orders_at(state.scene)
            pick = choose_as(persona, [written[index] for index, _ in views], chooser)
            index, number = views[pick]
            report.taken.add(order_key(story, state.scene, index))
            scene = state.scene
            try:
                engine.choose(index)
            except Exception as exc:  # noqa: BLE001 - an engine failure is a finding
                report.add_finding(
                    Finding(
                        "error",
                        scene,
                        index,
                        f"{type(exc).__name__}: {exc}",
                        run_seed,
                        list(engine.state.log),
                        [*numbers, number],
                    )
                )
                break
            numbers.append(number)
        result.chapters[_highest_chapter(story, engine.state.visits)] += 1
        if progress:
            progress(run + 1, runs)
    return result


def _highest_chapter(story: Story, visited: Iterable[str]) -> int:
    return max((story.scenes[s].chapter for s in visited if s in story.scenes), default=1)


def _count_ending(result: PersonaReport, engine: Engine, numbers: list[int]) -> None:
    state = engine.state
    result.report.add_ending(engine, _finding(engine, "ending", "", numbers))
    ending_scene = split_state(state.scene)[0]
    if engine.story.scenes[ending_scene].chapter >= result.final_chapter:
        return
    last = split_state(state.log[-1][0])[0] if state.log else ending_scene
    assert state.ending is not None
    place = result.cut_offs.setdefault((last, state.ending), CutOff(last, state.ending))
    place.count += 1
    for name, variable in engine.story.variables.items():
        value = state.variables[name]
        if variable.type == "int" and isinstance(value, int):
            place.values.setdefault(name, []).append(value)


def _finding(engine: Engine, kind: str, message: str, numbers: list[int]) -> Finding:
    state = engine.state
    return Finding(kind, state.scene, None, message, state.seed, list(state.log), list(numbers))


def meters_of(cut_off: CutOff, names: Iterable[str] = METERS) -> str:
    """The meters of a cut-off place as text: `trust 2-5 (3), standing 0-1 (0)`."""
    parts = []
    for name in names:
        if name in cut_off.values:
            low, median, high = cut_off.spread(name)
            span = f"{low}" if low == high else f"{low}-{high} ({median})"
            parts.append(f"{name} {span}")
    return ", ".join(parts)
