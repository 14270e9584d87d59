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
    parser.add_argument(
        "--method",
        choices=("auto", "exact", "abstract"),
        default="auto",
        help="auto (default): the exact search if it finishes quickly, else boxes, real games "
        "and refinement; exact or abstract: one alone",
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
            method=getattr(args, "method", "auto"),
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
    """The verdict as an author reads it: complete or not (and what is undecided), how it was
    reached, then each scene, order and ending, the dead ends and the dead voices."""
    out = print
    story = verdict.story
    figures = verdict.figures
    if verdict.complete:
        if verdict.method == "exact":
            head = "COMPLETE: every game state that can be reached was searched"
        else:
            head = (
                f"COMPLETE: every question answered ({figures.get('witnessed_by_games', 0):,} "
                "shown by a real game, the rest proved impossible)"
            )
    else:
        why = {"time": "the time budget ran out", "memory": "the memory budget ran out"}.get(
            verdict.stopped or "", "a range the search tracks was left"
        )
        count = len(verdict.undecided)
        head = f"INCOMPLETE ({why}): {count} question{'s' if count != 1 else ''} undecided"
    out(f"verify {where}: {head}")
    if verdict.method == "exact":
        out(
            f"  exact set search: {verdict.states:,} game states (counted on what later "
            f"conditions read), {verdict.nodes:,} diagram nodes, {verdict.seconds:.1f} s"
        )
    else:
        out(
            f"  over-approximation: boxes over {figures.get('atoms', 0)} atoms in "
            f"{figures.get('machine_states_reached', 0)} machine states (about "
            f"10^{figures.get('log10_abstract', 0):g} game states, of 10^"
            f"{figures.get('log10_raw', 0):g} raw); {figures.get('games', 0):,} real games; "
            f"{figures.get('refined', 0)} alarm(s) refined; {verdict.seconds:.1f} s"
        )
    for item in verdict.open:
        out(f"  incomplete: {item} can leave the range the search tracks")
    if verdict.pending:
        shown = ", ".join(verdict.pending[:8])
        more = f" and {len(verdict.pending) - 8} more" if len(verdict.pending) > 8 else ""
        out(f"  not searched from: {shown}{more}")
    if verdict.undecided and not verdict.complete:
        shown = "; ".join(verdict.undecided[:8])
        more = f"; and {len(verdict.undecided) - 8} more" if len(verdict.undecided) > 8 else ""
        out(f"  undecided: {shown}{more}")
    if verdict.questions != "all":
        _print_problems(verdict, story, written, story_arg)
        return
    answers = {
        kind: {item: verdict.answer(kind, item) for item in items}
        for kind, items in (
            ("scenes", list(story.scenes)),
            ("orders", list(verdict.orders)),
            ("endings", list(story.endings)),
        )
    }
    unreached = "never offered" if verdict.method == "exact" else "never offered (proved)"
    words = {
        "scenes": ("unreachable (proved)", "Scenes reached"),
        "orders": (unreached, "Orders that can be given"),
    }
    for kind in ("scenes", "orders"):
        proved_word, title = words[kind]
        found = answers[kind]
        reached = sum(1 for a in found.values() if a == "reachable")
        note = ""
        if verdict.method != "exact" and reached:
            note = ", each with a witness (--json lists them)"
        out(f"\n{title}: {reached} of {len(found)}{note}")
        listed = [
            f"  {proved_word if answer == 'unreachable' else _undecided(verdict)}: {item}"
            for item, answer in found.items()
            if answer != "reachable"
        ]
        for line in listed[:_SHOWN]:
            out(line)
        if len(listed) > _SHOWN:
            out(f"  and {len(listed) - _SHOWN} more (--json lists them)")
    found = answers["endings"]
    reached = sum(1 for a in found.values() if a == "reachable")
    out(f"\nEndings reached: {reached} of {len(found)}")
    for ending, answer in found.items():
        witness = verdict.endings.get(ending)
        if answer == "reachable" and witness is not None:
            out(f"  {ending}: in {len(witness.orders)} orders{_seed_note(witness)}")
        elif answer == "reachable":
            out(f"  {ending}: reachable")
        elif answer == "unreachable":
            out(f"  {ending}: unreachable (proved)")
        else:
            out(f"  {ending}: {_undecided(verdict)}")
    _print_problems(verdict, story, written, story_arg)


def _undecided(verdict) -> str:  # noqa: ANN001
    if verdict.method == "exact":
        return "not reached before the search stopped"
    return "undecided"


def _print_problems(verdict, story, written: dict[int, Path], story_arg: str | None) -> None:  # noqa: ANN001
    out = print
    for title, problems, tag in (
        ("Dead ends", verdict.dead_ends, "dead end?"),
        ("Dead voices", verdict.dead_voices, "dead voice?"),
    ):
        open_here = [u for u in verdict.undecided if u.startswith(tag)]
        if problems:
            out(f"\n{title}: {len(problems)}")
        elif verdict.complete or (
            verdict.method != "exact" and not (verdict.pending or verdict.open or open_here)
        ):
            out(f"\n{title}: none (proved: no game reaches one)")
        else:
            out(f"\n{title}: none found in the part searched")
        for n, problem in enumerate(problems):
            if n == _SHOWN and len(problems) > _SHOWN:
                out(f"  ... and {len(problems) - _SHOWN} more (all of them: --json)")
                break
            out(f"  {problem.message}")
            _print_witness(problem, story, verdict, written.get(id(problem)), story_arg)
        for item in open_here[:_SHOWN]:
            out(f"  undecided: {item.removeprefix(tag).strip()}")
        if len(open_here) > _SHOWN:
            out(f"  undecided: {len(open_here) - _SHOWN} more (--json lists them)")


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
