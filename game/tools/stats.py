"""`handler-one stats`: how big a story is, and whose words fill it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable


def register_command(register: Callable[..., None]) -> None:
    """Add `stats` to the `handler-one` command."""
    register("stats", _configure, run, "count scenes, orders, endings and words in a story")


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "story", nargs="?", metavar="DIR", help="story folder (default: the shipped story)"
    )
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")


def run(args: argparse.Namespace) -> int:
    """Print the counts."""
    from game.engine.stats import story_stats
    from game.tools.common import load_or_exit

    story = load_or_exit(args.story)
    data = story_stats(story)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"{story.title} ({story.id})")
    for key in (
        "chapters",
        "scenes",
        "engagements",
        "orders",
        "endings",
        "evidence",
        "deductions",
        "pilots",
        "variables",
    ):
        print(f"  {key:<12} {data[key]:>7}")
    words = data["words"]
    print(f"  {'words':<12} {words['total']:>7}")
    print("\nWords per chapter:")
    for number, info in data["per_chapter"].items():
        print(f"  {number:>3}  {info['title']:<32} {info['words']:>7}  ({info['scenes']} scenes)")
    print("\nWords per speaker:")
    for speaker, count in words["per_speaker"].items():
        print(f"  {speaker:<16} {count:>7}")
    print("\nWords per kind of text:")
    for kind, count in words["per_kind"].items():
        print(f"  {kind:<16} {count:>7}")
    return 0
