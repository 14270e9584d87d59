"""The loader: every kind of mistake is reported with its code and its place."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from game.engine.diagnostics import StoryError
from game.engine.format import OBJECTS
from game.engine.loader import check_story, load_story
from tests.conftest import MINI, write

MANIFEST = """
id: t
title: T
start: a
chapters: [{number: 1, title: One}]
variables:
  - {name: trust, type: int, default: 1, min: 0, max: 5}
pilots:
  - {id: shin, callsign: Undertaker, name: Shinei Nouzen}
evidence:
  - {id: ev_a, title: A, text: a, source: radio}
endings:
  - {id: end_x, title: X}
"""


def story(tmp_path: Path, scenes: str, manifest: str = MANIFEST, end: bool = False) -> Path:
    """Write a manifest and ch1.yaml; `end` appends scene b, an ending, to the scene list."""
    write(tmp_path / "story.yaml", manifest)
    text = textwrap.dedent(scenes).lstrip("\n") + (GOOD_END.lstrip("\n") if end else "")
    write(tmp_path / "ch1.yaml", text)
    return tmp_path


def errors(root: Path) -> list[tuple[str, str, int, int]]:
    _, diagnostics = check_story(root)
    return [
        (d.code, Path(d.mark.path).name, d.mark.line, d.mark.column)
        for d in diagnostics
        if d.severity == "error"
    ]


def messages(root: Path) -> str:
    _, diagnostics = check_story(root)
    return "\n".join(str(d) for d in diagnostics)


GOOD_END = """
  - id: b
    title: B
    ending: end_x
"""


def test_the_fixture_story_loads() -> None:
    loaded = load_story(MINI)
    assert loaded.start == "first_contact"
    assert "fight#3" in loaded.states()
    assert loaded.warnings == ()


def test_misspelt_goto_names_file_line_column_and_hint(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - say: Go
                goto: bb
        """,
        end=True,
    )
    assert errors(root) == [("E030", "ch1.yaml", 7, 15)]  # at `bb`, not at its key
    assert "did you mean 'b'" in messages(root)


@pytest.mark.parametrize(
    ("enter", "at"),
    [
        ("\n      reveal: ev_aa", "ev_aa"),  # plain, after its key
        ("\n      reveal: 'ev_aa'", "'ev_aa'"),  # quoted: its quote
        ("\n      reveal: [ev_a, ev_aa]", "ev_aa"),  # in a list: the item
        ("\n      reveal:\n        - ev_a\n        - ev_aa", "ev_aa"),
        (" {reveal: ev_aa}", "ev_aa"),  # in a flow mapping
        (" {reveal: [ev_aa, ev_a]}", "ev_aa"),
    ],
)
def test_an_unknown_id_is_pointed_at_where_it_is_written(
    tmp_path: Path, enter: str, at: str
) -> None:
    scenes = (
        "chapter: 1\nscenes:\n  - id: a\n    title: A\n"
        f"    enter:{enter}\n"
        "    orders:\n      - say: Go\n        goto: b\n"
    )
    root = story(tmp_path, scenes, end=True)
    lines = (root / "ch1.yaml").read_text().splitlines()
    where = next((n + 1, line.index(at) + 1) for n, line in enumerate(lines) if at in line)
    found = [e for e in errors(root) if e[0] == "E032"]
    assert found == [("E032", "ch1.yaml", *where)]


def test_unknown_key_with_hint(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            radoi: []
            orders: [{say: Go, goto: b}]
        """,
        end=True,
    )
    assert errors(root) == [("E010", "ch1.yaml", 5, 5)]
    assert "did you mean 'radio'" in messages(root)


def test_missing_required_and_wrong_type(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        chapter: 1
        scenes:
          - id: a
            orders:
              - say: [not, text]
                goto: b
        """,
        end=True,
    )
    assert ("E011", "ch1.yaml", 3, 5) in errors(root)
    assert ("E012", "ch1.yaml", 5, 9) in errors(root)


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        "chapter: 1\nscenes:\n  - {id: a, title: A, orders: [{say: x, goto: b}]}\n",
        end=True,
    )
    write(
        tmp_path / "more" / "ch2.yaml",
        "chapter: 1\nscenes:\n  - {id: b, title: B2, ending: end_x}\n",
    )
    found = errors(root)
    assert ("E020", "ch2.yaml", 3, 5) in found
    assert "ch1.yaml:4:5) [E020]" in messages(root)


def test_bad_references_of_every_kind(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            radio:
              - shim: "hello"
            enter: {reveal: ev_z, learn: [nell], add: {trsut: 1}}
            orders:
              - say: Go
                if: has(ev_q)
                goto: b
          - id: b
            title: B
            ending: end_y
        """,
    )
    codes = {code for code, *_ in errors(root)}
    assert {"E031", "E032", "E035", "E040", "E033"} <= codes


def test_condition_errors_point_at_the_column(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - {say: Go, goto: b, if: "trust >= 2 && true"}
        """,
        end=True,
    )
    [(code, _, line, column)] = errors(root)
    assert (code, line) == ("E040", 6)
    # The key 'if' starts at column 28, its quoted value at 32; '&&' is 11 characters into
    # the condition, which starts after the quote.
    assert column == 32 + 1 + 11


def test_interpolating_an_undeclared_name(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            radio: [{hq: "Trust is {trust}, rank is {rank}, braces {{ok}}"}]
            orders: [{say: Go, goto: b}]
        """,
        end=True,
    )
    assert errors(root) == [("E041", "ch1.yaml", 5, 14)]


def test_scene_with_nothing_to_do_is_an_error(tmp_path: Path) -> None:
    root = story(tmp_path, "chapter: 1\nscenes:\n  - {id: a, title: A}\n", end=True)
    assert ("E050", "ch1.yaml", 3, 5) in errors(root)


def test_order_without_goto(tmp_path: Path) -> None:
    root = story(
        tmp_path, "chapter: 1\nscenes:\n  - {id: a, title: A, orders: [{say: Go}]}\n", end=True
    )
    assert ("E051", "ch1.yaml", 3, 32) in errors(root)


def test_engagement_checks(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            engagement:
              danger: "trust and 1"
              at_risk: [nell]
              rounds: []
              orders: [{say: Hold, heeds: "yes"}]
              after: b
        """,
        end=True,
    )
    codes = [code for code, *_ in errors(root)]
    assert "E040" in codes and "E031" in codes and "E012" in codes


def test_yaml_syntax_error_has_a_place(tmp_path: Path) -> None:
    root = story(tmp_path, "chapter: 1\nscenes:\n  - id: a\n   title: [unclosed\n")
    [(code, name, line, _)] = errors(root)
    assert (code, name) == ("E001", "ch1.yaml")
    assert line >= 3


def test_hostile_files_are_refused_without_crashing(tmp_path: Path) -> None:
    story(tmp_path, "chapter: 1\nscenes:\n" + GOOD_END.lstrip("\n").replace("id: b", "id: a"))
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    write(tmp_path / "bomb.yaml", bomb)
    write(tmp_path / "deep.yaml", "[" * 60_000 + "]" * 60_000)
    write(tmp_path / "python.yaml", "x: !!python/object/apply:os.system ['true']\n")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    found = {name: code for code, name, _, _ in errors(tmp_path)}
    for name in ("bomb.yaml", "deep.yaml", "python.yaml", "binary.yaml", "loop.yaml"):
        assert found.get(name) == "E001", (name, found)


def test_text_is_sanitised_of_control_characters(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        'chapter: 1\nscenes:\n  - id: a\n    title: "A\\e[31m"\n    ending: end_x\n',
        MANIFEST.replace("title: T", 'title: "T\\e[2J"'),
    )
    loaded = load_story(root)
    assert "\x1b" not in loaded.title and "\u241b" in loaded.title
    assert "\x1b" not in loaded.scenes["a"].title


def test_load_story_raises_with_every_diagnostic(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        "chapter: 1\nscenes:\n  - {id: a, title: A, orders: [{say: x, goto: q}, {say: y, goto: r}]}\n",
    )
    with pytest.raises(StoryError) as info:
        load_story(root)
    assert len(info.value.diagnostics) == 2
    assert str(info.value).startswith("ch1.yaml:3:") or "ch1.yaml:3:" in str(info.value)


def test_missing_manifest_and_missing_folder(tmp_path: Path) -> None:
    assert errors(tmp_path) == [("E002", "story.yaml", 1, 1)]
    assert errors(tmp_path / "nope")[0][0] == "E002"


# --- every kind of declaration, driven by the format's table ------------------------------------

# One good entry of each list story.yaml may declare. Every other test below derives its cases
# from format.OBJECTS, so a kind of declaration added to the format is tested here too.
GOOD_ENTRIES: dict[str, dict[str, object]] = {
    "chapters": {"number": 1, "title": "One"},
    "variables": {"name": "trust", "type": "int", "default": 1, "min": 0, "max": 5},
    "pilots": {"id": "shin", "callsign": "Undertaker", "name": "Shinei Nouzen", "role": "Captain"},
    "evidence": {"id": "ev_a", "title": "A", "text": "a", "source": "radio"},
    "deductions": {"id": "de_a", "title": "D", "text": "d", "requires": ["ev_a", "ev_b"]},
    "endings": {"id": "end_x", "title": "X", "text": "It ends."},
    "tones": {"id": "warm", "title": "Kind"},
    "personas": {"id": "kind", "title": "K", "prefers": ["warm"]},
    "speakers": {"id": "vasseur", "tag": "Vasseur", "voice": "hq"},
}
DECLARED = [key for key, fld in OBJECTS["manifest"].items() if fld.kind.startswith("list:")]
SCENE_FILE = """
chapter: 1
evidence:
  - {id: ev_b, title: B, text: b, source: record}
scenes:
  - {id: a, title: A, orders: [{say: Go, tone: warm, goto: b}]}
  - {id: b, title: B, ending: end_x}
"""


def _item_kind(key: str) -> str:
    return OBJECTS["manifest"][key].kind.removeprefix("list:")


def declarations(tmp_path: Path, key: str, *entries: dict[str, object]) -> tuple[Path, int]:
    """A story whose `key` list holds `entries` (the good entry when none), one per line;
    returns it and the line of the list's first entry."""
    lists = {k: [v] for k, v in GOOD_ENTRIES.items()}
    lists[key] = list(entries) or lists[key]
    text = "id: t\ntitle: T\nstart: a\n"
    first = 0
    for name, items in lists.items():
        text += f"{name}:\n"
        if name == key:
            first = text.count("\n") + 1
        text += "".join(f"  - {json.dumps(item)}\n" for item in items)
    write(tmp_path / "story.yaml", text)
    write(tmp_path / "ch1.yaml", SCENE_FILE)
    return tmp_path, first


def test_the_declarations_story_loads_and_covers_every_declared_list(tmp_path: Path) -> None:
    assert sorted(GOOD_ENTRIES) == sorted(DECLARED)
    loaded = load_story(declarations(tmp_path, "endings")[0])
    assert loaded.warnings == ()
    assert loaded.deductions["de_a"].requires == ("ev_a", "ev_b")
    assert loaded.personas["kind"].prefers == ("warm",)


def _texts(kind: str) -> list[str]:
    return [k for k, f in OBJECTS[kind].items() if f.kind == "text" and k != "notes"]


@pytest.mark.parametrize("key", [k for k in DECLARED if _texts(_item_kind(k))])
def test_every_text_field_of_every_declaration_reaches_the_story_sanitised(
    tmp_path: Path, key: str
) -> None:
    kind = _item_kind(key)
    texts = _texts(kind)
    entry = {**GOOD_ENTRIES[key], **{k: f"{k} \x1b[31m of {kind}" for k in texts}}
    loaded = load_story(declarations(tmp_path, key, entry)[0])
    table = getattr(loaded, key)
    [declared] = [v for v in table.values() if getattr(v, texts[0]).startswith(texts[0])]
    for name in texts:
        assert getattr(declared, name) == f"{name} \u241b[31m of {kind}"


@pytest.mark.parametrize("key", DECLARED)
def test_every_declaration_declared_twice_is_an_error_at_the_second(
    tmp_path: Path, key: str
) -> None:
    good = GOOD_ENTRIES[key]
    root, first = declarations(tmp_path, key, good, good)
    assert errors(root) == [("E020", "story.yaml", first + 1, 5)]
    again = "is declared twice" if key == "chapters" else f"(first declared at story.yaml:{first}:5)"
    assert again in messages(root).replace(str(root) + "/", "")


@pytest.mark.parametrize(
    ("key", "field"),
    [(k, f) for k in DECLARED for f, spec in OBJECTS[_item_kind(k)].items() if spec.required],
)
def test_every_required_field_of_every_declaration_is_named_when_missing(
    tmp_path: Path, key: str, field: str
) -> None:
    entry = {k: v for k, v in GOOD_ENTRIES[key].items() if k != field}
    root, first = declarations(tmp_path, key, entry)
    _, diagnostics = check_story(root)
    assert (diagnostics[0].code, diagnostics[0].mark.line) == ("E011", first)
    assert f"missing required key '{field}'" in diagnostics[0].message


@pytest.mark.parametrize(
    ("key", "field"),
    [
        (k, f)
        for k in DECLARED
        for f, spec in OBJECTS[_item_kind(k)].items()
        if spec.kind in ("text", "bool") and f != "notes"
    ],
)
def test_every_text_or_true_false_field_of_a_declaration_checks_its_type(
    tmp_path: Path, key: str, field: str
) -> None:
    entry = {**GOOD_ENTRIES[key], field: ["not", "this"]}
    root, first = declarations(tmp_path, key, entry)
    [(code, name, line, column)] = errors(root)
    assert (code, name, line) == ("E012", "story.yaml", first)
    assert column == 5 + json.dumps(entry).index(f'"{field}"')


@pytest.mark.parametrize("key", DECLARED)
def test_an_unknown_key_in_any_declaration_is_named_with_a_hint(tmp_path: Path, key: str) -> None:
    known = next(iter(OBJECTS[_item_kind(key)]))
    root, first = declarations(tmp_path, key, {**GOOD_ENTRIES[key], f"{known}s": "x"})
    assert [e[:3] for e in errors(root)] == [("E010", "story.yaml", first)]
    assert f"unknown key '{known}s'" in messages(root)
    assert f"did you mean '{known}'?" in messages(root)


@pytest.mark.parametrize("key", [k for k in DECLARED if k != "chapters"])
def test_a_bad_id_in_any_declaration_is_refused(tmp_path: Path, key: str) -> None:
    id_key = "name" if key == "variables" else "id"
    root, first = declarations(tmp_path, key, {**GOOD_ENTRIES[key], id_key: "Not An Id"})
    _, diagnostics = check_story(root)
    assert (diagnostics[0].code, diagnostics[0].mark.line) == ("E012", first)
    assert f"'{id_key}' of a" in diagnostics[0].message and "must be an id" in diagnostics[0].message


@pytest.mark.parametrize("key", DECLARED)
def test_a_scene_file_declares_exactly_the_lists_the_format_allows_it(
    tmp_path: Path, key: str
) -> None:
    root, _ = declarations(tmp_path, key)
    # Named to be read after story.yaml, so that its entry is the second one.
    write(root / "zz_more.yaml", f"{key}:\n  - {json.dumps(GOOD_ENTRIES[key])}\n")
    [(code, name, line, column)] = errors(root)
    # Allowed there, the entry is read as a declaration (and duplicates the manifest's);
    # not allowed, the list is an unknown key of a scene file.
    expected = ("E020", 2, 5) if key in OBJECTS["scene_file"] else ("E010", 1, 1)
    assert (code, name, line, column) == (expected[0], "zz_more.yaml", *expected[1:])
