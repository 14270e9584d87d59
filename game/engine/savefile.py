"""A save file, described once: its header here, its game in `game.engine.state`.

A save is one UTF-8 JSON object (`saves/README.md` shows one as a player meets it):

    format          FORMAT, so that no other JSON file is taken for a save
    format_version  the format it was written in; older ones are upgraded as they are read
                    (`game.engine.migrations`)
    game_version    the version of the game that wrote it
    story           a `StoryRef`: the story it belongs to
    meta            a `SaveMeta`: what save screens show (never trusted for play)
    state           a `game.engine.state.GameState`: the whole game
    checksum        "sha256:" and the SHA-256 of the rest, written canonically (`checksum`)

Everything but `state` is the *header*, typed here with the standard library: `read` checks each
field of the JSON against these classes' annotations (and their `AtLeast` bounds), so listing
saves (the title screen does, before anything is played) imports neither msgspec nor the game
state. The state is a msgspec Struct, decoded and checked by its own definition only when a game
is loaded (`SaveFile.document`).

The header classes are NamedTuples rather than frozen dataclasses because the title screen
imports this module: such a class costs about a tenth as much to create (measured here: 80 µs
against 680 µs for twelve fields). Their annotations are evaluated at import (no `from
__future__ import annotations`): `read` inspects them.
"""

import copy
import hashlib
import json
import math
import types
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple, get_args, get_origin

from game.engine.migrations import MIGRATIONS, Document

if TYPE_CHECKING:
    from game.engine.state import GameState

FORMAT = "handler-one-save"
FORMAT_VERSION = 3
MAX_SAVE_BYTES = 16 * 1024 * 1024

SaveKind = Literal["named", "auto", "quick"]
KINDS: tuple[SaveKind, ...] = get_args(SaveKind)


class AtLeast(NamedTuple):
    """A bound a type cannot say: the least value a number in a save may hold."""

    least: int


Count = Annotated[int, AtLeast(0)]
Seconds = Annotated[float, AtLeast(0)]


class DamagedSave(ValueError):
    """The bytes are not a readable save. The message says why, for a player; the store puts the
    slot's name in front of it."""


class SaveTooLarge(ValueError):
    """A game whose save would be larger than any save `read` accepts: it is not written, so
    that no save the game cannot load back ever replaces one it can."""


class StoryRef(NamedTuple):
    """The story a save belongs to."""

    id: str
    title: str
    content_hash: str  # of the story's files when the save was made: a differing hash is noted


class SaveMeta(NamedTuple):
    """What save screens show about a save. The game writes it and never plays from it."""

    kind: SaveKind
    saved_at: str  # ISO 8601, local time with its UTC offset
    saved_unix: Seconds
    sequence: Count  # an autosave's place in the ring; 0 for the other kinds
    play_seconds: Seconds
    chapter: int
    chapter_title: str
    scene_title: str
    header: str  # where the game stood, as the console's header line said it
    squad_summary: str  # e.g. "9 alive · 2 wounded · 1 lost"
    ending: str | None  # the ending's title once the game has ended
    orders: Count  # orders given so far


class SaveHeader(NamedTuple):
    """Everything in a save but the game: all that listing saves reads."""

    format_version: int  # the format the file was written in
    game_version: str
    story: StoryRef
    meta: SaveMeta


class SaveDocument(NamedTuple):
    """A whole save: its header and the game it holds."""

    header: SaveHeader
    state: "GameState"


class SaveFile(NamedTuple):
    """A save as read from disk: its header checked, its game still plain JSON until
    `document()` decodes it (listing saves never does)."""

    header: SaveHeader
    state: Document

    def document(self) -> SaveDocument:
        """The whole save, its game decoded and checked by `GameState`'s own definition (this
        imports msgspec and the game state); raises `DamagedSave` naming the bad field."""
        from game.engine.state import GameState

        try:
            state = GameState.from_dict(self.state, where="state")
        except ValueError as exc:
            raise DamagedSave(f"the save is damaged ({exc})") from None
        except RecursionError:
            raise DamagedSave("the file is damaged (it is nested too deeply)") from None
        if state.story_id != self.header.story.id:
            raise DamagedSave("the save is damaged (state.story_id differs from story.id)")
        return SaveDocument(self.header, state)


# --- writing ----------------------------------------------------------------------------------


def checksum(doc: Document) -> str:
    """`sha256:` and the SHA-256 of `doc` without its `checksum`, written canonically (keys
    sorted, no spaces, UTF-8). Raises `UnicodeEncodeError` for text that is not valid Unicode."""
    body = {k: v for k, v in doc.items() if k != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def encode(document: SaveDocument) -> bytes:
    """The bytes written to disk, in the current format and with its checksum: indented UTF-8
    JSON, so that a player can read it."""
    header = document.header
    doc: Document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "game_version": header.game_version,
        "story": header.story._asdict(),
        "meta": header.meta._asdict(),
        "state": document.state.to_dict(),
    }
    doc["checksum"] = checksum(doc)
    data = json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    if len(data) > MAX_SAVE_BYTES:
        # Indented for people to read; a very long game is written without the indentation
        # (the same JSON to `read`) before it is refused.
        data = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"
    if len(data) > MAX_SAVE_BYTES:
        raise SaveTooLarge(
            f"this game is too long to save ({len(data) / 2**20:.0f} MB; a save is at most "
            f"{MAX_SAVE_BYTES // 2**20} MB)"
        )
    return data


# --- reading ----------------------------------------------------------------------------------


def read(data: bytes) -> SaveFile:
    """A save file's bytes decoded, their checksum checked, upgraded to the current format and
    their header checked; raises `DamagedSave` saying what is wrong. The game is checked when
    it is decoded (`SaveFile.document`)."""
    if len(data) > MAX_SAVE_BYTES:
        raise DamagedSave(f"the file is too large to be a save ({len(data)} bytes)")
    if not data.strip():
        raise DamagedSave("the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DamagedSave("the file is damaged (it is not UTF-8 text)") from None
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise DamagedSave(
            f"the file is damaged or truncated (bad JSON at line {exc.lineno}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError):
        raise DamagedSave("the file is damaged (it is not a save's JSON)") from None
    try:
        return _check(doc)
    except RecursionError:
        raise DamagedSave("the file is damaged (it is nested too deeply)") from None
    except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape
        raise DamagedSave("the file is damaged (it holds text that is not valid Unicode)") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _check(doc: Any) -> SaveFile:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise DamagedSave("this is not a Handler One save")
    written = doc.get("format_version")
    if not _is_int(written):
        raise DamagedSave("the save has no format version")
    if written > FORMAT_VERSION:
        raise DamagedSave(
            f"it was written by a newer Handler One (save format {written}; this version reads "
            f"formats up to {FORMAT_VERSION}); update the game to load it"
        )
    if written >= 1 and doc.get("checksum") != checksum(doc):
        raise DamagedSave("the file was edited or damaged (its checksum does not match)")
    doc = _upgrade(doc, written)
    values = _fields(SaveHeader, {**doc, "format_version": written}, "")
    state = doc.get("state")
    if not isinstance(state, dict):
        raise DamagedSave("the save is damaged (no state section)")
    return SaveFile(SaveHeader(**values), state)


def _upgrade(doc: Document, version: int) -> Document:
    if version == FORMAT_VERSION:
        return doc
    doc = copy.deepcopy(doc)  # a migration may change what it is given
    while version < FORMAT_VERSION:
        upgrade = MIGRATIONS.get(version)
        if upgrade is None:
            raise DamagedSave(f"save format {version} is unknown to this version of the game")
        try:
            doc = upgrade(doc)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DamagedSave(
                f"it could not be upgraded from save format {version} ({exc})"
            ) from None
        if not isinstance(doc, dict):
            raise DamagedSave(f"it could not be upgraded from save format {version}")
        version += 1
        doc["format_version"] = version
    return doc


def _damaged(what: str) -> DamagedSave:
    return DamagedSave(f"the save is damaged ({what})")


# Checking a header: each header class is turned once into a list of (field, check) pairs read
# from its annotations, so that listing a folder of saves costs a few calls per field.
Check = Callable[[Any, str], Any]  # (the JSON value, where it is) -> the value; or raises


def _fields(cls: Any, data: Any, where: str) -> dict[str, Any]:
    """The values for header class `cls` from the JSON object `data`, each checked against its
    field's annotation; `where` names the object in messages ("meta")."""
    if not isinstance(data, dict):
        raise _damaged(f"no {where} section")
    values = {}
    for name, check, section in _plan(cls):
        place = f"{where}.{name}" if where else name
        if name not in data:
            raise _damaged(f"no {place} section" if section else f"{place} is missing")
        values[name] = check(data[name], place)
    return values


@cache
def _plan(cls: Any) -> tuple[tuple[str, Check, bool], ...]:
    """Each field of `cls`: its name, its check, and whether it is a section of its own."""
    kinds = cls.__annotations__
    return tuple((name, _check_for(kinds[name]), _is_section(kinds[name])) for name in cls._fields)


def _is_section(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, tuple) and hasattr(kind, "_fields")


def _check_for(kind: Any) -> Check:
    """The check for a field annotated `kind`: a header class, text, a whole number, a number,
    a choice of texts, or a union of those, each maybe with `AtLeast` bounds."""
    if _is_section(kind):
        return lambda value, where: kind(**_fields(kind, value, where))
    if get_origin(kind) is Annotated:
        base, *bounds = get_args(kind)
        check = _check_for(base)
        least = max(bound.least for bound in bounds)

        def bounded(value: Any, where: str) -> Any:
            value = check(value, where)
            if value < least:
                raise _damaged(f"{where} is less than {least}")
            return value

        return bounded
    fits, description = _test(kind), _describe(kind)

    def checked(value: Any, where: str) -> Any:
        if not fits(value):
            raise _damaged(f"{where} is not {description}")
        return float(value) if kind is float else value

    return checked


def _test(kind: Any) -> Callable[[Any], bool]:
    origin = get_origin(kind)
    if origin is types.UnionType:
        arms = [_test(arm) for arm in get_args(kind)]
        return lambda value: any(fits(value) for fits in arms)
    if origin is Literal:
        choices = frozenset(get_args(kind))
        return lambda value: isinstance(value, str) and value in choices
    tests: dict[Any, Callable[[Any], bool]] = {
        str: lambda value: isinstance(value, str),
        int: _is_int,
        float: lambda value: (_is_int(value) or isinstance(value, float)) and math.isfinite(value),
        type(None): lambda value: value is None,
    }
    if kind not in tests:
        raise TypeError(f"a save header cannot hold {kind!r}")  # a type `read` cannot check
    return tests[kind]


def _describe(kind: Any) -> str:
    origin = get_origin(kind)
    if origin is types.UnionType:
        return " or ".join(_describe(arm) for arm in get_args(kind))
    if origin is Literal:
        *first, last = get_args(kind)
        return f"{', '.join(first)} or {last}" if first else last
    return {str: "text", int: "a whole number", float: "a number", type(None): "null"}[kind]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
