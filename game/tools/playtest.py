"""`handler-one playtest`, and the author modes of `play --plain`: `--replay FILE` and `--dev`."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from game.engine.playtest import (
    DEFAULT_MAX_STATES,
    Finding,
    Report,
    explore,
    random_playtest,
    read_transcript,
    transcript_of,
    write_transcript,
)

if TYPE_CHECKING:
    from game.engine.model import Story
    from game.engine.personas import PersonaReport

from game.tools.common import (
    SET_HELP,
    UsageError,
    check_warp,
    load_or_exit,
    parse_sets,
    set_flags,
    story_dir,
    usage_errors,
    whole_number,
)


def register_command(register: Callable[..., None]) -> None:
    """Add `playtest` to the `handler-one` command."""
    register(
        "playtest", _configure, run, "play a story automatically: endings, coverage, dead ends"
    )


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "story", nargs="?", metavar="DIR", help="story folder (default: the shipped story)"
    )
    parser.add_argument(
        "--runs", type=_positive, default=100, metavar="N", help="random games (default 100)"
    )
    parser.add_argument(
        "--seed", type=whole_number, default=0, metavar="S", help="game i uses seed S+i (default 0)"
    )
    parser.add_argument(
        "--exhaustive",
        action="store_true",
        help="search every reachable state breadth-first instead of playing at random",
    )
    parser.add_argument(
        "--max-states",
        type=_positive,
        default=DEFAULT_MAX_STATES,
        metavar="N",
        help=f"state budget for --exhaustive (default {DEFAULT_MAX_STATES})",
    )
    parser.add_argument(
        "--persona",
        action="append",
        default=[],
        metavar="NAME",
        help="play as a persona the story declares (repeat it, or 'all'): how far each kind "
        "of player gets, how they end, and where they are cut off",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="count each conditional radio line heard, order given and branch taken; name "
        "those never hit at FILE:LINE:COL (--json: every one's hit count)",
    )
    parser.add_argument(
        "--transcripts",
        metavar="DIR",
        help="write a replayable transcript for each dead end, error and ending",
    )
    parser.add_argument("--warp", metavar="SCENE", help="start every game at this scene")
    parser.add_argument("--set", action="append", default=[], metavar="PRESET", help=SET_HELP)


def _positive(text: str) -> int:
    from game.engine.format import parse_int

    value = parse_int(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.label = label
        self.active = self.stream.isatty()
        self._last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.active or total <= 0:
            return
        filled = min(30, done * 30 // total)
        if filled == self._last and done != total:
            return
        self._last = filled
        bar = "#" * filled + "." * (30 - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total}")
        self.stream.flush()

    def close(self) -> None:
        if self.active and self._last >= 0:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()


@usage_errors
def run(args: argparse.Namespace) -> int:
    """Run the playtest; exit 1 on any dead end or error."""
    story = load_or_exit(args.story)
    if args.persona:
        return _run_personas(args, story)
    sets = parse_sets(args.set, story)
    check_warp(args.warp, story)
    bar = ProgressBar("exploring" if args.exhaustive else "playing")
    coverage = None
    if getattr(args, "coverage", False):
        from game.engine.coverage import Coverage

        coverage = Coverage(story)
    try:
        if args.exhaustive:
            report = explore(
                story,
                args.seed,
                max_states=args.max_states,
                warp=args.warp,
                sets=sets,
                progress=bar,
                coverage=coverage,
            )
        else:
            report = random_playtest(
                story,
                args.runs,
                args.seed,
                warp=args.warp,
                sets=sets,
                progress=bar,
                coverage=coverage,
            )
    finally:
        bar.close()
    written: dict[int, Path] = {}
    if args.transcripts:
        written = _write_transcripts(report, Path(args.transcripts))
    if args.json:
        data = report.to_json()
        if coverage is not None:
            data["coverage"] = coverage.to_json()
        print(json.dumps(data, indent=2))
    else:
        _print_report(report, str(story_dir(args.story)), written, args.story)
        if coverage is not None:
            _print_coverage(coverage, report)
    return 1 if report.failed else 0


def _print_coverage(coverage, report) -> None:  # noqa: ANN001
    """What no game heard, gave or took, each at FILE:LINE:COL."""
    counts = coverage.to_json()
    games = (
        f"{report.states} game states" if report.mode == "exhaustive" else f"{report.runs} games"
    )
    summary = ", ".join(
        f"{c['hit']} of {c['total']} {name}"
        for name, c in (
            ("conditional lines heard", counts["lines"]),
            ("orders given", counts["orders"]),
            ("branches taken", counts["branches"]),
        )
    )
    print(f"\nCoverage over {games}: {summary}")
    words = {"line": "never heard", "order": "never given", "branch": "never taken"}
    for item in coverage.never():
        print(f"  {item.mark}: {words[item.kind]}: {item.text}")


def _persona_ids(names: list[str], story: Story) -> list[str]:
    """The personas named on the command line, in the story's order for 'all'."""
    if not story.personas:
        raise UsageError("--persona: this story declares no personas (see 'personas' in the guide)")
    if "all" in names:
        return list(story.personas)
    chosen: list[str] = []
    for name in names:
        if name not in story.personas:
            known = ", ".join(story.personas)
            raise UsageError(f"--persona: no persona '{name}' in this story (it has: {known}, all)")
        if name not in chosen:
            chosen.append(name)
    return chosen


def _run_personas(args: argparse.Namespace, story: Story) -> int:
    from game.engine.personas import persona_playtest

    if args.exhaustive or args.transcripts or getattr(args, "coverage", False):
        raise UsageError(
            "--persona does not combine with --exhaustive, --transcripts or --coverage"
        )
    sets = parse_sets(args.set, story)
    check_warp(args.warp, story)
    reports: list[PersonaReport] = []
    for name in _persona_ids(args.persona, story):
        bar = ProgressBar(f"playing as {name}")
        try:
            reports.append(
                persona_playtest(
                    story, name, args.runs, args.seed, warp=args.warp, sets=sets, progress=bar
                )
            )
        finally:
            bar.close()
    if args.json:
        print(json.dumps({"personas": {r.persona.id: r.to_json() for r in reports}}, indent=2))
    else:
        _print_personas(reports, str(story_dir(args.story)), args.seed)
    return 1 if any(r.report.failed for r in reports) else 0


def _print_personas(reports: list[PersonaReport], where: str, seed: int) -> None:
    from game.engine.personas import meters_of

    out = print
    story = reports[0].report.story
    runs = reports[0].runs
    out(f"playtest {where}: {runs} games per persona, seeds {seed}..{seed + runs - 1}")
    final = reports[0].final_chapter
    chapters = sorted({c for r in reports for c in r.chapters} | set(range(1, final + 1)))
    width = max(len(r.persona.id) for r in reports)
    out("\nChapter reached (share of games that got at least this far):")
    out("  " + " " * width + "".join(f"  ch{c:<4}" for c in chapters))
    for r in reports:
        cells = "".join(f"  {r.reached(c):>5.0%}" for c in chapters)
        out(f"  {r.persona.id:<{width}}{cells}")
    out("\nEndings (share of each persona's games):")
    names = {e.id: e.title for e in story.endings.values()}
    for r in reports:
        shares = [(e, s) for e, s in r.ending_share().items() if s]
        text = ", ".join(f"{names[e]} {s:.0%}" for e, s in sorted(shares, key=lambda x: -x[1]))
        out(f"  {r.persona.id:<{width}}  {text or 'none'}")
    out(f"\nCut off before chapter {final} (scene of the last order -> ending: games, meters):")
    for r in reports:
        places = r.places()
        if not places:
            out(f"  {r.persona.id}: none")
            continue
        out(f"  {r.persona.id}:")
        for place in places[:8]:
            out(
                f"    {place.scene} -> {names.get(place.ending, place.ending)}: {place.count}"
                f"  ({meters_of(place)})"
            )
        if len(places) > 8:
            rest = sum(p.count for p in places[8:])
            out(f"    ... and {rest} more game(s) in {len(places) - 8} other place(s)")
    for r in reports:
        for title, findings in (("Dead ends", r.report.dead_ends), ("Errors", r.report.errors)):
            if findings:
                out(f"\n{title} playing as {r.persona.id}: {len(findings)}")
                for finding in findings:
                    _print_finding(finding, None, None)


def _write_transcripts(report: Report, folder: Path) -> dict[int, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[int, Path] = {}
    for prefix, findings in (("dead_end", report.dead_ends), ("error", report.errors)):
        for n, finding in enumerate(findings, 1):
            path = folder / f"{prefix}_{n}.json"
            write_transcript(path, transcript_of(report.story, finding))
            written[id(finding)] = path
    for ending, finding in report.first_endings.items():
        write_transcript(folder / f"ending_{ending}.json", transcript_of(report.story, finding))
    return written


def _print_report(
    report: Report, where: str, written: dict[int, Path], story_arg: str | None = None
) -> None:
    data = report.to_json()
    out = print
    if report.mode == "exhaustive":
        budget = (
            "all of them for this seed's chance"
            if report.complete
            else f"stopped at its budget of {report.max_states}: INCOMPLETE"
        )
        out(
            f"playtest {where}: searched {report.states} game states ({budget}), seed {report.seed}"
        )
    else:
        last = report.seed + report.runs - 1
        out(f"playtest {where}: {report.runs} random games, seeds {report.seed}..{last}")
    endings = data["endings"]
    reached = sum(1 for n in endings.values() if n)
    out(f"\nEndings reached: {reached} of {len(endings)}")
    width = max((len(e) for e in endings), default=0)
    total = sum(endings.values()) or 1
    # A search that stopped at its budget, or random play, proves nothing about what it did not
    # reach: only `handler-one verify` can call something unreachable.
    if report.mode == "exhaustive" and not report.complete:
        missed = "not reached within the budget"
    elif report.mode == "exhaustive":
        missed = (
            f"never reached with seed {report.seed}'s chance (handler-one verify: every outcome)"
        )
    else:
        missed = "not reached in these games"
    for ending, count in endings.items():
        bar = "#" * round(30 * count / total)
        out(
            f"  {ending:<{width}}  {count:>6}  {bar}" if count else f"  {ending:<{width}}  {missed}"
        )
    scenes = data["scenes"]
    out(f"\nScenes visited: {scenes['visited']} of {scenes['total']}")
    for scene in scenes["unvisited"]:
        out(f"  {missed}: {scene}")
    orders = data["orders"]
    out(f"Orders given: {orders['taken']} of {orders['total']}")
    for item in orders["untaken"]:
        out(f'  {missed}: {item["order"]}  "{item["say"]}"')
    for title, findings in (("Dead ends", report.dead_ends), ("Errors", report.errors)):
        out(f"\n{title}: {len(findings) if findings else 'none'}")
        for finding in findings:
            _print_finding(finding, written.get(id(finding)), story_arg)
    if data["histograms"]:
        out("\nAt the endings:")
        for name, counts in data["histograms"].items():
            cells = "  ".join(f"{value}:{count}" for value, count in counts.items())
            out(f"  {name:<12} {cells}")


def _print_finding(finding: Finding, transcript: Path | None, story_arg: str | None) -> None:
    times = f" ({finding.count} times)" if finding.count > 1 else ""
    print(f"  {finding.state}: {finding.message}{times}")
    command = f"handler-one play --plain --seed {finding.seed}"
    if finding.warp:
        command += f" --warp {finding.warp}"
    command += set_flags(finding.sets)
    where = f" {shlex.quote(story_arg)}" if story_arg else ""
    typed = " ".join(str(n) for n in finding.numbers) or "(none)"
    print(f"    reproduce: {command}{where}   then orders {typed}")
    if transcript is not None:
        print(f"    or: handler-one play --plain --replay {shlex.quote(str(transcript))}{where}")


# --- play --plain --replay / --dev ----------------------------------------------------------------


@usage_errors
def play_for_authors(args: argparse.Namespace) -> int:
    """`play --plain` with `--replay FILE` or `--dev` (called from game.cli)."""
    if args.replay and args.dev:
        raise UsageError("--replay and --dev do not combine; pick one")
    if args.load:
        raise UsageError(f"--load does not combine with {'--replay' if args.replay else '--dev'}")
    if args.replay:
        return play_replay(args)
    from game.tools.devwatch import play_dev

    return play_dev(args)


def play_replay(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Replay a transcript in line mode, then hand the game to the player (stdin).

    Exit 1 when the transcript ends in the dead end or error it recorded.
    """
    from game.engine.runtime import DeadEnd
    from game.plain import LineMode
    from game.session import Session

    try:
        transcript = read_transcript(args.replay)
    except ValueError as exc:
        raise UsageError(f"--replay: {exc}") from None
    if args.warp or args.set or args.seed is not None:
        raise UsageError("--replay takes the seed, --warp and --set from the transcript")
    story = load_or_exit(args.story)
    if transcript.story_id != story.id:
        raise UsageError(
            f"--replay: the transcript is for story '{transcript.story_id}', not '{story.id}'"
        )
    sets = dict(transcript.sets)
    session = Session(story, seed=transcript.seed, warp=transcript.warp, sets=sets)
    try:
        engine = session.new_game()
    except ValueError as exc:
        raise UsageError(f"--replay: {exc}") from None
    mode = LineMode(session, out=out)
    total = len(transcript.orders)
    mode.say(f"-- replaying {args.replay}: seed {transcript.seed}, {total} order(s) --")
    for step, (state, index) in enumerate(transcript.orders, 1):
        mode.show_scene()
        if engine.state.ending is not None:
            mode.say(f"-- the game ended before order {step} of the transcript --")
            break
        if engine.state.scene != state:
            mode.say(
                f"-- the story no longer matches the transcript at order {step}: it expects "
                f"'{state}', the game is in '{engine.state.scene}' --"
            )
            break
        view = next((v for v in engine.orders() if v.index == index and v.enabled), None)
        if view is None:
            mode.say(f"-- order {step} of the transcript is not available here any more --")
            break
        mode.say(f"> {view.number}")
        try:
            engine.choose(index)
        except DeadEnd:
            mode.say(f"-- dead end: order {view.number} has no branch whose condition holds --")
            return 1
        except Exception as exc:  # noqa: BLE001 - the transcript reproduces an engine failure
            mode.say(f"-- the engine failed: {type(exc).__name__}: {exc} --")
            return 1
        mode.say()
    else:
        if engine.state.ending is None and not any(v.enabled for v in engine.orders()):
            mode.show_scene()
            mode.say("-- dead end: no order is available here and it is not an ending --")
            return 1
        mode.say("-- end of the transcript; the link is yours --")
    return mode.run()
