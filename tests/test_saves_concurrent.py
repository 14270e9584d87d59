"""Two games saving to the same slot at the same moment never leave a broken or confusing slot.

Two separate Python processes each save their own games to one slot in a tight loop for a few
seconds, while this process keeps loading that slot. Every load in between gives one of the
saved games whole; afterwards the slot holds a complete save from one of the two, no temporary
or backup file is left behind, the other slots are byte-for-byte untouched, and neither game
crashed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from game.engine.loader import load_story
from game.engine.runtime import Engine
from game.engine.saves import SaveError, SaveStore

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows refuses to rename over a file another process reads"
)

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
SECONDS = 3.0
SLOT = "shared"

# Each writer saves its own games (different seeds and orders) to SLOT until its time is up,
# then prints what it did as one JSON line. Any exception is a traceback and a non-zero exit.
WRITER = """
import json, sys, time
from pathlib import Path
from game.engine.loader import load_story
from game.engine.runtime import Engine
from game.engine.saves import SaveStore

folder, story_dir, who, start, seconds = sys.argv[1:6]
story = load_story(Path(story_dir))
plays = {"a": [(1, []), (2, ["report"]), (3, ["name"])],
         "b": [(11, ["report", "follow"]), (12, ["close"]), (13, ["report", "push"])]}[who]
games = []
for seed, words in plays:
    engine = Engine.new(story, seed)
    for word in words:
        assert engine.choose_text(word).ok, word
    games.append(engine)
store = SaveStore(Path(folder))
while time.time() < float(start):
    time.sleep(0.001)
began, n = time.time(), 0
while time.time() < began + float(seconds):
    store.save("shared", games[n % len(games)], float(n))
    n += 1
keys = [json.dumps(g.state.to_dict(), sort_keys=True) for g in games]
print(json.dumps({"saves": n, "began": began, "ended": time.time(), "keys": keys}))
"""


def _key(engine: Engine) -> str:
    return json.dumps(engine.state.to_dict(), sort_keys=True)


def test_two_games_saving_to_one_slot_at_once_leave_one_whole_save(tmp_path):
    story = load_story(MINI)
    store = SaveStore(tmp_path / "saves")
    others = {"keep-a": ["report"], "keep-b": ["name"], "quick": []}
    for slot, words in others.items():
        engine = Engine.new(story, 5)
        for word in words:
            assert engine.choose_text(word).ok
        if slot == "quick":
            store.quicksave(engine, 12.0)
        else:
            store.save(slot, engine, 12.0)
    store.save(SLOT, Engine.new(story, 99), 1.0)
    initial = _key(store.load(SLOT, story).engine)
    before = {p.name: p.read_bytes() for p in store.directory.iterdir()}

    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    start = time.time() + 2.0  # both processes import and build their games before this
    writers = {
        who: subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(store.directory),
                str(MINI),
                who,
                str(start),
                str(SECONDS),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("a", "b")
    }

    # Meanwhile, load the slot again and again: every load is one whole game.
    seen: set[str] = set()
    loads = 0
    try:
        while any(w.poll() is None for w in writers.values()):
            try:
                seen.add(_key(store.load(SLOT, story).engine))
            except SaveError as exc:
                pytest.fail(f"a load while two games saved failed: {exc}")
            loads += 1
            assert {info.slot for info in store.list(story)} == {SLOT, *others}
            assert store.list_problems() == []
    finally:
        results = {}
        for who, writer in writers.items():
            try:
                out, err = writer.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                writer.kill()
                out, err = writer.communicate()
            results[who] = (writer.returncode, out, err)

    for who, (code, _, err) in results.items():
        assert code == 0 and not err.strip(), f"writer {who} crashed:\n{err}"
    reports = {
        who: json.loads(out.strip().splitlines()[-1]) for who, (_, out, _) in results.items()
    }
    a, b = reports["a"], reports["b"]
    assert a["saves"] >= 10 and b["saves"] >= 10, (a["saves"], b["saves"])
    assert a["began"] < b["ended"] and b["began"] < a["ended"], "the writers did not overlap"
    written = set(a["keys"]) | set(b["keys"])
    assert len(written) == 6 and initial not in written

    # Every load while they wrote gave the first save or one of theirs, never a mixture.
    assert loads > 0 and seen <= written | {initial}

    # Afterwards: one complete save from either writer, no temporary or backup files left,
    # and every other slot exactly as it was.
    loaded = store.load(SLOT, story)
    assert loaded.message is None and _key(loaded.engine) in written
    names = sorted(p.name for p in store.directory.iterdir())
    assert names == sorted(f"{slot}.json" for slot in [SLOT, *others]), names
    for name, data in before.items():
        if name != f"{SLOT}.json":
            assert (store.directory / name).read_bytes() == data, name
    for slot in others:
        assert store.load(slot, story).message is None
    assert {info.slot for info in store.list(story)} == {SLOT, *others}
