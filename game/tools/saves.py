"""Saves from the command line: `handler-one saves list|show|delete` reads and manages the save
folder. (Line mode's `save`, `load` and `saves` are in game/plain.py, through the session.) This
module is imported whenever the `handler-one` command starts, so it imports the engine lazily.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from game.engine.saves import SaveInfo, SaveStore


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
    print(f"handler-one saves: {_shown(message, 400)}", file=sys.stderr)
    return status


def _shown(value: object, limit: int = 200) -> str:
    """Any value from a save (or the save folder's path), as text safe to print on one line:
    every field of a save is the save's author's to choose, so none reaches the terminal raw."""
    from game.engine.saves import printable

    return printable(str(value), limit)


def _json(value: object) -> str:
    """JSON safe to print: every character outside ASCII escaped (`\\u202e`), so that no
    control character, C1 code or bidi override in a save reaches the terminal; the text a
    program reads back is the save's own."""
    return json.dumps(value, indent=2, ensure_ascii=True)


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
    print(f"deleted save '{_shown(name)}' from {_shown(store.directory, 400)}")
    return 0


def _list(store: SaveStore, as_json: bool) -> int:
    saves = store.list()
    if as_json:
        print(_json([info.to_json() for info in saves]))
    elif not saves:
        print(f"no saves in {_shown(store.directory, 400)}")
    else:
        print(f"saves in {_shown(store.directory, 400)}, newest first:")
        for info in saves:
            story = f" [{info.story_id}]" if info.story_id else ""
            print(_shown(format_info(info) + story, 600))
    for problem in store.list_problems():
        skipped = "skipped " if problem.startswith("save '") else ""
        print(f"handler-one saves: {skipped}{_shown(problem, 400)}", file=sys.stderr)
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
        print(_json(details))
        return 0
    rows: list[tuple[str, object]] = [
        ("slot", f"{info.slot} ({info.kind})"),
        ("story", f"{info.story_title} [{info.story_id}]"),
        ("where", header.meta.header),
        ("ending", info.ending or "-"),
        ("saved", info.saved_at),
        ("played", format_seconds(info.play_seconds)),
        ("squad", info.squad_summary),
        ("orders", info.orders),
        ("seed", state.seed),
        ("names", ", ".join(state.known) or "-"),
        ("dossier", f"{len(details['evidence'])} piece(s) of evidence"),
        ("version", f"save format {header.format_version}, game {header.game_version}"),
        ("file", info.path),
    ]
    for label, value in rows:
        print(f"{label:<8} {_shown(value, 400)}")
    return 0


def register_command(register: Callable[..., None]) -> None:
    """Called by `game.cli` to add `handler-one saves`."""
    register("saves", configure, run, "list, show or delete saved games")
