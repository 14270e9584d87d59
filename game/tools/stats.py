"""`handler-one stats`: how big a story is, and whose words fill it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from game.tools.common import whole_number

if TYPE_CHECKING:
    from game.engine.model import Story
    from game.engine.stats import Grouping


def register_command(register: Callable[..., None]) -> None:
    """Add `stats` to the `handler-one` command."""
    register("stats", _configure, run, "count scenes, orders, endings and words in a story")


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "story", nargs="?", metavar="DIR", help="story folder (default: the shipped story)"
    )
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.add_argument(
        "--by",
        choices=("file", "chapter"),
        help="one row per file or per chapter: scenes, engagements, orders, endings and words",
    )
    parser.add_argument(
        "--runs",
        type=whole_number,
        default=100,
        metavar="N",
        help="games played (per persona, and at random) to count the words one playthrough "
        "reads (default 100; 0 skips it)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the counts."""
    from game.engine.stats import playthrough_words, story_stats
    from game.tools.common import load_or_exit, story_dir

    story = load_or_exit(args.story)
    if args.by:
        return _print_by(story, args.by, str(story_dir(args.story)), as_json=args.json)
    data = story_stats(story)
    from game.engine.consequences import consequences

    data["consequences"] = consequences(story).to_json()
    if args.runs > 0:
        data["playthrough_words"] = playthrough_words(story, runs=args.runs)
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
    seen = data["consequences"]
    print(
        f"\nOrders with a consequence seen later: {seen['seen_later']} of {seen['total']} "
        f"({seen['share']:.0%}; route {seen['by_kind']['route']}, record "
        f"{seen['by_kind']['record']}, remembered {seen['by_kind']['remembered']})"
    )
    if data["per_ending"]:
        print("\nWords per ending scene (all its radio, and the ending's closing text):")
        for scene, info in data["per_ending"].items():
            print(f"  {scene:<24} {info['ending']:<20} {info['words']:>7}")
    if "playthrough_words" in data:
        print(f"\nOne playthrough reads (words, {args.runs} games each: fewest / median / most):")
        for way, spread in data["playthrough_words"].items():
            print(f"  {way:<16} {spread['min']:>7} {spread['median']:>7} {spread['max']:>7}")
    return 0


def _print_by(story: Story, by: Grouping, root: str, *, as_json: bool) -> int:
    """`stats --by file|chapter`: a row per file or chapter, and the totals."""
    from game.engine.diagnostics import one_line
    from game.engine.stats import stats_by

    rows = stats_by(story, by, root)
    counts = ("scenes", "engagements", "orders", "endings", "words")
    total = {name: sum(getattr(row, name) for row in rows) for name in counts}
    if as_json:
        data = {"story": story.id, "by": by, "rows": [r.to_json(by) for r in rows], "total": total}
        print(json.dumps(data, indent=2))
        return 0
    names = [
        one_line(
            row.key
            if by == "file"
            else f"{'-' if row.chapter is None else row.chapter}  {row.title}"
        )
        for row in rows
    ]
    width = max(len(by), 5, *(len(n) for n in names))
    extra = "  chapters" if by == "file" else ""
    print(f"{one_line(story.title)} ({story.id}), by {by}:")
    header = "  ".join(f"{name:>{max(len(name), 6)}}" for name in counts)
    print(f"  {by:<{width}}  {header}{extra}")
    for row, name in zip(rows, names, strict=True):
        cells = "  ".join(f"{getattr(row, c):>{max(len(c), 6)}}" for c in counts)
        chapters = f"  {', '.join(str(c) for c in sorted(row.chapters)) or '-'}" if extra else ""
        print(f"  {name:<{width}}  {cells}{chapters}")
    cells = "  ".join(f"{total[c]:>{max(len(c), 6)}}" for c in counts)
    print(f"  {'total':<{width}}  {cells}")
    return 0
