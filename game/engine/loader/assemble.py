"""Assembling: the manifest's own keys (the story's id, title and first scene), and the
immutable `Story` made of everything the other passes built."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from game.engine.format import STORY_ID
from game.engine.loader.context import Context
from game.engine.loader.fields import key_mark, read_ref, read_text, show
from game.engine.loader.read import SourceFile
from game.engine.model import Scene, Story, state_name
from game.engine.text import sanitise
from game.engine.yamlsafe import MarkedDict

STORY_ID_PATTERN = re.compile(rf"(?:{STORY_ID})\Z")


@dataclass(frozen=True, slots=True)
class Header:
    """The manifest's own keys; None where one is missing or wrong (the story cannot load)."""

    id: str | None
    title: str
    start: str | None


def read_header(ctx: Context, manifest: SourceFile) -> Header:
    """Takes the manifest, once scene ids are declared; gives its id (E012 unless it matches
    `STORY_ID_PATTERN`), title and start scene (E030 if no scene has that id)."""
    header = manifest.data if isinstance(manifest.data, MarkedDict) else MarkedDict()
    story_id = None
    if "id" in header:
        value = header["id"]
        if isinstance(value, str) and STORY_ID_PATTERN.match(value):
            story_id = value
        else:
            ctx.error(
                key_mark(header, "id"),
                "E012",
                f"the story id is lower case letters, digits, '_' and '-' (got {show(value)})",
            )
    title = read_text(ctx, header, "title", "story.yaml") if "title" in header else ""
    start = (
        read_ref(ctx, header.get("start"), key_mark(header, "start"), "scene", ctx.scene_marks)
        if "start" in header
        else None
    )
    return Header(story_id, sanitise(title), start)


def assemble(
    ctx: Context,
    header: Header,
    scenes: dict[str, Scene],
    content_hash: str,
    *,
    partial: bool = False,
) -> Story | None:
    """Assemble pass. Takes the header, the compiled scenes and the files' hash with the
    context's tables; gives the `Story` (its warnings kept on it), or None if any pass found
    an error. With `partial`, a story is given despite errors, made of what did compile (never
    to be played: `validate` runs the checks on it that errors elsewhere cannot mislead)."""
    if not partial and (ctx.failed or header.id is None or header.start is None):
        return None
    start = header.start or next(iter(scenes), None)
    if start is None or start not in scenes:
        return None
    return Story(
        id=header.id or "partial",
        title=header.title,
        start=start,
        chapters=MappingProxyType(dict(sorted(ctx.chapters.items()))),
        variables=MappingProxyType(ctx.variables),
        pilots=MappingProxyType(ctx.pilots),
        evidence=MappingProxyType(ctx.evidence),
        deductions=MappingProxyType(ctx.deductions),
        endings=MappingProxyType(ctx.endings),
        scenes=MappingProxyType(scenes),
        maps=MappingProxyType(ctx.maps),
        content_hash=content_hash,
        root=str(ctx.root),
        warnings=tuple(d for d in ctx.diagnostics if d.severity == "warning"),
        state_names=tuple(
            state_name(s.id, r) for s in scenes.values() for r in range(1, s.rounds + 1)
        ),
        tones=MappingProxyType(ctx.tones),
        personas=MappingProxyType(ctx.personas),
        speakers=MappingProxyType(ctx.speakers),
        condition_marks=MappingProxyType(ctx.condition_marks),
    )
