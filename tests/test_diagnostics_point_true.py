"""Diagnostics that point true (issue 17): columns inside conditions whatever the quoting, one
root cause reported once, warnings printed beside errors, and YAML syntax errors explained.

Each is checked over generated classes of input: conditions with a misspelt name at random
places in plain, 'single', "double" and `|` block values; declarations broken in each way a
declaration can be broken; syntax mistakes on random lines."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from game.engine.diagnostics import Diagnostic
from game.engine.loader import check_story
from game.engine.validate import validate
from tests.conftest import MINI, write

ROOT = Path(__file__).resolve().parent.parent


def copy_of_mini(tmp_path: Path) -> Path:
    target = tmp_path / "story"
    shutil.copytree(MINI, target)
    return target


def side(root: Path, text: str) -> Path:
    return write(root / "side.yaml", text)


def errors_of(root: Path) -> list[Diagnostic]:
    _, diagnostics = check_story(root)
    return [d for d in diagnostics if d.severity == "error"]


SCENE = """\
chapter: 1
scenes:
  - id: side_a
    title: Side
    radio:
      - shin: "Hello."
{line_if}
    orders:
      - say: "Go."
{order_if}
        goto: first_contact
"""

# Conditions that hold, to surround the misspelt name with; all parse and type-check.
GOOD = ["trust > 1", "not link_closed", "has(ev_bulletin)", "alive(nell)", "standing - trust < 3"]


def _condition(rng: random.Random, bad: str) -> tuple[str, int]:
    """A condition with `bad` (an undeclared name) among good parts; and where `bad` starts."""
    parts = [rng.choice(GOOD) for _ in range(rng.randint(0, 4))]
    at = rng.randint(0, len(parts))
    parts.insert(at, f"{bad} > 1")
    text = " and ".join(f"({p})" if rng.random() < 0.3 else p for p in parts)
    return text, text.index(f"{bad} > 1")


def _written(style: str, condition: str, indent: int) -> tuple[list[str], int, int]:
    """`if:` with the condition in `style`, as lines at `indent`; and the line (0-based, among
    these) and column (0-based) where the condition's first character is written."""
    pad = " " * indent
    if style == "plain":
        return [f"{pad}if: {condition}"], 0, indent + 4
    if style == "single":
        return [f"{pad}if: '{condition}'"], 0, indent + 5
    if style == "double":
        return [f'{pad}if: "{condition}"'], 0, indent + 5
    return [f"{pad}if: |", f"{pad}  {condition}"], 1, indent + 2  # a literal block


@pytest.mark.parametrize("style", ["plain", "single", "double", "block"])
@pytest.mark.parametrize("place", ["line", "order"])
def test_a_misspelt_name_in_a_condition_is_pointed_at(
    tmp_path: Path, style: str, place: str
) -> None:
    rng = random.Random(f"{style}-{place}")
    for attempt in range(12):
        root = copy_of_mini(tmp_path / str(attempt))
        bad = rng.choice(["trustt", "shin_trustt", "standng", "linked"])
        condition, offset = _condition(rng, bad)
        lines, row, column = _written(style, condition, 8 if place == "order" else 8)
        text = SCENE.format(
            line_if="\n".join(lines) if place == "line" else "",
            order_if="\n".join(lines) if place == "order" else "",
        ).replace("\n\n", "\n")
        path = side(root, text)
        written = path.read_text().splitlines()
        first = next(i for i, line in enumerate(written) if line.lstrip().startswith("if:"))
        [error] = errors_of(root)
        assert error.code == "E040", error
        assert (error.mark.line, error.mark.column) == (first + row + 1, column + offset + 1), (
            f"{error} for {condition!r}"
        )
        assert written[error.mark.line - 1][error.mark.column - 1 :].startswith(bad)


def test_escapes_and_doubled_quotes_before_the_name_are_counted(tmp_path: Path) -> None:
    for number, (value, bad_at) in enumerate(
        [
            ("\"status(shin) == \\\"active\\\" and trustt > 1\"", "trustt"),
            ("'status(shin) == ''active'' and trustt > 1'", "trustt"),
            ("\"status(shin) == '\\x61ctive' and trustt > 1\"", "trustt"),
        ]
    ):
        root = copy_of_mini(tmp_path / str(number))
        path = side(root, SCENE.format(line_if="", order_if=f"        if: {value}"))
        [error] = errors_of(root)
        line = path.read_text().splitlines()[error.mark.line - 1]
        assert line[error.mark.column - 1 :].startswith(bad_at), (error, line)


def test_a_condition_over_several_lines_is_traced_to_its_line(tmp_path: Path) -> None:
    root = copy_of_mini(tmp_path)
    path = side(
        root,
        SCENE.format(
            line_if="",
            order_if="        if: trust > 1 and\n          not link_closed and\n          trustt > 2",
        ),
    )
    [error] = errors_of(root)
    line = path.read_text().splitlines()[error.mark.line - 1]
    assert line[error.mark.column - 1 :].startswith("trustt"), (error, line)


def test_a_folded_block_points_at_the_value(tmp_path: Path) -> None:
    root = copy_of_mini(tmp_path)
    path = side(root, SCENE.format(line_if="", order_if="        if: >\n          trustt > 2"))
    [error] = errors_of(root)
    line = path.read_text().splitlines()[error.mark.line - 1]
    assert line[error.mark.column - 1 :].startswith(">"), (error, line)


@pytest.mark.parametrize(
    ("condition", "bad"),
    [
        ("trust > 1 and has(ev_bulletn)", "ev_bulletn"),
        ("alive(nel) or knows(shin)", "nel"),
        ("seen(first_contact) and visits(nowhere) > 1", "nowhere"),
        ("deduced(de_peple)", "de_peple"),
    ],
)
def test_a_bad_id_in_a_function_is_pointed_at_not_the_key(
    tmp_path: Path, condition: str, bad: str
) -> None:
    root = copy_of_mini(tmp_path)
    path = side(root, SCENE.format(line_if="", order_if=f'        if: "{condition}"'))
    [error] = errors_of(root)
    line = path.read_text().splitlines()[error.mark.line - 1]
    assert line[error.mark.column - 1 :].startswith(bad), (error, line)


def test_a_condition_that_can_never_be_true_is_warned_at_its_if(tmp_path: Path) -> None:
    root = copy_of_mini(tmp_path)
    path = side(
        root,
        SCENE.format(
            line_if="        if: trust > 9",
            order_if="        if: trust > 7 and trust < 2",
        ),
    )
    lines = path.read_text().splitlines()
    warned = [d for d in validate(root) if d.code == "W018"]
    assert len(warned) == 2
    for warning in warned:
        assert lines[warning.mark.line - 1][warning.mark.column - 1 :].startswith("if:")


# --- one root cause, reported once ---------------------------------------------------------------

USES = """\
chapter: 1
{declarations}
scenes:
  - id: side_a
    title: Side
    radio:
      - shin: "{{side_count}} crates."
        if: side_count > 3 and has(ev_side)
      - nell: "Again."
        if: has(ev_side) or side_count == 0
    orders:
      - say: "Go."
        if: not has(ev_side) and side_count < 30
        effects: {{reveal: ev_side, add: {{side_count: 1}}, set: {{side_count: 2}}}}
        goto: first_contact
      - say: "Stay."
        if: has(ev_side)
        goto: side_a
"""
GOOD_VARIABLE = "{name: side_count, type: int, default: 24}"
GOOD_EVIDENCE = "{id: ev_side, title: Manifest, text: Counts., source: record}"


@pytest.mark.parametrize(
    ("variable", "evidence", "code"),
    [
        ('{name: side_count, type: int, default: "24"}', GOOD_EVIDENCE, "E012"),
        ("{name: side_count, type: int, default: true}", GOOD_EVIDENCE, "E012"),
        ("{name: side_count, type: integer, default: 24}", GOOD_EVIDENCE, "E013"),
        ("{name: side_count, type: int, default: 24, min: 30}", GOOD_EVIDENCE, "E013"),
        ("{name: side_count, type: int, default: 24, max: x}", GOOD_EVIDENCE, "E012"),
        ("{name: Side_Count, type: int, default: 24}", GOOD_EVIDENCE, "E012"),
        (GOOD_VARIABLE, "{id: ev_side, title: M, text: C., source: rumour}", "E013"),
        (GOOD_VARIABLE, "{id: ev_side, title: M, text: C.}", "E013"),
        (GOOD_VARIABLE, "{id: Ev_Side, title: M, text: C., source: record}", "E012"),
    ],
)
def test_a_broken_declaration_is_one_error_not_one_per_use(
    tmp_path: Path, variable: str, evidence: str, code: str
) -> None:
    root = copy_of_mini(tmp_path)
    text = USES.format(declarations=f"variables:\n  - {variable}\nevidence:\n  - {evidence}")
    if "Side_Count" in variable:
        text = text.replace("side_count", "Side_Count")
    if "Ev_Side" in evidence:
        text = text.replace("ev_side", "Ev_Side")
    side(root, text)
    found = errors_of(root)
    codes = [d.code for d in found]
    # The declaration's own error (a missing key adds E011 beside it); never an error at a use.
    assert code in codes, found
    assert all(d.mark.line <= 5 for d in found), "\n".join(map(str, found))


def test_a_variable_redeclared_in_a_side_file_is_the_one_error(tmp_path: Path) -> None:
    """story.yaml is declared first whatever the files are called, so the side file's
    redeclaration is the duplicate: one error there, none in the chapters that use it."""
    root = copy_of_mini(tmp_path)
    for name in ("a_side.yaml", "side.yaml", "zz_side.yaml"):
        path = write(
            root / name,
            "chapter: 1\nvariables:\n  - {name: trust, type: bool, default: false}\n",
        )
        [error] = errors_of(root)
        assert (error.code, Path(error.mark.path).name, error.mark.line) == ("E020", name, 3)
        assert "story.yaml" in error.message
        path.unlink()


# --- warnings with errors --------------------------------------------------------------------------


def test_warnings_are_printed_and_counted_beside_errors(tmp_path: Path) -> None:
    root = copy_of_mini(tmp_path)
    side(
        root,
        """\
        chapter: 1
        scenes:
          - id: side_a
            title: Side
            orders:
              - say: "Go."
                words: [help]
                if: trust > 9
                goto: nowhere_at_all
        """,
    )
    result = subprocess.run(
        [sys.executable, "-m", "game", "validate", str(root)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 1
    out = result.stdout
    assert "error: no scene 'nowhere_at_all'" in out
    assert "warning: the condition 'trust > 9'" in out and "[W018]" in out
    assert "[W021]" in out
    assert "once the errors are fixed" in out
    assert out.rstrip().endswith("failed: 1 error(s), 2 warning(s)")


# --- YAML syntax, explained ------------------------------------------------------------------------

BODY = [
    "chapter: 1",
    "scenes:",
    "  - id: side_a",
    "    title: Side",
    "    radio:",
    '      - shin: "Hello."',
    '      - nell: "Again."',
    "    orders:",
    '      - say: "Go."',
    "        goto: first_contact",
]


def _broken(rng: random.Random, kind: str) -> tuple[list[str], int, str]:
    """The body with one mistake of `kind` on a random line; the 1-based line to point at
    and a word the message must hold."""
    lines = list(BODY)
    if kind == "tab":
        row = rng.randint(2, len(lines) - 1)
        indent = len(lines[row]) - len(lines[row].lstrip())
        lines[row] = "\t" + lines[row][indent:] if indent else lines[row]
        return lines, row + 1, "tab"
    if kind == "quote":
        row = rng.choice([5, 6, 8])
        lines[row] = lines[row].rstrip('"')
        return lines, row + 1, "never closed"
    if kind == "item":
        row = rng.choice([6])
        lines[row] = " " + lines[row]
        return lines, row + 1, "lined up"
    row = rng.choice([3, 8])
    lines[row] = lines[row].rstrip('"').replace('"', "") + ": more"
    return lines, row + 1, "quotes"


@pytest.mark.parametrize("kind", ["tab", "quote", "item", "colon"])
def test_yaml_syntax_errors_say_the_cause_and_the_fix(tmp_path: Path, kind: str) -> None:
    rng = random.Random(kind)
    for attempt in range(6):
        root = copy_of_mini(tmp_path / str(attempt))
        lines, row, word = _broken(rng, kind)
        if lines == BODY:
            continue
        (root / "side.yaml").write_text("\n".join(lines) + "\n")
        [error] = errors_of(root)
        assert error.code == "E001"
        assert word in error.message, error
        assert error.mark.line == row, (error, lines)
