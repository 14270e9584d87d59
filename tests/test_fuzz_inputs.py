"""Property-based fuzzing of every input that is not a scene file: typed commands in both front
ends, `--set` values, save files, slot names and the settings file. Whatever arrives, the answer
is a game that goes on or a clean one-line message; never an exception, a hang or a crash.

`make test` runs a small budget; `make fuzz` sets HYPOTHESIS_PROFILE=fuzz for a long one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from game.engine import saves
from game.engine.format import COMMAND_WORDS
from game.engine.model import Story
from game.engine.presets import split_key
from game.engine.runtime import Engine, Outcome
from game.engine.saves import Loaded, SaveError, SaveStore, sanitise_slot
from game.plain import LineMode
from game.session import NO_SAVES, SaveAccess, Session
from game.tools.common import UsageError, parse_sets
from game.tui.config import (
    CONFIG_ENV,
    DEFAULT_THEME,
    SETTINGS_FILE,
    TEXT_SPEEDS,
    Settings,
    load_settings,
)
from tests.conftest import FIXTURES, MINI, mini, shipped

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile(
    "fuzz", max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SAVE_FIXTURES = sorted((FIXTURES / "saves").glob("v*/*.json"))


STORIES = {"mini": mini, "shipped": shipped}


def unprintable(text: str) -> set[str]:
    """The C0/C1 control characters in `text` (what a terminal could act on) and lone
    surrogates (which cannot even be encoded to print)."""
    return {ch for ch in text if unicodedata.category(ch) in ("Cc", "Cs")}


def assert_one_clean_line(message: str) -> None:
    """`message` is one non-empty line with no control characters or lone surrogates."""
    assert isinstance(message, str) and message.strip(), repr(message)
    assert not unprintable(message), repr(message)


# --- what a player can type -------------------------------------------------------------------

CONTROLS = st.characters(max_codepoint=0x1F) | st.sampled_from(
    ["\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\u202e", "\ufeff", "\ud800", "\udfff"]
)
# Characters str.isdigit() accepts, int() reads or a terminal might send for a number.
DIGITS = st.sampled_from("0123456789²³¹⁰₁٣۵१০๑០１９𝟗") | st.just("-")
ESCAPES = st.sampled_from(["\x1b[2J", "\x1b]0;owned\x07", "\x1b[31m", "\r", "\x08\x08", "\x9b1m"])


def typed_text(story: Story) -> st.SearchStrategy[str]:
    """Arbitrary lines, weighted toward what the parser looks at: digits, words, escapes."""
    words = sorted({w for scene in story.scenes.values() for o in scene.orders for w in o.words})
    word = st.sampled_from(words) if words else st.just("report")
    return st.one_of(
        st.text(),
        st.text(st.characters(codec=None, exclude_categories=()), max_size=30),
        st.text(CONTROLS | DIGITS | st.sampled_from(" \t'-"), max_size=12),
        st.lists(word | DIGITS | ESCAPES | st.text(max_size=3), min_size=1, max_size=5).map(
            " ".join
        ),
        st.integers(-3, 25).map(str),
        st.builds(
            lambda unit, n: unit * n,
            st.text(min_size=1, max_size=4) | DIGITS,
            st.integers(1, 300_000),
        ),
    )


def advance(engine: Engine, picks: list[int]) -> None:
    """Give a few valid orders (chosen by `picks`) to reach some scene of the story."""
    for pick in picks:
        enabled = [v for v in engine.orders() if v.enabled]
        if engine.ending is not None or not enabled:
            return
        engine.choose(enabled[pick % len(enabled)].index)


def check_typed(engine: Engine, text: str) -> None:
    """`choose_text` gives the order, or answers in one line and leaves the game as it was."""
    before = engine.state.copy()
    outcome = engine.choose_text(text)
    assert isinstance(outcome, Outcome)
    if outcome.ok:
        assert engine.state.log[:-1] == before.log and len(engine.state.log) == len(before.log) + 1
        engine.header(), engine.radio(), engine.orders()
    else:
        assert_one_clean_line(outcome.message)
        assert engine.state == before


def typed_texts(name: str) -> st.SearchStrategy[list[str]]:
    return st.lists(typed_text(STORIES[name]()), min_size=1, max_size=4)


FOUND_ECHOES = ["zz\x1b[2J", "zz\r\x1b[1A", "ghost\x9b1m", "zz\udcff"]
FOUND_TYPING = ["²", "١٢³", "9" * 5000, *FOUND_ECHOES]


@pytest.mark.parametrize("name", STORIES)
@given(data=st.data())
def test_fuzz_typed_orders_are_given_or_answered_in_one_line(name: str, data: st.DataObject):
    story = STORIES[name]()
    engine = Engine.new(story, data.draw(st.integers(0, 2**32), label="seed"))
    advance(engine, data.draw(st.lists(st.integers(0, 99), max_size=8), label="picks"))
    for text in data.draw(typed_texts(name), label="texts"):
        check_typed(engine, text)


@pytest.mark.parametrize("name", STORIES)
@pytest.mark.parametrize("text", FOUND_TYPING, ids=lambda text: ascii(text)[:16])
def test_fuzz_found_typed_orders_are_given_or_answered_in_one_line(name: str, text: str):
    check_typed(Engine.new(STORIES[name](), 3), text)


def check_line_mode(
    story: Story,
    seed: int,
    picks: list[int],
    lines: list[str],
    store: SaveStore | None,
) -> None:
    """Every line is handled without an exception; every line printed is free of control
    characters."""
    out = io.StringIO()
    engine = Engine.new(story, seed)
    advance(engine, picks)
    session = Session(story, SaveAccess(store) if store is not None else NO_SAVES)
    session.begin(engine)
    mode = LineMode(session, out=out)
    for line in lines:
        if mode.engine.ending is not None:
            break
        going_on = mode.handle(line)
        assert isinstance(going_on, bool)
        if not going_on:
            assert line.strip().lower().split(" ", 1)[0] in ("quit", "exit")
            break
    for printed in out.getvalue().split("\n"):
        assert not unprintable(printed), repr(printed)


@pytest.mark.parametrize("name", STORIES)
@given(data=st.data())
def test_fuzz_line_mode_prints_clean_lines_whatever_is_typed(name: str, data: st.DataObject):
    story = STORIES[name]()
    words = typed_text(story) | st.sampled_from(sorted(COMMAND_WORDS))
    lines = data.draw(st.lists(words, min_size=1, max_size=6), label="lines")
    seed = data.draw(st.integers(0, 2**32), label="seed")
    check_line_mode(story, seed, data.draw(st.lists(st.integers(0, 99), max_size=6)), lines, None)


@given(data=st.data())
def test_fuzz_line_mode_save_and_load_commands_with_any_name(data: st.DataObject):
    story = mini()
    command = st.sampled_from(["save ", "load ", "saves ", "save", "load", "SAVE  "])
    name = typed_text(story) | st.sampled_from(["quick", "auto-1", "../x", "a/b", "con", ".hid"])
    lines = data.draw(
        st.lists(st.tuples(command, name).map("".join) | name, min_size=1, max_size=5)
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = SaveStore(Path(tmp) / "saves")
        check_line_mode(story, 3, data.draw(st.lists(st.integers(0, 9), max_size=4)), lines, store)
        for path in store.directory.rglob("*"):
            assert path.parent == store.directory, path  # no name reached outside the folder
        assert {p.name for p in Path(tmp).iterdir()} <= {"saves"}


@pytest.mark.parametrize("text", FOUND_ECHOES, ids=ascii)
def test_fuzz_found_line_mode_prints_clean_lines(text: str):
    check_line_mode(mini(), 3, [], [text], None)


def test_fuzz_found_line_mode_survives_input_that_is_not_utf8(tmp_path):
    # PYTHONIOENCODING=utf-8:strict is what Python picks in e.g. an en_US.UTF-8 locale.
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "HANDLER_ONE_SAVE_DIR": str(tmp_path)}
    feed = b"zz\xff\n\xc3(\n\xed\xa0\x80\n1\nstatus\n\xfe\xfe\nquit\n"
    run = subprocess.run(
        [sys.executable, "-m", "game", "play", "--plain", "--seed", "1", str(MINI)],
        input=feed,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0 and not run.stderr, run.stderr.decode(errors="replace")[-600:]
    shown = run.stdout.decode("utf-8")  # valid UTF-8 out, whatever came in
    assert not unprintable(shown) - {"\n"}, ascii(shown)


# --- --set NAME=VALUE -------------------------------------------------------------------------


def set_pairs(story: Story) -> st.SearchStrategy[str]:
    names = st.sampled_from(sorted(story.variables)) | st.text(max_size=8)
    values = st.one_of(
        st.text(),
        st.sampled_from(["true", "False", "YES", "no", "1", "0", "", " 3", "-0", "1_000", "0x10"]),
        st.integers().map(str),
        st.builds(lambda n: "9" * n, st.integers(4000, 20_000)),
        st.text(CONTROLS | DIGITS, max_size=8),
    )
    padding = st.sampled_from(["", " ", "\t", "\n"])
    return (
        st.tuples(padding, names, padding, st.sampled_from(["=", "==", ""]), values).map("".join)
        | st.text()
    )


@pytest.mark.parametrize("name", STORIES)
@given(data=st.data())
def test_fuzz_set_values_are_typed_or_refused_in_one_line(name: str, data: st.DataObject):
    story = STORIES[name]()
    pairs = data.draw(st.lists(set_pairs(story), max_size=4), label="pairs")
    try:
        values = parse_sets(pairs, story)
    except UsageError as exc:
        assert_one_clean_line(str(exc))
        return
    assert isinstance(values, dict)
    for key, value in values.items():
        kind, name = split_key(key)  # evidence, names and statuses: tests/test_presets.py
        if kind is not None:
            continue
        variable = story.variables[name]
        if variable.type == "bool":
            assert isinstance(value, bool)
        elif variable.type == "int":
            assert type(value) is int and variable.clamp(value) == value
        else:
            assert isinstance(value, str)
    Engine.new(story, 1, sets=values).header()


@pytest.mark.parametrize(
    "pair", ["trust=1\n2", "trust=\x1b[2J", "nope\x1b]0;x\x07=1", "\r"], ids=ascii
)
def test_fuzz_found_set_values_are_refused_in_one_clean_line(pair: str):
    with pytest.raises(UsageError) as refused:
        parse_sets([pair], mini())
    assert_one_clean_line(str(refused.value))


# --- save files -------------------------------------------------------------------------------


def _containers(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=8), children, max_size=4
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["\ud800", "x\udcff"])  # lone surrogates: what a "\ud800" escape gives
    | st.sampled_from(["fight", "fight#2", "shin", "ev_bulletin", "end_good", "mini", "auto"]),
    _containers,
    max_leaves=12,
)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def mutate_structure(data: st.DataObject, doc: object) -> object:
    """Replace, delete or add values anywhere in a save's JSON."""
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = list(_paths(doc))
        path = data.draw(st.sampled_from(paths), label="path")
        if not path:
            doc = data.draw(json_values, label="whole document")
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]), label="action")
        if action == "replace":
            parent[path[-1]] = data.draw(json_values, label="value")
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.text(max_size=8), label="key")] = data.draw(json_values)
        else:
            parent.insert(path[-1], data.draw(json_values, label="item"))
    return doc


def mutated_save(data: st.DataObject) -> bytes:
    original = data.draw(st.sampled_from(SAVE_FIXTURES), label="fixture").read_bytes()
    how = data.draw(st.sampled_from(["flip", "truncate", "structure", "bytes", "splice"]))
    if how == "flip":
        blob = bytearray(original)
        for _ in range(data.draw(st.integers(1, 8), label="flips")):
            at = data.draw(st.integers(0, len(blob) - 1), label="at")
            blob[at] ^= data.draw(st.integers(1, 255), label="xor")
        return bytes(blob)
    if how == "truncate":
        return original[: data.draw(st.integers(0, len(original) - 1), label="length")]
    if how == "bytes":
        return data.draw(st.binary(max_size=2000), label="bytes")
    if how == "splice":
        at = data.draw(st.integers(0, len(original)), label="at")
        return original[:at] + data.draw(st.binary(max_size=40), label="junk") + original[at:]
    doc = mutate_structure(data, json.loads(original))
    if isinstance(doc, dict) and data.draw(st.booleans(), label="fix checksum"):
        with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate has no checksum
            doc["checksum"] = saves._checksum(doc)
    indent = data.draw(st.sampled_from([None, 2]), label="indent")
    text = json.dumps(doc, indent=indent, ensure_ascii=data.draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")


@given(data=st.data())
def test_fuzz_mutated_saves_load_or_fail_in_one_line(data: st.DataObject):
    story = data.draw(st.sampled_from([mini, mini, shipped]), label="story")()
    with tempfile.TemporaryDirectory() as tmp:
        store = SaveStore(Path(tmp))
        shutil.copy(SAVE_FIXTURES[0], store.directory / "intact.json")
        blob = mutated_save(data)
        (store.directory / "fuzz.json").write_bytes(blob)
        if data.draw(st.booleans(), label="with a backup"):
            (store.directory / "fuzz.bak").write_bytes(data.draw(st.sampled_from([b"", blob])))
        try:
            loaded = store.load("fuzz", story)
        except SaveError as exc:
            assert str(exc).startswith("save 'fuzz': ")
            assert_one_clean_line(str(exc))
        else:
            assert isinstance(loaded, Loaded)
            if loaded.message is not None:
                assert_one_clean_line(loaded.message)
            engine = loaded.engine
            engine.header(), engine.radio(), engine.squad(), engine.dossier(), engine.meters()
            enabled = [view for view in engine.orders() if view.enabled]
            if enabled:
                engine.choose(enabled[0].index)
        for info in store.list():
            assert info.slot in ("fuzz", "intact")
        for problem in store.list_problems():
            assert_one_clean_line(problem)
        assert store.load("intact", mini()).engine


def test_fuzz_found_undecodable_names_and_lone_surrogates_in_the_save_folder(tmp_path):
    """A file name that is not UTF-8 in the save folder, or a `\\ud800` escape inside a save,
    used to crash listing and loading with UnicodeEncodeError."""
    store = SaveStore(tmp_path)
    shutil.copy(SAVE_FIXTURES[0], tmp_path / "intact.json")
    with contextlib.suppress(OSError):  # a file system that refuses such names (APFS) cannot
        Path(os.fsdecode(os.fsencode(tmp_path) + b"/\xff.json")).write_bytes(b"{}")
    doc = json.loads(SAVE_FIXTURES[0].read_text(encoding="utf-8"))
    doc["meta"]["scene_title"] = "\ud800"
    (tmp_path / "lone.json").write_text(json.dumps(doc), encoding="ascii")
    assert [info.slot for info in store.list(mini())] == ["intact"]
    for problem in store.list_problems():
        assert_one_clean_line(problem)
    for slot, why in (("lone", "not valid Unicode"), ("\udcff", "not valid text")):
        with pytest.raises(SaveError, match=why) as refused:
            store.load(slot, mini())
        assert_one_clean_line(str(refused.value))


# --- slot names -------------------------------------------------------------------------------

SLOT_TRICKS = st.sampled_from(
    [".", "..", "/", "\\", ":", "*", "?", '"', "<", ">", "|", "\x00", " ", "\t", "\n", "con",
     "NUL", "com1", "lpt9", "auto-", "quick", ".json", ".bak", ".tmp", "~", "$HOME", "%", "∕",
     "／", "．", "\u202e", "\u200b", "\ufeff", "é", "é", "𝔰", "\ud800"]
)  # fmt: skip


@given(st.text() | st.lists(SLOT_TRICKS | st.text(max_size=3), max_size=8).map("".join))
@example("a" * 64)
@example("é" * 64)
@example("🛰" * 33)
@example("..")
@example("save/../../etc")
def test_fuzz_slot_names_are_safe_or_refused_in_one_line(name: str):
    try:
        slot = sanitise_slot(name)
    except SaveError as exc:
        assert_one_clean_line(str(exc))
        return
    assert slot and slot == slot.strip() and sanitise_slot(slot) == slot
    assert "/" not in slot and "\\" not in slot and ".." not in slot and not slot.startswith(".")
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in slot)
    assert not any(ch in '<>:"|?*' for ch in slot)
    assert len(slot.encode("utf-8")) <= saves.MAX_SLOT_BYTES
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp).resolve()
        store = SaveStore(folder)
        for path in (store.path(slot), folder / f"{slot}{saves.BACKUP_SUFFIX}"):
            assert path.parent == folder and path.resolve().parent == folder
            path.write_bytes(b"{}")
        assert sorted(os.listdir(folder)) == sorted([f"{slot}.json", f"{slot}.bak"])
        assert store.exists(slot)


# --- the settings file ------------------------------------------------------------------------

setting_values = st.one_of(
    json_values,
    st.sampled_from([*TEXT_SPEEDS, "Fast", "", "handler", "high-contrast", "textual-dark"]),
)
settings_documents = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "text_speed": setting_values,
            "reduced_motion": setting_values,
            "theme": setting_values,
            "extra": json_values,
        },
    ),
)


def settings_bytes(data: st.DataObject) -> bytes:
    how = data.draw(st.sampled_from(["json", "bytes", "damaged", "deep"]), label="how")
    if how == "bytes":
        return data.draw(st.binary(max_size=500), label="bytes")
    if how == "deep":
        depth = data.draw(st.integers(100, 200_000), label="depth")
        return data.draw(st.sampled_from([b"[", b'{"a":'])) * depth
    text = json.dumps(data.draw(settings_documents, label="document"), indent=2)
    blob = text.encode("utf-8", "surrogatepass")
    if how == "damaged" and blob:
        at = data.draw(st.integers(0, len(blob) - 1), label="at")
        blob = blob[:at] + data.draw(st.binary(max_size=4), label="junk") + blob[at + 1 :]
    return blob


def check_settings(loaded: Settings) -> None:
    assert isinstance(loaded, Settings)
    assert loaded.text_speed in TEXT_SPEEDS
    assert isinstance(loaded.reduced_motion, bool)
    assert isinstance(loaded.theme, str) and loaded.theme
    assert loaded.chars_per_second >= 0 and loaded.line_gap >= 0
    assert isinstance(loaded.instant, bool)


@given(data=st.data())
@example(data=None)
def test_fuzz_settings_files_give_defaults_or_valid_settings(data, monkeypatch):
    with tempfile.TemporaryDirectory() as tmp:
        monkeypatch.setenv(CONFIG_ENV, tmp)
        blob = b'{"text_speed": "fast", "theme": "' + b"x" * 100 + b'"}'
        if data is not None:
            blob = settings_bytes(data)
        (Path(tmp) / SETTINGS_FILE).write_bytes(blob)
        loaded = load_settings()
        check_settings(loaded)
        try:
            document = json.loads(blob)
        except (ValueError, RecursionError):
            assert loaded == Settings()
            return
        if not isinstance(document, dict):
            assert loaded == Settings()
            return
        speed = document.get("text_speed")
        if isinstance(speed, str) and speed in TEXT_SPEEDS:
            assert loaded.text_speed == speed
        if "theme" not in document:
            assert loaded.theme == DEFAULT_THEME


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fuzz_found_a_settings_file_that_is_not_a_file_gives_the_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path))
    os.mkfifo(tmp_path / SETTINGS_FILE)  # reading a pipe with no writer would wait for ever
    check_settings(load_settings())
    assert load_settings() == Settings()
    (tmp_path / SETTINGS_FILE).unlink()
    (tmp_path / SETTINGS_FILE).mkdir()
    assert load_settings() == Settings()
