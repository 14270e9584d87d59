"""handler-one graph: Mermaid that the Mermaid parser accepts, DOT that Graphviz renders."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from game.engine.graph import edges, mermaid_text, to_dot, to_mermaid
from game.engine.loader import load_story
from tests.conftest import MINI, write

ROOT = Path(__file__).resolve().parent.parent
MERMAID_PREFIX = Path(os.environ.get("HANDLER_ONE_MERMAID", ROOT / ".cache" / "mermaid"))
PARSER = Path(__file__).parent / "tools" / "mermaid_parse.mjs"


def handler_one(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "game", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture
def awkward(tmp_path: Path) -> Path:
    """A story whose titles and orders hold every character that needs escaping."""
    write(
        tmp_path / "story.yaml",
        """
        id: awkward
        title: 'The "Awkward" <Story> #1'
        start: end
        chapters: [{number: 1, title: "Quotes \\" and | pipes"}, {number: 2, title: "[Two]"}]
        variables: [{name: trust, type: int, default: 1, min: 0, max: 5}]
        endings: [{id: end_x, title: "The end; {braces}"}]
        """,
    )
    write(
        tmp_path / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: end
            title: 'A "quoted" `tick` title #x; <b>'
            orders:
              - say: 'Say "hi" | <go> [now] {{x}} \\ back'
                if: trust >= 2 and trust < 4
                goto: subgraph
              - say: "Plain."
                goto:
                  - {if: "trust > 1", goto: subgraph}
                  - {weight: 2, goto: graph}
                  - {weight: 1, goto: graph}
          - id: subgraph
            title: Subgraph
            chapter: 2
            ending: end_x
          - id: graph
            title: Graph
            chapter: 2
            ending: end_x
        """,
    )
    return tmp_path


def check_mermaid_shape(text: str) -> None:
    """A structural check of the flowchart we emit (the real parser runs when installed)."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    depth = 0
    node = r"[A-Za-z_][A-Za-z0-9_]*"
    label = r'"[^"]*"'
    patterns = [
        rf"subgraph {node}\[{label}\]",
        r"end",
        rf"{node}(\[{label}\]|\(\[{label}\]\)|\{{\{{{label}\}}\}}|\(\({label}\)\))",
        rf"{node} (-->|-\.->)(\|{label}\|)? {node}",
        rf"classDef {node} [a-z:#0-9,\-]+",
        rf"class {node}(,{node})* {node}",
    ]
    for line in lines[1:]:
        stripped = line.strip()
        assert any(re.fullmatch(p, stripped) for p in patterns), stripped
        depth += stripped.startswith("subgraph ")
        depth -= stripped == "end"
        assert depth >= 0
    assert depth == 0
    assert not re.search(r"\bs?end\[", text), "'end' must never be a bare node id"


def test_mermaid_groups_chapters_marks_endings_and_labels_conditions() -> None:
    story = load_story(MINI)
    text = to_mermaid(story)
    check_mermaid_shape(text)
    assert 'subgraph ch_1["Chapter 1: Test Chapter"]' in text
    assert 's_end_scene_good(["END: Good End"])' in text
    assert "class s_end_scene_good,s_end_scene_bad ending" in text
    assert 's_fight{{"Riverbed (3 rounds)"}}' in text  # the engagement is one node
    assert text.count("s_fight") >= 3
    assert 's_first_contact -.->|"2. What\'s your name? [if not knows(shin)]"| s_fight' in text
    assert '|"after round 3 → if fallen_count() #gt;= 2"| s_end_scene_bad' in text


def test_conditional_orders_and_branches_are_marked() -> None:
    story = load_story(MINI)
    conditional = {(e.target, e.label) for e in edges(story) if e.conditional}
    assert ("s_fight", "2. What's your name? [if not knows(shin)]") in conditional
    assert ("s_end_scene_bad", "after round 3 → if fallen_count() >= 2") in conditional
    plain = [e for e in edges(story) if not e.conditional]
    assert any(e.label == "1. Report status." for e in plain)


def test_mermaid_escapes_what_would_break_it(awkward: Path) -> None:
    text = to_mermaid(load_story(awkward))
    check_mermaid_shape(text)
    assert "#quot;hi#quot; #124; #lt;go#gt;" in text
    assert mermaid_text('a"b') == "a#quot;b"


def _mermaid_parser() -> Path | None:
    if shutil.which("node") is None:
        return None
    if not (MERMAID_PREFIX / "node_modules" / "mermaid").is_dir():
        return None
    if not (MERMAID_PREFIX / "node_modules" / "jsdom").is_dir():
        return None
    target = MERMAID_PREFIX / "mermaid_parse.mjs"
    shutil.copyfile(PARSER, target)
    return target


@pytest.mark.parametrize("which", ["mini", "awkward", "broken"])
def test_the_real_mermaid_parser_accepts_it(which: str, awkward: Path) -> None:
    parser = _mermaid_parser()
    if parser is None:
        reason = (
            f"Node or the mermaid/jsdom packages are missing in {MERMAID_PREFIX} "
            "(make test installs them with npm)"
        )
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    story = {"mini": MINI, "awkward": awkward, "broken": awkward}[which]
    text = to_mermaid(load_story(story))
    if which == "broken":  # and it does reject a broken chart, so the check means something
        text = text.replace("-->|", "-->|unclosed ", 1).replace('"|', '"', 1)
    path = awkward / f"{which}.mmd"
    path.write_text(text)
    result = subprocess.run(
        ["node", str(parser), str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    if which == "broken":
        assert result.returncode == 1, result.stdout
    else:
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.startswith("ok flowchart")


@pytest.mark.parametrize("which", ["mini", "awkward"])
def test_graphviz_renders_the_dot(which: str, awkward: Path, tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        reason = "Graphviz 'dot' is not installed (make test installs it with apt-get)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    story = load_story(MINI if which == "mini" else awkward)
    result = subprocess.run(
        ["dot", "-Tsvg"], input=to_dot(story), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout
    assert result.stderr == ""


def test_dot_shape() -> None:
    text = to_dot(load_story(MINI))
    assert text.startswith("digraph story {")
    assert 'subgraph cluster_ch_1 {\n        label="Chapter 1: Test Chapter";' in text
    assert 's_end_scene_good [label="END: Good End", shape=box, peripheries=2' in text
    assert 's_fight [label="Riverbed (3 rounds)", shape=hexagon' in text
    assert (
        's_first_contact -> s_fight [label="2. What\'s your name? [if not knows(shin)]", '
        "style=dashed];"
    ) in text


def test_cli_writes_and_prints(tmp_path: Path) -> None:
    printed = handler_one("graph", str(MINI))
    assert printed.returncode == 0
    assert printed.stdout.startswith("flowchart TD")
    out = tmp_path / "story.dot"
    written = handler_one("graph", "-o", str(out), str(MINI))
    assert written.returncode == 0
    assert out.read_text().startswith("digraph story {")  # the .dot suffix picks the format
    explicit = handler_one("graph", "--format", "dot", str(MINI))
    assert explicit.stdout == out.read_text()
    bad = handler_one("graph", "--format", "png", str(MINI))
    assert bad.returncode == 2
