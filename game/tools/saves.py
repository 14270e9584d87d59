"""Saves from the command line and in line mode.

`handler-one saves list|show|delete` reads and manages the save folder; `PlainSaves` adds
`save NAME`, `load NAME` and `saves` to line mode and autosaves on entering each scene. This
module is imported whenever the `handler-one` command starts, so it imports the engine lazily.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from game.engine.runtime import Engine
    from game.engine.saves import Loaded, SaveInfo, SaveStore
    from game.plain import LineMode

LINE_HELP = """Saving:
  save NAME  save the game in a slot (replaces a save of that name)
  load NAME  resume a saved game ('load quick' for the quicksave, 'load auto-1' ...)
  saves      list the saves
The game also autosaves on entering each scene (slots auto-1 to auto-10)."""


def format_seconds(seconds: float) -> str:
    """Play time for people: `42s`, `5m`, `2h 05m`."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    return f"{minutes // 60}h {minutes % 60:02d}m"


def format_info(info: SaveInfo) -> str:
    """One save as a line of a listing."""
    where = f"Chapter {info.chapter} · {info.scene_title}"
    if info.ending:
        where += f" · ended: {info.ending}"
    changed = " · story changed" if info.story_changed else ""
    when = info.saved_at.replace("T", " ")[:16]
    return (
        f"  {info.slot:<14} {info.kind:<6} {when}  {format_seconds(info.play_seconds):>7}  "
        f"{where} · {info.squad_summary}{changed}"
    )


# --- line mode --------------------------------------------------------------------------------


class PlainSaves:
    """The save commands and the autosave hook for a `LineMode` game.

    Attaching adds `save`, `load` and `saves` to the line mode's commands and an autosave
    listener to its engine; `load` replaces the engine (undo then works across the load: the
    engine replays the saved order log).
    """

    def __init__(self, mode: LineMode, store: SaveStore, loaded: Loaded | None = None) -> None:
        self.mode = mode
        self.store = store
        self.played = loaded.info.play_seconds if loaded and loaded.info else 0.0
        self.started = time.monotonic()
        self.autosave_failed = False
        self.saved_log: list[tuple[str, int]] | None = None
        if loaded is not None:
            self.saved_log = list(loaded.engine.state.log)
        mode.extra.update({"save": self.cmd_save, "load": self.cmd_load, "saves": self.cmd_saves})
        mode.extra_help = LINE_HELP
        self._watch(mode.engine)

    def play_seconds(self) -> float:
        """Play time so far, the saved game's included."""
        return self.played + (time.monotonic() - self.started)

    def _watch(self, engine: Engine) -> None:
        engine.add_listener(self._entered)

    def _entered(self, engine: Engine) -> None:
        # Called by the engine inside a transition: it must never raise.
        if engine.ending is not None or (engine.round and engine.round[0] != 1):
            return
        self.autosave(engine)

    def autosave(self, engine: Engine | None = None) -> SaveInfo | None:
        """Autosave now and return the save; a failure is reported once (None), and never stops
        the game."""
        from game.engine.saves import SaveError

        engine = engine or self.mode.engine
        try:
            info = self.store.autosave(engine, self.play_seconds())
            self.saved_log = list(engine.state.log)
            return info
        except SaveError as exc:
            problem = f"(autosave failed: {exc}; 'save NAME' to try another way)"
        except Exception as exc:  # noqa: BLE001 - the game goes on whatever a save does
            problem = f"(autosave failed: {type(exc).__name__}: {exc})"
        if not self.autosave_failed:
            self.autosave_failed = True
            # The terminal may be gone (SIGHUP) or stdout closed: the message is then lost.
            with contextlib.suppress(OSError, ValueError):
                self.mode.say(problem)
        return None

    def unsaved(self) -> bool:
        """Whether orders were given since the last save, in a game still going on."""
        engine = self.mode.engine
        return engine.ending is None and self.saved_log != list(engine.state.log)

    def finish(self) -> SaveInfo | None:
        """On leaving (quit, end of input, ctrl+c, SIGTERM, SIGHUP): autosave if orders were
        given since the last save and the game is on. Returns the autosave made, if any."""
        if self.unsaved():
            return self.autosave(self.mode.engine)
        return None

    @staticmethod
    def _argument(command: str) -> str:
        parts = command.strip().split(None, 1)
        return parts[1].strip() if len(parts) > 1 else ""

    def cmd_save(self, command: str) -> bool:
        """`save NAME`."""
        from game.engine.saves import SaveError

        name = self._argument(command)
        if not name:
            self.mode.say("Usage: save NAME (for example: save before-the-raid)")
            return True
        try:
            replacing = self.store.exists(name)
            info = self.store.save(name, self.mode.engine, self.play_seconds())
        except SaveError as exc:
            self.mode.say(f"Not saved: {exc}")
            return True
        self.saved_log = list(self.mode.engine.state.log)
        note = " (replacing the earlier save)" if replacing else ""
        self.mode.say(f"Saved as '{info.slot}'{note}.")
        return True

    def cmd_load(self, command: str) -> bool:
        """`load NAME`; with no name, list the saves."""
        from game.engine.saves import SaveError

        name = self._argument(command)
        if not name:
            self.mode.say("Usage: load NAME")
            return self.cmd_saves(command)
        try:
            loaded = self.store.load(name, self.mode.engine.story)
        except SaveError as exc:
            self.mode.say(f"Not loaded: {exc}")
            return True
        self.mode.engine = loaded.engine
        self._watch(loaded.engine)
        self.played = loaded.info.play_seconds if loaded.info else 0.0
        self.started = time.monotonic()
        self.saved_log = list(loaded.engine.state.log)
        self.mode.say(f"Loaded '{loaded.info.slot if loaded.info else name}'.")
        if loaded.message:
            self.mode.say(f"Note: {loaded.message}")
        self.mode.say()
        self.mode.show_scene()
        return True

    def cmd_saves(self, command: str) -> bool:
        """`saves`: every save of this story, newest first."""
        saves = self.store.list(self.mode.engine.story)
        if not saves:
            self.mode.say(f"No saves yet (they go in {self.store.directory}).")
        else:
            self.mode.say(f"SAVES in {self.store.directory}")
            for info in saves:
                self.mode.say(format_info(info))
        for problem in self.store.list_problems():
            self.mode.say(f"  (unreadable) {problem}")
        return True


# --- handler-one saves ------------------------------------------------------------------------


def _add_save_dir(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--save-dir",
        metavar="DIR",
        default=default,
        help="the save folder (default: $HANDLER_ONE_SAVE_DIR, else the user data folder)",
    )


def configure(parser: argparse.ArgumentParser) -> None:
    """`handler-one saves [--save-dir DIR] {list,show,delete}`."""
    _add_save_dir(parser, None)
    actions = parser.add_subparsers(dest="saves_action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", help="list the saves, newest first")
    listing.add_argument("--json", action="store_true", help="print them as JSON")
    _add_save_dir(listing, argparse.SUPPRESS)
    show = actions.add_parser("show", help="show one save")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true", help="print it as JSON")
    _add_save_dir(show, argparse.SUPPRESS)
    delete = actions.add_parser("delete", help="delete one save (and its backup)")
    delete.add_argument("name", metavar="NAME")
    _add_save_dir(delete, argparse.SUPPRESS)


def _error(message: str, status: int = 1) -> int:
    print(f"handler-one saves: {message}", file=sys.stderr)
    return status


def run(args: argparse.Namespace) -> int:
    """Run `handler-one saves ...`: 0 done, 1 no such or unreadable save, 2 bad name."""
    from game.engine.saves import SaveError, SaveStore, sanitise_slot

    store = SaveStore.resolve(args.save_dir)
    action = args.saves_action
    if action == "list":
        return _list(store, args.json)
    try:
        name = sanitise_slot(args.name)
    except SaveError as exc:
        return _error(str(exc), 2)
    try:
        if action == "show":
            return _show(store, name, args.json)
        store.delete(name)
    except SaveError as exc:
        return _error(str(exc))
    print(f"deleted save '{name}' from {store.directory}")
    return 0


def _list(store: SaveStore, as_json: bool) -> int:
    saves = store.list()
    if as_json:
        print(json.dumps([info.to_json() for info in saves], indent=2, ensure_ascii=False))
    elif not saves:
        print(f"no saves in {store.directory}")
    else:
        print(f"saves in {store.directory}, newest first:")
        for info in saves:
            story = f" [{info.story_id}]" if info.story_id else ""
            print(format_info(info) + story)
    for problem in store.list_problems():
        print(f"handler-one saves: skipped {problem}", file=sys.stderr)
    return 0


def _show(store: SaveStore, name: str, as_json: bool) -> int:
    info = store.info(name)
    document = store.document(name)
    header, state = document.header, document.state
    details = {
        **info.to_json(),
        "header": header.meta.header,
        "format_version": header.format_version,
        "game_version": header.game_version,
        "content_hash": header.story.content_hash,
        "seed": state.seed,
        "scene": state.scene,
        "status": state.status,
        "known": state.known,
        "evidence": list(state.evidence),
        "deductions": state.deductions,
        "variables": state.variables,
    }
    if as_json:
        print(json.dumps(details, indent=2, ensure_ascii=False))
        return 0
    from game.engine.saves import printable

    rows: list[tuple[str, object]] = [
        ("slot", f"{info.slot} ({info.kind})"),
        ("story", f"{info.story_title} [{info.story_id}]"),
        ("where", printable(header.meta.header, 200)),
        ("ending", info.ending or "-"),
        ("saved", info.saved_at),
        ("played", format_seconds(info.play_seconds)),
        ("squad", info.squad_summary),
        ("orders", info.orders),
        ("seed", state.seed),
        ("names", ", ".join(printable(k) for k in state.known) or "-"),
        ("dossier", f"{len(details['evidence'])} piece(s) of evidence"),
        ("version", f"save format {header.format_version}, game {header.game_version}"),
        ("file", info.path),
    ]
    for label, value in rows:
        print(f"{label:<8} {value}")
    return 0


def register_command(register: Callable[..., None]) -> None:
    """Called by `game.cli` to add `handler-one saves`."""
    register("saves", configure, run, "list, show or delete saved games")
