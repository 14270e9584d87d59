"""Saves: slots, the file format, atomic writes, damaged files, story edits and migrations."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.cli import main
from game.engine import migrations, savefile, saves
from game.engine.loader import load_story
from game.engine.runtime import Engine
from game.engine.savefile import FORMAT_VERSION
from game.engine.saves import (
    Loaded,
    SaveError,
    SaveInfo,
    SaveStore,
    sanitise_slot,
)
from game.plain import LineMode
from game.session import SaveAccess, SaveFailed, Session

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
FIXTURES = ROOT / "tests" / "fixtures" / "saves"


@pytest.fixture(scope="module")
def story():
    return load_story(MINI)


@pytest.fixture
def store(tmp_path: Path) -> SaveStore:
    return SaveStore(tmp_path / "saves")


def play(story, words: list[str], seed: int = 3, **kwargs) -> Engine:
    engine = Engine.new(story, seed, **kwargs)
    for word in words:
        assert engine.choose_text(word).ok, word
    return engine


def files(store: SaveStore) -> dict[str, bytes]:
    """Every file in the save folder with its bytes."""
    if not store.directory.exists():
        return {}
    return {p.name: p.read_bytes() for p in sorted(store.directory.iterdir())}


def rewrite(path: Path, change) -> None:
    """Hand-edit a save's JSON and fix its checksum, as a careful modder would."""
    doc = json.loads(path.read_text())
    change(doc)
    doc["checksum"] = saves._checksum(doc)
    path.write_text(json.dumps(doc, indent=2))


# --- round trips --------------------------------------------------------------------------------


def test_save_then_load_restores_the_exact_game(story, store):
    engine = play(story, ["report", "follow", "follow"])
    info = store.save("mine", engine, play_seconds=95.5)
    assert isinstance(info, SaveInfo)
    assert (info.slot, info.kind, info.chapter) == ("mine", "named", 1)
    assert info.chapter_title == "Test Chapter"
    assert info.scene_title == "Riverbed (round 3 of 3)"
    assert info.squad_summary == "3 alive"
    assert info.play_seconds == 95.5
    assert info.story_changed is False
    assert info.path == store.directory / "mine.json"
    loaded = store.load("mine", story)
    assert isinstance(loaded, Loaded)
    assert loaded.message is None
    assert loaded.engine.state == engine.state
    assert loaded.engine.header() == engine.header()
    assert [line.text for line in loaded.engine.radio()] == [line.text for line in engine.radio()]
    assert loaded.info is not None and loaded.info.play_seconds == 95.5
    # The game goes on from there exactly as the original would.
    engine.choose_text("follow")
    loaded.engine.choose_text("follow")
    assert loaded.engine.state == engine.state


def test_the_file_holds_versions_story_metadata_state_and_order_log(story, store):
    engine = play(story, ["report", "follow"])
    store.save("mine", engine, 12)
    doc = json.loads((store.directory / "mine.json").read_text(encoding="utf-8"))
    assert doc["format"] == "handler-one-save"
    assert doc["format_version"] == FORMAT_VERSION
    assert doc["game_version"] == __import__("game").__version__
    assert doc["story"] == {"id": "mini", "title": "Mini Story", "content_hash": story.content_hash}
    assert doc["meta"]["header"] == engine.header()
    assert doc["meta"]["saved_at"][:2] == "20" and "T" in doc["meta"]["saved_at"]
    assert doc["state"] == engine.state.to_dict()
    assert doc["state"]["seed"] == 3
    assert doc["state"]["log"] == [["first_contact", 0], ["fight", 0]]
    replayed, applied = Engine.replay(story, doc["state"]["seed"], doc["state"]["log"])
    assert applied == 2 and replayed.state == engine.state


def test_squad_summary_counts_wounded_and_lost(story, store):
    engine = play(story, ["report", "push", "push"], seed=6)
    assert store.save("hurt", engine).squad_summary == "1 alive · 1 wounded · 1 lost"


def test_list_is_newest_first_and_latest_is_for_continue(story, store):
    assert store.list() == [] and store.latest(story) is None
    engine = play(story, ["report"])
    store.save("first", engine)
    store.quicksave(engine)
    store.save("third", engine)
    assert [i.slot for i in store.list(story)] == ["third", "quick", "first"]
    assert store.latest(story).slot == "third"
    assert store.list(story)[1].kind == "quick"
    assert store.exists("first") and not store.exists("nothing")
    store.delete("first")
    assert not store.exists("first")
    with pytest.raises(SaveError, match="'first'.*no such save"):
        store.delete("first")


def test_quicksave_and_quickload(story, store):
    engine = play(story, ["name"])
    assert store.quicksave(engine, 5).slot == "quick"
    loaded = store.quickload(story)
    assert loaded.engine.state == engine.state
    assert loaded.engine.knows("shin")


def test_autosave_ring_keeps_the_last_ten(story, store):
    engine = play(story, [])
    slots = [store.autosave(engine, float(n)).slot for n in range(13)]
    assert slots[:10] == [f"auto-{n}" for n in range(1, 11)]
    assert slots[10:] == ["auto-1", "auto-2", "auto-3"]
    autos = [i for i in store.list(story) if i.kind == "auto"]
    assert len(autos) == 10
    assert [i.play_seconds for i in autos] == [float(n) for n in range(12, 2, -1)]


def test_an_autosave_replaced_in_place_keeps_the_ring_and_becomes_the_newest(story, store):
    first = [store.autosave(play(story, []), float(n)) for n in range(10)]
    replaced = first[3]
    info = store.autosave(play(story, ["report"]), 99.0, replace=replaced)
    assert info.slot == replaced.slot
    autos = [i for i in store.list(story) if i.kind == "auto"]
    assert len(autos) == 10 and autos[0] == info
    assert [i.slot for i in autos[1:]] == [i.slot for i in reversed(first) if i is not replaced]
    assert store.load(info.slot, story).engine.state.log == [("first_contact", 0)]
    # The next one goes over the oldest, as ever: auto-1.
    assert store.autosave(play(story, []), 100.0).slot == "auto-1"


@pytest.mark.parametrize("change", ["rewritten", "deleted", "not an autosave"])
def test_an_autosave_to_replace_that_is_gone_leaves_the_ring_as_usual(story, store, change):
    old = store.autosave(play(story, []), 1.0)
    store.autosave(play(story, []), 2.0)  # auto-2
    if change == "rewritten":  # another game saved there since
        shutil.copyfile(store.path("auto-2"), store.path(old.slot))
    elif change == "deleted":
        store.delete(old.slot)
    else:
        old = store.quicksave(play(story, []), 1.0)
    info = store.autosave(play(story, ["report"]), 3.0, replace=old)
    expected = {"rewritten": "auto-3", "deleted": "auto-1", "not an autosave": "auto-3"}
    assert info.slot == expected[change]
    assert store.list(story)[0] == info


def test_a_successful_save_leaves_no_temporary_or_backup_file(story, store):
    engine = play(story, [])
    store.save("a", engine)
    store.save("a", play(story, ["report"]))
    assert sorted(files(store)) == ["a.json"]


def test_list_with_a_story_skips_other_stories_saves(story, store, tmp_path):
    store.save("mine", play(story, []))
    other = tmp_path / "other"
    shutil.copytree(MINI, other)
    manifest = other / "story.yaml"
    manifest.write_text(manifest.read_text().replace("id: mini", "id: other"))
    other_story = load_story(other)
    store.save("theirs", Engine.new(other_story, 1))
    assert {i.slot for i in store.list()} == {"mine", "theirs"}
    assert [i.slot for i in store.list(story)] == ["mine"]
    with pytest.raises(SaveError, match="save 'theirs'.*another story \\('other'\\)"):
        store.load("theirs", story)


def test_resolve_prefers_the_flag_then_the_environment_then_the_user_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HANDLER_ONE_SAVE_DIR", str(tmp_path / "env"))
    assert SaveStore.resolve(str(tmp_path / "flag")).directory == tmp_path / "flag"
    assert SaveStore.resolve(None).directory == tmp_path / "env"
    monkeypatch.delenv("HANDLER_ONE_SAVE_DIR")
    default = SaveStore.resolve(None).directory
    assert default.name == "saves" and "handler-one" in str(default)


# --- slot names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["mine", "Before the raid", "chapter-2_b", "ünïcode", "v1.2", "  spaced  "]
)
def test_good_slot_names_are_kept(name):
    assert sanitise_slot(name) == name.strip()


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("a/b", "'/'"),
        ("a\\b", "'/'"),
        ("../etc/passwd", "'/'"),
        ("..", "'..'"),
        ("a..b", "'..'"),
        (".hidden", "start with '.'"),
        ("bell\x07", "control character"),
        ("esc\x1b[31m", "control character"),
        ("new\nline", "control character"),
        ("nul\x00", "control character"),
        ("rtl\u202e", "control character"),
        ("x" * 65, "too long"),
        ("what?", "cannot contain"),
        ("a:b", "cannot contain"),
        ("CON", "reserved"),
        ("nul.txt", "reserved"),
    ],
)
def test_bad_slot_names_are_refused_in_one_line(name, problem):
    with pytest.raises(SaveError, match=problem) as caught:
        sanitise_slot(name)
    assert "\n" not in str(caught.value) and "\x1b" not in str(caught.value)


def test_every_store_method_sanitises_the_slot(story, store):
    engine = play(story, [])
    for call in (
        lambda: store.save("../escape", engine),
        lambda: store.load("../escape", story),
        lambda: store.delete("../escape"),
        lambda: store.exists("a/b"),
    ):
        with pytest.raises(SaveError):
            call()
    assert not (store.directory.parent / "escape.json").exists()


def _cased(name: str, upper: list[bool], pad: str) -> str:
    return pad + "".join(c.upper() if up else c for c, up in zip(name, upper, strict=False)) + pad


RESERVED = st.one_of(st.just("quick"), st.integers(0, 10**6).map(lambda n: f"auto-{n}")).flatmap(
    lambda name: st.builds(
        _cased,
        st.just(name),
        st.lists(st.booleans(), min_size=len(name)),
        st.sampled_from(["", " "]),
    )
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=RESERVED)
def test_the_quicksave_and_autosave_names_are_refused_for_named_saves(story, store, name):
    """`save quick` or `save auto-3` would be written over by the game: refused, with the
    reason, in any case and with any padding, by the store and by both front ends' check."""
    engine = play(story, ["report"])
    with pytest.raises(SaveError) as caught:
        store.save(name, engine)
    message = str(caught.value)
    assert message.startswith(f"bad save name '{name.strip()}': ") and "\n" not in message
    assert message.endswith("; choose another name")
    assert ("quicksave" if "quick" in name.lower() else "autosaves") in message
    game = Session(story, SaveAccess(store))
    game.begin(engine)
    with pytest.raises(SaveFailed):
        game.has_save(name)
    assert not store.directory.exists() or not list(store.directory.iterdir())


@pytest.mark.parametrize("name", ["quicker", "quick save", "auto", "auto-", "auto-1b", "autosave"])
def test_names_near_the_reserved_ones_are_named_saves(story, store, name):
    info = store.save(name, play(story, []))
    assert (info.slot, info.kind) == (name, "named")


def test_the_reserved_slots_still_load_and_line_mode_says_why_it_did_not_save(story, store):
    engine = play(story, ["report"])
    store.quicksave(engine)
    store.autosave(engine)
    assert store.load("quick", story).engine.state == engine.state
    assert store.load("auto-1", story).engine.state == engine.state
    output, _ = _line_mode(story, store, "save quick\nsave AUTO-2\nquit\n")
    assert "Not saved: bad save name 'quick': it is the quicksave's slot" in output
    assert "Not saved: bad save name 'AUTO-2': auto-1, auto-2... are the autosaves' slots" in output


# --- failures while writing ---------------------------------------------------------------------


def _prepare(story, store) -> dict[str, bytes]:
    store.save("keep", play(story, ["report"]))
    store.save("target", play(story, ["report", "follow"]))
    store.quicksave(play(story, []))
    return files(store)


def test_disk_full_during_the_write_changes_nothing(story, store, monkeypatch):
    before = _prepare(story, store)

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(SaveError) as caught:
        store.save("target", play(story, ["name"]))
    monkeypatch.undo()
    message = str(caught.value)
    assert "save 'target'" in message and "disk is full" in message and "\n" not in message
    assert files(store) == before
    assert store.load("target", story).engine.state.log == [("first_contact", 0), ("fight", 0)]


def test_disk_full_on_a_partial_write_or_at_fsync_changes_nothing(story, store, monkeypatch):
    before = _prepare(story, store)
    real_write = os.write

    def half_then_full(fd, data):
        if len(data) > 10:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(SaveError, match="disk is full"):
        store.save("target", play(story, ["name"]))
    monkeypatch.undo()
    assert files(store) == before

    def fsync_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync_full)
    with pytest.raises(SaveError, match="disk is full"):
        store.save("new-slot", play(story, ["name"]))
    monkeypatch.undo()
    assert files(store) == before


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.EROFS, "read-only disk"), (errno.EACCES, "no permission to write")],
)
def test_a_read_only_folder_changes_nothing(story, store, monkeypatch, code, reason):
    before = _prepare(story, store)
    real_open = os.open

    def refuse(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(code, os.strerror(code))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    for attempt in (
        lambda: store.save("target", play(story, ["name"])),
        lambda: store.quicksave(play(story, ["name"])),
        lambda: store.autosave(play(story, ["name"])),
    ):
        with pytest.raises(SaveError, match=reason) as caught:
            attempt()
        assert "\n" not in str(caught.value)
    monkeypatch.undo()
    assert files(store) == before


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores folder permissions"
)
def test_a_really_read_only_folder_gives_a_clear_error(story, store):
    before = _prepare(story, store)
    store.directory.chmod(0o500)
    try:
        with pytest.raises(SaveError, match="no permission|read-only"):
            store.save("target", play(story, ["name"]))
    finally:
        store.directory.chmod(0o700)
    assert files(store) == before


def test_a_save_folder_that_cannot_be_made_is_a_clear_error(story, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SaveError, match="save 'x': could not be written"):
        SaveStore(blocker / "saves").save("x", play(story, []))


# --- damaged, foreign and unknown files ---------------------------------------------------------


def test_damaged_saves_give_one_line_errors_and_other_slots_still_load(story, store):
    engine = play(story, ["report", "follow"])
    for slot in ("good", "truncated", "garbage", "edited", "empty", "array", "binary"):
        store.save(slot, engine)
    d = store.directory
    data = (d / "truncated.json").read_bytes()
    (d / "truncated.json").write_bytes(data[: len(data) // 2])
    (d / "garbage.json").write_bytes(b"{ this is not json")
    text = (d / "edited.json").read_text()
    (d / "edited.json").write_text(text.replace('"trust": 2', '"trust": 5'))
    (d / "empty.json").write_bytes(b"")
    (d / "array.json").write_text("[1, 2, 3]")
    (d / "binary.json").write_bytes(bytes(range(256)))
    expected = {
        "truncated": "damaged or truncated",
        "garbage": "damaged or truncated",
        "edited": "edited or damaged",
        "empty": "empty",
        "array": "not a Handler One save",
        "binary": "not UTF-8",
    }
    for slot, problem in expected.items():
        with pytest.raises(SaveError) as caught:
            store.load(slot, story)
        message = str(caught.value)
        assert message.startswith(f"save '{slot}': ") and problem in message, message
        assert "\n" not in message
    assert store.load("good", story).engine.state == engine.state
    assert [i.slot for i in store.list(story)] == ["good"]
    problems = store.list_problems()
    assert len(problems) == len(expected)
    assert all(p.startswith("save '") for p in problems)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(format_version=99), "newer Handler One"),
        (lambda d: d.update(format_version="1"), "no format version"),
        (lambda d: d["state"].update(seed="three"), "state.seed"),
        (lambda d: d["state"].update(scene=7), "state.scene"),
        (lambda d: d["state"]["variables"].update(trust=[1]), "state.variables"),
        (lambda d: d["state"]["status"].update(shin="immortal"), "state.status"),
        (lambda d: d["state"].update(log=[["fight"]]), "state.log"),
        (lambda d: d["state"].update(aftermath=[{"speaker": 1}]), "state.aftermath"),
        (lambda d: d["meta"].update(kind="sideways"), "meta.kind"),
        (lambda d: d["meta"].update(play_seconds=-1), "meta.play_seconds"),
        (lambda d: d.pop("story"), "no story section"),
        (lambda d: d["state"].update(story_id="elsewhere"), "story_id differs"),
        (lambda d: d["state"].update(scene="nowhere"), "scene 'nowhere'"),
        (lambda d: d["state"]["known"].append("ghost"), "pilot 'ghost'"),
        (lambda d: d["state"]["evidence"].update(ev_ghost="fight"), "evidence 'ev_ghost'"),
        (lambda d: d["state"]["aftermath"].append({"speaker": "ghost", "text": "boo"}), "ghost"),
        (lambda d: d["state"].update(ending="end_ghost"), "ending 'end_ghost'"),
    ],
)
def test_hand_edited_saves_are_checked_even_with_a_good_checksum(story, store, change, problem):
    store.save("good", play(story, ["report"]))
    store.save("edited", play(story, ["report", "follow"]))
    rewrite(store.directory / "edited.json", change)
    with pytest.raises(SaveError) as caught:
        store.load("edited", story)
    message = str(caught.value)
    assert message.startswith("save 'edited': ") and problem in message, message
    assert "\n" not in message
    assert store.load("good", story).engine.state.log == [("first_contact", 0)]


def test_an_unknown_old_format_is_refused(story, store):
    store.save("old", play(story, []))
    path = store.directory / "old.json"
    doc = json.loads(path.read_text())
    doc["format_version"] = 0
    path.write_text(json.dumps(doc))
    with pytest.raises(SaveError, match="save 'old': save format 0 is unknown"):
        store.load("old", story)


def test_a_missing_save_and_a_folder_in_its_place(story, store):
    with pytest.raises(SaveError, match="save 'nothing': there is no such save"):
        store.load("nothing", story)
    store.directory.mkdir(parents=True)
    (store.directory / "odd.json").mkdir()
    with pytest.raises(SaveError, match="save 'odd': odd.json is a folder"):
        store.load("odd", story)
    assert store.list(story) == [] and len(store.list_problems()) == 1
    if hasattr(os, "mkfifo"):  # a pipe would block a plain read for ever
        os.mkfifo(store.directory / "pipe.json")
        with pytest.raises(SaveError, match="save 'pipe': cannot read it"):
            store.load("pipe", story)
        assert store.list(story) == [] and len(store.list_problems()) == 2


def test_a_huge_or_deeply_nested_file_is_refused_quickly(story, store):
    store.directory.mkdir(parents=True)
    (store.directory / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (store.directory / "huge.json").write_bytes(b" " * (savefile.MAX_SAVE_BYTES + 10))
    for slot in ("deep", "huge"):
        with pytest.raises(SaveError, match=f"save '{slot}'"):
            store.load(slot, story)


def test_metadata_with_control_characters_is_shown_safely(story, store):
    store.save("odd", play(story, []))
    rewrite(store.directory / "odd.json", lambda d: d["meta"].update(scene_title="\x1b[2Jboo"))
    (info,) = store.list(story)
    assert "\x1b" not in info.scene_title and "boo" in info.scene_title


def test_an_interrupted_save_falls_back_to_the_backup(story, store):
    engine = play(story, ["report"])
    store.save("slot", engine)
    path = store.directory / "slot.json"
    backup = store.directory / "slot.bak"
    # The moment between keeping the backup and renaming the new file in, then a damaged file.
    shutil.copy(path, backup)
    path.write_bytes(path.read_bytes()[:100])
    loaded = store.load("slot", story)
    assert loaded.engine.state == engine.state
    assert "did not finish" in (loaded.message or "")
    path.unlink()
    assert store.exists("slot")
    assert store.load("slot", story).engine.state == engine.state
    assert [i.slot for i in store.list(story)] == ["slot"]
    store.save("slot", play(story, ["name"]))
    assert sorted(files(store)) == ["slot.json"]


# --- the story changed --------------------------------------------------------------------------


@pytest.fixture
def edited(tmp_path):
    """A writable copy of the mini story, and a function to edit its scene file."""
    root = tmp_path / "story"
    shutil.copytree(MINI, root)

    def edit(old: str, new: str, file: str = "ch1.yaml", *, load: bool = True):
        path = root / file
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new))
        return load_story(root) if load else None

    return root, edit


def test_a_changed_story_with_everything_still_there_loads_with_a_note(story, store, edited):
    _, edit = edited
    engine = play(story, ["report", "follow", "follow"])
    store.save("mine", engine)
    changed = edit('"Breaking off."', '"Breaking off now."')
    assert changed.content_hash != story.content_hash
    assert store.list(changed)[0].story_changed is True
    loaded = store.load("mine", changed)
    assert loaded.message == "The story has changed since this save."
    assert loaded.engine.state == engine.state
    assert loaded.engine.header() == engine.header()


def test_new_variables_and_pilots_get_their_defaults(story, store, edited):
    _, edit = edited
    engine = play(story, ["report"])
    store.save("mine", engine)
    changed = edit(
        "  - {name: link_closed, type: bool, default: false}",
        "  - {name: link_closed, type: bool, default: false}\n"
        "  - {name: morale, type: int, default: 7}",
        "story.yaml",
    )
    changed = edit(
        "  - {id: rook,",
        "  - {id: abel, callsign: Brass Button, name: Abel Test, role: Pilot}\n  - {id: rook,",
        "story.yaml",
    )
    loaded = store.load("mine", changed)
    assert loaded.message == "The story has changed since this save."
    assert loaded.engine.var("morale") == 7
    assert loaded.engine.status("abel") == "active"
    assert loaded.engine.header() == engine.header()


def test_a_renamed_scene_resumes_where_it_was_saved(story, store, edited):
    _, edit = edited
    engine = play(story, ["report", "follow", "follow"])
    store.save("mine", engine)
    assert engine.state.scene == "fight#3"
    edit("id: fight", "id: battle", load=False)
    changed = edit("goto: fight", "goto: battle")
    loaded = store.load("mine", changed)
    # The replay finds the scene under its new id: the game resumes as saved (tests/
    # test_saves_edits.py covers each kind of edit).
    assert loaded.message == "The story has changed since this save."
    assert loaded.engine.state.scene == "battle#3"
    assert loaded.engine.state.visits == {"first_contact": 1, "battle": 1}
    assert loaded.engine.undo() and loaded.engine.state.scene == "battle#2"


def test_a_removed_variable_replays_the_whole_log(story, store, edited):
    _, edit = edited
    engine = play(story, ["close"], seed=5)
    store.save("closed", engine)
    edit("        effects: {set: {link_closed: true}}\n", "")
    changed = edit("  - {name: link_closed, type: bool, default: false}\n", "", "story.yaml")
    loaded = store.load("closed", changed)
    assert "variable 'link_closed' no longer exists" in (loaded.message or "")
    assert "replayed its 1 order and resumed at" in (loaded.message or "")
    assert loaded.engine.header() == engine.header()
    assert "link_closed" not in loaded.engine.state.variables


def test_a_removed_pilot_replays_the_log(story, store, edited):
    _, edit = edited
    engine = play(story, ["report", "follow"])
    store.save("mine", engine)
    edit("at_risk: [nell, rook]", "at_risk: [nell]")
    changed = edit(
        "  - {id: rook, callsign: Rook, name: Rook Test, role: Pilot, known: true}\n",
        "",
        "story.yaml",
    )
    loaded = store.load("mine", changed)
    assert "pilot 'rook' no longer exists" in (loaded.message or "")
    assert "replayed its 2 orders" in (loaded.message or "")
    assert loaded.engine.header() == engine.header()
    assert "rook" not in loaded.engine.state.status


def test_a_removed_warp_scene_resumes_from_the_start(story, store, edited):
    _, edit = edited
    store.save("warped", play(story, ["push"], warp="fight", sets={"trust": 4}))
    edit("id: fight", "id: battle", load=False)
    changed = edit("goto: fight", "goto: battle")
    loaded = store.load("warped", changed)
    assert "no longer exists" in (loaded.message or "")
    assert loaded.engine.state.scene == "first_contact"  # the warp target is gone: the start
    assert loaded.engine.var("trust") == 4  # the preset still applies


def test_a_game_that_cannot_be_resumed_is_an_error_not_a_crash(story, store, edited, monkeypatch):
    _, edit = edited
    store.save("mine", play(story, ["report"]))
    edit("id: fight", "id: battle", load=False)
    changed = edit("goto: fight", "goto: battle")

    def broken(*args, **kwargs):
        raise RuntimeError("the machine exploded")

    monkeypatch.setattr(Engine, "replay", broken)
    with pytest.raises(SaveError, match="save 'mine': it cannot be resumed.*exploded"):
        store.load("mine", changed)


# --- migrations and real old files --------------------------------------------------------------


def _v0_to_v1(doc: dict) -> dict:
    """The shape before format 1: no checksum, story fields at the top, no origin or preset."""
    story_id, content_hash = doc.pop("story_id"), doc.pop("story_hash")
    doc["story"] = {"id": story_id, "title": "", "content_hash": content_hash}
    doc["meta"].setdefault("kind", "named")
    doc["meta"].setdefault("sequence", 0)
    doc["state"].setdefault("origin", None)
    doc["state"].setdefault("preset", {})
    return doc


def test_a_synthetic_format_0_save_migrates(story, store, monkeypatch):
    engine = play(story, ["report", "follow"])
    store.save("old", engine)
    path = store.directory / "old.json"
    doc = json.loads(path.read_text())
    v0 = {
        "format": "handler-one-save",
        "format_version": 0,
        "game_version": "0.0.1",
        "story_id": doc["story"]["id"],
        "story_hash": doc["story"]["content_hash"],
        "meta": {k: v for k, v in doc["meta"].items() if k not in ("kind", "sequence")},
        "state": {k: v for k, v in doc["state"].items() if k not in ("origin", "preset")},
    }
    path.write_text(json.dumps(v0))
    with pytest.raises(SaveError, match="unknown"):
        store.load("old", story)
    monkeypatch.setitem(migrations.MIGRATIONS, 0, _v0_to_v1)
    loaded = store.load("old", story)
    assert loaded.message is None
    assert loaded.engine.state == engine.state
    assert store.list(story)[0].kind == "named"


def test_the_registry_carries_real_v1_files_to_a_later_format(story, store, monkeypatch):
    seen: list[int] = []
    upgrades = dict(migrations.MIGRATIONS)

    def v1_to_v2(doc: dict) -> dict:
        seen.append(doc["format_version"])
        doc["meta"]["scene_title"] = "upgraded"
        return upgrades[1](doc)

    monkeypatch.setitem(migrations.MIGRATIONS, 1, v1_to_v2)
    shutil.copytree(FIXTURES / "v1", store.directory)
    assert store.load("three-orders", story).engine.state.scene == "fight#3"
    assert store.info("three-orders").scene_title == "upgraded"
    document = store.document("three-orders")
    assert document.header.format_version == 1  # the format it was written in
    assert document.header.meta.scene_title == "upgraded"
    # Upgrading works on a copy: the file on disk is left as the player's old game wrote it.
    on_disk = json.loads((store.directory / "three-orders.json").read_text())
    assert on_disk["meta"]["scene_title"] == "Riverbed (round 3 of 3)"
    assert set(seen) == {1}


def test_a_migration_is_one_registered_function_and_a_failing_one_is_one_line(
    story, store, monkeypatch
):
    monkeypatch.setattr(migrations, "MIGRATIONS", {})
    monkeypatch.setattr(savefile, "MIGRATIONS", migrations.MIGRATIONS)

    @migrations.migration(1)
    def v1_to_v2(doc: dict) -> dict:
        return {**doc, "state": {**doc["state"], "known": doc["state"]["renamed"]}}

    registered = migrations.MIGRATIONS
    assert registered == {1: v1_to_v2}
    with pytest.raises(ValueError, match="already has a migration"):
        migrations.migration(1)(v1_to_v2)
    monkeypatch.setattr(savefile, "FORMAT_VERSION", 2)
    shutil.copytree(FIXTURES / "v1", store.directory)
    with pytest.raises(SaveError) as caught:
        store.load("three-orders", story)
    assert str(caught.value) == (
        "save 'three-orders': it could not be upgraded from save format 1 ('renamed')"
    )


def test_every_format_before_the_current_one_has_a_migration():
    assert set(range(1, savefile.FORMAT_VERSION)) <= set(migrations.MIGRATIONS)


def fixture_paths() -> list[Path]:
    return sorted(FIXTURES.glob("v*/*.json"))


def test_there_are_fixtures_for_every_format_version():
    versions = {int(p.parent.name[1:]) for p in fixture_paths()}
    assert versions == set(range(1, FORMAT_VERSION + 1))


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_save_loads(story, tmp_path, path):
    store = SaveStore(tmp_path)
    shutil.copy(path, tmp_path / path.name)
    slot = path.stem
    doc = json.loads(path.read_text(encoding="utf-8"))
    loaded = store.load(slot, story)
    info = store.info(slot, story)
    assert info.kind in ("named", "auto", "quick")
    assert [i.slot for i in store.list(story)] == [slot]
    if doc["story"]["content_hash"] == story.content_hash:
        assert loaded.message is None
        assert loaded.engine.header() == doc["meta"]["header"]
        saved = savefile.read(path.read_bytes()).document().state  # upgraded to this format
        now = loaded.engine.state
        # Identities an older format did not keep come from the replay that checked the log.
        assert now.log == saved.log and all(now.log_ids) and now.log_replays
        assert msgspec.structs.replace(now, log_ids=saved.log_ids) == saved
    else:  # the fixture story was edited since: the save must still resume, with a note
        assert loaded.message


# --- line mode ----------------------------------------------------------------------------------


def _line_mode(story, store, text: str, engine: Engine | None = None) -> tuple[str, LineMode]:
    out = StringIO()
    session = Session(story, SaveAccess(store))
    session.begin(engine or Engine.new(story, 3))
    mode = LineMode(session, out=out)
    mode.run(StringIO(text))
    session.keep_unsaved()
    return out.getvalue(), mode


def test_line_mode_save_load_saves_and_undo_across_a_load(story, store):
    output, _ = _line_mode(
        story,
        store,
        "report\nfollow\nsave  Before the end \nfollow\nsaves\nload Before the end\n"
        "undo\nundo\nundo\nquit\n",
    )
    assert "Saved as 'Before the end'." in output
    assert "SAVES in" in output and "Before the end" in output
    after_load = output.split("Loaded 'Before the end'.", 1)[1]
    headers = [line for line in after_load.splitlines() if line.startswith("Chapter ")]
    assert headers == [
        "Chapter 1, Test Chapter: Riverbed (round 2 of 3).",
        "Chapter 1, Test Chapter: Riverbed (round 1 of 3).",
        "Chapter 1, Test Chapter: First Contact.",
    ]
    assert after_load.count("Order taken back.") == 2
    assert "Nothing to undo." in after_load


def test_line_mode_reports_bad_names_and_missing_saves_and_goes_on(story, store):
    output, mode = _line_mode(story, store, "save ../x\nload nothing\nload\nsave\nreport\nquit\n")
    assert "Not saved: bad save name '../x'" in output
    assert "Not loaded: save 'nothing': there is no such save" in output
    assert "Usage: load NAME" in output and "Usage: save NAME" in output
    assert mode.engine.state.scene == "fight"


def test_line_mode_autosaves_every_scene_round_and_ending(story, store):
    _line_mode(story, store, "report\nfollow\nfollow\nfollow\n")
    autos = sorted((i.slot, i.scene_title) for i in store.list(story) if i.kind == "auto")
    # The session's policy (game/session.py): every order carried out is autosaved.
    assert autos == [
        ("auto-1", "Riverbed (round 1 of 3)"),
        ("auto-2", "Riverbed (round 2 of 3)"),
        ("auto-3", "Riverbed (round 3 of 3)"),
        ("auto-4", "Quiet"),
    ]


def test_a_failing_autosave_is_reported_once_and_the_game_goes_on(story, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    output, mode = _line_mode(story, SaveStore(blocker), "name\nfollow\nfollow\nquit\n")
    assert output.count("(autosave failed: save 'auto-1': could not be written") == 1
    assert mode.engine.state.scene == "fight#3"


def test_help_lists_the_save_commands(story, store):
    output, _ = _line_mode(story, store, "help\nquit\n")
    assert "save NAME" in output and "load NAME" in output


# --- the real command ---------------------------------------------------------------------------


def _run(args: list[str], text: str = "", env_dir: Path | None = None):
    env = dict(os.environ)
    env["HANDLER_ONE_SAVE_DIR"] = str(env_dir or "/nonexistent/never-used")
    return subprocess.run(
        [sys.executable, "-m", "game", *args],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


def _headers(output: str) -> list[str]:
    return [line.split("> ")[-1] for line in output.splitlines() if "Chapter 1, " in line]


def test_save_in_line_mode_quit_and_resume_with_load(tmp_path):
    save_dir = tmp_path / "my saves"
    first = _run(
        ["play", "--plain", "--seed", "3", "--save-dir", str(save_dir), str(MINI)],
        "report\nfollow\nfollow\nsquad\ndossier\nsave mine\nquit\n",
    )
    assert first.returncode == 0, first.stderr
    assert "Saved as 'mine'." in first.stdout
    last_header = _headers(first.stdout)[-1]
    assert last_header == "Chapter 1, Test Chapter: Riverbed (round 3 of 3)."
    roster_then = first.stdout.split("> SQUADRON", 1)[1].split("> Saved", 1)[0]

    second = _run(
        ["play", "--plain", "--load", "mine", "--save-dir", str(save_dir), str(MINI)],
        "squad\ndossier\nsave again\nundo\nquit\n",
    )
    assert second.returncode == 0, second.stderr
    assert second.stderr == ""
    assert second.stdout.startswith(last_header + "\n")
    roster_now = second.stdout.split("> SQUADRON", 1)[1].split("> Saved", 1)[0]
    assert roster_now == roster_then
    mine = json.loads((save_dir / "mine.json").read_text())
    again = json.loads((save_dir / "again.json").read_text())
    assert again["state"] == mine["state"]
    # Undo works across the load: it replays the saved order log.
    assert "Order taken back." in second.stdout
    assert _headers(second.stdout)[-1] == "Chapter 1, Test Chapter: Riverbed (round 2 of 3)."


def test_load_notes_a_changed_story_in_one_line(tmp_path, story):
    save_dir = tmp_path / "saves"
    SaveStore(save_dir).save("mine", play(story, ["report"]))
    root = tmp_path / "story"
    shutil.copytree(MINI, root)
    (root / "ch1.yaml").write_text((root / "ch1.yaml").read_text().replace("Contacts.", "Here."))
    result = _run(["play", "--plain", "--load", "mine", "--save-dir", str(save_dir), str(root)])
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "Note: The story has changed since this save."


def test_load_of_a_bad_save_is_one_line_and_exit_1(tmp_path):
    save_dir = tmp_path / "saves"
    save_dir.mkdir()
    (save_dir / "broken.json").write_text('{"format": "handler-one-save", "format_ver')
    result = _run(["play", "--plain", "--load", "broken", "--save-dir", str(save_dir), str(MINI)])
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("handler-one: save 'broken': the file is damaged or truncated")
    bad = _run(["play", "--plain", "--load", "../x", "--save-dir", str(save_dir), str(MINI)])
    assert bad.returncode == 1 and "bad save name" in bad.stderr and "Traceback" not in bad.stderr
    mixed = _run(["play", "--plain", "--load", "x", "--seed", "2", str(MINI)])
    assert mixed.returncode == 2 and "--load" in mixed.stderr


def test_the_save_dir_comes_from_the_environment_when_not_given(tmp_path):
    result = _run(["play", "--plain", "--seed", "3", str(MINI)], "1\nsave envsave\nquit\n", tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "envsave.json").is_file()
    assert (tmp_path / "auto-1.json").is_file()  # the autosave of the first order


# --- handler-one saves --------------------------------------------------------------------------


def test_saves_list_show_delete(story, store, capsys):
    store.save("mine", play(story, ["report", "follow"]), 125)
    store.quicksave(play(story, []))
    d = str(store.directory)
    assert main(["saves", "list", "--save-dir", d]) == 0
    out = capsys.readouterr().out
    assert out.index("quick") < out.index("mine") and "2m" in out and "[mini]" in out
    assert main(["saves", "--save-dir", d, "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [entry["slot"] for entry in listed] == ["quick", "mine"]
    assert listed[1]["scene_title"] == "Riverbed (round 2 of 3)"
    assert main(["saves", "show", "mine", "--save-dir", d]) == 0
    out = capsys.readouterr().out
    assert "Riverbed (round 2 of 3)" in out and "orders   2" in out
    assert main(["saves", "show", "mine", "--json", "--save-dir", d]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["slot"] == "mine" and shown["seed"] == 3
    assert shown["format_version"] == FORMAT_VERSION
    assert main(["saves", "delete", "mine", "--save-dir", d]) == 0
    assert "deleted save 'mine'" in capsys.readouterr().out
    assert not store.exists("mine")


def test_saves_command_errors_are_one_line(story, store, capsys):
    store.save("good", play(story, []))
    store.directory.joinpath("bad.json").write_text("nope")
    d = str(store.directory)
    assert main(["saves", "show", "missing", "--save-dir", d]) == 1
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert main(["saves", "delete", "missing", "--save-dir", d]) == 1
    capsys.readouterr()
    assert main(["saves", "show", "a/b", "--save-dir", d]) == 2
    assert "bad save name" in capsys.readouterr().err
    assert main(["saves", "show", "bad", "--save-dir", d]) == 1
    assert "save 'bad': the file is damaged" in capsys.readouterr().err
    assert main(["saves", "list", "--save-dir", d]) == 0
    captured = capsys.readouterr()
    assert "good" in captured.out and "skipped save 'bad'" in captured.err
    with pytest.raises(SystemExit) as usage:
        main(["saves", "--save-dir", d])
    assert usage.value.code == 2
    assert main(["saves", "list", "--save-dir", str(Path(d) / "none")]) == 0
    assert "no saves in" in capsys.readouterr().out


def test_temporary_files_left_by_a_crashed_game_are_swept(story, store):
    store.save("slot", play(story, []))
    d = store.directory
    old = time.time() - 2 * saves.STALE_TEMP_SECONDS
    orphan = time.time() - 2 * saves.ORPHAN_TEMP_SECONDS
    stale = d / ".slot.1.aaaa.tmp"
    dead = d / f".slot.{2**22 + 12345}.bbbb.tmp"  # no such process
    fresh = d / f".slot.{2**22 + 12346}.cccc.tmp"  # just written: maybe another game's
    mine = d / f".slot.{os.getpid()}.dddd.tmp"
    other = d / ".other.1.eeee.tmp"
    for path, when in ((stale, old), (dead, orphan), (fresh, None), (mine, orphan), (other, old)):
        path.write_text("{")
        if when:
            os.utime(path, (when, when))
    store.save("slot", play(story, ["report"]))
    assert not stale.exists() and not dead.exists()
    assert fresh.exists() and mine.exists() and other.exists()
    assert [i.slot for i in store.list(story)] == ["slot"]


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


@pytest.mark.parametrize("changed", [False, True], ids=["same-story", "changed-story"])
def test_mutated_real_saves_load_or_fail_in_one_line(story, store, changed):
    """Values swapped for odd ones, keys dropped, checksum fixed: never anything but a
    `SaveError` or a game that plays on."""
    import random

    rng = random.Random(7 + changed)
    odd = [None, True, 0, -1, 2**70, 1.5, "", "fight", "fight#9", "ghost", [], {}, [["x", 0]]]
    sources = fixture_paths()
    store.directory.mkdir(parents=True)
    for _ in range(150):
        doc = json.loads(rng.choice(sources).read_text(encoding="utf-8"))
        for _ in range(rng.randint(1, 3)):
            path = rng.choice([p for p in _paths(doc) if p])
            parent = doc
            for key in path[:-1]:
                parent = parent[key]
            if rng.random() < 0.75:
                parent[path[-1]] = json.loads(json.dumps(rng.choice(odd)))
            else:
                del parent[path[-1]]
        if changed and isinstance(doc.get("story"), dict):
            doc["story"]["content_hash"] = "0000"
        if rng.random() < 0.9:
            doc["checksum"] = saves._checksum(doc)
        (store.directory / "fuzz.json").write_text(json.dumps(doc))
        try:
            engine = store.load("fuzz", story).engine
        except SaveError as exc:
            assert "\n" not in str(exc) and str(exc).startswith("save 'fuzz': ")
            continue
        engine.header(), engine.radio(), engine.squad(), engine.dossier(), engine.deductions()
        enabled = [view for view in engine.orders() if view.enabled]
        if enabled:
            engine.choose(enabled[0].index)
        store.list(story)
