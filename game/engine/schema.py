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

from game.engine.format import (
    FORMAT_VERSION,
    INT_MAX,
    INT_MIN,
    LINE_KEYS,
    MAX_SIGNAL,
    MIN_SIGNAL,
    OBJECTS,
    RESERVED_NAMES,
    RESERVED_SPEAKER_IDS,
    STORY_ID,
    WORDS_TEXT,
    Field,
)
from game.engine.format import ID as ID_SHAPE
from game.engine.format import WORD as WORD_SHAPE
from game.engine.loader import MAX_TEXT
from game.engine.model import FIXED_SPEAKERS, PILOT_STATUSES

SHIPPED = Path(__file__).with_name("scene.schema.json")
DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID = f"^{ID_SHAPE}$"
WORD = f"^{WORD_SHAPE}$"
# Manifest-only keys: a file with any of them is checked as story.yaml.
MANIFEST_KEYS = sorted(set(OBJECTS["manifest"]) - set(OBJECTS["scene_file"]))
# Rules the loader checks that a field's kind alone does not say.
EXTRA: dict[tuple[str, str], dict[str, Any]] = {
    ("line", "signal"): {"minimum": MIN_SIGNAL, "maximum": MAX_SIGNAL},
    ("branch", "weight"): {"minimum": 1},
    ("persona", "consistency"): {"minimum": 0, "maximum": 100},
    ("manifest", "id"): {"pattern": f"^{STORY_ID}$"},
    ("engagement", "rounds"): {"minItems": 1},
    ("engagement", "orders"): {"minItems": 1},
    ("variable", "name"): {"not": {"enum": list(RESERVED_NAMES)}},
    ("pilot", "id"): {"not": {"enum": [*FIXED_SPEAKERS, *LINE_KEYS]}},
    ("speaker", "id"): {"not": {"enum": [*FIXED_SPEAKERS, *LINE_KEYS, *RESERVED_SPEAKER_IDS]}},
}
# Keys an order may carry only in an engagement (heeds, risk): a scene's orders are checked
# against `order` without them, an engagement's and its rounds' against `engagement_order`.
ENGAGEMENT_ONLY = ("heeds", "risk")

_REF = {"type": "string", "pattern": ID}
_TEXT = {"anyOf": [{"type": "string", "maxLength": MAX_TEXT}, {"type": "number"}]}
_INT = {"type": "integer", "minimum": INT_MIN, "maximum": INT_MAX}


def _kind(kind: str) -> dict[str, Any]:
    """The schema of one field kind from `game.engine.format`."""
    if kind.startswith("list:"):
        return {"type": "array", "items": {"$ref": f"#/$defs/{kind[5:]}"}}
    if kind.startswith("enum:"):
        return {"enum": kind[5:].split(",")}
    simple: dict[str, dict[str, Any]] = {
        "id": {"type": "string", "pattern": ID},
        "text": _TEXT,
        "notes": {},
        "int": _INT,
        "bool": {"type": "boolean"},
        "value": {"anyOf": [{"type": ["boolean", "string"]}, _INT]},
        "scene_ref": _REF,
        "ending_ref": _REF,
        "map_ref": _REF,
        "tone_ref": _REF,
        "tone_refs": {"anyOf": [_REF, {"type": "array", "items": _REF}]},
        "condition": {"type": ["string", "boolean"]},
        "int_expr": {"anyOf": [{"type": "string"}, _INT]},
        "effects": {"$ref": "#/$defs/effects"},
        "engagement": {"$ref": "#/$defs/engagement"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}},
        "evidence_refs": {"anyOf": [_REF, {"type": "array", "items": _REF}]},
        "pilot_refs": {"anyOf": [_REF, {"type": "array", "items": _REF}]},
        "words": {
            "anyOf": [
                {"type": "string", "pattern": f"^{WORDS_TEXT}$"},
                {
                    "type": "array",
                    "items": {
                        "anyOf": [
                            {"type": "string", "pattern": WORD},
                            {**_INT, "minimum": 0},
                        ]
                    },
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
            "additionalProperties": {"anyOf": [{"type": ["boolean", "string"]}, _INT]},
        },
        "increments": {
            "type": "object",
            "propertyNames": {"pattern": ID},
            "additionalProperties": _INT,
        },
        "statuses": {
            "type": "object",
            "propertyNames": {"pattern": ID},
            "additionalProperties": {"enum": list(PILOT_STATUSES)},
        },
        "at": {
            "type": "array",
            "items": {**_INT, "minimum": 0},
            "minItems": 2,
            "maxItems": 2,
        },
    }
    if kind not in simple:
        raise ValueError(f"the schema has no rule for field kind '{kind}'; add one to schema.py")
    return dict(simple[kind])


# Kinds the loader reads as absent when written empty (`radio:` with nothing after it is null).
NULL_AS_ABSENT = ("lines", "effects", "assignments", "increments")


def _field(owner: str, name: str, field: Field) -> dict[str, Any]:
    schema = _kind(field.kind)
    extra = EXTRA.get((owner, name), {})
    schema.update(extra)
    nullable = field.kind.startswith("list:") or field.kind in NULL_AS_ABSENT
    if nullable and "minItems" not in extra and isinstance(schema.get("type"), str):
        # A list of types, not anyOf: editors then still name the exact mistake inside.
        schema["type"] = [schema["type"], "null"]
    if field.doc:
        schema = {"description": field.doc, **schema}
    return schema


def _object(name: str, fields: dict[str, Field]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {key: _field(name, key, f) for key, f in fields.items()},
        "required": [key for key, f in fields.items() if f.required],
        "additionalProperties": False,
    }
    schema.update(_RULES.get(name, {}))
    return schema


def _variable_rules() -> dict[str, Any]:
    """A variable's default is of its type; min and max are for int variables."""
    cases: list[dict[str, Any]] = [
        {
            "if": {"required": ["type"], "properties": {"type": {"const": kind}}},
            "then": {"properties": {"default": shape}},
        }
        for kind, shape in (
            ("bool", {"type": "boolean"}),
            ("int", _INT),
            ("text", {"type": "string"}),
        )
    ]
    cases.append(
        {
            "if": {"required": ["type"], "properties": {"type": {"enum": ["bool", "text"]}}},
            "then": {"not": {"anyOf": [{"required": ["min"]}, {"required": ["max"]}]}},
        }
    )
    return {"allOf": cases}


# Rules across an object's keys, which the loader checks too (E013, E050).
_RULES: dict[str, dict[str, Any]] = {
    "variable": _variable_rules(),
    "order": {"dependentRequired": {"disabled": ["if"], "hint_if": ["disabled"]}},
    "scene": {
        "oneOf": [{"required": [key]} for key in ("orders", "ending", "engagement")],
    },
}


def _orders_by_place(defs: dict[str, Any]) -> None:
    """`heeds` and `risk` only in an engagement's orders (`ENGAGEMENT_ONLY`); `goto` required
outside one."""
    full = defs["order"]
    defs["engagement_order"] = full
    scene_order = json.loads(json.dumps(full))
    for key in ENGAGEMENT_ONLY:
        del scene_order["properties"][key]
    # Outside an engagement an order must lead somewhere (E051); in one it may not.
    scene_order["required"] = [*scene_order["required"], "goto"]
    defs["order"] = scene_order
    for owner in ("engagement", "round"):
        defs[owner]["properties"]["orders"]["items"] = {"$ref": "#/$defs/engagement_order"}


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
    _orders_by_place(defs)
    defs["effects"]["type"] = ["object", "null"]  # `effects:` left empty: none (NULL_AS_ABSENT)
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
