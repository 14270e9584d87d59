"""A process killed with SIGKILL at random points while it saves never costs a save.

The child is forked from this process (so it starts in milliseconds) and saves in a loop to one
named slot and the quicksave, alternating between several different games; the parent kills it
after a random delay, then checks every slot. Hundreds of kills land in every phase of a save:
writing the temporary file, syncing it, keeping the backup, renaming, syncing the folder.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest

from game.engine.loader import load_story
from game.engine.runtime import Engine
from game.engine.saves import SaveStore

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not hasattr(os, "fork"), reason="needs fork and SIGKILL"
)

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
KILLS = 300
BUDGET_SECONDS = 15.0
MIN_KILLS = 60


def _play(story, words: list[str], seed: int = 3) -> Engine:
    engine = Engine.new(story, seed)
    for word in words:
        assert engine.choose_text(word).ok
    return engine


def _key(engine: Engine) -> str:
    return json.dumps(engine.state.to_dict(), sort_keys=True)


def _child(store: SaveStore, games: list[Engine], n: int) -> None:
    """Save forever; only SIGKILL ends this."""
    try:
        while True:
            store.save("target", games[n % len(games)], float(n))
            store.quicksave(games[(n + 1) % len(games)], float(n))
            n += 1
    finally:
        os._exit(0)


def test_sigkill_at_random_points_while_saving_loses_nothing(tmp_path):
    story = load_story(MINI)
    store = SaveStore(tmp_path / "saves")
    earlier = {
        "named": _play(story, ["name"]),
        "mid-fight": _play(story, ["report", "follow"]),
        "ended": _play(story, ["report", "push", "push", "push"], seed=8),
    }
    for slot, engine in earlier.items():
        store.save(slot, engine, 10.0)
    store.autosave(_play(story, []))
    store.autosave(_play(story, ["report"]))
    earlier_states = {
        info.slot: _key(store.load(info.slot, story).engine) for info in store.list(story)
    }
    assert len(earlier_states) == 5

    games = [
        _play(story, []),
        _play(story, ["report", "follow", "follow"]),
        _play(story, ["name", "push"]),
        _play(story, ["report", "push", "push"], seed=6),
    ]
    allowed = {_key(g) for g in games}
    assert len(allowed) == len(games)
    store.save("target", games[0])
    store.quicksave(games[1])

    # How long one round of the child's loop takes here, so the kills spread over it.
    started = time.perf_counter()
    for n in range(4):
        store.save("timing", games[n % len(games)])
        store.quicksave(games[1])
    cycle = (time.perf_counter() - started) / 4
    store.delete("timing")

    rng = random.Random(20240607)
    seen: set[str] = set()
    changes = 0
    previous = _key(games[0])
    kills = 0
    started = time.monotonic()
    while kills < KILLS and time.monotonic() - started < BUDGET_SECONDS:
        first = rng.randrange(len(games))
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            _child(store, games, first)
        time.sleep(rng.choice([0.0, rng.uniform(0.0, cycle), rng.uniform(0.0, 3 * cycle)]))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        kills += 1

        # The slots being written hold a whole save: the old one or one of the new ones.
        for slot in ("target", "quick"):
            key = _key(store.load(slot, story).engine)
            assert key in allowed, f"kill {kills}: slot '{slot}' holds a mixed game"
            seen.add(key)
        current = _key(store.load("target", story).engine)
        changes += current != previous
        previous = current
        # Every earlier save still loads, unchanged.
        if kills % 5 == 0:
            for slot, key in earlier_states.items():
                assert _key(store.load(slot, story).engine) == key, f"kill {kills}: '{slot}'"
        assert store.list_problems() == []

    assert kills >= MIN_KILLS, f"only {kills} kills in {BUDGET_SECONDS}s"
    for slot, key in earlier_states.items():
        assert _key(store.load(slot, story).engine) == key
    listed = {info.slot for info in store.list(story)}
    assert listed == set(earlier_states) | {"target", "quick"}
    assert store.list_problems() == []
    # Leftovers are only temporary files and at most one backup per slot being written,
    # none of which the game lists or loads.
    leftovers = [p.name for p in store.directory.iterdir() if not p.name.endswith(".json")]
    for name in leftovers:
        assert (name.startswith(".") and name.endswith(".tmp")) or name in (
            "target.bak",
            "quick.bak",
        ), name
    # The kills really landed in the middle of saves (each temporary file is a save cut short
    # before its rename) and after whole ones (the slot changed to another game).
    assert sum(name.endswith(".tmp") for name in leftovers) >= 5
    assert changes >= 5 and len(seen) >= 2
    # A backup left behind by a kill is itself a whole save.
    for slot in ("target", "quick"):
        backup = store.directory / f"{slot}.bak"
        if backup.exists():
            spare = SaveStore(tmp_path / f"spare-{slot}")
            spare.directory.mkdir()
            (spare.directory / f"{slot}.json").write_bytes(backup.read_bytes())
            assert _key(spare.load(slot, story).engine) in allowed


REPLACE_KILLS = 120
# A deadline, not a measure: on a loaded machine a forked child may not run at all before its
# kill, so the loop goes on (up to this) until the kills have landed both inside and after
# whole replacements.
REPLACE_DEADLINE_SECONDS = 120.0
REPLACE_MIN_KILLS = 30


def _replacing_child(store: SaveStore, games: list[Engine], replace, n: int) -> None:  # noqa: ANN001
    """Replace the same autosave forever, as undo and the same order do; only SIGKILL ends it."""
    try:
        while True:
            replace = store.autosave(games[n % len(games)], float(n), replace=replace)
            n += 1
    finally:
        os._exit(0)


def test_sigkill_while_replacing_an_autosave_leaves_the_old_or_the_new(tmp_path):
    """A full ring; the newest autosave is replaced in place over and over, and killed at random
    points. The slot always holds a whole game, the old one or a new one; the other nine are
    untouched and the ring never loses one."""
    story = load_story(MINI)
    store = SaveStore(tmp_path / "saves")
    for seed in range(10):
        store.autosave(_play(story, [], seed=seed + 20))
    others = {
        info.slot: _key(store.load(info.slot, story).engine) for info in store.list(story)[1:]
    }
    games = [_play(story, ["report"]), _play(story, ["name"]), _play(story, ["ask"])]
    allowed = {_key(g) for g in games}
    target = store.autosave(games[0], replace=store.list(story)[0])
    assert len(others) == 9 and target.slot not in others

    rng = random.Random(20240608)
    seen: set[str] = set()
    kills = 0
    started = time.monotonic()
    def covered() -> bool:
        leftovers = [p for p in store.directory.iterdir() if p.name.endswith(".tmp")]
        return kills >= REPLACE_MIN_KILLS and len(leftovers) >= 3 and len(seen) >= 2

    while (kills < REPLACE_KILLS or not covered()) and (
        time.monotonic() - started < REPLACE_DEADLINE_SECONDS
    ):
        if kills >= REPLACE_KILLS and covered():
            break
        newest = store.list(story)[0]
        assert newest.slot == target.slot, f"kill {kills}: the replaced autosave is not the newest"
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            _replacing_child(store, games, newest, rng.randrange(len(games)))
        # Mostly short, sometimes long enough for a whole replacement on a busy machine.
        time.sleep(rng.uniform(0.0, 0.01 if kills % 4 else 0.08))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        kills += 1

        key = _key(store.load(target.slot, story).engine)
        assert key in allowed, f"kill {kills}: '{target.slot}' holds a mixed game"
        seen.add(key)
        autos = [i.slot for i in store.list(story) if i.kind == "auto"]
        assert len(autos) == 10, f"kill {kills}: the ring holds {len(autos)}"
        if kills % 5 == 0:
            for slot, other in others.items():
                assert _key(store.load(slot, story).engine) == other, f"kill {kills}: '{slot}'"
        assert store.list_problems() == []

    assert kills >= REPLACE_MIN_KILLS, f"only {kills} kills in {REPLACE_DEADLINE_SECONDS}s"
    # The kills landed in the middle of replacements (a temporary file cut short before its
    # rename) and after whole ones (the slot changed to another game).
    leftovers = [p.name for p in store.directory.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) >= 3 and len(seen) >= 2
