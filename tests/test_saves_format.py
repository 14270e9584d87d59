"""The save format, described once: every field of the header and of the game state is checked
by its one definition, a copy of the state shares nothing with it, and listing saves stays
cheap (neither msgspec nor the game state is imported)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from game.engine import savefile, saves
from game.engine.format import MAX_SIGNAL, MIN_SIGNAL
from game.engine.loader import load_story
from game.engine.runtime import Engine
from game.engine.saves import SaveError, SaveStore
from game.engine.schema import EXTRA
from game.engine.state import GameState, SaidLine
from game.engine.text import GARBLE_RATE

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"


@pytest.fixture(scope="module")
def story():
    return load_story(MINI)


@pytest.fixture
def saved(story, tmp_path: Path) -> tuple[SaveStore, dict]:
    """A store holding one fresh save of the mini story (`mine`), and that save's JSON."""
    engine = Engine.new(story, 3)
    for word in ("report", "follow"):
        assert engine.choose_text(word).ok
    store = SaveStore(tmp_path / "saves")
    store.save("mine", engine, 12.5)
    return store, json.loads((store.directory / "mine.json").read_text(encoding="utf-8"))


def _write(store: SaveStore, doc: dict, slot: str = "edited") -> None:
    doc["checksum"] = saves._checksum(doc)
    (store.directory / f"{slot}.json").write_text(json.dumps(doc), encoding="utf-8")


def _refused(store: SaveStore, story, slot: str = "edited") -> str:
    with pytest.raises(SaveError) as caught:
        store.load(slot, story)
    message = str(caught.value)
    assert message.startswith(f"save '{slot}': ") and "\n" not in message, message
    return message


def _other_json_type(value: object) -> object:
    """A value of another JSON type than `value`'s, that no field of that type accepts."""
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return 7
    if value is None:
        return [None]
    return [] if isinstance(value, dict) else {}


def _header_paths(cls: type, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every field of a header class, nested sections expanded: ("meta", "kind"), ..."""
    paths = []
    for name, kind in cls.__annotations__.items():
        if isinstance(kind, type) and issubclass(kind, tuple) and hasattr(kind, "_fields"):
            paths += _header_paths(kind, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


HEADER_PATHS = [p for p in _header_paths(savefile.SaveHeader) if p != ("format_version",)]
STATE_FIELDS = [field.name for field in msgspec.structs.fields(GameState)]


# --- the header: checked field by field from its classes ---------------------------------------


def test_the_header_paths_cover_the_story_and_meta_sections():
    assert ("story", "content_hash") in HEADER_PATHS and ("meta", "kind") in HEADER_PATHS
    assert len(HEADER_PATHS) == 1 + 3 + 12  # game_version, the story's three, meta's twelve


@pytest.mark.parametrize("path", HEADER_PATHS, ids=".".join)
def test_every_header_field_of_another_type_is_refused_naming_it(story, saved, path):
    store, original = saved
    where = ".".join(path)
    doc = json.loads(json.dumps(original))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = _other_json_type(parent[path[-1]])
    _write(store, doc)
    assert where in _refused(store, story)
    # Listing skips it with the same line; the good save is still listed.
    assert [info.slot for info in store.list(story)] == ["mine"]
    assert any(where in problem for problem in store.list_problems())
    del parent[path[-1]]
    _write(store, doc)
    assert where in _refused(store, story)


@pytest.mark.parametrize(
    ("path", "value"),
    [(("meta", "play_seconds"), -0.5), (("meta", "orders"), -1), (("meta", "saved_unix"), 1e400)],
)
def test_header_numbers_out_of_bounds_are_refused(story, saved, path, value):
    store, doc = saved
    doc[path[0]][path[1]] = value
    doc["checksum"] = saves._checksum(doc)
    # JSON has no infinity, but 1e400 parses as one.
    text = json.dumps(doc).replace("Infinity", "1e400")
    (store.directory / "edited.json").write_text(text, encoding="utf-8")
    assert ".".join(path) in _refused(store, story)


# --- the state: checked by GameState's own definition ------------------------------------------


@pytest.mark.parametrize("name", STATE_FIELDS)
def test_every_state_field_of_another_type_is_refused_naming_it(story, saved, name):
    store, doc = saved
    doc["state"][name] = _other_json_type(doc["state"][name])
    _write(store, doc)
    assert f"state.{name}" in _refused(store, story)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s.update(draws=-1), "state.draws: expected `int` >= 0"),
        (lambda s: s["visits"].update(fight=-2), "state.visits[...]: expected `int` >= 0"),
        (lambda s: s.update(log=[["fight", -1]]), "state.log[0][1]: expected `int` >= 0"),
        (lambda s: s.update(scene=""), "state.scene: expected `str` of length >= 1"),
        (lambda s: s["status"].update(shin="immortal"), "invalid enum value 'immortal'"),
        (lambda s: s["variables"].update(trust=1.5), "state.variables[...]: expected"),
        (lambda s: s.pop("seed"), "missing required field `seed`"),
    ],
)
def test_bounds_a_type_cannot_say_are_checked_once(story, saved, change, problem):
    store, doc = saved
    change(doc["state"])
    _write(store, doc)
    assert problem in _refused(store, story)


@pytest.mark.parametrize("signal", [MIN_SIGNAL - 1, MIN_SIGNAL, MAX_SIGNAL, MAX_SIGNAL + 1])
def test_the_signal_range_is_the_scene_formats(story, saved, signal):
    store, doc = saved
    doc["state"]["aftermath"] = [{"speaker": "hq", "text": "Contacts.", "signal": signal}]
    _write(store, doc)
    if MIN_SIGNAL <= signal <= MAX_SIGNAL:
        assert store.load("edited", story).engine.state.aftermath[0].signal == signal
    else:
        assert "state.aftermath[0].signal" in _refused(store, story)
    # The other places that hold a signal read the same two constants.
    assert EXTRA[("line", "signal")] == {"minimum": MIN_SIGNAL, "maximum": MAX_SIGNAL}
    assert sorted(GARBLE_RATE) == list(range(MIN_SIGNAL, MAX_SIGNAL + 1))
    assert SaidLine("hq", "x").signal == MAX_SIGNAL


def test_a_variable_of_another_type_says_so(story, saved):
    store, doc = saved
    doc["state"]["variables"]["trust"] = "plenty"
    _write(store, doc)
    assert _refused(store, story) == (
        "save 'edited': the save is damaged (variable 'trust' holds text where this story keeps "
        "a whole number)"
    )
    doc["story"]["content_hash"] = "an older story"
    _write(store, doc)
    message = store.load("edited", story).message or ""
    assert message.startswith(
        "The story has changed since this save (variable 'trust' holds text where the story "
        "now keeps a whole number); replayed its 2 orders"
    )


def test_the_header_and_state_round_trip(story, saved):
    store, doc = saved
    document = store.document("mine")
    assert document.state == GameState.from_dict(doc["state"])
    assert document.header.meta._asdict() == doc["meta"]
    assert document.header.story._asdict() == doc["story"]
    again = savefile.read(savefile.encode(document)).document()
    assert again == document


# --- copying the state -------------------------------------------------------------------------


def _every_field_set() -> GameState:
    """A state in which no field holds its default, every container holds something, and the
    losses hold lists (containers inside containers)."""
    return GameState(
        story_id="mini",
        seed=11,
        scene="fight#2",
        variables={"trust": 3, "link_closed": True, "callsign_of_lena": "Handler One"},
        status={"shin": "active", "kaie": "wounded"},
        known=["shin"],
        evidence={"ev_bulletin": "first_contact"},
        deductions=["d_truth"],
        visits={"first_contact": 1, "fight": 2},
        draws=4,
        log=[("first_contact", 0), ("fight", 1)],
        log_ids=["eb73ff06a88f report sitrep", "5b0c4a3d29e1 push"],
        log_replays=False,
        numbers=[1, 0],
        aftermath=[SaidLine("hq", "Contacts.", 2)],
        ending="end_good",
        origin="fight",
        preset={"trust": 3},
        losses={"fight": ["rook"]},
        asked=["kaie"],
    )


def _containers(value: object) -> list[object]:
    found: list[object] = []
    if isinstance(value, list | dict):
        found.append(value)
        for item in value.values() if isinstance(value, dict) else value:
            found += _containers(item)
    return found


def test_the_example_state_sets_every_field():
    """When GameState gains a field, this example (and so the copy test) must cover it."""
    state = _every_field_set()
    for field in msgspec.structs.fields(GameState):
        default = field.default_factory() if callable(field.default_factory) else field.default
        assert getattr(state, field.name) != default, field.name


@pytest.mark.parametrize("log", [True, False])
def test_a_copy_is_equal_and_shares_no_container(log):
    state = _every_field_set()
    copy = state.copy(log=log)
    expected = state.to_dict()
    if not log:
        expected["log"] = expected["log_ids"] = []
    assert copy.to_dict() == expected
    originals = {id(c) for name in STATE_FIELDS for c in _containers(getattr(state, name))}
    copies = [c for name in STATE_FIELDS for c in _containers(getattr(copy, name))]
    assert copies and not any(id(c) in originals for c in copies)
    copy.losses["fight"].append("kaie")
    copy.variables["trust"] = 0
    assert state.losses == {"fight": ["rook"]} and state.variables["trust"] == 3


# --- listing stays cheap -----------------------------------------------------------------------


def test_listing_saves_imports_neither_msgspec_nor_the_game_state(saved):
    store, _ = saved
    code = (
        "import sys; from game.engine.saves import SaveStore; "
        f"store = SaveStore({str(store.directory)!r}); "
        "assert [i.slot for i in store.list()] == ['mine']; "
        "assert store.latest(in_progress=True).slot == 'mine'; store.info('mine'); "
        "print(sorted(m for m in ('msgspec', 'game.engine.state', 'game.engine.runtime', "
        "'game.engine.text', 'game.engine.conditions') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_latest_in_progress_is_the_newest_save_only_while_its_game_goes_on(story, saved):
    """Continue means the game most recently played: once that game has ended, an older save
    of a game still going on (the branch a quickload left, say) is not what it resumes."""
    store, doc = saved
    assert store.latest(story, in_progress=True).slot == "mine"
    doc["meta"]["ending"] = "A Good End"
    doc["meta"]["saved_unix"] += 10
    _write(store, doc, "ended")
    assert store.latest(story).slot == "ended"
    assert not store.latest(story).in_progress
    assert store.latest(story, in_progress=True) is None


def test_the_readme_example_has_exactly_the_defined_fields():
    """saves/README.md shows a save; the definitions say what one holds. They must agree."""
    text = (ROOT / "saves" / "README.md").read_text(encoding="utf-8")
    example = json.loads(text.split("```json\n", 1)[1].split("```", 1)[0])
    assert list(example) == [
        "format",
        *savefile.SaveHeader._fields[:2],
        "story",
        "meta",
        "state",
        "checksum",
    ]
    assert list(example["story"]) == list(savefile.StoryRef._fields)
    assert list(example["meta"]) == list(savefile.SaveMeta._fields)
    assert list(example["state"]) == STATE_FIELDS
    # ...and its values fit them: it encodes, reads back and decodes as it is.
    document = _document(example)
    assert savefile.read(savefile.encode(document)).document() == document


def _document(example: dict) -> savefile.SaveDocument:
    header = savefile.SaveHeader(
        example["format_version"],
        example["game_version"],
        savefile.StoryRef(**example["story"]),
        savefile.SaveMeta(**example["meta"]),
    )
    return savefile.SaveDocument(header, GameState.from_dict(example["state"]))
