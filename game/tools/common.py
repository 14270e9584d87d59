"""What the tool subcommands share: finding and loading the story, `--set`, usage errors.

`game.cli` imports these too: they live here because tools must not import `game.cli` (it can
reach the Textual console, and the import contract keeps game.tools free of Textual).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
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


def parse_sets(pairs: Sequence[str], story: Story) -> dict[str, bool | int | str]:
    """`NAME=VALUE` strings as typed values of the story's declared variables."""
    from game.engine.diagnostics import did_you_mean, one_line

    values: dict[str, bool | int | str] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--set takes NAME=VALUE, got '{one_line(pair)}'")
        variable = story.variables.get(name)
        if variable is None:
            raise UsageError(
                f"--set: no variable '{one_line(name)}'{did_you_mean(name, story.variables)}"
            )
        if variable.type == "bool":
            if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise UsageError(f"--set {name}: '{one_line(raw)}' is not true or false")
            values[name] = raw.lower() in ("true", "1", "yes")
        elif variable.type == "int":
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
            values[name] = variable.clamp(number)
        else:
            values[name] = raw
    return values


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
