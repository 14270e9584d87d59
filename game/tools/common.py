"""What the tool subcommands share: finding and loading the story, `--set`, usage errors.

`game.cli` imports these too: they live here because tools must not import `game.cli` (it can
reach the Textual console, and the import contract keeps game.tools free of Textual).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from game.engine.model import Story

T = TypeVar("T")


class UsageError(Exception):
    """Bad command-line input: one line on stderr, exit status 2."""


def usage_errors(run: Callable[..., int]) -> Callable[..., int]:
    """Turn a `UsageError` raised by `run` into `handler-one: message` and exit status 2."""

    @functools.wraps(run)
    def wrapper(*args: object, **kwargs: object) -> int:
        try:
            return run(*args, **kwargs)
        except UsageError as exc:
            print(f"handler-one: {exc}", file=sys.stderr)
            return 2

    return wrapper


def story_dir(value: str | None) -> Path:
    """The story folder named on the command line, or the shipped story."""
    from game.paths import scenes_dir

    return Path(value) if value else scenes_dir()


def load_or_exit(directory: str | None, use_cache: bool = False) -> Story:
    """Load a story, or print its diagnostics and exit 1 (never a traceback).

    `use_cache` reads the compiled story from the user cache when the files have not changed.
    """
    from game.engine.diagnostics import StoryError

    if use_cache:
        from game.engine.cache import load_story_cached as load_story
    else:
        from game.engine.loader import load_story

    try:
        return load_story(story_dir(directory))
    except StoryError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        errors = sum(1 for d in exc.diagnostics if d.severity == "error")
        print(
            f"handler-one: the story has {errors} error(s); run 'handler-one validate' for the list",
            file=sys.stderr,
        )
        raise SystemExit(1) from None


SET_FORMS = "NAME=VALUE, has:EVIDENCE, knows:PILOT or status:PILOT=STATUS"
SET_HELP = (
    "preset for a new game (repeatable; for authors): a variable NAME=VALUE, evidence "
    "has:EVIDENCE, a name known knows:PILOT, a status status:PILOT=STATUS"
)
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def _note(text: str) -> None:
    print(f"handler-one: note: {text}", file=sys.stderr)


def parse_sets(
    pairs: Sequence[str], story: Story, note: Callable[[str], None] = _note
) -> dict[str, bool | int | str]:
    """`--set` strings as the presets a new game starts with (`game.engine.presets`): a
    variable (`NAME=VALUE`, typed by its declaration), evidence in the dossier (`has:EVIDENCE`),
    a pilot's name known (`knows:PILOT`) and a pilot's status (`status:PILOT=STATUS`); `has:`
    and `knows:` take `=false` too. Anything else is a one-line `UsageError`, with a did-you-mean
    for a misspelt id. A number outside its variable's range is held at the range's end, and
    `note` is told so in one line."""
    from game.engine.diagnostics import one_line
    from game.engine.presets import KINDS, key_of, split_key

    values: dict[str, bool | int | str] = {}
    for pair in pairs:
        written, sep, raw = pair.partition("=")
        kind, ident = split_key(written.strip())
        kind, ident = (None if kind is None else kind.strip()), ident.strip()
        if not ident or (kind is None and not sep):
            raise UsageError(f"--set takes {SET_FORMS}, got '{one_line(pair[:60])}'")
        if kind is None:
            values[ident] = _variable_value(story, ident, raw, note)
        elif kind not in KINDS:
            raise UsageError(
                f"--set: '{one_line(kind[:40])}:' is not something to preset; use {SET_FORMS}"
                + _close(kind, KINDS)
            )
        elif kind == "status":
            _pilot(story, kind, ident)
            values[key_of(kind, ident)] = _status_value(ident, raw if sep else None)
        else:
            if kind == "has":
                _evidence(story, ident)
            else:
                _pilot(story, kind, ident)
            values[key_of(kind, ident)] = _truth(f"{kind}:{ident}", raw) if sep else True
    return values


def _close(word: str, choices: object) -> str:
    from game.engine.diagnostics import did_you_mean

    return did_you_mean(word, choices)


def _truth(where: str, raw: str) -> bool:
    from game.engine.diagnostics import one_line

    if raw.lower() not in (*_TRUE, *_FALSE):
        raise UsageError(f"--set {where}: '{one_line(raw[:40])}' is not true or false")
    return raw.lower() in _TRUE


def _variable_value(
    story: Story, name: str, raw: str, note: Callable[[str], None]
) -> bool | int | str:
    from game.engine.diagnostics import one_line

    variable = story.variables.get(name)
    if variable is None:
        raise UsageError(
            f"--set: no variable '{one_line(name[:40])}'{_close(name, story.variables)}"
        )
    if variable.type == "bool":
        return _truth(name, raw)
    if variable.type != "int":
        return raw
    from game.engine.format import INT_RANGE_TEXT, parse_int

    number = parse_int(raw)
    if number is None:
        digits = raw.strip().lstrip("+-")
        why = (
            f"is too large (whole numbers are {INT_RANGE_TEXT})"
            if digits.isascii() and digits.isdecimal()
            else "is not a whole number"
        )
        shown = one_line(raw[:40]) + ("…" if len(raw) > 40 else "")
        raise UsageError(f"--set {name}: '{shown}' {why}")
    held = variable.clamp(number)
    if held != number:
        if variable.min is not None and variable.max is not None:
            bounds = f"between {variable.min} and {variable.max}"
        elif variable.max is not None:
            bounds = f"at most {variable.max}"
        else:
            bounds = f"at least {variable.min}"
        note(f"--set {name}={number}: {name} is held {bounds}, so it starts at {held}")
    return held


def _evidence(story: Story, ident: str) -> None:
    from game.engine.diagnostics import one_line

    if ident in story.evidence:
        return
    deduction = story.deductions.get(ident)
    if deduction is not None:
        pieces = " ".join(f"--set has:{e}" for e in deduction.requires)
        raise UsageError(
            f"--set has:{ident}: '{ident}' is a deduction; preset the evidence it is made from: "
            + pieces
        )
    raise UsageError(
        f"--set has: no evidence '{one_line(ident[:40])}'{_close(ident, story.evidence)}"
    )


def _pilot(story: Story, kind: str, ident: str) -> None:
    from game.engine.diagnostics import one_line

    if ident in story.pilots:
        return
    by_name = {
        text.casefold(): pilot.id
        for pilot in story.pilots.values()
        for text in (pilot.callsign, pilot.name, pilot.id)
    }
    same = by_name.get(ident.casefold())
    hint = f"; did you mean '{same}'?" if same else _close(ident, story.pilots)
    raise UsageError(f"--set {kind}: no pilot '{one_line(ident[:40])}'{hint}")


def _status_value(ident: str, raw: str | None) -> str:
    from game.engine.diagnostics import one_line
    from game.engine.model import PILOT_STATUSES

    choices = ", ".join(PILOT_STATUSES)
    if raw is None:
        raise UsageError(f"--set status:{ident} takes a status: status:{ident}=STATUS ({choices})")
    status = raw.strip().lower()
    if status not in PILOT_STATUSES:
        raise UsageError(
            f"--set status:{ident}: '{one_line(raw[:40])}' is not a pilot status ({choices})"
            + _close(status, PILOT_STATUSES)
        )
    return status


def set_flags(sets: Mapping[str, bool | int | str]) -> str:
    """Presets as the `--set` flags that give them, quoted for a shell: ` --set trust=3 ...`."""
    import shlex

    return "".join(
        f" --set {shlex.quote(f'{key}={str(value).lower() if isinstance(value, bool) else value}')}"
        for key, value in sets.items()
    )


def whole_number(text: str) -> int:
    """An argparse `type` for a whole number the game can hold (`format.INT_MIN`..`INT_MAX`):
    a hostile or mistyped `--seed` or `--runs` is a one-line usage error, never a number too
    large to save or print."""
    import argparse

    from game.engine.diagnostics import one_line
    from game.engine.format import parse_int

    value = parse_int(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"'{one_line(text[:40])}' is not a whole number")
    return value


def check_load(args: object) -> None:
    """Refuse `--load` with anything that would start a new game instead (seed, warp, set)."""
    if getattr(args, "load", None) is not None and (
        getattr(args, "warp", None)
        or getattr(args, "set", None)
        or getattr(args, "seed", None) is not None
    ):
        raise UsageError("--load resumes a saved game; leave out --seed, --warp and --set")


def check_warp(warp: str | None, story: Story) -> None:
    """Refuse a `--warp` to a scene the story does not have."""
    if warp and warp not in story.scenes:
        from game.engine.diagnostics import did_you_mean, one_line

        raise UsageError(f"--warp: no scene '{one_line(warp)}'{did_you_mean(warp, story.scenes)}")
