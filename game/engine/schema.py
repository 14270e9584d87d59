"""The JSON Schema (draft 2020-12) for scene files and `story.yaml`, generated from
`game.engine.format` — the same field definitions the loader checks keys against.

The generated copy ships as `game/engine/scene.schema.json` (scene files point editors at it with
`# yaml-language-server: $schema=...`); a test keeps it equal to `build_schema()`. Regenerate
it with `handler-one schema --write`.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from game.engine.format import FORMAT_VERSION, LINE_KEYS, MAX_SIGNAL, MIN_SIGNAL, OBJECTS, Field
from game.engine.loader import STORY_ID_PATTERN
from game.engine.model import FIXED_SPEAKERS, PILOT_STATUSES

SHIPPED = Path(__file__).with_name("scene.schema.json")
DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID = "^[a-z][a-z0-9_]*$"
WORD = "^[a-z0-9][a-z0-9'-]*$"
# Manifest-only keys: a file with any of them is checked as story.yaml.
MANIFEST_KEYS = sorted(set(OBJECTS["manifest"]) - set(OBJECTS["scene_file"]))
# Bounds the loader checks that a field's kind alone does not say.
EXTRA: dict[tuple[str, str], dict[str, Any]] = {
    ("line", "signal"): {"minimum": MIN_SIGNAL, "maximum": MAX_SIGNAL},
    ("branch", "weight"): {"minimum": 1},
    ("persona", "consistency"): {"minimum": 0, "maximum": 100},
    ("manifest", "id"): {"pattern": STORY_ID_PATTERN.pattern},
}

_REF = {"type": "string", "pattern": ID}
_TEXT = {"type": ["string", "number"]}


def _kind(kind: str) -> dict[str, Any]:
    """The schema of one field kind from `game.engine.format`."""
    if kind.startswith("list:"):
        return {"type": "array", "items": {"$ref": f"#/$defs/{kind[5:]}"}}
    if kind.startswith("enum:"):
        return {"enum": kind[5:].split(",")}
    simple: dict[str, dict[str, Any]] = {
        "id": {"type": "string", "pattern": ID},
        "text": _TEXT,
        "int": {"type": "integer"},
        "bool": {"type": "boolean"},
        "value": {"type": ["boolean", "integer", "string"]},
        "scene_ref": _REF,
        "ending_ref": _REF,
        "map_ref": _REF,
        "tone_ref": _REF,
        "tone_refs": {"anyOf": [_REF, {"type": "array", "items": _REF}]},
        "condition": {"type": ["string", "boolean"]},
        "int_expr": {"type": ["string", "integer"]},
        "effects": {"$ref": "#/$defs/effects"},
        "engagement": {"$ref": "#/$defs/engagement"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}},
        "evidence_refs": {"anyOf": [_REF, {"type": "array", "items": _REF}]},
        "pilot_refs": {"anyOf": [_REF, {"type": "array", "items": _REF}]},
        "words": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {"anyOf": [{"type": "string", "pattern": WORD}, {"type": "integer"}]},
                },
            ]
        },
        "goto": {
            "anyOf": [
                _REF,
                {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/branch"}},
            ]
        },
        "assignments": {
            "type": "object",
            "propertyNames": {"pattern": ID},
            "additionalProperties": {"type": ["boolean", "integer", "string"]},
        },
        "increments": {
            "type": "object",
            "propertyNames": {"pattern": ID},
            "additionalProperties": {"type": "integer"},
        },
        "statuses": {
            "type": "object",
            "propertyNames": {"pattern": ID},
            "additionalProperties": {"enum": list(PILOT_STATUSES)},
        },
        "at": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0},
            "minItems": 2,
            "maxItems": 2,
        },
    }
    if kind not in simple:
        raise ValueError(f"the schema has no rule for field kind '{kind}'; add one to schema.py")
    return dict(simple[kind])


def _field(owner: str, name: str, field: Field) -> dict[str, Any]:
    schema = _kind(field.kind)
    schema.update(EXTRA.get((owner, name), {}))
    if field.doc:
        schema = {"description": field.doc, **schema}
    return schema


def _object(name: str, fields: dict[str, Field]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {key: _field(name, key, f) for key, f in fields.items()},
        "required": [key for key, f in fields.items() if f.required],
        "additionalProperties": False,
    }


def _line() -> dict[str, Any]:
    """A radio line: exactly one speaker key (hq, narration, lena or a pilot id) beside the
    optional LINE_KEYS. JSON Schema cannot count 'other' keys directly, so for each set of
    optional keys present the line may have exactly one more."""
    optional = list(LINE_KEYS)
    cases: list[dict[str, Any]] = []
    for size in range(len(optional) + 1):
        for present in itertools.combinations(optional, size):
            absent = [k for k in optional if k not in present]
            condition: dict[str, Any] = {"required": list(present)} if present else {}
            if absent:
                condition["not"] = {"anyOf": [{"required": [k]} for k in absent]}
            cases.append(
                {
                    "if": condition,
                    "then": {"minProperties": size + 1, "maxProperties": size + 1},
                }
            )
    speakers = ", ".join(FIXED_SPEAKERS)
    return {
        "description": f"One radio line: one speaker key ({speakers} or a pilot id) with its "
        f"text, and optionally {', '.join(optional)}.",
        "type": "object",
        "properties": {key: _field("line", key, f) for key, f in LINE_KEYS.items()},
        "propertyNames": {"pattern": ID},
        "additionalProperties": _TEXT,
        "allOf": cases,
    }


def build_schema() -> dict[str, Any]:
    """The whole schema, as a JSON-ready dict."""
    defs: dict[str, Any] = {name: _object(name, dict(fields)) for name, fields in OBJECTS.items()}
    defs["line"] = _line()
    return {
        "$schema": DIALECT,
        "title": "Handler One story file",
        "description": "A scene file, or the story's manifest story.yaml "
        "(see scenes/README.md). Generated from game/engine/format.py: do not edit.",
        "$comment": f"scene format version {FORMAT_VERSION}",
        "type": "object",
        "if": {"anyOf": [{"required": [key]} for key in MANIFEST_KEYS]},
        "then": {"$ref": "#/$defs/manifest"},
        "else": {"$ref": "#/$defs/scene_file"},
        "$defs": defs,
    }


def schema_text() -> str:
    """The schema as the text shipped in `scene.schema.json`."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


def write_shipped(path: Path = SHIPPED) -> Path:
    """Regenerate the shipped copy."""
    path.write_text(schema_text(), encoding="utf-8")
    return path
