"""`handler-one graph`: the story as a Mermaid flowchart or a Graphviz DOT digraph."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


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


def run(args: argparse.Namespace) -> int:
    """Print or write the graph."""
    from game.engine.graph import FORMATS
    from game.tools.common import load_or_exit

    story = load_or_exit(args.story)
    chosen = args.format
    if chosen is None:
        chosen = "dot" if args.output and Path(args.output).suffix in (".dot", ".gv") else "mermaid"
    text = FORMATS[chosen](story)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(
                f"handler-one: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr
            )
            return 1
        print(f"wrote {args.output} ({chosen}, {len(story.scenes)} scenes)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
