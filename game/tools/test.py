"""`handler-one test`: the story's blessed transcripts, replayed and compared (game.tools.blessed).

`handler-one test [DIR]` replays every `DIR/transcripts/*.transcript` and prints a unified diff
for each one whose output changed (exit 1); `--bless` accepts the new output instead.
`--record-endings` writes a transcript for each ending that has none, from the shortest witness
`verify` finds for it; `--record NAME --seed N --type LINE...` writes one by hand.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from game.tools.common import UsageError, load_or_exit, parse_sets, story_dir, usage_errors


def register_command(register: Callable[..., None]) -> None:
    """Add `test` to the `handler-one` command."""
    register(
        "test",
        _configure,
        run,
        "replay the story's blessed transcripts and show what changed (--bless accepts it)",
    )


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "story", nargs="?", metavar="DIR", help="story folder (default: the shipped story)"
    )
    parser.add_argument(
        "--bless", action="store_true", help="accept the new output of every transcript"
    )
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="only this transcript"
    )
    parser.add_argument(
        "--record-endings",
        action="store_true",
        help="write a transcript for each ending that has none (its shortest witness from verify)",
    )
    parser.add_argument("--record", metavar="NAME", help="write a new transcript NAME")
    parser.add_argument("--seed", type=int, default=0, help="the seed of --record (default 0)")
    parser.add_argument(
        "--type",
        action="append",
        default=[],
        metavar="LINE",
        dest="typed",
        help="a line typed in --record (repeat, in order)",
    )
    parser.add_argument("--seconds", type=float, default=120.0, help="verify's budget")


@usage_errors
def run(args: argparse.Namespace) -> int:
    """Check (or bless, or record) the transcripts; exit 1 when one differs or cannot run."""
    from game.tools import blessed as b

    root = story_dir(args.story)
    story = load_or_exit(args.story)
    if args.record:
        name = Path(args.record).name.removesuffix(b.SUFFIX)
        if not name or name.startswith("."):
            raise UsageError(f"--record: '{args.record}' is not a transcript name")
        target = root / b.FOLDER / f"{name}{b.SUFFIX}"
        if target.exists():
            raise UsageError(f"--record: {target} exists; --bless updates it")
        record = b.Blessed(target, args.seed, list(args.typed), "")
        b.bless(record, b.play(story, args.seed, args.typed))
        print(f"recorded {target}")
        return 0
    if args.record_endings:
        _record_endings(story, root, args.seconds)
    paths = b.transcripts_in(root)
    if args.only:
        wanted = {n.removesuffix(b.SUFFIX) for n in args.only}
        paths = [p for p in paths if p.stem in wanted]
    if not paths:
        print(f"{root}: no transcripts in {root / b.FOLDER} (handler-one test --record-endings)")
        return 0
    failed = changed = 0
    for path in paths:
        try:
            blessed = b.read(path)
            sets = parse_sets([f"{k}={v}" for k, v in blessed.sets.items()], story)
            got = b.check(story, blessed, sets)
        except (ValueError, UsageError) as exc:
            print(f"{path}: cannot run: {exc}")
            failed += 1
            continue
        lines = b.diff(blessed, got)
        if not lines:
            continue
        changed += 1
        if args.bless:
            b.bless(blessed, got)
            print(f"blessed {path}")
        else:
            sys.stdout.writelines(lines)
            if not lines[-1].endswith("\n"):
                print()
    total = len(paths)
    if args.bless:
        print(f"{root}: {total} transcript(s), {changed} blessed, {failed} could not run")
        return 1 if failed else 0
    verdict = "ok" if not (changed or failed) else "FAILED"
    print(
        f"{root}: {verdict}: {total} transcript(s), {changed} changed, {failed} could not run"
        + (" (handler-one test --bless accepts the changes)" if changed else "")
    )
    return 1 if changed or failed else 0


def _record_endings(story, root: Path, seconds: float) -> None:  # noqa: ANN001
    """A transcript for each ending no transcript reaches yet, from verify's witnesses."""
    from game.engine.verify import verify
    from game.tools import blessed as b

    reached: set[str] = set()
    for path in b.transcripts_in(root):
        note = b.read(path).note
        if note.startswith("reaches "):
            reached.add(note.removeprefix("reaches ").strip())
    missing = [e for e in story.endings if e not in reached]
    if not missing:
        return
    verdict = verify(story, seconds=seconds, seed_tries=2_000)
    for ending in missing:
        witness = verdict.endings.get(ending)
        if witness is None or witness.seed is None or not witness.traced:
            print(f"no replayable witness for {ending}: {verdict.answer('endings', ending)}")
            continue
        typed = b.typed_for(story, witness.seed, witness.orders)
        target = root / b.FOLDER / f"{ending}{b.SUFFIX}"
        record = b.Blessed(target, witness.seed, typed, "", note=f"reaches {ending}")
        b.bless(record, b.play(story, witness.seed, typed))
        print(f"recorded {target}")
