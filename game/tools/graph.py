"""`handler-one graph`: the story as a Mermaid flowchart or a Graphviz DOT digraph."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from game.tools.common import UsageError, usage_errors, whole_number

if TYPE_CHECKING:
    from game.engine.graph import Part
    from game.engine.model import Story

DEFAULT_DEPTH = 2


def register_command(register: Callable[..., None]) -> None:
    """Add `graph` to the `handler-one` command."""
    register("graph", _configure, run, "draw the story as a Mermaid or DOT graph")


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "story", nargs="?", metavar="DIR", help="story folder (default: the shipped story)"
    )
    parser.add_argument(
        "--format",
        choices=("mermaid", "dot"),
        default=None,
        help="mermaid (default; renders on code-hosting sites) or dot (Graphviz)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (.dot/.gv picks dot) instead of stdout",
    )
    part = parser.add_mutually_exclusive_group()
    part.add_argument(
        "--chapter",
        type=whole_number,
        metavar="N",
        help="draw one chapter (and its ways in and out)",
    )
    part.add_argument(
        "--around", metavar="SCENE", help="draw the scenes a few orders from SCENE, either way"
    )
    parser.add_argument(
        "--depth",
        type=whole_number,
        metavar="K",
        help="with --around: how many orders away (default 2)",
    )


@usage_errors
def run(args: argparse.Namespace) -> int:
    """Print or write the graph (of the whole story, one chapter, or around one scene)."""
    from game.engine.graph import FORMATS
    from game.tools.common import load_or_exit

    if args.depth is not None and args.around is None:
        raise UsageError("--depth goes with --around SCENE")
    if args.depth is not None and args.depth < 0:
        raise UsageError(f"--depth {args.depth}: a depth counts orders, from 0")
    story = load_or_exit(args.story)
    part = _part(story, args)
    chosen = args.format
    if chosen is None:
        chosen = "dot" if args.output and Path(args.output).suffix in (".dot", ".gv") else "mermaid"
    text = FORMATS[chosen](story, part)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(
                f"handler-one: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr
            )
            return 1
        drawn = len(story.scenes) if part is None else len(part.scenes)
        print(f"wrote {args.output} ({chosen}, {drawn} scenes)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _part(story: Story, args: argparse.Namespace) -> Part | None:
    """The part of the story `--chapter` or `--around` asks for (None: all of it), or a
    one-line usage error naming what the story has instead."""
    from game.engine.diagnostics import did_you_mean, one_line
    from game.engine.graph import around_part, chapter_part, chapters_of

    if args.chapter is not None:
        numbers = chapters_of(story)
        if args.chapter not in numbers:
            have = ", ".join(str(n) for n in numbers) or "none"
            raise UsageError(f"--chapter {args.chapter}: no such chapter (the story has {have})")
        return chapter_part(story, args.chapter)
    if args.around is not None:
        if args.around not in story.scenes:
            name = one_line(args.around[:60])
            raise UsageError(
                f"--around: no scene '{name}'{did_you_mean(args.around, story.scenes)}"
            )
        depth = DEFAULT_DEPTH if args.depth is None else args.depth
        return around_part(story, args.around, depth)
    return None
