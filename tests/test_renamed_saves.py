"""Saves of the shipped story made before three pilots were renamed still load, under the new ids.

The fixtures in tests/fixtures/saves/handler-one-v1 are real format-1 saves made by the game from
the story as it stood before the rename (its README says how). They name the old pilot ids and
the scenes named after them (the tables in `game.engine.renames`) in every place a save can.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.engine import renames, savefile, saves
from game.engine.loader import load_story
from game.engine.model import Story
from game.engine.runtime import Engine
from game.engine.saves import SaveError, SaveStore
from game.engine.state import GameState
from game.paths import scenes_dir
from tests.conftest import FIXTURES

OLD_SAVES = FIXTURES / "saves" / "handler-one-v1"
_OLD = "|".join([*renames.PILOTS, *renames.SCENES])
OLD_IDS = re.compile(rf"\b({_OLD})\b")
OLD_CALLSIGNS = re.compile("|".join(map(re.escape, renames.CALLSIGNS)), re.IGNORECASE)

# slot -> the scene it resumes at
EXPECTED = {
    "ch2-orchard-round2": "ch2_orchard#2",
    "ch2-night-watch": "ch2_plumbline_watch",
    "ch4-warped-earn-it": "ch4_longshot_name",
}


@cache
def shipped() -> Story:
    return load_story(scenes_dir())


@pytest.fixture
def store(tmp_path: Path) -> SaveStore:
    shutil.copytree(OLD_SAVES, tmp_path / "saves")
    return SaveStore(tmp_path / "saves")


def old_document(slot: str) -> dict:
    return json.loads((OLD_SAVES / f"{slot}.json").read_text(encoding="utf-8"))


def replayed(engine: Engine, log: list[tuple[str, int]]) -> tuple[GameState, int]:
    """The state today's story reaches from the game's seed (and warp) by giving the orders in
    `log` as far as it still takes them, and how many it took."""
    state = engine.state
    again, applied = Engine.replay(
        engine.story, state.seed, log, warp=state.origin, sets=state.preset
    )
    return again.state, applied


def renamed_by_hand(slot: str) -> dict:
    """The old save's game with every old id replaced by its new one: an oracle for the
    migration that does not depend on what today's story makes of the save's orders (the
    chapters have been rewritten since these saves were made)."""
    mapping = {**renames.PILOTS, **renames.SCENES}
    text = json.dumps(old_document(slot)["state"])
    return json.loads(OLD_IDS.sub(lambda match: mapping[match.group(0)], text))


def test_the_fixtures_are_format_1_saves_of_the_story_that_name_every_old_id() -> None:
    names: set[str] = set()
    for slot in EXPECTED:
        doc = old_document(slot)
        assert doc["format_version"] == 1 and doc["story"]["id"] == renames.STORY_ID
        assert doc["checksum"] == saves._checksum(doc)  # untouched since the game wrote them
        names |= {m.group(0) for m in OLD_IDS.finditer(json.dumps(doc["state"]))}
    assert set(renames.PILOTS) <= names
    states = [old_document(slot)["state"] for slot in EXPECTED]
    scenes = {s["scene"].partition("#")[0] for s in states} | {s["origin"] for s in states}
    scenes |= {entry[0] for s in states for entry in s["log"]}
    assert len(scenes & set(renames.SCENES)) == 3  # all but the last chapter's


def test_the_tables_name_only_ids_the_story_no_longer_has_and_map_them_to_ids_it_has() -> None:
    story = shipped()
    assert not set(renames.PILOTS) & set(story.pilots)
    assert set(renames.PILOTS.values()) <= set(story.pilots)
    assert not set(renames.SCENES) & set(story.scenes)
    assert set(renames.SCENES.values()) <= set(story.scenes)


@pytest.mark.parametrize("slot", sorted(EXPECTED))
def test_an_old_save_resumes_where_it_was_saved_under_the_new_ids(store, slot) -> None:
    loaded = store.load(slot, shipped())
    engine = loaded.engine
    # Resumed as saved (the story changed, so a note says so), not replayed to an earlier point.
    # The chapters were rewritten after these saves were made: where the log no longer leads
    # through today's story, the note says so, and that undo stops at the load.
    message = loaded.message or ""
    assert message.startswith("The story has changed since this save")
    assert message.endswith(".") and "\n" not in message
    assert ("undo cannot reach back past this load" in message) == (not engine.can_undo)
    assert engine.state.scene == EXPECTED[slot]
    assert engine.header() == old_document(slot)["meta"]["header"]
    state = json.dumps(engine.state.to_dict())
    assert not OLD_IDS.search(state) and not OLD_CALLSIGNS.search(state)
    # Exactly the saved game under the new ids: nothing was lost or invented. Variables the story
    # declared since come in at their defaults; aftermath lines are re-said in today's callsigns.
    now, then = engine.state.to_dict(), renamed_by_hand(slot)
    then.setdefault("asked", [])  # a field added since, read at its default
    for pilot in shipped().pilots.values():  # pilots added since come in as the story starts them
        then["status"].setdefault(pilot.id, pilot.status)
    assert set(now) == set(then) | {"log_ids", "log_replays", "numbers"}
    for key in set(then) - {"variables", "aftermath"}:
        assert now[key] == then[key], key
    story = shipped()
    assert now["variables"] == {
        name: then["variables"].get(name, variable.default)
        for name, variable in story.variables.items()
    }
    assert [line["speaker"] for line in now["aftermath"]] == [
        line["speaker"] for line in then["aftermath"]
    ]
    shown = [f"{line.tag} {line.text}" for line in engine.radio()]
    shown += [f"{view.callsign} {view.display}" for view in engine.squad()]
    assert not OLD_CALLSIGNS.search("\n".join(shown))
    # The header still says which format the file was written in; its game reads as today's.
    document = store.document(slot)
    assert document.header.format_version == 1
    assert document.state.scene == EXPECTED[slot]
    assert not OLD_IDS.search(json.dumps(document.state.to_dict()))


def test_the_roster_keeps_what_the_old_save_knew_about_each_renamed_pilot(store) -> None:
    old = old_document("ch2-orchard-round2")["state"]
    engine = store.load("ch2-orchard-round2", shipped()).engine
    for before, after in renames.PILOTS.items():
        assert engine.status(after) == old["status"][before]
        assert engine.knows(after) == (before in old["known"])
    squad = {view.id: view.display for view in engine.squad()}
    assert squad["longshot"] == "Dario Adeyemi" and squad["ringside"] == "Mateo Lindqvist"
    assert squad["plumbline"] == "Noor Haddad"
    assert engine.status("bellringer") == "wounded"


@pytest.mark.parametrize("slot", sorted(EXPECTED))
def test_undo_after_loading_an_old_save_replays_its_renamed_log(store, slot) -> None:
    engine = store.load(slot, shipped()).engine
    log = list(engine.state.log)
    loaded = copy.deepcopy(engine.state)
    # Undo after loading replays the renamed log but for its last order. It is exact or it is
    # not done: when the story has been rewritten along the save's way (the chapters were, after
    # these saves were made), undo declines (and is not offered) and the game stays as loaded.
    again, applied = replayed(engine, log[:-1])
    if applied == len(log) - 1 and engine.state.log_replays:
        assert engine.can_undo
        assert engine.undo() and engine.state == again and engine.state.log == log[:-1]
    else:
        assert not engine.can_undo
        assert not engine.undo() and engine.state == loaded
    assert not OLD_IDS.search(json.dumps(engine.state.to_dict()))


def test_undo_after_loading_a_warped_old_save_goes_back_to_its_renamed_origin(store) -> None:
    engine = store.load("ch4-warped-earn-it", shipped()).engine
    assert engine.undo() and engine.state.log == []
    assert engine.state.scene == engine.state.origin == "ch4_ringside_tally"


def test_an_old_save_plays_on_by_a_typed_new_callsign(store) -> None:
    engine = store.load("ch4-warped-earn-it", shipped()).engine
    assert not engine.knows("longshot")
    assert engine.choose_text("longshot").ok
    assert engine.knows("longshot") and engine.state.scene == "ch4_mast_brief"
    said = [line.text for line in engine.radio() if line.speaker == "longshot"]
    assert "Dario. Dario Adeyemi." in said


def test_an_old_save_plays_on_and_saves_again_in_the_current_format(store) -> None:
    story = shipped()
    engine = store.load("ch2-night-watch", story).engine
    assert engine.choose_text("keep watch").ok
    assert engine.state.scene == "ch2_quarrel"
    store.save("ch2-night-watch", engine)
    again = store.load("ch2-night-watch", story)
    assert again.message is None and again.engine.state == engine.state
    assert store.document("ch2-night-watch").header.format_version == savefile.FORMAT_VERSION
    assert not OLD_IDS.search(store.path("ch2-night-watch").read_text(encoding="utf-8"))


def test_line_mode_loads_an_old_save_gives_an_order_and_undoes_it(store) -> None:
    command = [sys.executable, "-m", "game", "play", "--plain", "--no-cache"]
    result = subprocess.run(
        [*command, "--load", "ch2-night-watch", "--save-dir", str(store.directory)],
        input="keep\nundo\nsquad\nquit\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Note: The story has changed since this save")
    assert "Plumbline: Dawn, ma'am. Nineteen hundred. Still. Thank you for the company." in out
    after_undo = out.split("Order taken back.\n\n", 1)[1]
    assert after_undo.startswith("Chapter 2, Replacement Cores: Night Watch.")
    assert "  Plumbline, Noor Haddad, active." in after_undo  # the roster, asked for after undo
    assert "  Longshot, Dario Adeyemi, active." in after_undo
    assert not OLD_CALLSIGNS.search(out)


def test_saves_of_other_stories_and_later_formats_are_left_alone() -> None:
    state = old_document("ch2-night-watch")["state"]
    other = {**copy.deepcopy(state), "story_id": "mini"}
    assert renames.renamed_state(other) == other
    old = old_document("ch2-night-watch")
    upgraded = savefile.read(json.dumps(old).encode()).state
    assert upgraded["scene"] == "ch2_plumbline_watch"
    # A save already in format 2 is not renamed again, whatever its ids.
    current = {**old, "format_version": 2, "state": copy.deepcopy(upgraded)}
    current["state"]["status"][next(iter(renames.PILOTS))] = "active"
    current["checksum"] = savefile.checksum(current)
    assert savefile.read(json.dumps(current).encode()).state == current["state"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
id_like = st.sampled_from(
    [*renames.PILOTS, *renames.PILOTS.values(), *renames.SCENES, "kestrel", "ch1_posting"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_damage_to_an_old_save_loads_or_fails_in_one_line(data) -> None:
    """Any part of an old save's state replaced with odd values (checksum fixed): the
    migration never crashes; the game loads and plays on, or says why in one line."""
    slot = data.draw(st.sampled_from(sorted(EXPECTED)), label="slot")
    doc = old_document(slot)
    state = doc["state"]
    for _ in range(data.draw(st.integers(1, 3), label="changes")):
        key = data.draw(st.sampled_from(sorted(state)), label="key")
        value = data.draw(
            json_values
            | id_like
            | st.lists(id_like, max_size=3)
            | st.dictionaries(id_like, json_values, max_size=3),
            label="value",
        )
        state[key] = value
    doc["checksum"] = savefile.checksum(doc)
    with saves_folder(doc) as store:
        try:
            engine = store.load("fuzz", shipped()).engine
        except SaveError as exc:
            assert str(exc).startswith("save 'fuzz': ") and "\n" not in str(exc)
            return
        engine.header(), engine.radio(), engine.squad(), engine.dossier()
        enabled = [view for view in engine.orders() if view.enabled]
        if enabled:
            engine.choose(enabled[0].index)


@settings(max_examples=200, deadline=None)
@given(state=st.dictionaries(st.text(max_size=10) | st.sampled_from(["scene", "log"]), json_values))
def test_the_renaming_never_raises_on_any_json(state) -> None:
    state["story_id"] = renames.STORY_ID
    renamed = renames.renamed_state(state)
    assert set(renamed) == set(state)


@contextlib.contextmanager
def saves_folder(doc: dict) -> Iterator[SaveStore]:
    """A temporary save folder holding `doc` as the slot 'fuzz'."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "fuzz.json").write_text(json.dumps(doc), encoding="utf-8")
        yield SaveStore(Path(tmp))
