"""The one-pass YAML loader builds exactly what the two-pass path builds, or steps aside.

`load_yaml` tries `_load_plain` (events straight to data) and falls back to the event check plus
PyYAML's composer and constructor. These tests load the same text both ways and compare data,
types, marks, and errors, on every scene file we ship, the fixtures, a generated story, and
random documents.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from game.engine import yamlsafe
from game.engine.yamlsafe import MarkedDict, MarkedList, YamlProblem
from game.paths import scenes_dir
from tests.perf.generate import generate

FIXTURES = Path(__file__).parent / "fixtures"


def two_pass(text: str, path: str = "f.yaml") -> Any:
    yamlsafe._check_events(text, path)
    return yaml.load(text, Loader=yamlsafe._make_loader(path))  # noqa: S506


def outcome(load: Any, text: str) -> tuple[str, Any]:
    try:
        return "ok", shape(load(text))
    except YamlProblem as exc:
        return "problem", (exc.mark, exc.message)
    except yaml.YAMLError as exc:
        return "yaml-error", type(exc).__name__
    except RecursionError:
        return "recursion", None


def shape(value: Any) -> Any:
    """Everything that matters about loaded data: types, values, and every mark."""
    if isinstance(value, MarkedDict):
        return (
            "map",
            value.mark,
            [(shape(k), shape(v), value.key_marks[k]) for k, v in value.items()],
        )
    if isinstance(value, MarkedList):
        return ("seq", value.mark, [shape(v) for v in value], list(value.item_marks))
    return (type(value).__name__, value)


def fast_or_two_pass(text: str, path: str = "f.yaml") -> Any:
    data = yamlsafe._load_plain(text, path)
    return two_pass(text, path) if data is yamlsafe._NOT_PLAIN else data


def assert_same(text: str) -> None:
    assert outcome(fast_or_two_pass, text) == outcome(two_pass, text), text


def yaml_files() -> list[Path]:
    found = sorted(scenes_dir().rglob("*.yaml")) + sorted(FIXTURES.rglob("*.yaml"))
    return [p for p in found if p.is_file() and not p.is_symlink()]


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(p.parents[1])))
def test_every_yaml_file_we_ship_loads_the_same_both_ways(path: Path) -> None:
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8: load_yaml refuses it before either path")
    assert_same(text)


def test_scene_files_without_anchors_take_the_one_pass_path() -> None:
    # Otherwise the speed-up silently disappears. (Files with anchors, as some shipped chapters
    # have, take the two-pass path, which counts what their aliases expand to.)
    plain = [p for p in sorted(scenes_dir().rglob("*.yaml")) if "&" not in p.read_text()]
    assert plain
    for path in plain:
        text = path.read_text(encoding="utf-8")
        assert yamlsafe._load_plain(text, str(path)) is not yamlsafe._NOT_PLAIN, path


def test_a_generated_story_loads_the_same_both_ways(tmp_path: Path) -> None:
    generate(tmp_path, scenes=120, words=30_000)
    for path in sorted(tmp_path.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert yamlsafe._load_plain(text, "f.yaml") is not yamlsafe._NOT_PLAIN
        assert_same(text)


CASES = [
    "",
    "# only a comment\n",
    "---\n",
    "---\na: 1\n...\n",
    "a: 1\n---\nb: 2\n",
    "plain scalar",
    "- a\n- b\n",
    "a: [1, 2, {b: c}]\n",
    "a: {b: [c, {d: e}]}\n",
    "yes: no\non: off\n~: null\n",
    "a: 0x1F\nb: 0o17\nc: 1_000\nd: 1:30\ne: -.5\nf: .inf\ng: .NaN\n",
    "a: 2024-01-02\nb: 2024-01-02 10:00:00\n",
    "a: '1'\nb: \"true\"\nc: |\n  block\nd: >\n  folded\n",
    "a: 1\na: 2\n",
    "1: a\ntrue: b\n1.0: c\n",
    "? [a, b]\n: c\n",
    "? {a: b}\n: c\n",
    "a: &x 1\nb: *x\n",
    "a: &x [1, 2]\nb: *x\n",
    "<<: {a: 1}\nb: 2\n",
    "base: &b {a: 1}\nderived:\n  <<: *b\n  c: 2\n",
    "=: value\n",
    "a: !!str 1\n",
    "a: !!python/name:os.system\n",
    "a: !custom x\n",
    "a: ! x\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!set {x, y}\n",
    "a: [1, 2\n",
    "a: b: c\n",
    "\tkey: value\n",
    "a:\n  - b\n  -\n  - c: \n",
    "- - - - x\n",
    "[a: b, c: d]\n",
    "{a: 1, a: 2}\n",
    "a: 1\n\x00",
    "a: 'unterminated\n",
    "[" * 70 + "]" * 70,
    "- " * 70 + "x\n",
    "[" * 70 + "a: &x 1" + "]" * 70,
    "a: [" + "[" * 80 + "\n",
    "a: x\nb: [1, *y]\n",
    "%YAML 1.1\n---\na: 1\n",
    "%TAG ! tag:example.com,2000:\n---\na: !foo 1\n",
]


@pytest.mark.parametrize("text", CASES)
def test_edge_cases_load_the_same_both_ways(text: str) -> None:
    assert_same(text)


def test_depth_is_refused_at_the_same_place_both_ways() -> None:
    for text in (
        "[" * 65 + "]" * 65,
        "- " * 65 + "x\n",
        "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 70)),
    ):
        fast = outcome(fast_or_two_pass, text)
        assert fast == outcome(two_pass, text)
        assert fast[0] == "problem" and "nesting deeper" in fast[1][1]


# Random documents: data dumped in several styles, then randomly damaged.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["yes", "no", "on", "~", "1:30", "0x10", "<<", "=", "2020-01-01", ""]),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=6), st.integers(0, 9)), children, max_size=4),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(documents, st.booleans(), st.integers(0, 2**32 - 1), st.integers(0, 3))
def test_random_documents_load_the_same_both_ways(
    data: Any, flow: bool, seed: int, damage: int
) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    rng = random.Random(seed)
    for _ in range(damage):
        position = rng.randrange(len(text) + 1)
        text = (
            text[:position]
            + rng.choice(["&a ", "*a", "!!str ", ":", "- ", "[", "}", "\n  "])
            + text[position:]
        )
    assert_same(text)
