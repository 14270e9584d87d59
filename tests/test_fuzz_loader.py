"""Property-based fuzzing of the loader: whatever the input, a story or placed diagnostics.

`make test` runs a small budget; `make fuzz` sets HYPOTHESIS_PROFILE=fuzz for a long one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.engine.diagnostics import Diagnostic
from game.engine.format import OBJECTS
from game.engine.loader import check_story
from tests.conftest import MINI

settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
settings.register_profile("fuzz", max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SCENES = (MINI / "ch1.yaml").read_text()
MANIFEST = (MINI / "story.yaml").read_text()


def _check(files: dict[str, bytes | str]) -> tuple[object, list[Diagnostic]]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, content in files.items():
            path = root / name
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", errors="surrogatepass")
        story, diagnostics = check_story(root)
    return story, diagnostics


def _assert_sane(story: object, diagnostics: list[Diagnostic]) -> None:
    errors = [d for d in diagnostics if d.severity == "error"]
    assert (story is None) == bool(errors)
    for diagnostic in diagnostics:
        assert diagnostic.mark.line >= 1 and diagnostic.mark.column >= 1
        assert diagnostic.code[0] in "EW" and diagnostic.message
        assert "\n" not in str(diagnostic)


def _mutate_lines(data: st.DataObject, text: str) -> str:
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "swap", "edit", "indent"]))
        if action == "delete" and len(lines) > 1:
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "swap":
            other = data.draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif action == "indent":
            lines[index] = " " * data.draw(st.integers(0, 6)) + lines[index].lstrip()
        else:
            line = lines[index]
            at = data.draw(st.integers(0, len(line)))
            junk = data.draw(st.text(alphabet=":-[]{}&*!|>'\"#% \tabcxyz0129_", max_size=6))
            lines[index] = line[:at] + junk + line[at:]
    return "\n".join(lines)


@given(st.data())
def test_mutated_scene_files(data: st.DataObject) -> None:
    _assert_sane(*_check({"story.yaml": MANIFEST, "ch1.yaml": _mutate_lines(data, SCENES)}))


@given(st.data())
def test_mutated_manifests(data: st.DataObject) -> None:
    _assert_sane(*_check({"story.yaml": _mutate_lines(data, MANIFEST), "ch1.yaml": SCENES}))


@given(st.binary(max_size=600))
def test_random_bytes_as_a_scene_file(blob: bytes) -> None:
    _assert_sane(*_check({"story.yaml": MANIFEST, "ch1.yaml": SCENES, "junk.yaml": blob}))


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(yaml_values)
def test_random_yaml_documents(value: object) -> None:
    _assert_sane(*_check({"story.yaml": MANIFEST, "ch1.yaml": SCENES, "more.yaml": yaml.safe_dump(value)}))


IDS = ["a", "b", "c", "first_contact", "fight", "nowhere"]
REFS = st.sampled_from(IDS)
CONDITIONS = st.sampled_from(
    ["trust > 1", "seen(a)", "has(ev_bulletin)", "alive(nell)", "knows(zed)", "trust and 1", "not", "fallen_count() >= 1"]
)
orders = st.lists(
    st.fixed_dictionaries(
        {"say": st.text(min_size=1, max_size=10), "goto": REFS},
        optional={"if": CONDITIONS, "words": st.lists(st.sampled_from(["go", "hold", "no", "x y"]), max_size=2)},
    ),
    min_size=1,
    max_size=3,
)
scenes = st.lists(
    st.fixed_dictionaries(
        {"id": REFS, "title": st.text(max_size=8)},
        optional={"orders": orders, "ending": st.sampled_from(["end_good", "end_bad", "end_what"])},
    ),
    min_size=1,
    max_size=5,
)


@given(scenes)
def test_structurally_valid_stories_with_random_references(scene_list: list[dict]) -> None:
    document = yaml.safe_dump({"chapter": 1, "scenes": scene_list}, allow_unicode=True)
    story, diagnostics = _check({"story.yaml": MANIFEST, "ch1.yaml": SCENES, "extra.yaml": document})
    _assert_sane(story, diagnostics)


def test_the_fixture_still_loads_after_all_that() -> None:
    shutil.rmtree(Path(tempfile.gettempdir()) / "nonexistent", ignore_errors=True)
    assert check_story(MINI)[0] is not None


# Values a declaration's fields might plausibly hold, good and bad: ids of every kind, types,
# sources, statuses, numbers around the edges of ranges, lists of ids, and nonsense.
field_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 120),
    st.sampled_from(["warm", "ev_bulletin", "ev_voices", "shin", "int", "bool", "text", "radio"]),
    st.sampled_from(["active", "killed", "not", "Bad Id", "trust", "de_people", ""]),
    st.lists(st.sampled_from(["warm", "ev_bulletin", "ev_voices", "nope", 3]), max_size=3),
    st.text(max_size=5),
)
DECLARED = {
    key: fld.kind.removeprefix("list:")
    for key, fld in OBJECTS["manifest"].items()
    if fld.kind.startswith("list:")
}
declaration_lists = st.fixed_dictionaries(
    {},
    optional={
        key: st.lists(
            st.dictionaries(st.sampled_from([*OBJECTS[kind], "bogus"]), field_values, max_size=7),
            max_size=3,
        )
        for key, kind in DECLARED.items()
    },
)


@given(declaration_lists)
def test_random_declarations_of_every_kind_in_the_manifest(lists: dict[str, list]) -> None:
    manifest = {**yaml.safe_load(MANIFEST), **lists}
    document = yaml.safe_dump(manifest, allow_unicode=True)
    _assert_sane(*_check({"story.yaml": document, "ch1.yaml": SCENES}))
