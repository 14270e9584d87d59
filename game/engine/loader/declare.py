"""Declaring: every variable, pilot, chapter, tone, persona, piece of evidence, deduction, ending
and scene id, from every file, before any scene is compiled, so that a scene may name what is
declared later or in another file. Then the passes that need every declaration: resolving what
each deduction requires, and the scope conditions are checked against.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from game.engine.conditions import Scope
from game.engine.diagnostics import Mark
from game.engine.format import LINE_KEYS
from game.engine.loader.context import Context
from game.engine.loader.fields import (
    as_list,
    check_keys,
    item_mark,
    key_mark,
    read_bool,
    read_id,
    read_int,
    read_refs,
    read_text,
    show,
)
from game.engine.loader.read import SourceFile
from game.engine.model import (
    EVIDENCE_SOURCES,
    FIXED_SPEAKERS,
    PILOT_STATUSES,
    Chapter,
    Deduction,
    Ending,
    Evidence,
    Persona,
    Pilot,
    Tone,
    Variable,
)
from game.engine.text import sanitise
from game.engine.yamlsafe import MarkedDict, MarkedList

RESERVED_WORDS = ("true", "false", "and", "or", "not")
"""Words of the condition language, which no variable may be named."""


@dataclass
class Pending:
    """What declaring leaves to later passes: each deduction's entry with its id (its
    `requires` may name evidence a later file declares) and each scene's entry with the
    chapter of its file."""

    deductions: list[tuple[MarkedDict, str]] = field(default_factory=list)
    scenes: list[tuple[MarkedDict, int]] = field(default_factory=list)


def declare(ctx: Context, files: Iterable[SourceFile], manifest: SourceFile) -> Pending:
    """Declare pass. Takes every parsed file; fills the context's tables (a deduction's
    `requires` still empty) and the scene ids, and gives what later passes need."""
    pending = Pending()
    for file in files:
        kind = "manifest" if file is manifest else "scene_file"
        data = _file_data(ctx, file, kind)
        if data is None:
            continue
        _read_variables(ctx, data.get("variables"), key_mark(data, "variables"))
        if kind == "manifest":
            _read_pilots(ctx, data.get("pilots"), key_mark(data, "pilots"))
            _read_chapters(ctx, data.get("chapters"), key_mark(data, "chapters"))
            _read_tones(ctx, data.get("tones"), key_mark(data, "tones"))
            _read_personas(ctx, data.get("personas"), key_mark(data, "personas"))
        _read_evidence(ctx, data.get("evidence"), key_mark(data, "evidence"))
        pending.deductions += _read_deductions(
            ctx, data.get("deductions"), key_mark(data, "deductions")
        )
        _read_endings(ctx, data.get("endings"), key_mark(data, "endings"))
        if kind == "scene_file":
            pending.scenes += _declare_scenes(ctx, data)
    return pending


def resolve_deductions(ctx: Context, entries: Iterable[tuple[MarkedDict, str]]) -> None:
    """Resolve pass. Takes each declared deduction's entry, once every file's evidence is
    declared; gives the deduction in `ctx.deductions` the evidence it requires (E032 for what
    is not declared; W003 when a deduction joins fewer than two pieces)."""
    for data, did in entries:
        requires = read_refs(
            ctx, data.get("requires"), key_mark(data, "requires"), "evidence", ctx.evidence
        )
        if len(requires) < 2 and "requires" in data and not ctx.failed:
            ctx.warning(
                key_mark(data, "requires"),
                "W003",
                "a deduction usually joins two or more pieces of evidence",
            )
        ctx.deductions[did] = dataclasses.replace(ctx.deductions[did], requires=requires)


def build_scope(ctx: Context) -> Scope:
    """Scope pass. Takes the complete declarations; gives what a condition may name: each
    variable with its type, and the ids of scenes, evidence, deductions and pilots."""
    return Scope(
        {name: v.type for name, v in ctx.variables.items()},
        {
            "scene": frozenset(ctx.scene_marks),
            "evidence": frozenset(ctx.evidence),
            "deduction": frozenset(ctx.deductions),
            "pilot": frozenset(ctx.pilots),
        },
    )


# --- one file ------------------------------------------------------------------------------------


def _file_data(ctx: Context, file: SourceFile, kind: str) -> MarkedDict | None:
    """The file's top-level mapping, its keys checked; None for an empty file (W002) or one
    that is not a mapping."""
    where = Mark(file.display)
    if file.data is None:
        ctx.warning(where, "W002", "this file is empty")
        return None
    if kind == "scene_file" and isinstance(file.data, MarkedList):
        ctx.error(
            where,
            "E002",
            "a scene file is a mapping with 'chapter' and 'scenes' (see scenes/README.md)",
        )
        return None
    what = "story.yaml" if kind == "manifest" else "a scene file"
    if not check_keys(ctx, file.data, kind, where, what):
        return None
    return file.data


def _declare_scenes(ctx: Context, data: MarkedDict) -> list[tuple[MarkedDict, int]]:
    """A scene file's scenes, each with a new id, with the file's chapter (default 1)."""
    chapter = read_int(ctx, data, "chapter", "a scene file", 1) if "chapter" in data else 1
    scenes = as_list(ctx, data.get("scenes"), key_mark(data, "scenes"), "'scenes'")
    entries: list[tuple[MarkedDict, int]] = []
    for index, sdata in enumerate(scenes):
        if not check_keys(ctx, sdata, "scene", item_mark(scenes, index), "a scene"):
            continue
        sid = read_id(ctx, sdata, "id", "a scene")
        if sid is None:
            continue
        if sid in ctx.scene_marks:
            ctx.error(
                sdata.mark,
                "E020",
                f"duplicate scene id '{sid}' (first declared at {ctx.scene_marks[sid]})",
            )
            continue
        ctx.scene_marks[sid] = sdata.mark
        entries.append((sdata, chapter))
    return entries


# --- declarations of every kind -------------------------------------------------------------------


def _declare(ctx: Context, table: dict[str, Any], key: str, mark: Mark, kind: str) -> bool:
    if key in table:
        first = table[key].mark
        ctx.error(mark, "E020", f"duplicate {kind} id '{key}' (first declared at {first})")
        return False
    return True


def _read_variables(ctx: Context, items: Any, where: Mark) -> None:
    items = as_list(ctx, items, where, "'variables'")
    for data in items:
        if not check_keys(ctx, data, "variable", items.mark, "a variable"):
            continue
        name = read_id(ctx, data, "name", "a variable")
        kind = data.get("type")
        if kind not in ("bool", "int", "text"):
            ctx.error(
                key_mark(data, "type"),
                "E013",
                f"variable type must be bool, int or text (got {show(kind)})",
            )
            continue
        default = data.get("default")
        ok = {
            "bool": isinstance(default, bool),
            "int": isinstance(default, int) and not isinstance(default, bool),
            "text": isinstance(default, str),
        }[kind]
        if not ok:
            ctx.error(
                key_mark(data, "default"),
                "E012",
                f"default of '{name}' must be {kind} (got {show(default)})",
            )
            continue
        low = data.get("min")
        high = data.get("max")
        for bound_key, bound in (("min", low), ("max", high)):
            if bound is not None and (
                kind != "int" or isinstance(bound, bool) or not isinstance(bound, int)
            ):
                ctx.error(
                    key_mark(data, bound_key),
                    "E012",
                    f"'{bound_key}' is for int variables and must be a whole number",
                )
                low = high = None
        if low is not None and high is not None and low > high:
            ctx.error(key_mark(data, "min"), "E013", f"'min' ({low}) is above 'max' ({high})")
        if kind == "int" and (
            (low is not None and default < low) or (high is not None and default > high)
        ):
            ctx.error(
                key_mark(data, "default"), "E013", f"default {default} is outside {low}..{high}"
            )
        if name and _declare(ctx, ctx.variables, name, data.mark, "variable"):
            if name in ("true", "false", "and", "or", "not"):
                ctx.error(data.mark, "E013", f"'{name}' is a reserved word")
                continue
            ctx.variables[name] = Variable(name, kind, default, low, high, data.mark)


def _read_pilots(ctx: Context, items: Any, where: Mark) -> None:
    items = as_list(ctx, items, where, "'pilots'")
    for data in items:
        if not check_keys(ctx, data, "pilot", items.mark, "a pilot"):
            continue
        pid = read_id(ctx, data, "id", "a pilot")
        status = data.get("status", "active")
        if status not in PILOT_STATUSES:
            ctx.error(
                key_mark(data, "status"),
                "E013",
                f"status must be one of {', '.join(PILOT_STATUSES)}",
            )
            status = "active"
        if pid in (*FIXED_SPEAKERS, *LINE_KEYS):
            ctx.error(
                key_mark(data, "id"),
                "E013",
                f"'{pid}' is reserved for radio lines; pick another pilot id",
            )
            continue
        if pid and _declare(ctx, ctx.pilots, pid, data.mark, "pilot"):
            ctx.pilots[pid] = Pilot(
                pid,
                sanitise(read_text(ctx, data, "callsign", "a pilot")),
                sanitise(read_text(ctx, data, "name", "a pilot")),
                sanitise(read_text(ctx, data, "role", "a pilot")),
                status,
                read_bool(ctx, data, "known", "a pilot"),
                data.mark,
            )


def _read_evidence(ctx: Context, items: Any, where: Mark) -> None:
    items = as_list(ctx, items, where, "'evidence'")
    for data in items:
        if not check_keys(ctx, data, "evidence", items.mark, "an evidence entry"):
            continue
        eid = read_id(ctx, data, "id", "an evidence entry")
        source = data.get("source")
        if source not in EVIDENCE_SOURCES:
            ctx.error(
                key_mark(data, "source"),
                "E013",
                f"source must be one of {', '.join(EVIDENCE_SOURCES)}",
            )
            continue
        if eid and _declare(ctx, ctx.evidence, eid, data.mark, "evidence"):
            ctx.evidence[eid] = Evidence(
                eid,
                sanitise(read_text(ctx, data, "title", "an evidence entry")),
                sanitise(read_text(ctx, data, "text", "an evidence entry")),
                source,
                data.mark,
            )


def _read_deductions(ctx: Context, items: Any, where: Mark) -> list[tuple[MarkedDict, str]]:
    items = as_list(ctx, items, where, "'deductions'")
    pending: list[tuple[MarkedDict, str]] = []
    for data in items:
        if not check_keys(ctx, data, "deduction", items.mark, "a deduction"):
            continue
        did = read_id(ctx, data, "id", "a deduction")
        if did and _declare(ctx, ctx.deductions, did, data.mark, "deduction"):
            ctx.deductions[did] = Deduction(
                did,
                sanitise(read_text(ctx, data, "title", "a deduction")),
                sanitise(read_text(ctx, data, "text", "a deduction")),
                (),
                sanitise(read_text(ctx, data, "hint", "a deduction")),
                data.mark,
            )
            pending.append((data, did))
    return pending


def _read_endings(ctx: Context, items: Any, where: Mark) -> None:
    items = as_list(ctx, items, where, "'endings'")
    for data in items:
        if not check_keys(ctx, data, "ending", items.mark, "an ending"):
            continue
        eid = read_id(ctx, data, "id", "an ending")
        if eid and _declare(ctx, ctx.endings, eid, data.mark, "ending"):
            ctx.endings[eid] = Ending(
                eid,
                sanitise(read_text(ctx, data, "title", "an ending")),
                sanitise(read_text(ctx, data, "text", "an ending")),
                data.mark,
            )


def _read_chapters(ctx: Context, items: Any, where: Mark) -> None:
    items = as_list(ctx, items, where, "'chapters'")
    for data in items:
        if not check_keys(ctx, data, "chapter", items.mark, "a chapter"):
            continue
        number = read_int(ctx, data, "number", "a chapter")
        if number in ctx.chapters:
            ctx.error(data.mark, "E020", f"chapter {number} is declared twice")
            continue
        ctx.chapters[number] = Chapter(number, sanitise(read_text(ctx, data, "title", "a chapter")))


def _read_tones(ctx: Context, items: Any, where: Mark) -> None:
    items = as_list(ctx, items, where, "'tones'")
    for data in items:
        if not check_keys(ctx, data, "tone", items.mark, "a tone"):
            continue
        tid = read_id(ctx, data, "id", "a tone")
        if tid and _declare(ctx, ctx.tones, tid, data.mark, "tone"):
            ctx.tones[tid] = Tone(tid, sanitise(read_text(ctx, data, "title", "a tone")), data.mark)


def _read_personas(ctx: Context, items: Any, where: Mark) -> None:
    """Personas name tones, so they are read after the manifest's `tones`."""
    items = as_list(ctx, items, where, "'personas'")
    for data in items:
        if not check_keys(ctx, data, "persona", items.mark, "a persona"):
            continue
        pid = read_id(ctx, data, "id", "a persona")
        prefers = read_refs(ctx, data.get("prefers"), key_mark(data, "prefers"), "tone", ctx.tones)
        avoids = (
            read_refs(ctx, data["avoids"], key_mark(data, "avoids"), "tone", ctx.tones)
            if "avoids" in data
            else ()
        )
        both = sorted(set(prefers) & set(avoids))
        if both:
            ctx.error(
                key_mark(data, "avoids"),
                "E013",
                f"a persona cannot both prefer and avoid {', '.join(both)}",
            )
        consistency = read_int(ctx, data, "consistency", "a persona", 85)
        if not 0 <= consistency <= 100:
            ctx.error(key_mark(data, "consistency"), "E013", "consistency is a percent, 0 to 100")
            consistency = max(0, min(100, consistency))
        if pid and _declare(ctx, ctx.personas, pid, data.mark, "persona"):
            ctx.personas[pid] = Persona(
                pid,
                sanitise(read_text(ctx, data, "title", "a persona")),
                prefers,
                avoids,
                consistency,
                data.mark,
            )
