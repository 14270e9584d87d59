"""The loader: every kind of mistake is reported with its code and its place."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from game.engine.diagnostics import StoryError
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
    assert errors(root) == [("E030", "ch1.yaml", 7, 9)]
    assert "did you mean 'b'" in messages(root)


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
    # The key 'if' starts at column 28; '&&' is 11 characters into the condition.
    assert column == 28 + 11


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
