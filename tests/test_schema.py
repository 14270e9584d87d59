"""The JSON Schema: generated from the format definitions, shipped, and true to the scene files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from game.engine.format import OBJECTS
from game.engine.schema import ENGAGEMENT_ONLY, SHIPPED, build_schema, schema_text
from tests.conftest import MINI

ROOT = Path(__file__).resolve().parent.parent
SCENES = ROOT / "scenes"
SHIPPED_FILES = sorted(SCENES.glob("**/*.yaml"))
HEADER = "# yaml-language-server: $schema="


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = build_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator: jsonschema.Draft202012Validator, data: object) -> list[str]:
    return [e.message for e in validator.iter_errors(data)]


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert SHIPPED.read_text(encoding="utf-8") == schema_text(), (
        "game/engine/scene.schema.json is stale: run 'handler-one schema --write'"
    )


def test_every_object_of_the_format_is_in_the_schema() -> None:
    defs = build_schema()["$defs"]
    assert set(defs["engagement_order"]["properties"]) == set(OBJECTS["order"])
    for name, fields in OBJECTS.items():
        # A scene's orders have no engagement-only keys; an engagement's orders have them all.
        dropped = set(ENGAGEMENT_ONLY) if name == "order" else set()
        assert set(defs[name]["properties"]) == set(fields) - dropped
        # Outside an engagement an order needs a goto (E051).
        added = {"goto"} if name == "order" else set()
        assert set(defs[name]["required"]) == {k for k, f in fields.items() if f.required} | added


def test_cli_prints_the_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "game", "schema"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert json.loads(result.stdout) == build_schema()


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: str(p.relative_to(SCENES)))
def test_every_shipped_scene_file_is_valid(
    path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    text = path.read_text(encoding="utf-8")
    assert errors(validator, yaml.safe_load(text)) == []
    first = text.splitlines()[0]
    assert first.startswith(HEADER), f"{path.name} should start with the schema line"
    target = (path.parent / first[len(HEADER) :].strip()).resolve()
    assert target == SHIPPED.resolve()


def test_there_are_shipped_scene_files() -> None:
    assert SCENES / "story.yaml" in SHIPPED_FILES


@pytest.mark.parametrize("name", ["story.yaml", "ch1.yaml"])
def test_the_fixture_story_is_valid(name: str, validator: jsonschema.Draft202012Validator) -> None:
    assert errors(validator, yaml.safe_load((MINI / name).read_text())) == []


SCENE = {
    "chapter": 1,
    "scenes": [
        {
            "id": "a",
            "title": "A",
            "radio": [{"shin": "Hello.", "signal": 2, "if": "trust > 1"}],
            "orders": [{"say": "Go.", "words": ["go"], "goto": "b"}],
        }
    ],
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["scenes"][0]["orders"][0].update(wrods=["go"]), "'wrods' was unexpected"),
        (lambda s: s["scenes"][0]["radio"][0].update(hq="Two speakers."), "too many"),
        (lambda s: s["scenes"][0]["radio"][0].pop("shin"), "does not have enough"),
        (lambda s: s["scenes"][0]["radio"][0].update(signal=7), "greater than the maximum"),
        (lambda s: s["scenes"][0]["orders"][0].pop("say"), "'say' is a required property"),
        (lambda s: s["scenes"][0]["orders"][0].update(goto=[]), "is not valid"),
        (lambda s: s["scenes"][0]["orders"][0].update(words=[False]), "is not valid"),
        (lambda s: s["scenes"][0].update(id="Not An Id"), "does not match"),
        (lambda s: s.update(start="a"), "'id' is a required property"),
    ],
)
def test_a_broken_file_fails(
    change, message: str, validator: jsonschema.Draft202012Validator
) -> None:  # noqa: ANN001
    data = json.loads(json.dumps(SCENE))
    assert errors(validator, data) == []
    change(data)
    found = errors(validator, data)
    assert found and any(message in m for m in found), found


def test_a_broken_yaml_file_fails(
    tmp_path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    broken = tmp_path / "side.yaml"
    broken.write_text(
        "chapter: 1\nscenes:\n  - id: a\n    title: A\n    orders:\n"
        "      - {say: No., words: [no], goto: b, iff: true}\n"
    )
    found = errors(validator, yaml.safe_load(broken.read_text()))
    assert any("'iff' was unexpected" in m for m in found)
    assert any("[False] is not valid" in m for m in found)
