"""validate's checks beyond the loader: each one tripped by a small broken story, with its code
and its place (file, line, column)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from game.engine.analysis import Ranges, WitnessDiagnostic, can_be_true
from game.engine.conditions import parse
from game.engine.loader import load_story
from game.engine.validate import validate
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
endings:
  - {id: end_one, title: One}
"""

BASE = """
chapter: 1
scenes:
  - id: a
    title: A
    radio:
      - shin: "Handler One."
    orders:
      - say: "Go."
        if: trust < 5
        effects: {add: {trust: 1}}
        goto: b
      - say: "Wait."
        goto: b
  - id: b
    title: B
    ending: end_one
"""


def story(tmp_path: Path, side: str | None = None, manifest: str = MANIFEST) -> Path:
    """The clean base story, plus `side.yaml` when given."""
    write(tmp_path / "story.yaml", manifest)
    write(tmp_path / "ch1.yaml", BASE)
    if side is not None:
        write(tmp_path / "side.yaml", side)
    return tmp_path


def found(root: Path, code: str, **kwargs: int) -> list[tuple[str, int, int]]:
    """(file name, line, column) of each diagnostic with `code`."""
    return [
        (Path(d.mark.path).name, d.mark.line, d.mark.column)
        for d in validate(root, **kwargs)
        if d.code == code
    ]


def test_the_base_story_is_clean(tmp_path: Path) -> None:
    assert validate(story(tmp_path)) == []


def test_the_fixture_story_is_clean_but_for_the_order_only_presets_open() -> None:
    """The fixture's "Read the ledger." needs a deduction no game can have in the first scene
    (tests give it with `--set`): verify proves it, and that is the one warning."""
    [only] = validate(MINI)
    assert (only.code, Path(only.mark.path).name, only.mark.line, only.mark.column) == (
        "W024",
        "ch1.yaml",
        23,
        9,
    )
    assert 'no game lets the player give the order "Read the ledger."' in only.message
    assert "deduced(de_people) is always false" in only.message


def test_unreachable_scene(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        scenes:
          - id: orphan
            title: Nobody Comes Here
            orders:
              - {say: "Back.", goto: b}
        """,
    )
    assert found(root, "W010") == [("side.yaml", 2, 5)]


def test_ending_no_scene_uses(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        endings:
          - {id: end_lost, title: Lost}
        """,
    )
    assert found(root, "W011") == [("side.yaml", 2, 5)]


def test_ending_only_in_unreachable_scenes(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        endings:
          - {id: end_lost, title: Lost}
        scenes:
          - id: lost
            title: Lost
            ending: end_lost
        """,
    )
    assert found(root, "W011") == [("side.yaml", 2, 5)]
    assert ("side.yaml", 4, 5) in found(root, "W010")


def test_dead_end_no_order_available_with_witness(tmp_path: Path) -> None:
    write(tmp_path / "story.yaml", MANIFEST)
    write(
        tmp_path / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - {say: "Fine.", goto: b}
              - {say: "Ask.", goto: stuck}
          - id: stuck
            title: Stuck
            orders:
              - say: "Only with trust."
                if: trust >= 3
                goto: b
          - id: b
            title: B
            ending: end_one
        """,
    )
    diagnostics = [d for d in validate(tmp_path) if d.code == "E060"]
    assert [(Path(d.mark.path).name, d.mark.line, d.mark.column) for d in diagnostics] == [
        ("ch1.yaml", 8, 5)
    ]
    dead = diagnostics[0]
    assert dead.severity == "error"
    assert isinstance(dead, WitnessDiagnostic)
    assert dead.witness == (("a", 1),)
    assert dead.numbers == (2,)
    assert "give orders 2" in dead.message


def test_dead_end_every_branch_dropped(tmp_path: Path) -> None:
    root = story(tmp_path)
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - say: "Go."
                goto:
                  - {if: trust > 3, goto: b}
                  - {if: trust == 0, goto: b}
          - id: b
            title: B
            ending: end_one
        """,
    )
    diagnostics = [d for d in validate(root) if d.code == "E061"]
    assert [(Path(d.mark.path).name, d.mark.line, d.mark.column) for d in diagnostics] == [
        ("ch1.yaml", 6, 9)
    ]
    assert isinstance(diagnostics[0], WitnessDiagnostic)
    assert diagnostics[0].witness == ()
    assert diagnostics[0].numbers == (1,)


def test_possible_dead_end_when_the_search_budget_runs_out(tmp_path: Path) -> None:
    write(tmp_path / "story.yaml", MANIFEST)
    write(
        tmp_path / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - {say: "Up.", effects: {add: {trust: 1}}, goto: a}
              - {say: "On.", goto: c}
          - id: c
            title: C
            orders:
              - {say: "Only with trust.", if: trust >= 4, goto: b}
          - id: b
            title: B
            ending: end_one
        """,
    )
    assert found(tmp_path, "W020", max_states=1) == [("ch1.yaml", 8, 5)]
    # with room to search, the real dead end is found with its witness instead
    assert found(tmp_path, "E060") == [("ch1.yaml", 8, 5)]
    assert found(tmp_path, "W020") == []


def test_variable_declared_but_never_used(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        variables:
          - {name: unused_flag, type: bool, default: false}
        """,
    )
    assert found(root, "W012") == [("side.yaml", 2, 5)]


def test_variable_read_but_never_set(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        variables:
          - {name: callsign, type: text, default: "Handler One"}
        scenes:
          - id: side
            title: "For {callsign}"
            orders:
              - {say: "Back.", goto: b}
        """,
    )
    assert found(root, "W013") == [("side.yaml", 2, 5)]


def test_evidence_declared_but_never_used(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        evidence:
          - {id: ev_lost, title: Lost, text: "Never found.", source: record}
        """,
    )
    assert found(root, "W014") == [("side.yaml", 2, 5)]


def test_evidence_asked_about_but_never_revealed(tmp_path: Path) -> None:
    manifest = MANIFEST + (
        "evidence:\n"
        "  - {id: ev_a, title: A, text: a, source: radio}\n"
        "  - {id: ev_b, title: B, text: b, source: radio}\n"
        "deductions:\n"
        "  - {id: de_ab, title: AB, text: ab, requires: [ev_a, ev_b]}\n"
    )
    root = story(
        tmp_path,
        """
        scenes:
          - id: side
            title: Side
            enter: {reveal: ev_a}
            orders:
              - {say: "Back.", goto: b}
        """,
        manifest,
    )
    assert found(root, "W015") == [("story.yaml", 13, 5)]


def test_pilot_declared_but_never_used(tmp_path: Path) -> None:
    manifest = MANIFEST.replace(
        "pilots:\n", "pilots:\n  - {id: ghost, callsign: Ghost, name: Nobody}\n"
    )
    root = story(tmp_path, manifest=manifest)
    assert found(root, "W016") == [("story.yaml", 8, 5)]


def test_pilot_name_asked_but_never_learned(tmp_path: Path) -> None:
    root = story(tmp_path)
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - say: "Shin?"
                if: knows(shin)
                goto: b
              - {say: "Go.", goto: b}
          - id: b
            title: B
            ending: end_one
        """,
    )
    # At the `if` that asks, not the order holding it.
    assert found(root, "W017") == [("ch1.yaml", 7, 9)]


def test_condition_that_can_never_be_true(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        scenes:
          - id: side
            title: Side
            radio:
              - shin: "Never said."
                if: trust > 3 and trust < 2
            orders:
              - say: "Impossible."
                if: trust >= 6
                goto: b
              - say: "Fine."
                goto: b
        """,
    )
    diagnostics = [d for d in validate(root) if d.code == "W018"]
    # Each at its `if`, not at the line or order that holds it.
    assert [(Path(d.mark.path).name, d.mark.line, d.mark.column) for d in diagnostics] == [
        ("side.yaml", 6, 9),
        ("side.yaml", 9, 9),
    ]
    assert "trust is 0..5" in diagnostics[1].message


def test_typed_word_on_two_always_available_orders(tmp_path: Path) -> None:
    root = story(tmp_path)
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - {say: "Report.", words: [report, status], goto: b}
              - {say: "Report again.", words: [again, report], goto: b}
          - id: b
            title: B
            ending: end_one
        """,
    )
    diagnostics = [d for d in validate(root) if d.code == "E062"]
    assert [(Path(d.mark.path).name, d.mark.line, d.mark.column) for d in diagnostics] == [
        ("ch1.yaml", 7, 9)
    ]
    assert diagnostics[0].severity == "error"
    assert "'report'" in diagnostics[0].message


def test_typed_word_on_two_orders_that_may_be_offered_together(tmp_path: Path) -> None:
    root = story(tmp_path)
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - {say: "Report.", words: [report], goto: b}
              - {say: "Report well.", words: [report], if: trust > 2, goto: b}
          - id: b
            title: B
            ending: end_one
        """,
    )
    assert found(root, "W019") == [("ch1.yaml", 7, 9)]
    assert found(root, "E062") == []


def test_a_typed_word_that_line_mode_keeps_as_a_command(tmp_path: Path) -> None:
    root = story(tmp_path)
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - {say: "Report.", words: [report, status], goto: b}
              - {say: "Help them.", words: [assist], goto: b}
          - id: b
            title: B
            ending: end_one
        """,
    )
    diagnostics = [d for d in validate(root) if d.code == "W021"]
    assert [(Path(d.mark.path).name, d.mark.line) for d in diagnostics] == [("ch1.yaml", 6)]
    assert "'status'" in diagnostics[0].message and "Report." in diagnostics[0].message


def test_interpolation_of_an_undeclared_name_is_still_an_error(tmp_path: Path) -> None:
    root = story(
        tmp_path,
        """
        scenes:
          - id: side
            title: Side
            radio:
              - shin: "Hello, {handler_nmae}."
            orders:
              - {say: "Back.", goto: b}
        """,
    )
    diagnostics = [d for d in validate(root) if d.code == "E041"]
    assert [(Path(d.mark.path).name, d.mark.line, d.mark.column) for d in diagnostics] == [
        ("side.yaml", 5, 9)
    ]


def test_yaml_booleans_in_typed_words_are_refused(tmp_path: Path) -> None:
    root = story(tmp_path)
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - {say: "No.", words: [no], goto: b}
          - id: b
            title: B
            ending: end_one
        """,
    )
    assert found(root, "E013") == [("ch1.yaml", 6, 22)]


@pytest.mark.parametrize(
    ("condition", "possible"),
    [
        ("trust > 3 and trust < 2", False),
        ("trust >= 6", False),
        ("trust - 1 > 4", False),
        ("trust + 1 > 5", True),
        ("not (link or not link)", False),
        ("link and not link", False),
        ("link == true and link == false", False),
        ("alive(shin) and status(shin) == 'killed'", False),
        ("status(shin) == 'missing' or status(shin) == 'killed'", True),
        ("fallen_count() > 1", False),
        ("visits(a) > 100", True),
        ("losses(a) > 1", False),
        ("losses(a) >= 1 and trust > 4", True),
        ("1 > 2", False),
        ("true", True),
        ("has(ev_a) and not has(ev_a)", False),
        ("(trust > 2 or link) and trust < 1 and not link", False),
    ],
)
def test_interval_reasoning(tmp_path: Path, condition: str, possible: bool) -> None:
    manifest = MANIFEST.replace(
        "variables:\n", "variables:\n  - {name: link, type: bool, default: false}\n"
    ) + ("evidence:\n  - {id: ev_a, title: A, text: a, source: radio}\n")
    loaded = load_story(story(tmp_path, manifest=manifest))
    assert can_be_true(parse(condition), Ranges(loaded)) is possible


def test_validate_json_carries_the_witness(tmp_path: Path) -> None:
    root = story(tmp_path)
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - {say: "Go.", goto: [{if: trust > 3, goto: b}]}
          - id: b
            title: B
            ending: end_one
        """,
    )
    result = subprocess.run(
        [sys.executable, "-m", "game", "validate", "--json", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    data = json.loads(result.stdout)
    dead = [d for d in data if d["code"] == "E061"]
    assert dead and dead[0]["witness"] == [] and dead[0]["numbers"] == [1]
    assert dead[0]["line"] == 6 and dead[0]["column"] == 9
