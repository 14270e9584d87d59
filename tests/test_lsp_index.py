"""The language server's index of ids and its completion contexts, without a client."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.engine.loader import load_story
from game.engine.model import FIXED_SPEAKERS
from game.lsp.features import FIXED_VOICES, Want, completions, rename_problem, wanted
from game.lsp.index import KINDS, StoryIndex, index_text
from game.paths import scenes_dir

MINI = Path(__file__).parent / "fixtures" / "mini"


def index_of(root: Path) -> StoryIndex:
    from game.engine.files import story_files

    index = StoryIndex()
    for path in story_files(root):
        text = path.read_text(encoding="utf-8")
        index.put(index_text(path, text, manifest=path == root / "story.yaml"))
    return index


@pytest.fixture(scope="module")
def shipped() -> StoryIndex:
    return index_of(scenes_dir())


def test_every_place_holds_the_name_it_is_indexed_under(shipped: StoryIndex) -> None:
    count = 0
    for file in shipped.files.values():
        spans = [item.span for item in file.occurrences]
        assert len(spans) == len(set(spans)), f"{file.path}: a place indexed twice"
        for item in file.occurrences:
            span = item.span
            assert file.lines[span.line][span.start : span.end] == item.name, (file.path, item)
            count += 1
    assert count > 1000


def test_the_index_declares_what_the_loader_declares_at_the_same_lines(
    shipped: StoryIndex,
) -> None:
    story = load_story(scenes_dir())
    tables = {
        "scene": story.scenes,
        "variable": story.variables,
        "pilot": story.pilots,
        "evidence": story.evidence,
        "deduction": story.deductions,
        "ending": story.endings,
    }
    for kind, table in tables.items():
        assert {d.name for d in shipped.names(kind)} == set(table), kind
        for name, value in table.items():
            ((path, declared),) = shipped.definitions(kind, name)
            assert Path(value.mark.path).name == path.name
            # The loader marks the object; the index the id inside it.
            assert declared.region.line + 1 == value.mark.line, (kind, name)


def test_every_reference_the_story_makes_resolves(shipped: StoryIndex) -> None:
    """The shipped story loads, so every id it names is declared: the index must agree."""
    for file in shipped.files.values():
        for item in file.occurrences:
            assert shipped.definitions(shipped.resolve(item), item.name), (file.path, item)


def test_references_cover_every_kind_of_field() -> None:
    index = index_of(MINI)

    def named(kind: str, name: str) -> list[int]:
        return [p.occurrence.span.line for p in index.occurrences(kind, name)]

    assert len(named("scene", "end_scene_bad")) == 4  # declared, two weighted branches, after
    assert len(named("pilot", "nell")) == 4  # roster, radio twice, at_risk
    assert len(named("variable", "callsign_of_lena")) == 3  # declared, {text}, set:
    assert len(named("deduction", "de_people")) == 2  # declared, deduced(...)
    assert len(named("ending", "end_good")) == 2


SCENE_FILE = """\
chapter: 1
scenes:
  - id: a_scene
    title: "A"
    radio:
      - {rook: "Hi {trust}."}
    orders:
      - say: Go
        if: has(ev_one) and
            knows(rook) or trust > 1
        effects:
          reveal: [ev_one]
          set: {trust: 2}
        goto: b_scene
      - say: Stay
        if: >-
          not seen(a_scene)
        goto: a_scene
"""


def test_a_folded_condition_is_indexed_where_it_is_written() -> None:
    file = index_text(Path("x.yaml"), SCENE_FILE, manifest=False)
    found = {(o.name, o.kinds, o.span.line) for o in file.occurrences}
    assert ("knows", ("variable",), 9) not in found
    assert ("rook", ("pilot",), 9) in found
    assert ("ev_one", ("evidence",), 8) in found
    assert ("trust", ("variable",), 9) in found
    assert ("trust", ("variable",), 5) in found  # {trust} in the text
    assert ("b_scene", ("scene",), 13) in found
    assert ("a_scene", ("scene",), 16) in found  # in a block scalar


@settings(max_examples=200, deadline=None)
@given(
    cut=st.integers(0, len(SCENE_FILE)),
    length=st.integers(0, 12),
    insert=st.text(alphabet="ab_:-{}[]()' \"\n#", max_size=6),
)
def test_fuzz_an_edited_file_is_indexed_truly_or_not_at_all(
    cut: int, length: int, insert: str
) -> None:
    """Text being typed: it parses or not; when it does, every place holds its name."""
    import yaml

    text = SCENE_FILE[:cut] + insert + SCENE_FILE[cut + length :]
    try:
        file = index_text(Path("x.yaml"), text, manifest=False)
    except yaml.YAMLError:
        return
    for item in file.occurrences:
        span = item.span
        assert file.lines[span.line][span.start : span.end] == item.name


@pytest.mark.parametrize(
    ("line", "kinds"),
    [
        ("        goto: ", ("scene",)),
        ("          - {if: trust > 2, goto: ", ("scene",)),
        ("start: fir", ("scene",)),
        ("    ending: ", ("ending",)),
        ("        tone: ", ("tone",)),
        ("        effects: {reveal: [ev_a, ", ("evidence",)),
        ("    requires: [", ("evidence",)),
        ("      at_risk: [nell, ", ("pilot",)),
        ("        effects: {learn: ", ("pilot",)),
        ("        effects: {set: {", ("variable",)),
        ("        effects: {status: {nell: killed, ", ("pilot",)),
        ("        if: has(", ("evidence",)),
        ("        if: trust > 1 and deduced(de", ("deduction",)),
        ("        if: seen(a) and alive(", ("pilot",)),
        ('      - hq: "Hello {', ("variable",)),
        ("    radio: [{", ("voice",)),
    ],
)
def test_completion_knows_which_kind_of_id_goes_where(line: str, kinds: tuple[str, ...]) -> None:
    want = wanted([line], 0, len(line))
    assert want is not None and want.kinds == kinds


def test_completion_in_a_condition_offers_variables_and_functions() -> None:
    want = wanted(["        if: trust > 1 and "], 0, 27)
    assert want is not None and want.kinds == ("variable",) and want.functions


def test_completion_in_block_lists_and_mappings_reads_the_key_above() -> None:
    lines = ["    effects:", "      reveal:", "        - ev", "      set:", "        tr"]
    assert wanted(lines, 2, 12) == Want(("evidence",), 10)
    assert wanted(lines, 4, 10) is not None and wanted(lines, 4, 10).kinds == ("variable",)
    radio = ["    radio:", "      - ", "    orders:", "      - "]
    assert wanted(radio, 1, 8) is not None and wanted(radio, 1, 8).kinds == ("voice",)
    assert wanted(radio, 3, 8) is None
    assert wanted(["        say: "], 0, 13) is None


def test_speakers_complete_pilots_declared_speakers_and_the_fixed_voices() -> None:
    index = index_of(scenes_dir())
    want = wanted(["    radio:", "      - "], 1, 8)
    assert want is not None
    labels = {item.label for item in completions(index, want)}
    assert set(FIXED_SPEAKERS) <= labels and {"shin", "longshot", "vasseur"} <= labels
    assert set(FIXED_VOICES) == set(FIXED_SPEAKERS)


def test_renames_keep_to_ids_that_are_free() -> None:
    index = index_of(MINI)
    assert rename_problem(index, "scene", "fight", "riverbed") is None
    assert "already" in (rename_problem(index, "scene", "fight", "end_scene_bad") or "")
    assert "not an id" in (rename_problem(index, "scene", "fight", "Fight") or "")
    assert "fixed voice" in (rename_problem(index, "pilot", "nell", "hq") or "")
    assert set(KINDS) >= {"scene", "pilot"}


def test_nothing_but_the_lsp_command_loads_pygls() -> None:
    """The game's start-up (and every other command's parser) never imports the server."""
    code = (
        "import sys; from game.cli import build_parser; build_parser(); "
        "import game.tools.lsp; "
        "print(sorted(m for m in ('pygls', 'lsprotocol', 'game.lsp.server') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_renaming_one_id_of_every_kind_everywhere_keeps_the_story_whole(tmp_path: Path) -> None:
    """Rename through the index (as the server's rename does) and the story loads as before,
    under the new names: no reference was missed and nothing else was touched."""
    import shutil

    from game.engine.loader import check_story

    root = tmp_path / "story"
    shutil.copytree(scenes_dir(), root)
    index = index_of(root)
    renames = {
        ("scene", "ch1_first_contact"): "ch1_hello",
        ("variable", "trust"): "squad_trust",
        ("pilot", "longshot"): "farshot",
        ("evidence", index.names("evidence")[0].name): "ev_renamed",
        ("deduction", index.names("deduction")[0].name): "de_renamed",
        ("ending", index.names("ending")[0].name): "end_renamed",
        ("tone", index.names("tone")[0].name): "tone_renamed",
    }
    edits: dict[Path, list[tuple[int, int, int, str]]] = {}
    for (kind, old), new in renames.items():
        places = index.occurrences(kind, old)
        assert len(places) > 1, (kind, old)
        for place in places:
            span = place.occurrence.span
            edits.setdefault(place.path, []).append((span.line, span.start, span.end, new))
    for path, changes in edits.items():
        lines = path.read_text(encoding="utf-8").split("\n")
        for line, start, end, new in sorted(changes, reverse=True):
            lines[line] = lines[line][:start] + new + lines[line][end:]
        path.write_text("\n".join(lines), encoding="utf-8")
    story, diagnostics = check_story(root)
    assert story is not None, [str(d) for d in diagnostics if d.severity == "error"][:5]
    before = load_story(scenes_dir())
    assert len(story.scenes) == len(before.scenes)
    assert "ch1_hello" in story.scenes and "squad_trust" in story.variables
    assert "farshot" in story.pilots
    assert story.start == ("ch1_hello" if before.start == "ch1_first_contact" else before.start)


@pytest.mark.parametrize(
    "hostile",
    [
        "[" * 60_000,
        "a: &a [x]\n"
        + "".join(
            f"b{i}: &b{i} [*{'a' if i == 0 else f'b{i - 1}'}, *{'a' if i == 0 else f'b{i - 1}'}]\n"
            for i in range(40)
        ),
        "chapter: 1\nscenes:\n  - id: [unclosed\n",
    ],
    ids=["deep", "alias-bomb", "syntax"],
)
def test_a_hostile_buffer_is_an_error_and_keeps_the_last_index(
    mini_copy: Path, hostile: str
) -> None:
    from game.lsp.project import Project

    project = Project(mini_copy.resolve())
    try:
        ch1 = project.root / "ch1.yaml"
        project.apply(project.check({}))
        before = project.index.files[ch1]
        checked = project.check({ch1: hostile})
        project.apply(checked)
        assert [f.code for f in checked.findings[ch1]] == ["E001"]
        assert project.index.files[ch1] is before
        assert not checked.loaded
    finally:
        project.close()
    assert not project.overlay.shadow.exists()
