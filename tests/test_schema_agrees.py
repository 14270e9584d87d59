"""The JSON Schema and the loader agree, field by field of the format's table.

For every field of every object in `game.engine.format.OBJECTS` (and a radio line's keys), each
of a set of values of every shape is written into a small valid story, which is then both loaded
and checked against the schema: the loader reports an error exactly when the schema rejects the
file. Values that break a rule only the loader can check (a reference to something not declared,
a condition naming an unknown variable, a duplicate id, a `min` above the default) are left out
by `_loader_only`, which lists those rules: everything else is a rule both must follow alike.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from game.engine.format import ID, LINE_KEYS, OBJECTS, STORY_ID, Field
from game.engine.loader import check_story
from game.engine.schema import ENGAGEMENT_ONLY, build_schema

ABSENT = object()

# Declared in the base story, by the kind of reference that may name them.
DECLARED = {
    "scene": {"a", "b", "c"},
    "ending": {"end_one", "end_two"},
    "pilot": {"shin", "nell", "rook"},
    "evidence": {"ev_a", "ev_b", "ev_c"},
    "tone": {"warm", "cold"},
    "variable": {"trust", "flag", "label", "v"},
}
EVERY_ID = set().union(*DECLARED.values()) | {"de_a", "vasseur", "careful", "t"}
VALID_CONDITIONS = {"condition": {"trust > 1", "flag", "true"}, "int_expr": {"trust + 1", "1"}}

SAMPLES: list[Any] = [
    ABSENT,
    None,
    True,
    False,
    0,
    1,
    -1,
    5,
    101,
    2.0,
    2.5,
    2**63,
    "",
    "b",
    "shin",
    "ev_a",
    "end_one",
    "warm",
    "zed",
    "Shin",
    "t-1",
    "9a",
    "two words",
    "two  Words",
    "a\tb",
    "x\n",
    "hq",
    "and",
    "dossier",
    "killed",
    "squad",
    "record",
    "int",
    "bool",
    "trust > 1",
    "flag",
    "trust + 1",
    "x" * 20_001,
    [],
    ["go"],
    ["File", "c-1"],
    ["b"],
    ["shin"],
    ["ev_a", "ev_b"],
    [1944],
    [-5],
    [True],
    [1.5],
    [2.0, 3],
    ["x\n"],
    [1, 1],
    [1],
    [-1, 0],
    [{}],
    [{"goto": "b"}],
    [{"say": "S"}],
    {},
    {"trust": 1},
    {"trust": 1.0},
    {"flag": True},
    {"trust": 2.5},
    {"Trust": 1},
    {"trust": "x"},
    {"shin": "killed"},
    {"shin": "gone"},
    {"add": {"trust": 1}},
]


def _base() -> tuple[dict[str, Any], dict[str, Any]]:
    """A small valid story: its manifest and one scene file."""
    manifest = {
        "id": "t",
        "title": "T",
        "start": "a",
        "chapters": [{"number": 1, "title": "One"}, {"number": 2, "title": "Two"}],
        "variables": [
            {"name": "trust", "type": "int", "default": 1, "min": 0, "max": 10},
            {"name": "flag", "type": "bool", "default": False},
            {"name": "label", "type": "text", "default": "x"},
            {"name": "v", "type": "int", "default": 0},
        ],
        "pilots": [
            {"id": "shin", "callsign": "Undertaker", "name": "Shinei Nouzen"},
            {"id": "nell", "callsign": "Kestrel", "name": "Nell"},
            {"id": "rook", "callsign": "Rook", "name": "Rook"},  # the one under test
        ],
        "evidence": [
            {"id": e, "title": "E", "text": "E", "source": "record"}
            for e in ("ev_a", "ev_b", "ev_c")
        ],
        "deductions": [{"id": "de_a", "title": "D", "text": "D", "requires": ["ev_a", "ev_b"]}],
        "endings": [{"id": "end_one", "title": "E1"}, {"id": "end_two", "title": "E2"}],
        "speakers": [{"id": "vasseur", "tag": "Vasseur"}],
        "tones": [{"id": "warm"}, {"id": "cold"}],
        "personas": [{"id": "careful", "title": "C", "prefers": ["warm"]}],
    }
    scenes = {
        "chapter": 1,
        "scenes": [
            {
                "id": "a",
                "title": "A",
                "markers": [{"at": [1, 1], "kind": "squad"}],
                "enter": {"set": {"flag": True}},
                "radio": [{"shin": "Hello.", "if": "trust > 1", "signal": 2}],
                "orders": [
                    {
                        "say": "Go.",
                        "words": ["go"],
                        "if": "trust > 1",
                        "disabled": "Not yet.",
                        "hint_if": "flag",
                        "tone": "warm",
                        "effects": {"add": {"trust": 1}},
                        "goto": [{"goto": "b", "if": "flag", "weight": 1}, {"goto": "c"}],
                    },
                    {"say": "Stay.", "goto": "a"},
                ],
            },
            {"id": "b", "title": "B", "ending": "end_one"},
            {
                "id": "c",
                "title": "C",
                "engagement": {
                    "rounds": [{"radio": [{"nell": "Contact."}], "warning": "Left."}],
                    "orders": [{"say": "Hold.", "heeds": True, "risk": 1}],
                    "after": "b",
                },
            },
        ],
    }
    return manifest, scenes


# Where the object of each kind under test sits: which document, and the path to it.
PLACES: dict[str, tuple[str, tuple[Any, ...]]] = {
    "manifest": ("manifest", ()),
    "scene_file": ("scenes", ()),
    "chapter": ("manifest", ("chapters", 1)),
    "variable": ("manifest", ("variables", 3)),
    "pilot": ("manifest", ("pilots", 2)),
    "evidence": ("manifest", ("evidence", 2)),
    "deduction": ("manifest", ("deductions", 0)),
    "ending": ("manifest", ("endings", 1)),
    "speaker": ("manifest", ("speakers", 0)),
    "tone": ("manifest", ("tones", 1)),
    "persona": ("manifest", ("personas", 0)),
    "scene": ("scenes", ("scenes", 0)),
    "marker": ("scenes", ("scenes", 0, "markers", 0)),
    "order": ("scenes", ("scenes", 0, "orders", 0)),
    "engagement_order": ("scenes", ("scenes", 2, "engagement", "orders", 0)),
    "branch": ("scenes", ("scenes", 0, "orders", 0, "goto", 0)),
    "effects": ("scenes", ("scenes", 0, "orders", 0, "effects")),
    "engagement": ("scenes", ("scenes", 2, "engagement")),
    "round": ("scenes", ("scenes", 2, "engagement", "rounds", 0)),
    "line": ("scenes", ("scenes", 0, "radio", 0)),
}
REF_KINDS = {
    "scene_ref": "scene",
    "goto": "scene",
    "ending_ref": "ending",
    "tone_ref": "tone",
    "tone_refs": "tone",
    "pilot_refs": "pilot",
    "evidence_refs": "evidence",
}


def _fields() -> Iterator[tuple[str, str, Field]]:
    for kind, fields in OBJECTS.items():
        for name, field in fields.items():
            if kind in ("manifest", "scene_file") and field.kind.startswith("list:"):
                continue  # they hold the declarations the rest of the story names
            if kind == "order" and name in ENGAGEMENT_ONLY:
                yield "engagement_order", name, field
            yield kind, name, field
    for name, field in LINE_KEYS.items():
        yield "line", name, field


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _loader_only(kind: str, name: str, field: Field, value: Any) -> bool:
    """Whether `value` breaks a rule the schema cannot state (it needs the story's other
    declarations, or compares two values): such cases are the loader's alone."""
    ids = [s for s in _strings(value) if re.fullmatch(ID, s)]
    ref = REF_KINDS.get(field.kind)
    if ref and any(s not in DECLARED[ref] for s in ids):
        return True  # a well-formed id that names nothing: E030-E037
    if field.kind == "map_ref" and isinstance(value, str) and len(value) >= 64:
        return True  # a map file's name the file system cannot hold: E036
    if field.kind == "lines" and isinstance(value, list):
        speakers = {"hq", "narration", "lena", "vasseur", *DECLARED["pilot"], *LINE_KEYS}
        if any(isinstance(line, dict) and set(line) - speakers for line in value):
            return True  # a speaker that is not declared: E031
    if field.kind == "goto" and isinstance(value, list):
        return True  # branches are tested as objects of their own
    if field.kind in ("condition", "int_expr") and isinstance(value, str):
        return value not in VALID_CONDITIONS[field.kind]  # the condition language: E040
    if value == 2**63 and field.kind not in ("int", "int_expr"):
        return True  # YAML's own bound, for every number in a file (E001)
    if field.kind == "id" and isinstance(value, str):
        if kind == "scene" and re.fullmatch(ID, value):
            return True  # renaming the scene other scenes lead to
        if kind == "manifest":
            return False
        return value in EVERY_ID  # a duplicate id: E020
    if field.kind in ("assignments", "increments", "statuses") and isinstance(value, dict):
        for key, item in value.items():
            if not re.fullmatch(ID, str(key)):
                continue
            table = "pilot" if field.kind == "statuses" else "variable"
            if key not in DECLARED[table]:
                return True
            if field.kind == "increments" and key != "trust":
                return True  # 'add' on a variable that is not int
            if field.kind == "assignments" and isinstance(item, bool | int | float | str):
                expected = {"trust": int, "v": int, "flag": bool, "label": str}[key]
                is_int = isinstance(item, int | float) and not isinstance(item, bool)
                fits = (
                    (expected is int and is_int)
                    or (expected is bool and isinstance(item, bool))
                    or (expected is str and isinstance(item, str))
                )
                if not fits:
                    return True  # a value of another type than the variable's
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if (kind, name) == ("variable", "min") and numeric and value > 0:
        return True  # above the default
    if (kind, name) == ("variable", "max") and numeric and value < 0:
        return True  # below the default
    if (kind, name) == ("persona", "avoids") and "warm" in list(_strings(value)):
        return True  # both preferred and avoided
    # A chapter number declared twice.
    return (kind, name) == ("chapter", "number") and value == 1


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    """`pattern` as editors read it (ECMA-262): '$' does not match before a final newline,
    as Python's does."""
    if isinstance(instance, str) and not re.search(pattern.replace("$", r"\Z"), instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _ecma_pattern}
)


def _cases(per_field: int | None) -> list[tuple[str, str, Any]]:
    """Every (kind, field, value) both must judge alike; `per_field` values of each field
    (always with the field absent), drawn the same way every run, or all of them."""
    cases: list[tuple[str, str, Any]] = []
    for kind, name, field in _fields():
        values = [v for v in SAMPLES[1:] if not _loader_only(kind, name, field, v)]
        if per_field is not None:
            values = random.Random(f"{kind}.{name}").sample(values, min(per_field, len(values)))
        cases += [(kind, name, v) for v in (ABSENT, *values)]
    return cases


def _set(document: dict[str, Any], path: tuple[Any, ...], name: str, value: Any) -> None:
    target: Any = document
    for step in path:
        target = target[step]
    if value is ABSENT:
        target.pop(name, None)
    else:
        target[name] = value


@pytest.fixture(scope="module")
def validator() -> Any:
    return Validator(build_schema())


def test_the_base_story_is_valid_to_both(tmp_path: Path, validator: Any, maps: Path) -> None:
    manifest, scenes = _base()
    assert _loader_errors(tmp_path, manifest, scenes, maps) == []
    assert not list(validator.iter_errors(manifest))
    assert not list(validator.iter_errors(scenes))


def test_every_field_is_covered() -> None:
    covered = {(kind, name) for kind, name, _ in _cases(PER_FIELD)}
    for kind, name, _ in _fields():
        assert (kind, name) in covered


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A map for every id the samples hold, so that `map` is judged on its shape alone."""
    folder = tmp_path_factory.mktemp("maps")
    for sample in SAMPLES:
        for text in _strings(sample):
            if re.fullmatch(ID, text) and len(text) < 64:
                (folder / f"{text}.txt").write_text(". .\n")
    return folder


def _loader_errors(
    root: Path, manifest: dict[str, Any], scenes: dict[str, Any], maps: Path
) -> list[str]:
    (root / "story.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True))
    (root / "ch1.yaml").write_text(yaml.safe_dump(scenes, allow_unicode=True))
    _, diagnostics = check_story(root, [maps])
    return [str(d) for d in diagnostics if d.severity == "error"]


PER_FIELD = 6
"""Values tried per field in `make test`; `make fuzz` tries every sample of every field."""


def _disagreements(
    cases: list[tuple[str, str, Any]], tmp_path: Path, validator: Any, maps: Path
) -> list[str]:
    found: list[str] = []
    for number, (kind, name, value) in enumerate(cases):
        manifest, scenes = _base()
        document, path = PLACES[kind]
        _set(manifest if document == "manifest" else scenes, path, name, value)
        root = tmp_path / str(number)
        root.mkdir()
        loader = _loader_errors(root, manifest, scenes, maps)
        schema = [e.message for d in (manifest, scenes) for e in validator.iter_errors(d)]
        if bool(loader) != bool(schema):
            shown = "absent" if value is ABSENT else repr(value)[:60]
            said = (loader or schema)[0][:160]
            who = "loader" if loader else "schema"
            found.append(f"{kind}.{name} = {shown}: only the {who} refuses it: {said}")
    return found


def test_schema_and_loader_agree_on_every_field(
    tmp_path: Path, validator: Any, maps: Path
) -> None:
    disagreements = _disagreements(_cases(PER_FIELD), tmp_path, validator, maps)
    assert not disagreements, "\n".join(disagreements)


@pytest.mark.skipif(
    os.environ.get("HYPOTHESIS_PROFILE") != "fuzz", reason="every sample: `make fuzz` runs it"
)
def test_fuzz_schema_and_loader_agree_on_every_sample(
    tmp_path: Path, validator: Any, maps: Path
) -> None:
    disagreements = _disagreements(_cases(None), tmp_path, validator, maps)
    assert not disagreements, "\n".join(disagreements)


def test_the_rules_come_from_the_format_table() -> None:
    """The loader and the schema read the same shapes (and so cannot drift apart)."""
    schema = build_schema()
    assert schema["$defs"]["scene"]["properties"]["id"]["pattern"] == f"^{ID}$"
    assert schema["$defs"]["manifest"]["properties"]["id"]["pattern"] == f"^{STORY_ID}$"
