"""`handler-one verify`: the complete search of a story (game.engine.verify), as a report.

A command of its own rather than `playtest --exhaustive`: playtest plays games (random ones, or
a bounded breadth-first search of real engine states, one seed's chance), and its report is about
coverage; verify proves things about every game, with every outcome of chance, and its report is
a verdict (complete or not) with a replayable witness for each finding.
"""

from __future__ import annotations

import argparse
import json
import shlex
from collections.abc import Callable
from pathlib import Path

from game.tools.common import (
    SET_HELP,
    check_warp,
    load_or_exit,
    parse_sets,
    story_dir,
    usage_errors,
    whole_number,
)

_SHOWN = 40  # findings printed in full; --json lists every one


def register_command(register: Callable[..., None]) -> None:
    """Add `verify` to the `handler-one` command."""
    register(
        "verify",
        _configure,
        run,
        "prove what every game can do: reachable scenes and endings, dead ends, dead voices",
    )


def _configure(parser: argparse.ArgumentParser) -> None:
    from game.engine.verify import DEFAULT_SECONDS, DEFAULT_SEED_TRIES

    parser.add_argument(
        "story", nargs="?", metavar="DIR", help="story folder (default: the shipped story)"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=DEFAULT_SECONDS,
        metavar="S",
        help=f"time budget of the search (default {DEFAULT_SECONDS:g})",
    )
    parser.add_argument(
        "--seed-tries",
        type=whole_number,
        default=DEFAULT_SEED_TRIES,
        metavar="N",
        help=f"seeds tried to replay each witness (default {DEFAULT_SEED_TRIES})",
    )
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    parser.add_argument(
        "--transcripts",
        metavar="DIR",
        help="write a replayable transcript for each finding and ending",
    )
    parser.add_argument("--warp", metavar="SCENE", help="search from this scene")
    parser.add_argument("--set", action="append", default=[], metavar="PRESET", help=SET_HELP)


@usage_errors
def run(args: argparse.Namespace) -> int:
    """Search the story; exit 1 on any dead end or dead voice, 3 when the answer is incomplete
    and nothing was found."""
    from game.engine.playtest import write_transcript
    from game.engine.verify import verify
    from game.tools.playtest import ProgressBar

    story = load_or_exit(args.story)
    sets = parse_sets(args.set, story)
    check_warp(args.warp, story)
    bar = ProgressBar("verifying")
    try:
        verdict = verify(
            story,
            seconds=args.seconds,
            warp=args.warp,
            sets=sets,
            seed_tries=args.seed_tries,
            witness_seconds=args.seconds / 2,
            progress=bar,
        )
    finally:
        bar.close()
    written: dict[int, Path] = {}
    if args.transcripts:
        folder = Path(args.transcripts)
        folder.mkdir(parents=True, exist_ok=True)
        for prefix, problems in (
            ("dead_end", verdict.dead_ends),
            ("dead_voice", verdict.dead_voices),
        ):
            for n, problem in enumerate(problems, 1):
                transcript = verdict.transcript(problem)
                if transcript is not None:
                    path = folder / f"{prefix}_{n}.json"
                    write_transcript(path, transcript)
                    written[id(problem)] = path
        for ending in verdict.endings:
            transcript = verdict.transcript(ending)
            if transcript is not None:
                write_transcript(folder / f"ending_{ending}.json", transcript)
    if args.json:
        print(json.dumps(verdict.to_json(), indent=2))
    else:
        print_verdict(verdict, str(story_dir(args.story)), written, args.story)
    if verdict.failed:
        return 1
    return 0 if verdict.complete else 3


def print_verdict(verdict, where: str, written: dict[int, Path], story_arg: str | None) -> None:  # noqa: ANN001
    """The verdict as an author reads it."""
    out = print
    story = verdict.story
    if verdict.complete:
        head = "complete: every game state that can be reached was searched"
    else:
        why = {"time": "the time budget ran out", "memory": "the memory budget ran out"}.get(
            verdict.stopped or "", "a range the search tracks was left"
        )
        head = f"INCOMPLETE ({why}): what follows holds only for the part searched"
    out(f"verify {where}: {head}")
    out(
        f"  {verdict.states:,} game states (counted on what later conditions read), "
        f"{verdict.nodes:,} diagram nodes, {verdict.seconds:.1f} s"
    )
    for item in verdict.open:
        out(f"  incomplete: {item} can leave the range the search tracks")
    if verdict.pending:
        shown = ", ".join(verdict.pending[:8])
        more = f" and {len(verdict.pending) - 8} more" if len(verdict.pending) > 8 else ""
        out(f"  not searched from: {shown}{more}")
    scenes = verdict.scenes
    reached = [s for s, d in scenes.items() if d is not None]
    out(f"\nScenes reached: {len(reached)} of {len(scenes)}")
    for scene, depth in scenes.items():
        if depth is None:
            out(f"  {verdict.unreached}: {scene}")
    never = [k for k, v in verdict.orders.items() if not v]
    out(f"Orders that can be given: {len(verdict.orders) - len(never)} of {len(verdict.orders)}")
    for key in never:
        out(f"  {'never offered' if verdict.complete else verdict.unreached}: {key}")
    out(
        f"\nEndings reached: {sum(1 for w in verdict.endings.values() if w)} of {len(verdict.endings)}"
    )
    for ending, witness in verdict.endings.items():
        if witness is None:
            out(f"  {ending}: {verdict.unreached}")
        else:
            out(f"  {ending}: in {len(witness.orders)} orders{_seed_note(witness)}")
    for title, problems in (("Dead ends", verdict.dead_ends), ("Dead voices", verdict.dead_voices)):
        if problems:
            out(f"\n{title}: {len(problems)}")
        elif verdict.complete:
            out(f"\n{title}: none (proved: no game reaches one)")
        else:
            out(f"\n{title}: none found in the part searched")
        for n, problem in enumerate(problems):
            if n == _SHOWN and len(problems) > _SHOWN:
                out(f"  ... and {len(problems) - _SHOWN} more (all of them: --json)")
                break
            out(f"  {problem.message}")
            _print_witness(problem, story, verdict, written.get(id(problem)), story_arg)


def _seed_note(witness) -> str:  # noqa: ANN001
    if not witness.traced:
        return " (not traced: the witness budget ran out)"
    if witness.seed is None:
        return f" (no seed among {witness.tried} gives its chance)"
    return f" (seed {witness.seed})"


def _print_witness(problem, story, verdict, transcript: Path | None, story_arg: str | None) -> None:  # noqa: ANN001
    witness = problem.witness
    if witness is None:
        print("    (no witness traced: the witness budget ran out; rerun with more --seconds)")
        return
    where = f" {shlex.quote(story_arg)}" if story_arg else ""
    orders = [*witness.orders]
    if problem.order is not None:
        orders.append((problem.state, problem.order))
    says = " > ".join(f'"{_short(story.orders_at(s)[i].say)}"' for s, i in orders[-4:])
    more = f"{len(orders) - 4} orders, then " if len(orders) > 4 else ""
    print(f"    path: {more}{says}")
    if witness.seed is None:
        print(
            f"    no seed among the first {witness.tried} gives the chance this path needs; "
            "it needs:"
        )
        for outcome in witness.outcomes or ["(nothing from chance: report this)"]:
            print(f"      {outcome}")
    elif transcript is not None:
        print(
            f"    replay: handler-one play --plain --replay {shlex.quote(str(transcript))}{where}"
        )
    else:
        print(f"    seed {witness.seed}; write it with --transcripts DIR to replay it")


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
