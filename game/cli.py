"""The `handler-one` command. Subcommands import only what they use, so the author tools never
load Textual."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, NoReturn

from game import __version__
from game.tools.common import (
    SET_HELP,
    UsageError,
    check_load,
    check_warp,
    load_or_exit,
    parse_sets,
    story_dir,
    whole_number,
)

if TYPE_CHECKING:
    from game.session import Resumed, Session

COMMANDS = ("play", "validate", "playtest", "graph", "schema", "stats", "saves", "serve")


# --- play -------------------------------------------------------------------------------------


def _play_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "story", nargs="?", metavar="DIR", help="story folder (default: the shipped story)"
    )
    parser.add_argument("--plain", action="store_true", help="line mode on stdin/stdout")
    parser.add_argument(
        "--seed",
        type=whole_number,
        default=None,
        help="seed for the game's chance (default: random)",
    )
    parser.add_argument("--save-dir", metavar="DIR", help="where saves live")
    parser.add_argument("--load", metavar="NAME", help="resume a saved game")
    parser.add_argument(
        "--continue",
        dest="resume",
        action="store_true",
        help="resume the game played last (a new game when there is none)",
    )
    parser.add_argument("--replay", metavar="FILE", help="replay a playtest transcript (line mode)")
    parser.add_argument("--warp", metavar="SCENE", help="start at a scene (for authors)")
    parser.add_argument("--set", action="append", default=[], metavar="PRESET", help=SET_HELP)
    parser.add_argument(
        "--dev", action="store_true", help="reload scenes when they change (for authors)"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="compile the story afresh; skip the cache"
    )


def cmd_play(args: argparse.Namespace) -> int:
    """Start the game: the console in a terminal, else (or with --plain) line mode. Both drive
    the same `Session` (game/session.py); this only builds it from the command line."""
    if args.resume:
        others = [
            flag
            for flag, given in (
                ("--load", args.load is not None),
                ("--seed", args.seed is not None),
                ("--warp", bool(args.warp)),
                ("--set", bool(args.set)),
                ("--replay", bool(args.replay)),
                ("--dev", bool(args.dev)),
            )
            if given
        ]
        if others:
            raise UsageError(f"--continue resumes the last game; leave out {', '.join(others)}")
    run_console = None
    if not args.plain and (served() or (sys.stdin.isatty() and sys.stdout.isatty())):
        try:
            from game.tui.app import run_console
        except ImportError:
            run_console = None
    if run_console is None:
        # Bytes that are not UTF-8 on a pipe are a typo, not a reason to crash: read them as �.
        for stream in (sys.stdin, sys.stdout):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="replace")
    if args.replay or (args.dev and run_console is None):
        # Author tools, in line mode: game/tools/playtest.py (--replay), devwatch (--dev).
        from game.tools.playtest import play_for_authors

        return play_for_authors(args)
    session, resumed = open_session(args)
    if run_console is not None:
        return run_console(session, resumed, dev=bool(args.dev))
    from game.plain import play

    fresh = args.resume and resumed is None
    return play(session, resumed, note="No game to continue; a new game begins." if fresh else None)


def served() -> bool:
    """Whether Textual draws to a browser (`handler-one serve` runs each game with its web
    driver, over pipes): then the console runs though stdin and stdout are not a terminal."""
    import os

    return os.environ.get("TEXTUAL_DRIVER", "").endswith(":WebDriver")


def open_session(args: argparse.Namespace) -> tuple[Session, Resumed | None]:
    """The session `handler-one play` asks for: the story, the save folder, the new-game options
    (--seed, --warp, --set), and with --load the saved game, with --continue the game played
    last (None when there is none), or exit 1 saying why not."""
    from game.session import SaveFailed, Session, open_saves

    check_load(args)
    story = load_or_exit(args.story, use_cache=not args.no_cache)
    sets = parse_sets(args.set, story)
    check_warp(args.warp, story)
    saves = open_saves(args.save_dir)
    session = Session(story, saves, seed=args.seed, warp=args.warp, sets=sets)
    resume = getattr(args, "resume", False)
    if args.load is None and not resume:
        return session, None
    if not saves.available:
        print(
            f"handler-one: {'--continue' if resume else '--load'}: {saves.reason}", file=sys.stderr
        )
        raise SystemExit(1)
    try:
        if resume:
            return session, session.continue_game()
        return session, session.load(args.load)
    except SaveFailed as exc:
        print(f"handler-one: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


# --- validate ---------------------------------------------------------------------------------


def _validate_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "story", nargs="?", metavar="DIR", help="story folder (default: the shipped story)"
    )
    parser.add_argument("--json", action="store_true", help="print the diagnostics as JSON")


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a story; exit 0 with no errors (warnings allowed), 1 with errors."""
    from game.engine.validate import validate

    root = story_dir(args.story)
    diagnostics = validate(root)
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    if args.json:
        print(json.dumps([d.to_json() for d in diagnostics], indent=2))
    else:
        for diagnostic in diagnostics:
            print(diagnostic)
        from game.engine.analysis import searched_in_words

        verdict = "ok" if not errors else "failed"
        how = searched_in_words()
        if errors:
            from game.engine.analysis import DEFERRED_BY_ERRORS

            how = [f"with errors, the {DEFERRED_BY_ERRORS}"]
        for line in how:
            print(line)
        print(f"{root}: {verdict}: {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


# --- serve ------------------------------------------------------------------------------------


def _serve_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    parser.add_argument(
        "--port",
        type=whole_number,
        default=8086,
        help="port to listen on (default: 8086; 0 picks a free one)",
    )
    parser.add_argument(
        "--max-games",
        type=whole_number,
        default=8,
        metavar="N",
        help="games played at once, at most (default: 8)",
    )
    parser.add_argument(
        "--idle-minutes",
        type=_minutes,
        default=30.0,
        metavar="N",
        help="end (and keep) a game whose page sends no key for N minutes (default: 30; 0: never)",
    )
    parser.add_argument(
        "--save-root",
        metavar="DIR",
        help="where each player's saves and settings folder goes "
        "(default: served/ in the user data folder)",
    )


def _minutes(text: str) -> float:
    """An argparse `type` for a number of minutes (fractions allowed), 0 up to a year."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of minutes: {text[:40]!r}") from None
    if not 0 <= value <= 365 * 24 * 60:  # also refuses nan
        raise argparse.ArgumentTypeError(f"minutes from 0 to a year, not {text[:40]!r}")
    return value


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the console to browsers (game/serve.py), one game and save folder per player."""
    from pathlib import Path

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port: {args.port} is not a port (0 to 65535)")
    if args.max_games < 1:
        raise UsageError("--max-games: at least 1")
    try:
        from game.serve import ServeOptions, serve
    except ImportError as exc:
        print(
            f"handler-one serve: needs textual-serve ({exc.name} is missing): "
            "pip install 'handler-one[web]'",
            file=sys.stderr,
        )
        return 1
    load_or_exit(
        None, use_cache=True
    )  # a story that does not load is said now, once, not in every browser
    root = Path(args.save_root) if args.save_root else None
    options = ServeOptions(
        host=args.host,
        port=args.port,
        max_games=args.max_games,
        root=root,
        idle_minutes=args.idle_minutes,
    )
    return serve(options)


# --- dispatch ---------------------------------------------------------------------------------

HANDLERS: dict[
    str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int], str]
] = {
    "play": (_play_parser, cmd_play, "play the game (the default command)"),
    "validate": (_validate_parser, cmd_validate, "check a story folder for errors"),
    "serve": (_serve_parser, cmd_serve, "play in a browser: serve the console over HTTP"),
}


def register(
    name: str,
    configure: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace], int],
    help_text: str,
) -> None:
    """Add a subcommand (used by the tool modules)."""
    HANDLERS[name] = (configure, run, help_text)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line on stderr (README's Guarantees), not the
    usage block: what is wrong, and where the usage is. Subcommands' parsers are this class
    too (argparse makes them of their parent's class)."""

    def error(self, message: str) -> NoReturn:
        """Print one line and exit with status 2, as argparse does."""
        from game.engine.diagnostics import one_line

        self.exit(2, f"{self.prog}: {one_line(message)} (see '{self.prog} --help')\n")


def build_parser(tools: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser, with the tool subcommands named in `tools` (all when None)."""
    _register_tools(tools)
    parser = OneLineParser(
        prog="handler-one",
        description="Handler One: you are the Handler; the radio is your only window.",
    )
    parser.add_argument("--version", action="version", version=f"handler-one {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (configure, _, help_text) in HANDLERS.items():
        configure(commands.add_parser(name, help=help_text, description=help_text))
    return parser


def _tool_modules() -> list[str]:
    """The modules in game.tools, by name (each tool's command has its module's name)."""
    import pkgutil

    import game.tools as tools

    return [module.name for module in pkgutil.iter_modules(tools.__path__)]


def _register_tools(only: Iterable[str] | None = None) -> None:
    """Tool subcommands live in game.tools; each module registers itself when imported."""
    import importlib

    names = _tool_modules() if only is None else only
    for name in names:
        loaded = importlib.import_module(f"game.tools.{name}")
        setup = getattr(loaded, "register_command", None)
        if setup:
            setup(register)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: `handler-one [COMMAND] ...`; with no command, play."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Only the tool named on the command line is imported (all of them for --help): playing
    # needs none, and importing them all cost ~55 ms of every start.
    first = argv[0] if argv else ""
    if first in ("-h", "--help"):
        parser = build_parser()
    else:
        parser = build_parser([first] if first in _tool_modules() else [])
    if not argv or (argv[0] not in HANDLERS and argv[0] not in ("-h", "--help", "--version")):
        argv = ["play", *argv]
    try:
        args = parser.parse_args(argv)
        configure_run = HANDLERS[args.command][1]
        return configure_run(args)
    except UsageError as exc:
        print(f"handler-one: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
