"""Reading the files: which YAML files make the story, each parsed within bounds, and the hash
of their bytes that saves and the cache remember."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from game.engine.diagnostics import Mark, display_path
from game.engine.files import MAX_FILES, story_files
from game.engine.loader.context import Context
from game.engine.yamlsafe import YamlProblem, parse_yaml, read_yaml_bytes

MANIFEST = "story.yaml"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One parsed file: where it is, how diagnostics name it, and its data (None if empty)."""

    path: Path
    display: str
    data: Any


@dataclass(frozen=True, slots=True)
class StoryFiles:
    """Every file of a story, parsed, in load order; the manifest among them."""

    files: list[SourceFile]
    manifest: SourceFile
    content_hash: str


def read_files(ctx: Context) -> StoryFiles | None:
    """Read pass. Takes the story folder (`ctx.root`); gives its files parsed, in the order
    `files.story_files` lists them, with the first 16 hex digits of a SHA-256 over their paths
    and bytes. Gives None after reporting (E002) a missing folder or story.yaml or too many
    files, or (E001) any file that does not parse: a file that does not parse hides its
    declarations, and errors about missing ids would only mislead, so loading stops at the
    syntax errors as a compiler does."""
    root = ctx.root
    manifest_path = root / MANIFEST
    if not root.is_dir():
        ctx.error(
            Mark(str(root)), "E002", "no story folder here; pass the folder that holds story.yaml"
        )
        return None
    if not manifest_path.is_file():
        ctx.error(
            Mark(display_path(manifest_path)),
            "E002",
            "story.yaml is missing; every story folder needs one (see scenes/README.md)",
        )
        return None
    paths = story_files(root)
    if len(paths) > MAX_FILES:
        ctx.error(Mark(str(root)), "E002", f"more than {MAX_FILES} YAML files under this folder")
        return None
    digest = hashlib.sha256()
    files: list[SourceFile] = []
    for path in paths:
        display = display_path(path)
        ctx.places.paths[display] = path
        try:
            raw = read_yaml_bytes(path, display)
            data = parse_yaml(raw, display)
        except YamlProblem as exc:
            ctx.error(exc.mark, "E001", exc.message)
            continue
        # Keyed by the path inside the story, so the hash is the same from any directory; the
        # bytes hashed are the bytes parsed, read once.
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + raw)
        files.append(SourceFile(path, display, data))
    manifest = next((f for f in files if f.path == manifest_path), None)
    if manifest is None or ctx.failed:
        return None
    return StoryFiles(files, manifest, digest.hexdigest()[:16])
