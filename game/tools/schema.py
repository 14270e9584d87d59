"""`handler-one schema`: print the JSON Schema for scene files (or rewrite the shipped copy)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def register_command(register: Callable[..., None]) -> None:
    """Add `schema` to the `handler-one` command."""
    register("schema", _configure, run, "print the JSON Schema for scene files and story.yaml")


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--write",
        action="store_true",
        help="rewrite the shipped game/engine/scene.schema.json (after changing format.py)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the schema, or write the shipped copy."""
    from game.engine.schema import schema_text, write_shipped

    if args.write:
        path = write_shipped()
        print(f"wrote {path}", file=sys.stderr)
        return 0
    sys.stdout.write(schema_text())
    return 0
