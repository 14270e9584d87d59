"""The `handler-one` command. Subcommands import only what they use, so the author tools never
load Textual."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from game import __version__
from game.tools.common import (
    UsageError,
    check_load,
    check_warp,
    load_or_exit,
    parse_sets,
    story_dir,
)

if TYPE_CHECKING:
    from game.plain import LineMode

COMMANDS = ("play", "validate", "playtest", "graph", "schema", "stats", "saves")


# --- play -------------------------------------------------------------------------------------


def _play_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "story", nargs="?", metavar="DIR", help="story folder (default: the shipped story)"
    )
    parser.add_argument("--plain", action="store_true", help="line mode on stdin/stdout")
    parser.add_argument(
        "--seed", type=int, default=None, help="seed for the game's chance (default: random)"
    )
    parser.add_argument("--save-dir", metavar="DIR", help="where saves live")
    parser.add_argument("--load", metavar="NAME", help="resume a saved game")
    parser.add_argument("--replay", metavar="FILE", help="replay a playtest transcript (line mode)")
    parser.add_argument("--warp", metavar="SCENE", help="start at a scene (for authors)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="preset a variable (for authors)",
    )
    parser.add_argument(
        "--dev", action="store_true", help="reload scenes when they change (for authors)"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="compile the story afresh; skip the cache"
    )


def cmd_play(args: argparse.Namespace) -> int:
    """Start the game: the console, or line mode with --plain."""
    if not args.plain and sys.stdin.isatty() and sys.stdout.isatty():
        try:
            from game.tui.app import run_console
        except ImportError:
            run_console = None
        if run_console is not None:
            return run_console(args)
    return _play_plain(args)


def _play_plain(args: argparse.Namespace) -> int:
    # Bytes that are not UTF-8 on a pipe are a typo, not a reason to crash: read them as �.
    for stream in (sys.stdin, sys.stdout):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    if args.replay or args.dev:  # author tools: game/tools/playtest.py (--replay), devwatch (--dev)
        from game.tools.playtest import play_for_authors

        return play_for_authors(args)
    import random

    from game.engine.runtime import Engine
    from game.engine.saves import SaveError, SaveStore
    from game.plain import LineMode, Stopped, stop_on_signals
    from game.tools.saves import PlainSaves

    story = load_or_exit(args.story, use_cache=not args.no_cache)
    store = SaveStore.resolve(args.save_dir)
    loaded = None
    check_load(args)
    if args.load is not None:
        try:
            loaded = store.load(args.load, story)
        except SaveError as exc:
            print(f"handler-one: {exc}", file=sys.stderr)
            return 1
        engine = loaded.engine
    else:
        sets = parse_sets(args.set, story)
        seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
        check_warp(args.warp, story)
        engine = Engine.new(story, seed, warp=args.warp, sets=sets)
    mode = LineMode(engine)
    saves = PlainSaves(mode, store, loaded)
    # ctrl+c, SIGTERM and SIGHUP (the terminal closed) stop the game cleanly: an order under way
    # is finished, the game is autosaved if orders were given since the last save, and the exit
    # status is 128 + the signal's number (130, 143, 129). Never a traceback.
    with stop_on_signals(mode):
        try:
            if loaded is not None and loaded.message:
                mode.say(f"Note: {loaded.message}")
            elif loaded is None:
                saves.autosave()
            status = mode.run()
        except Stopped as stop:
            if stop.name == "SIGHUP":
                _hang_up(mode)
            saved = saves.finish()
            _say_stopped(stop.name, saved)
            return stop.code
        except BaseException:
            saves.finish()
            raise
        saves.finish()
        return status


def _hang_up(mode: LineMode) -> None:
    """The terminal is gone: send what is left to write nowhere, so no write fails."""
    import io
    import os

    mode.out = io.StringIO()
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(null, fd)
        os.close(null)
    except OSError:
        pass


def _say_stopped(name: str, saved: object) -> None:
    """One line on stderr after a signal: what stopped the game and where it was saved."""
    from game.stopping import stopped_message

    try:
        sys.stdout.flush()
        lead = "\n" if sys.stderr.isatty() else ""
        print(lead + stopped_message(name, getattr(saved, "slot", None)), file=sys.stderr)
    except (OSError, ValueError):
        pass


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
        verdict = "ok" if not errors else "failed"
        print(f"{root}: {verdict}: {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


# --- dispatch ---------------------------------------------------------------------------------

HANDLERS: dict[
    str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int], str]
] = {
    "play": (_play_parser, cmd_play, "play the game (the default command)"),
    "validate": (_validate_parser, cmd_validate, "check a story folder for errors"),
}


def register(
    name: str,
    configure: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace], int],
    help_text: str,
) -> None:
    """Add a subcommand (used by the tool modules)."""
    HANDLERS[name] = (configure, run, help_text)


def build_parser(tools: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser, with the tool subcommands named in `tools` (all when None)."""
    _register_tools(tools)
    parser = argparse.ArgumentParser(
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
