"""Classes of hostile input found by the second round of attacks (issue 18), each tested by
generated inputs: conditions too deep or too long, whole numbers too large, and bad command
lines. Whatever arrives, the answer is a one-line error with its place, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.engine.conditions import (
    MAX_CONDITION_CHARS,
    MAX_CONDITION_DEPTH,
    ConditionError,
    Scope,
    compile_expression,
    parse,
)
from game.engine.format import INT_MAX, INT_MIN, int_in_range, parse_int
from game.engine.loader import check_story
from game.engine.runtime import Engine
from game.engine.state import GameState
from game.engine.yamlsafe import YamlProblem, load_yaml
from tests.conftest import mini, write
from tests.test_fuzz_inputs import assert_one_clean_line

SCOPE = Scope(
    variables={"a": "bool", "b": "bool", "n": "int"},
    ids={"pilot": frozenset({"shin"}), "scene": frozenset({"s"})},
)

# --- conditions: deep, long, chained -----------------------------------------------------------


def _nested(kind: str, n: int) -> str:
    """A condition of one shape, `n` deep or long."""
    if kind == "parens":
        return "(" * n + "a" + ")" * n
    if kind == "not":
        return "not " * n + "a"
    if kind == "and":
        return " and ".join(["a"] * n)
    if kind == "or":
        return " or ".join(["(a and b)"] * n)
    if kind == "sum":
        return " + ".join(["n"] * n) + " > 1"
    if kind == "minus":
        return "n" + " - 1" * n + " == 0"
    if kind == "mixed":
        return "(not " * n + "a" + ")" * n
    raise AssertionError(kind)


SHAPES = ["parens", "not", "and", "or", "sum", "minus", "mixed"]


@given(
    kind=st.sampled_from(SHAPES),
    n=st.integers(1, 40) | st.integers(40, 400) | st.integers(400, 25_000),
)
def test_fuzz_any_deep_or_long_condition_compiles_or_is_refused_with_a_place(kind: str, n: int):
    text = _nested(kind, n)
    try:
        expression = compile_expression(text, SCOPE)
    except ConditionError as refused:
        assert_one_clean_line(refused.message)
        assert 0 <= refused.column <= len(text)
        assert len(text) > MAX_CONDITION_CHARS or "nested too deeply" in refused.message
        return
    # What compiles is small enough for every pass over it, evaluation included.
    assert len(text) <= MAX_CONDITION_CHARS
    expression(_Facts())


def test_the_depth_limit_sits_well_below_python_and_is_exact():
    assert sys.getrecursionlimit() > MAX_CONDITION_DEPTH * 8
    parse(" and ".join(["a"] * (MAX_CONDITION_DEPTH - 1)))
    with pytest.raises(ConditionError, match="nested too deeply"):
        parse(" and ".join(["a"] * (MAX_CONDITION_DEPTH + 1)))


class _Facts:
    def var(self, name: str):
        return {"a": True, "b": False, "n": 3}[name]

    def visits(self, scene: str) -> int:
        return 0

    def status(self, pilot: str) -> str:
        return "active"


def _story(tmp_path: Path, condition: str, default: str = "1") -> Path:
    root = tmp_path / "story"
    write(
        root / "story.yaml",
        f"""
        id: hard
        title: Hard
        start: s
        variables:
          - {{name: a, type: bool, default: true}}
          - {{name: b, type: bool, default: false}}
          - {{name: n, type: int, default: {default}}}
        endings:
          - {{id: end, title: End}}
        """,
    )
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: s
            title: S
            radio:
              - narration: "Wind."
            orders:
              - say: "Go."
                if: "CONDITION"
                goto: e
              - say: "Stay."
                goto: e
          - id: e
            title: E
            ending: end
        """.replace("CONDITION", condition),
    )
    return root


@pytest.mark.parametrize("kind", SHAPES)
def test_a_story_with_a_condition_too_deep_is_refused_in_one_line_with_its_place(
    tmp_path: Path, kind: str
):
    root = _story(tmp_path, _nested(kind, 2_000 if kind != "parens" else 170))
    story, diagnostics = check_story(root)
    assert story is None
    errors = [d for d in diagnostics if d.severity == "error"]
    assert len(errors) == 1, errors
    assert errors[0].mark.path.endswith("ch1.yaml") and errors[0].mark.line == 9
    assert_one_clean_line(str(errors[0]))


def test_every_command_answers_a_story_with_a_deep_condition_without_a_traceback(tmp_path):
    root = _story(tmp_path, _nested("not", 300))
    for command in (
        ["validate", str(root)],
        ["stats", str(root), "--runs", "0"],
        ["playtest", str(root), "--runs", "2"],
        ["verify", str(root), "--seconds", "5"],
        ["graph", str(root)],
    ):
        result = _run(command)
        assert result.returncode != 0, command
        assert "Traceback" not in result.stderr + result.stdout, command
        assert "nested too deeply" in result.stdout + result.stderr, command


# --- whole numbers -----------------------------------------------------------------------------

NUMBER_TEXTS = st.one_of(
    st.integers().map(str),
    st.integers(INT_MIN - 10, INT_MAX + 10).map(str),
    st.builds(lambda n: "9" * n, st.integers(15, 30)),
    st.builds(lambda n: "9" * n, st.integers(4_000, 12_000)),
    st.builds(lambda n: "-" + "1" * n, st.integers(15, 6_000)),
    st.builds(lambda n: "0b" + "1" * n, st.integers(60, 200_000)),
    st.builds(lambda n: "0x" + "f" * n, st.integers(14, 50_000)),
    st.builds(lambda n: "0o" + "7" * n, st.integers(20, 50_000)),
    st.builds(lambda n: "1_" * n + "1", st.integers(10, 9_000)),
)


@given(text=NUMBER_TEXTS)
def test_fuzz_any_number_in_a_scene_file_is_held_or_refused_with_its_place(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("n") / "n.yaml"
    for document in (f"value: {text}\n", f"a: &x 1\nvalue: {text}\n", f"- [{text}]\n"):
        path.write_text(document)
        try:
            data = load_yaml(path)
        except YamlProblem as refused:
            assert "number too large" in refused.message
            assert refused.mark.line >= 1 and refused.mark.column >= 1
            continue
        value = data["value"] if isinstance(data, dict) else data[0][0]
        assert not isinstance(value, int) or int_in_range(value)


@given(text=NUMBER_TEXTS)
def test_fuzz_any_number_in_a_condition_is_held_or_refused_with_its_place(text):
    condition = f"n > {text}"
    try:
        compile_expression(condition, SCOPE)
    except ConditionError as refused:
        assert_one_clean_line(refused.message)
        assert 4 <= refused.column <= len(condition)
    else:
        assert parse_int(text) is not None


@given(text=NUMBER_TEXTS | st.text(max_size=30))
def test_fuzz_parse_int_never_builds_a_number_the_game_cannot_hold(text):
    value = parse_int(text)
    assert value is None or int_in_range(value)


def test_a_declared_default_too_large_is_one_error_and_validate_fails(tmp_path):
    root = _story(tmp_path, "a", default="9" * 5_000)
    story, diagnostics = check_story(root)
    assert story is None
    assert [d.message for d in diagnostics if d.severity == "error"] == [
        "number too large: whole numbers are between -9223372036854775808 and 9223372036854775807"
    ]
    result = _run(["validate", str(root)])
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_effects_never_grow_a_number_past_the_range(tmp_path):
    root = _story(tmp_path, "a", default=str(INT_MAX - 1))
    ch1 = root / "ch1.yaml"
    ch1.write_text(
        ch1.read_text().replace(
            '- say: "Stay."\n        goto: e',
            '- say: "Stay."\n        effects: {add: {n: 9223372036854775807}}\n        goto: s',
        )
    )
    story, diagnostics = check_story(root)
    assert story is not None, diagnostics
    engine = Engine.new(story, 1)
    for _ in range(3):
        engine.choose(1)
        assert engine.state.variables["n"] == INT_MAX
    assert GameState.from_dict(engine.state.to_dict()).variables["n"] == INT_MAX


@given(
    field=st.sampled_from(["seed", "variables", "visits", "draws", "preset"]),
    value=st.integers(INT_MAX + 1, 2**200) | st.integers(-(2**200), INT_MIN - 1),
)
def test_fuzz_a_save_holding_a_number_out_of_range_is_refused_naming_the_field(field, value):
    data = {
        "story_id": "s",
        "seed": 1,
        "scene": "a",
        "variables": {"n": 1},
        "status": {},
        "known": [],
    }
    data[field] = {"n": value} if field in ("variables", "visits", "preset") else value
    with pytest.raises(ValueError) as refused:
        GameState.from_dict(data)
    assert f"state.{field}" in str(refused.value)
    assert_one_clean_line(str(refused.value))


# --- command lines ----------------------------------------------------------------------------

BAD_ARGUMENTS = st.one_of(
    st.sampled_from(["--bogus", "--seed=x", "--seed", "-z", "--runs=-", "--json=1"]),
    st.builds(lambda n: "--seed=" + "9" * n, st.integers(20, 6_000)),
    st.builds(
        lambda t: "--" + t, st.text(st.characters(min_codepoint=0x21), min_size=1, max_size=8)
    ),
    st.text(
        st.characters(max_codepoint=0x1F) | st.sampled_from("\x9b\u202e"), min_size=1, max_size=6
    ).map(lambda t: "--seed=" + t),
)


@given(
    command=st.sampled_from(["play", "playtest", "stats", "verify", "validate", "saves"]),
    bad=BAD_ARGUMENTS,
)
def test_fuzz_a_bad_command_line_is_one_clean_line_and_status_two(command, bad):
    from game.cli import main

    with pytest.raises(SystemExit) as stopped, _captured() as err:
        main([command, bad])
    if stopped.value.code == 0:  # a flag the command happens to take (`--json`)
        return
    assert stopped.value.code == 2
    lines = err.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert_one_clean_line(lines[0])


class _captured:
    def __enter__(self):
        import io

        self.stream = io.StringIO()
        self.old = sys.stderr, sys.stdout
        sys.stderr = sys.stdout = self.stream
        return self.stream

    def __exit__(self, *exc):
        sys.stderr, sys.stdout = self.old
        return False


def _run(
    args: list[str], env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """A `handler-one` command, its output captured; a hang fails the test (the timeout)."""
    return subprocess.run(
        [sys.executable, "-m", "game", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )


# --- text from a save reaching the terminal ------------------------------------------------------

HOSTILE_TEXT = st.lists(
    st.characters(max_codepoint=0x1F)
    | st.characters(min_codepoint=0x7F, max_codepoint=0x9F)
    | st.sampled_from(["\u202e", "\u2066", "\u200f", "\u2028", "\ufeff", "\x1b]52;c;aGk=\x07"])
    | st.sampled_from(["\x1b[2J", "\x9b31m", "[bold]x[/]"])
    | st.characters(codec="utf-8"),
    min_size=1,
    max_size=12,
).map("".join)


def _string_paths(node, path=()):
    """Every place in a save's JSON that holds text, as a path of keys and indices."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "checksum":
                yield from _string_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _string_paths(value, (*path, index))
    elif isinstance(node, str):
        yield path


def _unsafe(text: str) -> set[str]:
    """Characters a terminal would act on: controls (but the newline), C1, format characters
    (bidi overrides), line and paragraph separators, surrogates."""
    import unicodedata

    return {
        ch
        for ch in text
        if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")
    }


@given(data=st.data())
def test_fuzz_every_field_of_a_save_is_shown_safely_in_text_and_json(tmp_path_factory, data):
    import json

    from game.engine import saves
    from game.engine.saves import SaveStore

    folder = tmp_path_factory.mktemp("saves")
    store = SaveStore(folder)
    engine = Engine.new(mini(), 3)
    engine.choose(0)
    store.save("victim", engine)
    path = folder / "victim.json"
    doc = json.loads(path.read_text())
    places = sorted(_string_paths(doc), key=repr)
    chosen = data.draw(st.lists(st.sampled_from(places), min_size=1, max_size=6, unique=True))
    for place in chosen:
        node = doc
        for key in place[:-1]:
            node = node[key]
        node[place[-1]] = data.draw(HOSTILE_TEXT)
    doc["checksum"] = saves._checksum(doc)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=data.draw(st.booleans())))
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO

    from game.cli import main

    for args in (["list"], ["list", "--json"], ["show", "victim"], ["show", "victim", "--json"]):
        out, err = StringIO(), StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            main(["saves", "--save-dir", str(folder), *args])
        for shown in (out.getvalue(), err.getvalue()):
            assert not _unsafe(shown), (args, sorted(_unsafe(shown)))
        if args[-1] == "--json" and out.getvalue():
            json.loads(out.getvalue())  # still JSON a program can read


# --- a tampered story cache with a valid digest -------------------------------------------------


def _resign(path: Path, change_scene) -> None:
    """Rewrite one cached scene by `change_scene(decoded_json)`, fix the index and the digest:
    a cache that passes every check but what it holds."""
    import json

    from game.engine import cache

    raw = path.read_bytes()
    _, _, payload = raw.partition(b"\n")
    head, _, body = payload.partition(b"\n")
    header = json.loads(head)
    blobs = [(sid, body[start:end]) for sid, start, end in header["scenes"]]
    blobs = [(sid, json.dumps(change_scene(sid, json.loads(blob))).encode()) for sid, blob in blobs]
    index, offset = [], 0
    for sid, blob in blobs:
        index.append([sid, offset, offset + len(blob)])
        offset += len(blob)
    header["scenes"] = index
    payload = (
        json.dumps(header, separators=(",", ":")).encode() + b"\n" + b"".join(b for _, b in blobs)
    )
    path.write_bytes(cache._digest(payload) + b"\n" + payload)


def _leaves(node, path=()):
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _leaves(item, (*path, index))
    elif isinstance(node, dict):
        for index, item in enumerate(node.get("$d", [])):
            yield from _leaves(item, (*path, "$d", index))
    else:
        yield path


ODD_VALUES = st.sampled_from(
    [None, 0, -1, 2**62, True, "", "no_such_id", "$Scene", [], ["$Line"], 1.5]
)


@given(data=st.data())
def test_fuzz_a_tampered_cache_with_a_valid_digest_never_crashes_a_game(tmp_path_factory, data):
    import shutil

    from game.engine import cache
    from game.engine.playtest import random_playtest
    from tests.conftest import MINI

    root = tmp_path_factory.mktemp("story") / "mini"
    shutil.copytree(MINI, root)
    folder = tmp_path_factory.mktemp("cache")
    cache.load_story_cached(root, folder)
    (path,) = folder.glob("*.json")
    victim = data.draw(st.sampled_from(["first_contact", "fight", "*"]), label="scene")
    changes = data.draw(st.integers(1, 4), label="changes")

    def change(sid, scene):
        if victim not in (sid, "*"):
            return scene
        places = list(_leaves(scene))
        for _ in range(changes):
            place = data.draw(st.sampled_from(places))
            node = scene
            for key in place[:-1]:
                node = node[key]
            node[place[-1]] = data.draw(ODD_VALUES)
        return scene

    _resign(path, change)
    story = cache.load_story_cached(root, folder)
    report = random_playtest(story, runs=6, seed=1, max_steps=60)
    # At worst a different story (its games may loop or stop), never a crash.
    assert [f for f in report.errors if f.kind == "error"] == []


# --- special files in place of anything the game reads ------------------------------------------

SPECIALS = ["fifo", "dev_zero", "dev_null", "folder", "loop", "socket", "huge_sparse"]


def _special(path: Path, kind: str) -> Path:
    """Put a special file of `kind` at `path` (replacing what was there)."""
    import socket

    if path.is_dir() and not path.is_symlink():
        import shutil

        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev_zero":
        path.symlink_to("/dev/zero")
    elif kind == "dev_null":
        path.symlink_to("/dev/null")
    elif kind == "folder":
        path.mkdir()
    elif kind == "loop":
        path.symlink_to(path.name)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        here = os.getcwd()
        os.chdir(path.parent)  # a socket's path is limited to about 100 bytes
        try:
            server.bind(path.name)
        finally:
            os.chdir(here)
        _SOCKETS.append(server)
    elif kind == "huge_sparse":
        with path.open("wb") as handle:
            handle.truncate(3 * 1024**3)
    return path


_SOCKETS: list = []
needs_posix = pytest.mark.skipif(os.name != "posix", reason="FIFOs, sockets and /dev are POSIX")


@needs_posix
@pytest.mark.parametrize("kind", SPECIALS)
def test_read_regular_refuses_every_special_file_at_once(tmp_path, kind):
    from game.engine.regular import FileRefused, read_regular

    path = _special(tmp_path / "x.json", kind)
    with pytest.raises(FileRefused) as refused:
        read_regular(path, 1024 * 1024)
    assert_one_clean_line(refused.value.reason)
    assert read_regular(_regular(tmp_path / "ok.json"), 16) == b"{}"


def _regular(path: Path) -> Path:
    path.write_bytes(b"{}")
    return path


def _story_with_map(tmp_path: Path) -> Path:
    root = _story(tmp_path, "a")
    ch1 = root / "ch1.yaml"
    ch1.write_text(ch1.read_text().replace("    title: S\n", "    title: S\n    map: sector\n", 1))
    (root / "maps").mkdir()
    (root / "maps" / "sector.txt").write_text("..S..\n")
    return root


@needs_posix
@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "socket", "huge_sparse", "loop"])
@pytest.mark.parametrize("place", ["scene_file", "map", "cache", "save", "settings", "transcript"])
def test_every_command_answers_a_special_file_anywhere_it_reads(tmp_path, kind, place):
    from game.engine import cache

    root = _story_with_map(tmp_path)
    home = tmp_path / "home"
    (home / "saves").mkdir(parents=True)
    (home / "cache").mkdir()
    env = {
        "HANDLER_ONE_SAVE_DIR": str(home / "saves"),
        "HANDLER_ONE_CACHE_DIR": str(home / "cache"),
        "HANDLER_ONE_CONFIG_DIR": str(home / "config"),
    }
    commands = [["validate", str(root)], ["play", "--plain", str(root)]]
    if place == "scene_file":
        _special(root / "ch1.yaml", kind)
    elif place == "map":
        _special(root / "maps" / "sector.txt", kind)
    elif place == "cache":
        _special(home / "cache" / f"{cache.cache_key(root)[:32]}.json", kind)
    elif place == "save":
        _special(home / "saves" / "auto-1.json", kind)
        commands = [["saves", "list"], ["saves", "show", "auto-1"], ["play", "--plain", str(root)]]
    elif place == "settings":
        (home / "config").mkdir()
        _special(home / "config" / "settings.json", kind)
    else:
        commands = [["playtest", str(root), "--replay", str(_special(tmp_path / "t.json", kind))]]
    for command in commands:
        result = _run(command, env=env, stdin="1\n1\nquit\n")
        assert "Traceback" not in result.stderr + result.stdout, (command, result.stderr[-400:])
        if place in ("scene_file", "map") or command[0] != "play":
            errors = [line for line in result.stderr.splitlines() if line.strip()]
            shown = result.stdout + result.stderr
            assert result.returncode != 0 or not errors or "skipped" in shown, (command, shown)


# --- saves the game writes but could not read ---------------------------------------------------


@pytest.mark.parametrize("entries", [10, 200_000, 700_000])
def test_a_game_too_long_to_save_is_never_written_over_a_good_save(tmp_path, monkeypatch, entries):
    from game.engine import savefile
    from game.engine.loader import load_story
    from game.engine.saves import SaveError, SaveStore
    from tests.conftest import MINI

    # The limit is lowered so that the test builds a few MB, not a million orders.
    monkeypatch.setattr(savefile, "MAX_SAVE_BYTES", 4 * 1024 * 1024)
    store = SaveStore(tmp_path / "saves")
    engine = Engine.new(load_story(MINI), 3)
    engine.choose(0)
    for slot in ("after", "auto"):
        if slot == "auto":
            store.autosave(engine)
        else:
            store.save(slot, engine)
    before = {p.name: p.read_bytes() for p in (tmp_path / "saves").iterdir()}
    state = engine.state
    state.log = state.log + [state.log[-1]] * entries
    state.log_ids = state.log_ids + [state.log_ids[-1]] * entries
    try:
        store.save("after", engine)
        for _ in range(3):
            store.autosave(engine)
    except SaveError as refused:
        assert "too long to save" in str(refused) and "unchanged" in str(refused)
        assert {p.name: p.read_bytes() for p in (tmp_path / "saves").iterdir()} == before
    # Whatever was written reads back: the game never writes a save it refuses.
    for info in store.list():
        store.load(info.slot, engine.story)
    assert not store.list_problems()


# --- the autosave ring ---------------------------------------------------------------------------

FOREIGN = st.sampled_from(
    [
        "folder",
        "fifo",
        "loop",
        "dev_null",
        '{"meta": {"sequence": 99999999999999999999999999}}',
        '{"meta": {"sequence": 9223372036854775807}}',
        '{"format": "handler-one-save", "meta": {"sequence": -5}}',
        "",
        "not json",
    ]
)


@needs_posix
@given(data=st.data())
def test_fuzz_foreign_files_in_the_ring_never_stop_autosave(tmp_path_factory, data):
    from game.engine.saves import SaveStore

    folder = tmp_path_factory.mktemp("saves")
    slots = data.draw(st.lists(st.integers(1, 10), min_size=1, max_size=9, unique=True))
    unusable = set()
    for number in slots:
        what = data.draw(FOREIGN)
        path = folder / f"auto-{number}.json"
        if what in ("folder", "fifo", "loop", "dev_null"):
            _special(path, what)
            unusable.add(f"auto-{number}")
        else:
            path.write_text(what)
    store = SaveStore(folder)
    engine = Engine.new(mini(), 3)
    written = set()
    for _ in range(12):
        engine.choose(0) if engine.orders() and engine.state.ending is None else None
        info = store.autosave(engine)
        written.add(info.slot)
        assert store.load(info.slot, engine.story)
        newest = store.list()[0]
        assert newest.slot == info.slot  # the autosave just made is the newest, every time
    # Every slot the ring can use is used, in turn; nothing is written where it cannot be.
    assert not written & unusable
    assert len(written) == min(12, 10 - len(unusable))
    assert {line.split(".json")[0] for line in store.ring_skipped} == unusable


# --- YAML merge keys ----------------------------------------------------------------------------

KEYS = st.sampled_from(["say", "goto", "if", "tone", "words", "risk"])


@given(
    base=st.dictionaries(KEYS, st.integers(0, 9), min_size=1, max_size=5),
    own=st.dictionaries(KEYS, st.integers(10, 19), max_size=5),
    twice=st.booleans(),
)
def test_fuzz_merge_keys_follow_yaml_own_keys_override_and_only_own_twice_is_a_duplicate(
    tmp_path_factory, base, own, twice
):
    path = tmp_path_factory.mktemp("merge") / "m.yaml"
    lines = ["base: &base {" + ", ".join(f"{k}: {v}" for k, v in base.items()) + "}", "order:"]
    lines.append("  <<: *base")
    lines += [f"  {k}: {v}" for k, v in own.items()]
    repeated = twice and own
    if repeated:
        key = next(iter(own))
        lines.append(f"  {key}: 99")
    path.write_text("\n".join(lines) + "\n")
    if repeated:
        with pytest.raises(YamlProblem, match="duplicate key"):
            load_yaml(path)
        return
    assert load_yaml(path)["order"] == {**base, **own}
