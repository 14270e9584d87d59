"""Upgrades for save files written in an older format: one small function per format version.

`MIGRATIONS[n]` takes a save document of format `n` as plain JSON (dicts, lists, text, numbers:
the file as read, its checksum already checked) and returns it as format `n + 1`. The reader
(`game.engine.savefile.read`) runs them in turn from the file's version to the current one,
then checks the result against the current format's types; a migration may raise `KeyError`,
`TypeError`, `ValueError` or `AttributeError` on a document it cannot upgrade, and the player
gets one line naming the slot.

To change the save format:

1. raise `FORMAT_VERSION` in `game/engine/savefile.py` to n + 1 (and change the types there
   or in `game/engine/state.py`);
2. add the upgrade here: `@migration(n)` on a function `Document -> Document`;
3. keep real format-n files, made by the game before the change, in `tests/fixtures/saves/vN/`
   (`tests/fixtures/saves/make_fixtures.py` writes them): `tests/test_saves.py` loads every one.

Format 2 renamed three pilots of the shipped story (and the scenes named after them). Format 3
keeps each logged order's identity beside it and the numbers a looping scene shows. Listing
saves (the title screen does, before anything is played) imports this module and upgrades old
files as it reads them: a migration imports what it needs inside its function, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Document = dict[str, Any]
Migration = Callable[[Document], Document]

MIGRATIONS: dict[int, Migration] = {}
"""Format version -> the function that upgrades a document of that version by one."""


def migration(version: int) -> Callable[[Migration], Migration]:
    """Register the decorated function as the upgrade from format `version` to the next."""

    def register(upgrade: Migration) -> Migration:
        if version in MIGRATIONS:
            raise ValueError(f"save format {version} already has a migration")
        MIGRATIONS[version] = upgrade
        return upgrade

    return register


@migration(1)
def _renamed_ids(doc: Document) -> Document:
    """Format 1 -> 2: a save of the shipped story made before three pilots (and the scenes named
    after them) were renamed names them by their new ids (the table is `game.engine.renames`);
    saves of other stories pass through unchanged."""
    from game.engine.renames import renamed_state

    doc["state"] = renamed_state(doc.get("state"))
    return doc


@migration(2)
def _order_identities(doc: Document) -> Document:
    """Format 2 -> 3: beside the order log, each order's identity (`state.log_ids`, see
    `game.engine.identity`), and the numbers a scene that loops back to itself keeps showing
    (`state.numbers`). A format-2 save's identities are unknown (""): its orders are found by
    their place, and take their identities from the story when it is the one the save was made
    with (`game.engine.saves.resume`). Its numbers start afresh."""
    state = doc["state"]
    if isinstance(state, dict):
        log = state.get("log")
        state["log_ids"] = [""] * len(log) if isinstance(log, list) else []
        state["log_replays"] = True
        state["numbers"] = []
    return doc
