"""Authors' views of a story: `stats --by file|chapter`, and `graph --chapter N` / `graph --around
SCENE --depth K` with labels that show `{name}` as written, on generated stories as well as the
fixture and the shipped one."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.cli import main
from game.engine import graph
from game.engine.graph import Part, around_part, bundles, chapter_part, edges, node_id
from game.engine.loader import load_story
from game.engine.model import Story
from game.engine.stats import stats_by, story_stats
from game.paths import scenes_dir
from tests.conftest import MINI, mini, shipped
from tests.test_graph import _mermaid_parser

# `make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs many more examples. Explicit settings, not a
# profile: loading a profile here would change every other module's budget too.
EXAMPLES = settings(
    max_examples=1000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def handler_one(*args: str) -> tuple[int, str, str]:
    """Run the command in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(args))
        except SystemExit as exc:  # argparse's own refusals
            status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


def one_clean_line(text: str) -> bool:
    lines = text.split("\n")
    bad = {ch for ch in text if unicodedata.category(ch) in ("Cc", "Cs") and ch != "\n"}
    return len(lines) == 2 and lines[1] == "" and bool(lines[0].strip()) and not bad


# --- generated stories --------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A story to write: scenes spread over files and chapters, orders leading anywhere."""

    files: tuple[int, ...]  # scene i is written in file files[i]
    chapters: tuple[int, ...]  # ... and belongs to chapter chapters[i]
    gotos: tuple[tuple[int, ...], ...]  # the scenes its orders lead to; () makes it an ending
    said: tuple[str, ...]  # what its orders say (one text reused by each of its orders)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    n = draw(st.integers(2, 14))
    files = tuple(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    chapters = tuple(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    gotos = []
    for i in range(n):
        ending = i > 0 and draw(st.booleans())
        gotos.append(
            () if ending else tuple(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4)))
        )
    words = st.sampled_from(
        ["Hold", "{trust}", "{{x}}", "the line,", "Undertaker.", "*now*", "{trust}s"]
    )
    said = tuple(" ".join(draw(st.lists(words, min_size=1, max_size=12))) for _ in range(n))
    return Plan(files, chapters, tuple(gotos), said)


def write_plan(plan: Plan, folder: Path) -> Story:
    n = len(plan.files)
    manifest = {
        "id": "gen",
        "title": "Generated",
        "start": "s0",
        "chapters": [{"number": c, "title": f"Part {c}"} for c in sorted(set(plan.chapters))],
        "variables": [{"name": "trust", "type": "int", "default": 1, "min": 0, "max": 5}],
        "endings": [{"id": "e_done", "title": "Done", "text": "It is over."}],
    }
    (folder / "story.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    per_file: dict[int, list[dict]] = {}
    for i in range(n):
        scene: dict = {"id": f"s{i}", "title": f"Scene {i}", "chapter": plan.chapters[i]}
        if plan.gotos[i]:
            scene["orders"] = [
                {"say": plan.said[i], **({"if": "trust > 2"} if k % 2 else {}), "goto": f"s{t}"}
                for k, t in enumerate(plan.gotos[i])
            ]
        else:
            scene["ending"] = "e_done"
        per_file.setdefault(plan.files[i], []).append(scene)
    for number, scenes in per_file.items():
        document = {"chapter": scenes[0]["chapter"], "scenes": scenes}
        (folder / f"part{number}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return load_story(folder)


@contextlib.contextmanager
def written(plan: Plan):
    with tempfile.TemporaryDirectory() as folder:
        yield write_plan(plan, Path(folder)), folder


# --- stats --by ---------------------------------------------------------------------------------


@EXAMPLES
@given(plan=plans())
def test_fuzz_stats_by_file_and_chapter_count_what_each_holds(plan: Plan) -> None:
    with written(plan) as (story, folder):
        totals = story_stats(story)
        for by, keys in (("file", plan.files), ("chapter", plan.chapters)):
            rows = stats_by(story, by, folder)
            for what in ("scenes", "orders", "engagements"):
                assert sum(getattr(r, what) for r in rows) == totals[what]
            assert sum(r.words for r in rows) == totals["words_total"]
            assert sum(r.endings for r in rows) == sum(1 for g in plan.gotos if not g)
            for row in rows:
                if by == "file" and row.key == "story.yaml":
                    assert row.scenes == 0 and row.words > 0  # the dossier and ending text
                    continue
                if by == "chapter" and row.chapter is None:
                    assert row.scenes == 0
                    continue
                mine = [
                    i
                    for i, key in enumerate(keys)
                    if (f"part{key}.yaml" if by == "file" else str(key)) == row.key
                ]
                assert row.scenes == len(mine)
                assert row.orders == sum(len(plan.gotos[i]) for i in mine)
                assert row.endings == sum(1 for i in mine if not plan.gotos[i])
                if by == "file":
                    assert row.chapters == {plan.chapters[i] for i in mine}


def test_stats_by_chapter_lists_every_chapter_in_order_then_the_dossier() -> None:
    rows = stats_by(shipped(), "chapter")
    assert [r.chapter for r in rows] == [1, 2, 3, 4, 5, None]
    assert rows[0].title == shipped().chapter_title(1)
    by_file = {r.key: r for r in stats_by(shipped(), "file", str(scenes_dir()))}
    assert by_file["ch1.yaml"].scenes == sum(
        1 for s in shipped().scenes.values() if s.mark.path.endswith("ch1.yaml")
    )


@pytest.mark.parametrize("by", ["file", "chapter"])
def test_stats_by_prints_a_table_and_json(by: str) -> None:
    status, out, err = handler_one("stats", "--by", by, str(MINI))
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"Mini Story (mini), by {by}:"
    assert lines[1].split()[:6] == [by, "scenes", "engagements", "orders", "endings", "words"]
    assert lines[-1].split() == [
        "total",
        "4",
        "1",
        "6",
        "2",
        str(story_stats(mini())["words_total"]),
    ]
    status, out, _ = handler_one("stats", "--by", by, "--json", str(MINI))
    data = json.loads(out)
    assert data["by"] == by and data["total"]["scenes"] == 4
    first = data["rows"][0]
    assert (first["file"] == "ch1.yaml") if by == "file" else (first["chapter"] == 1)


@EXAMPLES
@given(value=st.text(max_size=12).filter(lambda v: v not in ("file", "chapter")))
def test_fuzz_stats_by_anything_else_is_one_line(value: str) -> None:
    status, out, err = handler_one("stats", "--by", value, str(MINI))
    assert status == 2 and out == ""
    assert one_clean_line(err), repr(err)


# --- graph --chapter / --around -------------------------------------------------------------------


def neighbours(story: Story) -> dict[str, set[str]]:
    near: dict[str, set[str]] = {s: set() for s in story.scenes}
    ids = {node_id(s): s for s in story.scenes}
    for edge in edges(story):
        near[ids[edge.source]].add(ids[edge.target])
        near[ids[edge.target]].add(ids[edge.source])
    return near


def drawn_edges(story: Story, part: Part) -> None:
    """The part's drawing holds every edge with an end in it, and no other; every scene at
    the far end of one is a stub; every arrow's labels are its edges' labels."""
    inside = {node_id(s) for s in part.scenes}
    touching = [e for e in edges(story) if e.source in inside or e.target in inside]
    drawing = graph._drawing(story, part)
    grouped = [(number, n.scene) for number, ns in drawing.chapters.items() for n in ns]
    assert sorted(scene.id for _, scene in grouped) == sorted(part.scenes)
    assert all(scene.chapter == number for number, scene in grouped)
    ends = {e.source for e in touching} | {e.target for e in touching}
    assert {n.id for n in drawing.stubs} == ends - inside
    assert drawing.arrows == bundles(touching)
    assert sum(len(a.labels) for a in drawing.arrows) <= len(touching)
    assert drawing.start == (story.start in part.scenes)


@EXAMPLES
@given(plan=plans(), data=st.data())
def test_fuzz_around_is_the_scenes_within_depth_orders_either_way(
    plan: Plan, data: st.DataObject
) -> None:
    with written(plan) as (story, _):
        near = neighbours(story)
        centre = data.draw(st.sampled_from(sorted(story.scenes)), label="centre")
        within = {centre}
        assert around_part(story, centre, 0).scenes == {centre}
        for depth in range(1, len(story.scenes) + 2):
            within = within | {n for s in within for n in near[s]}
            part = around_part(story, centre, depth)
            assert part.scenes == within, depth
            drawn_edges(story, part)
        assert around_part(story, centre, 2**62).scenes == within


@EXAMPLES
@given(plan=plans())
def test_fuzz_a_chapter_is_its_scenes_and_every_way_in_and_out(plan: Plan) -> None:
    with written(plan) as (story, _):
        for number in set(plan.chapters):
            part = chapter_part(story, number)
            assert part.scenes == {f"s{i}" for i, c in enumerate(plan.chapters) if c == number}
            drawn_edges(story, part)
            for render in (graph.to_mermaid, graph.to_dot):
                text = render(story, part)
                stubs = {n.scene.id for n in graph._drawing(story, part).stubs}
                for scene in story.scenes:  # every scene drawn is in the part or a stub
                    if re.search(rf"\b{node_id(scene)}\b", text):
                        assert scene in part.scenes or scene in stubs
                for scene in stubs:
                    label = f"(chapter {story.scenes[scene].chapter})"
                    assert re.search(rf"\b{node_id(scene)}\b.*{re.escape(label)}", text)


def test_the_mini_story_around_the_engagement() -> None:
    part = around_part(mini(), "fight", 1)
    assert part.scenes == {"first_contact", "fight", "end_scene_good", "end_scene_bad"}
    assert part.title == "Around Riverbed (1 order either way)"
    alone = graph.to_mermaid(mini(), around_part(mini(), "end_scene_good", 0))
    assert 's_fight(["Riverbed (3 rounds) (chapter 1)"])' in alone
    assert 's_first_contact(["First Contact (chapter 1)"])' in alone
    assert "start_marker" not in alone and "class s_first_contact,s_fight stub" in alone


def near_miss(word: str) -> st.SearchStrategy[str]:
    at = st.integers(1, len(word) - 2)
    return st.one_of(
        at.map(lambda i: word[:i] + word[i + 1 :]),
        at.map(lambda i: word[:i] + word[i + 1] + word[i] + word[i + 2 :]),
    ).filter(lambda w: w != word)


def bad_graph_arguments() -> st.SearchStrategy[tuple[list[str], str | None]]:
    """(arguments, the scene a did-you-mean should offer or None)."""
    scenes = sorted(mini().scenes)
    unknown = st.text(min_size=1, max_size=20).filter(
        lambda t: t not in mini().scenes and not t.startswith("-")
    )
    return st.one_of(
        st.sampled_from(scenes).flatmap(lambda s: near_miss(s).map(lambda w: (["--around", w], s))),
        unknown.map(lambda t: (["--around", t], None)),
        st.integers(max_value=-1).map(lambda d: (["--around", "fight", "--depth", str(d)], None)),
        st.text(max_size=8)
        .filter(lambda t: not re.fullmatch(r"\s*[+-]?[0-9_]+\s*", t) and not t.startswith("-"))
        .map(lambda t: (["--around", "fight", "--depth", t], None)),
        st.integers(min_value=2**63).map(
            lambda d: (["--around", "fight", "--depth", str(d)], None)
        ),
        st.integers(0, 9).map(lambda d: (["--depth", str(d)], None)),
        st.integers().filter(lambda n: n != 1).map(lambda n: (["--chapter", str(n)], None)),
        st.just((["--chapter", "1", "--around", "fight"], None)),
        st.just((["--chapter", "one"], None)),
    )


@EXAMPLES
@given(bad=bad_graph_arguments(), dot=st.booleans())
def test_fuzz_bad_graph_arguments_are_one_line_and_status_two(
    bad: tuple[list[str], str | None], dot: bool
) -> None:
    arguments, meant = bad
    fmt = ["--format", "dot"] if dot else []
    status, out, err = handler_one("graph", *fmt, *arguments, str(MINI))
    assert status == 2 and out == "", (status, out)
    assert one_clean_line(err), repr(err)
    if meant is not None:
        assert f"did you mean '{meant}'?" in err


def test_cli_draws_a_chapter_and_around_a_scene(tmp_path: Path) -> None:
    status, out, _ = handler_one("graph", "--chapter", "1", str(MINI))
    assert status == 0 and out.startswith("flowchart TD")
    target = tmp_path / "around.dot"
    status, _, err = handler_one(
        "graph", "--around", "fight", "--depth", "0", "-o", str(target), str(MINI)
    )
    assert status == 0 and err.strip() == f"wrote {target} (dot, 1 scenes)"
    text = target.read_text(encoding="utf-8")
    assert 'graph [label="Mini Story: Around Riverbed (0 orders either way)"' in text
    assert 's_first_contact [label="First Contact (chapter 1)", style="rounded,dashed"' in text


# --- labels as written ------------------------------------------------------------------------------


@EXAMPLES
@given(plan=plans())
def test_fuzz_labels_keep_interpolations_as_written_and_escaped(plan: Plan) -> None:
    with written(plan) as (story, _):
        mermaid = graph.to_mermaid(story)
        for label in re.findall(r'\|"([^"]*)"\|', mermaid):
            assert "{" not in label and "}" not in label  # only as #123; and #125;
            # Never cut inside a {name}; `{{` is a brace written as text, not an opening.
            assert not re.search(r"(?<!#123;)#123;[A-Za-z0-9_]*…", label)
        lines = {
            line for label in re.findall(r'\|"([^"]*)"\|', mermaid) for line in label.split("<br>")
        }
        for edge in edges(story):
            shown = graph.mermaid_text(edge.label)
            assert shown in lines or any(line.startswith(f"{shown} (×") for line in lines)
        dot = graph.to_dot(story)
        for scene in story.scenes.values():
            for order in scene.orders:
                if len(order.say) < graph.LABEL_LIMIT:
                    assert order.say in dot  # braces need no escape in a DOT string


@EXAMPLES
@given(text=st.text(st.sampled_from("ab {}_x"), max_size=80))
def test_fuzz_a_cut_label_never_ends_inside_an_interpolation(text: str) -> None:
    short = graph._short(text)
    assert len(short) <= graph.LABEL_LIMIT
    if short.endswith("…"):
        opened = re.search(r"\{[A-Za-z0-9_]*$", short[:-1])
        assert opened is None or short[: opened.start()].endswith("{"), short


def test_parallel_orders_share_one_arrow_with_a_line_each() -> None:
    text = graph.to_dot(mini())
    # "Close the link." has two weighted branches to the same ending: one arrow, counted.
    assert (
        's_first_contact -> s_end_scene_bad [label="4. Close the link. → weight 1 (×2)"];' in text
    )
    assert graph.to_mermaid(mini()).count("s_first_contact -->|") == 2  # to fight, to the ending


# --- the real renderers -------------------------------------------------------------------------------


PARTS = {
    "chapter 2": lambda s: chapter_part(s, 2),
    "around ch4_longshot_name": lambda s: around_part(s, "ch4_longshot_name", 2),
    "whole story": lambda s: None,
}


@pytest.mark.parametrize("which", PARTS)
def test_the_real_mermaid_parser_and_graphviz_accept_parts_of_the_campaign(
    which: str, tmp_path: Path
) -> None:
    story = shipped()
    part = PARTS[which](story)
    parser = _mermaid_parser()
    if parser is None:
        print("SKIP: Node or the mermaid/jsdom packages are missing (make test installs them)")
    else:
        path = tmp_path / "part.mmd"
        path.write_text(graph.to_mermaid(story, part), encoding="utf-8")
        parsed = subprocess.run(
            ["node", str(parser), str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    if shutil.which("dot") is None:
        print("SKIP: Graphviz 'dot' is not installed")
    else:
        rendered = subprocess.run(
            ["dot", "-Tsvg"],
            input=graph.to_dot(story, part),
            capture_output=True,
            text=True,
            check=False,
        )
        assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr
    if parser is None and shutil.which("dot") is None:
        pytest.skip("neither renderer is installed")
