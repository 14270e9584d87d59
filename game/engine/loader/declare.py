"""Declaring: every variable, pilot, chapter, tone, persona, piece of evidence, deduction, ending
and scene id, from every file, before any scene is compiled, so that a scene may name what is
declared later or in another file. Then the passes that need every declaration: resolving what
each deduction requires, and the scope conditions are checked against.

Every kind of declaration is read the same way: a list of mappings whose keys are checked
against `format.OBJECTS`, each with an id that must be new; its particular fields are checked
(`_KINDS`), then it is built with its text and true/false fields read as the format's table
lists them. Chapters, numbered rather than named, and scene ids have readers of their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from game.engine.conditions import Scope
from game.engine.diagnostics import Mark
from game.engine.format import LINE_KEYS, OBJECTS, RESERVED_NAMES, RESERVED_SPEAKER_IDS, whole
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
    Speaker,
    Tone,
    Variable,
)
from game.engine.text import sanitise
from game.engine.yamlsafe import MarkedDict, MarkedList

RESERVED_WORDS = RESERVED_NAMES


@dataclass
class Pending:
    """What declaring leaves to later passes: each deduction's entry with its id (its
    `requires` may name evidence a later file declares) and each scene's entry with the
    chapter of its file."""

    deductions: list[tuple[MarkedDict, str]] = field(default_factory=list)
    scenes: list[tuple[MarkedDict, int]] = field(default_factory=list)


def declare(ctx: Context, files: Iterable[SourceFile], manifest: SourceFile) -> Pending:
    """Declare pass. Takes every parsed file; fills the context's tables (a deduction's
    `requires` still empty) and gives what later passes need. Within a file, lists are read in
    `_LISTS` order, each only where the format allows it (the manifest holds them all, a scene
    file some), then a scene file's scene ids. The manifest is declared first, then the scene
    files in load order: of an id declared twice, the manifest's (or else the first file's) is
    the one kept, and the other is the duplicate reported."""
    pending = Pending()
    ordered = [manifest, *(f for f in files if f is not manifest)]
    for file in ordered:
        kind = "manifest" if file is manifest else "scene_file"
        data = _file_data(ctx, file, kind)
        if data is None:
            continue
        for key in _LISTS:
            if key not in OBJECTS[kind]:
                continue
            items, where = data.get(key), key_mark(data, key)
            if key == "chapters":
                _declare_chapters(ctx, items, where)
            elif key == "deductions":
                pending.deductions += _declare_list(ctx, key, items, where)
            else:
                _declare_list(ctx, key, items, where)
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
        # Counted as written, so that an id misspelt in the list (its own error) is no reason.
        written = data.get("requires")
        pieces = 1 if isinstance(written, str) else len(written) if isinstance(written, list) else 2
        if pieces < 2 and "requires" in data:
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
            written = sdata.get("id")
            if not isinstance(written, str) or not written or written in ctx.scene_marks:
                continue
            ctx.broken.add(written)  # its gotos find it; the scene itself is not compiled
            ctx.scene_marks[written] = sdata.mark
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


# --- declarations of every kind ------------------------------------------------------------------

Checks = Callable[[Context, MarkedDict, str | None], dict[str, Any] | None]
"""A kind's own checks: given an entry and its id (None if the id was bad), the fields
particular to the kind, or None when the entry cannot be declared."""


@dataclass(frozen=True, slots=True)
class _Kind:
    """How one kind of declaration is read: its name in `format.OBJECTS` (and in "duplicate
    pilot id"), how a message names one, the model it becomes, the key holding its id, and its
    own checks (if any)."""

    kind: str
    what: str
    model: type
    checks: Checks | None = None
    id_key: str = "id"
    fallback: Callable[[MarkedDict], dict[str, Any]] = lambda data: {}


def _declare_list(ctx: Context, key: str, items: Any, where: Mark) -> list[tuple[MarkedDict, str]]:
    """Declare the entries of a file's list `key` (e.g. 'pilots') into the context's table of
    the same name; gives the entries declared, with their ids."""
    spec = _KINDS[key]
    table: dict[str, Any] = getattr(ctx, key)
    items = as_list(ctx, items, where, f"'{key}'")
    declared: list[tuple[MarkedDict, str]] = []
    for data in items:
        if not check_keys(ctx, data, spec.kind, items.mark, spec.what):
            continue
        ident = read_id(ctx, data, spec.id_key, spec.what)
        particular = spec.checks(ctx, data, ident) if spec.checks else {}
        if ident is None:
            # A bad id is still the name the story uses for it: declared, so that what names
            # it is not reported again (the story does not load anyway).
            written = data.get(spec.id_key)
            if not isinstance(written, str) or not written or written in table:
                continue
            ident = written
            ctx.broken.add(ident)
        if ident in table:
            first = table[ident].mark
            ctx.error(
                data.mark, "E020", f"duplicate {spec.kind} id '{ident}' (first declared at {first})"
            )
            continue
        if particular is None:
            # The entry failed its own checks (reported): it still declares its name, with the
            # kind's stand-in values, so that its uses are not reported as missing.
            ctx.broken.add(ident)
            particular = spec.fallback(data)
            if spec.kind == "variable" and data.get("type") not in ("bool", "int", "text"):
                ctx.untyped.add(ident)
        plain = _plain_fields(ctx, data, spec.kind, spec.what)
        table[ident] = spec.model(**{spec.id_key: ident}, **particular, **plain, mark=data.mark)
        declared.append((data, ident))
    return declared


def _declare_chapters(ctx: Context, items: Any, where: Mark) -> None:
    """Chapters are numbered, not named: a number declared twice is an error of its own."""
    items = as_list(ctx, items, where, "'chapters'")
    for data in items:
        if not check_keys(ctx, data, "chapter", items.mark, "a chapter"):
            continue
        number = read_int(ctx, data, "number", "a chapter")
        if number in ctx.chapters:
            ctx.error(data.mark, "E020", f"chapter {number} is declared twice")
            continue
        ctx.chapters[number] = Chapter(number, **_plain_fields(ctx, data, "chapter", "a chapter"))


def _plain_fields(ctx: Context, data: MarkedDict, kind: str, what: str) -> dict[str, Any]:
    """An entry's text fields (sanitised; empty when absent) and true/false ones (false when
    absent), by key, in the order `format.OBJECTS[kind]` lists them. Notes are for authors and
    never read."""
    values: dict[str, Any] = {}
    for key, fld in OBJECTS[kind].items():
        if fld.kind == "text" and key != "notes":
            values[key] = sanitise(read_text(ctx, data, key, what))
        elif fld.kind == "bool":
            values[key] = read_bool(ctx, data, key, what)
    return values


def _variable(ctx: Context, data: MarkedDict, name: str | None) -> dict[str, Any] | None:
    """A type, a default of that type, an int's range (holding the default), and a name that
    is not a reserved word."""
    kind = data.get("type")
    if kind not in ("bool", "int", "text"):
        ctx.error(
            key_mark(data, "type"),
            "E013",
            f"variable type must be bool, int or text (got {show(kind)})",
        )
        return None
    default = data.get("default")
    if kind == "int" and whole(default) is not None:
        default = whole(default)
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
        return None
    low = whole(data["min"]) if "min" in data else None
    high = whole(data["max"]) if "max" in data else None
    for bound_key, bound in (("min", low), ("max", high)):
        if bound_key in data and (kind != "int" or bound is None):
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
        ctx.error(key_mark(data, "default"), "E013", f"default {default} is outside {low}..{high}")
    if name in RESERVED_WORDS:
        ctx.error(data.mark, "E013", f"'{name}' is a reserved word")
        return None
    return {"type": kind, "default": default, "min": low, "max": high}


def _variable_fallback(data: MarkedDict) -> dict[str, Any]:
    """A variable that failed its checks: its declared type when that is one, and that type's
    plain default; a condition that reads it is not reported again (`Context.broken`)."""
    kind = data.get("type")
    kind = kind if kind in ("bool", "int", "text") else "int"
    default: Any = {"bool": False, "int": 0, "text": ""}[kind]
    return {"type": kind, "default": default, "min": None, "max": None}


def _pilot(ctx: Context, data: MarkedDict, pid: str | None) -> dict[str, Any] | None:
    """A status to start in, and an id that no radio line already uses as a key."""
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
        return None
    return {"status": status}


def _speaker(ctx: Context, data: MarkedDict, sid: str | None) -> dict[str, Any] | None:
    """A voice (hq, narration or lena; default hq), and an id no radio line or pilot uses."""
    voice = data.get("voice", "hq")
    if voice not in FIXED_SPEAKERS:
        ctx.error(
            key_mark(data, "voice"),
            "E013",
            f"voice must be one of {', '.join(FIXED_SPEAKERS)}",
        )
        return None
    if sid in (*FIXED_SPEAKERS, *LINE_KEYS, *RESERVED_SPEAKER_IDS):
        ctx.error(
            key_mark(data, "id"),
            "E013",
            f"'{sid}' is reserved for radio lines; pick another speaker id",
        )
        return None
    if sid in ctx.pilots:
        ctx.error(
            key_mark(data, "id"),
            "E020",
            f"'{sid}' is already a pilot (declared at {ctx.pilots[sid].mark}); a speaker needs "
            "an id of its own",
        )
        return None
    return {"voice": voice}


def _evidence(ctx: Context, data: MarkedDict, eid: str | None) -> dict[str, Any] | None:
    """Where the evidence came from: the official line, the radio or a record."""
    source = data.get("source")
    if source not in EVIDENCE_SOURCES:
        ctx.error(
            key_mark(data, "source"),
            "E013",
            f"source must be one of {', '.join(EVIDENCE_SOURCES)}",
        )
        return None
    return {"source": source}


def _deduction(ctx: Context, data: MarkedDict, did: str | None) -> dict[str, Any]:
    """Nothing yet: what it requires is resolved once every file's evidence is declared."""
    return {"requires": ()}


def _persona(ctx: Context, data: MarkedDict, pid: str | None) -> dict[str, Any]:
    """Tones preferred and avoided (declared ones, never the same), and a consistency in
    percent. Personas are read after the manifest's tones, which they name."""
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
    return {"prefers": prefers, "avoids": avoids, "consistency": consistency}


# The lists a file may declare, in the order they are read (personas after tones: they name
# them), and how each kind is read. Chapters have a reader of their own.
_LISTS = (
    "variables",
    "pilots",
    "speakers",
    "chapters",
    "tones",
    "personas",
    "evidence",
    "deductions",
    "endings",
)
_KINDS: dict[str, _Kind] = {
    "variables": _Kind(
        "variable", "a variable", Variable, _variable, id_key="name", fallback=_variable_fallback
    ),
    "pilots": _Kind("pilot", "a pilot", Pilot, _pilot, fallback=lambda data: {"status": "active"}),
    "speakers": _Kind("speaker", "a speaker", Speaker, _speaker, fallback=lambda data: {}),
    "tones": _Kind("tone", "a tone", Tone),
    "personas": _Kind("persona", "a persona", Persona, _persona),
    "evidence": _Kind(
        "evidence", "an evidence entry", Evidence, _evidence, fallback=lambda data: {"source": "record"}
    ),
    "deductions": _Kind("deduction", "a deduction", Deduction, _deduction),
    "endings": _Kind("ending", "an ending", Ending),
}
