"""Saves that never lose a game: named slots, an autosave ring and a quicksave.

A save is one JSON document per slot, `<slot>.json` in the save folder (see `saves/README.md`
for the format as players meet it). Writing is atomic: the new save goes to a temporary file in
the same folder, is flushed to disk, and only then renamed over the old one; the old version is
kept as `<slot>.bak` until the new one is complete. A write that fails (disk full, read-only
folder) leaves every existing save as it was.

Loading checks everything (the JSON's shape and types, a checksum, the story it belongs to, and
that every id it names exists in the story) and never crashes: a bad save is a one-line
`SaveError` naming the slot and the problem. When the story was edited since the save, the game
says so; when the save's scene or something it refers to is gone, the order log is replayed as far
as the story still allows and the game resumes there.

Older save formats are upgraded by the functions in `MIGRATIONS` (format version -> a function
returning the document at the next version). This module never imports a front end.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import hashlib
import json
import math
import os
import secrets
import stat
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from game import __version__
from game.engine.model import FIXED_SPEAKERS, PILOT_STATUSES, Story

if TYPE_CHECKING:
    # Listing saves (the title screen does, before anything is played) needs neither the
    # runtime nor the game state: `load` and `resume` import them, and `_scene_title` the text
    # pipeline, when a game is loaded or saved.
    from game.engine.runtime import Engine
    from game.engine.state import GameState

FORMAT = "handler-one-save"
FORMAT_VERSION = 2
ENV_VAR = "HANDLER_ONE_SAVE_DIR"
APP_NAME = "handler-one"
QUICK_SLOT = "quick"
AUTO_PREFIX = "auto-"
AUTOSAVE_SLOTS = 10
MAX_SLOT_CHARS = 64
MAX_SLOT_BYTES = 128
MAX_SAVE_BYTES = 16 * 1024 * 1024
SAVE_SUFFIX = ".json"
BACKUP_SUFFIX = ".bak"
TEMP_SUFFIX = ".tmp"
STALE_TEMP_SECONDS = 3600.0  # a temporary file this old is left from a crash
ORPHAN_TEMP_SECONDS = 30.0  # ...and so is one this old whose process is gone
KINDS = ("named", "auto", "quick")
# Speakers the runtime produces itself in an order's aftermath (besides hq/narration/lena).
_AFTERMATH_SPEAKERS = frozenset((*FIXED_SPEAKERS, "dossier", "hit"))
_FORBIDDEN_IN_NAMES = '/\\<>:"|?*'
# Control, format and separator characters, and lone surrogates (undecodable bytes in a file
# name or a command-line argument arrive as these; they cannot even be encoded to print).
_UNPRINTABLE = ("Cc", "Cf", "Cs", "Zl", "Zp")
_RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
)

Document = dict[str, Any]
Migration = Callable[[Document], Document]


def _renamed_ids(doc: Document) -> Document:
    """Format 1 -> 2: a save of the shipped story made before three pilots (and the scenes named
    after them) were renamed names them by their new ids (the table is `renames`)."""
    from game.engine.renames import renamed_state

    doc["state"] = renamed_state(doc.get("state"))
    return doc


# format_version -> a function taking a document of that version and returning it one version
# later (the loader sets `format_version` itself). Each version keeps real files in
# tests/fixtures/saves/v<N> (and the shipped story's format-1 saves in handler-one-v1).
MIGRATIONS: dict[int, Migration] = {1: _renamed_ids}


class SaveError(Exception):
    """A save could not be written, read or resumed. `str(e)` is one line naming the slot."""


class _Damaged(Exception):
    """Internal: the document is malformed; the message says how (without the slot)."""


@dataclass(frozen=True)
class SaveInfo:
    """What a save screen shows about one slot."""

    slot: str
    kind: str  # "named" | "auto" | "quick"
    chapter: int
    chapter_title: str
    scene_title: str
    saved_at: str  # ISO 8601, local time with its UTC offset
    play_seconds: float
    squad_summary: str  # e.g. "9 alive · 2 wounded · 1 lost"
    story_changed: bool  # the story's content differs from the one the save was made with
    path: Path
    story_id: str = ""
    story_title: str = ""
    ending: str | None = None  # the ending's title when the saved game had ended
    orders: int = 0  # orders given so far

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for `handler-one saves list --json`)."""
        return {
            "slot": self.slot,
            "kind": self.kind,
            "chapter": self.chapter,
            "chapter_title": self.chapter_title,
            "scene_title": self.scene_title,
            "saved_at": self.saved_at,
            "play_seconds": self.play_seconds,
            "squad_summary": self.squad_summary,
            "story_changed": self.story_changed,
            "path": str(self.path),
            "story_id": self.story_id,
            "story_title": self.story_title,
            "ending": self.ending,
            "orders": self.orders,
        }


@dataclass(frozen=True)
class Loaded:
    """A resumed game. `message` is set when the story changed since the save or the game
    resumed at an earlier point than the one saved; show it to the player."""

    engine: Engine
    message: str | None
    info: SaveInfo | None = None


# --- slot names -------------------------------------------------------------------------------


def printable(name: str, limit: int = 40) -> str:
    """A name safe to print in one line: control characters escaped, long names cut."""
    out = []
    for ch in name[:limit]:
        if unicodedata.category(ch) in _UNPRINTABLE:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(name) > limit else "")


def sanitise_slot(name: str) -> str:
    """The slot name to use for `name` (surrounding spaces removed); raises `SaveError` when the
    name could not be a file name everywhere: empty, too long, path separators, `..`, a leading
    dot, control characters, undecodable bytes or characters Windows refuses."""
    if not isinstance(name, str):
        raise SaveError("a save name must be text")
    slot = name.strip()
    shown = printable(slot)
    if not slot:
        raise SaveError("a save needs a name, e.g. 'save before-the-raid'")
    if any(unicodedata.category(ch) == "Cs" for ch in slot):
        raise SaveError(f"bad save name '{shown}': it is not valid text (bytes that are not UTF-8)")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in slot):
        raise SaveError(f"bad save name '{shown}': it contains a control character")
    if "/" in slot or "\\" in slot or (os.altsep and os.altsep in slot):
        raise SaveError(f"bad save name '{shown}': it cannot contain '/' or '\\'")
    if ".." in slot:
        raise SaveError(f"bad save name '{shown}': it cannot contain '..'")
    if slot.startswith("."):
        raise SaveError(f"bad save name '{shown}': it cannot start with '.'")
    bad = sorted({ch for ch in slot if ch in _FORBIDDEN_IN_NAMES})
    if bad:
        raise SaveError(f"bad save name '{shown}': it cannot contain {' '.join(bad)}")
    if len(slot) > MAX_SLOT_CHARS or len(slot.encode("utf-8")) > MAX_SLOT_BYTES:
        raise SaveError(f"bad save name '{shown}': too long (at most {MAX_SLOT_CHARS} characters)")
    if slot.split(".")[0].strip().lower() in _RESERVED_NAMES:
        raise SaveError(f"bad save name '{shown}': '{slot}' is reserved on some systems")
    return slot


def slot_kind(slot: str) -> str:
    """ "quick" for the quicksave, "auto" for the autosave ring, else "named"."""
    if slot == QUICK_SLOT:
        return "quick"
    if slot.startswith(AUTO_PREFIX) and slot[len(AUTO_PREFIX) :].isdigit():
        return "auto"
    return "named"


# --- the document -----------------------------------------------------------------------------


def squad_summary(engine: Engine) -> str:
    """The roster in a few words, e.g. "9 alive · 2 wounded · 1 lost"."""
    statuses = list(engine.state.status.values())
    active = statuses.count("active")
    wounded = statuses.count("wounded")
    lost = statuses.count("killed") + statuses.count("missing")
    parts = [f"{active} alive"]
    if wounded:
        parts.append(f"{wounded} wounded")
    if lost:
        parts.append(f"{lost} lost")
    return " · ".join(parts)


def _scene_title(engine: Engine) -> str:
    from game.engine.text import interpolate, plain_text, render

    title = plain_text(render(interpolate(engine.scene.title, engine.var), None))
    if engine.round:
        title += f" (round {engine.round[0]} of {engine.round[1]})"
    return title


def _canonical(doc: Document) -> bytes:
    body = {k: v for k, v in doc.items() if k != "checksum"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _checksum(doc: Document) -> str:
    return "sha256:" + hashlib.sha256(_canonical(doc)).hexdigest()


def build_document(
    slot: str, engine: Engine, play_seconds: float = 0.0, sequence: int = 0
) -> Document:
    """The save document for `engine` in `slot` (the current format, checksum included)."""
    story, state = engine.story, engine.state
    scene = engine.scene
    now = time.time()
    ending = engine.ending
    doc: Document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "game_version": __version__,
        "story": {"id": story.id, "title": story.title, "content_hash": story.content_hash},
        "meta": {
            "kind": slot_kind(slot),
            "saved_at": datetime.fromtimestamp(now).astimezone().isoformat(timespec="seconds"),
            "saved_unix": now,
            "sequence": sequence,
            "play_seconds": round(max(0.0, float(play_seconds)), 3),
            "chapter": scene.chapter,
            "chapter_title": story.chapter_title(scene.chapter),
            "scene_title": _scene_title(engine),
            "header": engine.header(),
            "squad_summary": squad_summary(engine),
            "ending": ending.title if ending else None,
            "orders": len(state.log),
        },
        "state": state.to_dict(),
    }
    doc["checksum"] = _checksum(doc)
    return doc


def encode_document(doc: Document) -> bytes:
    """The bytes written to disk: indented UTF-8 JSON, so a player can read it."""
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    return text.encode("utf-8") + b"\n"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def parse_document(data: bytes) -> Document:
    """Decode, upgrade and check a save file's bytes; raises `_Damaged` saying what is wrong."""
    if len(data) > MAX_SAVE_BYTES:
        raise _Damaged(f"the file is too large to be a save ({len(data)} bytes)")
    if not data.strip():
        raise _Damaged("the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Damaged("the file is damaged (it is not UTF-8 text)") from None
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _Damaged(
            f"the file is damaged or truncated (bad JSON at line {exc.lineno}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError):
        raise _Damaged("the file is damaged (it is not a save's JSON)") from None
    try:
        return check_document(doc)
    except RecursionError:
        raise _Damaged("the file is damaged (it is nested too deeply)") from None
    except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape
        raise _Damaged("the file is damaged (it holds text that is not valid Unicode)") from None


def check_document(doc: Any) -> Document:
    """Upgrade a parsed document to the current format and check its shape and types."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _Damaged("this is not a Handler One save")
    version = doc.get("format_version")
    if not _is_int(version):
        raise _Damaged("the save has no format version")
    if version > FORMAT_VERSION:
        raise _Damaged(
            f"it was written by a newer Handler One (save format {version}; this version reads "
            f"formats up to {FORMAT_VERSION}); update the game to load it"
        )
    if version >= 1 and doc.get("checksum") != _checksum(doc):
        raise _Damaged("the file was edited or damaged (its checksum does not match)")
    while version < FORMAT_VERSION:
        upgrade = MIGRATIONS.get(version)
        if upgrade is None:
            raise _Damaged(f"save format {version} is unknown to this version of the game")
        try:
            doc = upgrade(copy.deepcopy(doc))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _Damaged(f"it could not be upgraded from save format {version} ({exc})") from None
        version += 1
        doc["format_version"] = version
    _check_shape(doc)
    return doc


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise _Damaged(f"the save is damaged ({what})")


def _check_shape(doc: Document) -> None:
    _expect(isinstance(doc.get("game_version"), str), "game_version is not text")
    story = doc.get("story")
    _expect(isinstance(story, dict), "no story section")
    for key in ("id", "title", "content_hash"):
        _expect(isinstance(story.get(key), str), f"story.{key} is not text")
    meta = doc.get("meta")
    _expect(isinstance(meta, dict), "no meta section")
    _expect(meta.get("kind") in KINDS, "meta.kind is not named, auto or quick")
    for key in ("saved_at", "chapter_title", "scene_title", "header", "squad_summary"):
        _expect(isinstance(meta.get(key), str), f"meta.{key} is not text")
    for key in ("saved_unix", "play_seconds"):
        _expect(_is_number(meta.get(key)) and meta[key] >= 0, f"meta.{key} is not a number")
    for key in ("chapter", "sequence", "orders"):
        _expect(_is_int(meta.get(key)), f"meta.{key} is not a whole number")
    _expect(
        "ending" in meta and (meta["ending"] is None or isinstance(meta["ending"], str)),
        "meta.ending is not text or null",
    )
    _check_state(doc.get("state"))
    _expect(doc["state"]["story_id"] == story["id"], "state.story_id differs from story.id")


def _is_value(value: Any) -> bool:
    return isinstance(value, bool | str) or _is_int(value)


def _check_state(state: Any) -> None:
    _expect(isinstance(state, dict), "no state section")
    _expect(isinstance(state.get("story_id"), str), "state.story_id is not text")
    _expect(_is_int(state.get("seed")), "state.seed is not a whole number")
    _expect(isinstance(state.get("scene"), str) and state["scene"], "state.scene is not a name")
    for key in ("variables", "preset"):
        values = state.get(key, {})
        _expect(
            isinstance(values, dict) and all(_is_value(v) for v in values.values()),
            f"state.{key} must map names to true/false, numbers or text",
        )
    status = state.get("status")
    _expect(
        isinstance(status, dict) and all(s in PILOT_STATUSES for s in status.values()),
        "state.status must map pilots to active, wounded, missing or killed",
    )
    for key in ("known", "deductions"):
        items = state.get(key, [])
        _expect(
            isinstance(items, list) and all(isinstance(i, str) for i in items),
            f"state.{key} is not a list of names",
        )
    evidence = state.get("evidence", {})
    _expect(
        isinstance(evidence, dict) and all(isinstance(v, str) for v in evidence.values()),
        "state.evidence must map evidence to scenes",
    )
    visits = state.get("visits", {})
    _expect(
        isinstance(visits, dict) and all(_is_int(v) and v >= 0 for v in visits.values()),
        "state.visits must map scenes to counts",
    )
    _expect(
        _is_int(state.get("draws", 0)) and state.get("draws", 0) >= 0, "state.draws is not a count"
    )
    log = state.get("log", [])
    _expect(
        isinstance(log, list)
        and all(
            isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) and _is_int(e[1])
            for e in log
        ),
        "state.log must be a list of [scene, order] pairs",
    )
    aftermath = state.get("aftermath", [])
    _expect(
        isinstance(aftermath, list)
        and all(
            isinstance(a, dict)
            and isinstance(a.get("speaker"), str)
            and isinstance(a.get("text"), str)
            and _is_int(a.get("signal", 4))
            and 0 <= a.get("signal", 4) <= 4
            for a in aftermath
        ),
        "state.aftermath must be a list of radio lines",
    )
    for key in ("ending", "origin"):
        _expect(
            state.get(key) is None or isinstance(state[key], str),
            f"state.{key} is not a name or null",
        )


# --- fitting a saved state to the story -------------------------------------------------------


def _value_fits(story: Story, name: str, value: Any) -> bool:
    variable = story.variables.get(name)
    if variable is None:
        return False
    if variable.type == "bool":
        return isinstance(value, bool)
    if variable.type == "int":
        return _is_int(value)
    return isinstance(value, str)


def fit_state(state: GameState, story: Story) -> tuple[GameState, list[str]]:
    """A copy of `state` fitted to `story`, and what it names that the story no longer has.

    New variables and pilots get their defaults, numbers are held in their declared ranges and
    visits to removed scenes are forgotten. Anything else missing is listed as a problem (e.g.
    "scene 'x'"): such a state cannot be resumed as it stands.
    """
    fitted = state.copy()
    missing: list[str] = []
    states = set(story.states())
    if fitted.scene not in states:
        missing.append(f"scene '{fitted.scene}'")
    if fitted.origin is not None and fitted.origin not in story.scenes:
        missing.append(f"scene '{fitted.origin}'")
    for name, value in list(fitted.variables.items()):
        if not _value_fits(story, name, value):
            missing.append(f"variable '{name}'")
    for name, value in fitted.preset.items():
        if not _value_fits(story, name, value):
            missing.append(f"variable '{name}'")
    for name, variable in story.variables.items():
        value = fitted.variables.get(name, variable.default)
        if variable.type == "int" and _is_int(value):
            value = variable.clamp(value)
        fitted.variables[name] = value
    pilots = set(fitted.status) | set(fitted.known)
    pilots |= {a.speaker for a in fitted.aftermath if a.speaker not in _AFTERMATH_SPEAKERS}
    missing += [f"pilot '{p}'" for p in sorted(pilots) if p not in story.pilots]
    for pilot in story.pilots.values():
        fitted.status.setdefault(pilot.id, pilot.status)
    missing += [f"evidence '{e}'" for e in fitted.evidence if e not in story.evidence]
    missing += [f"deduction '{d}'" for d in fitted.deductions if d not in story.deductions]
    if fitted.ending is not None and fitted.ending not in story.endings:
        missing.append(f"ending '{fitted.ending}'")
    fitted.visits = {s: n for s, n in fitted.visits.items() if s in story.scenes}
    return fitted, list(dict.fromkeys(missing))


def resume(story: Story, state: GameState, same_story: bool) -> tuple[Engine, str | None]:
    """An engine for a saved state, and a message when it could not resume exactly as saved.

    Raises `_Damaged` when the save claims to be from this very story yet names things it lacks.
    """
    from game.engine.runtime import Engine

    fitted, missing = fit_state(state, story)
    if not missing:
        engine = Engine(story, fitted)
        return engine, None if same_story else "The story has changed since this save."
    if same_story:
        raise _Damaged(f"the save names {missing[0]}, which this story does not have")
    origin = state.origin if state.origin in story.scenes else None
    sets = {k: v for k, v in state.preset.items() if _value_fits(story, k, v)}
    engine, applied = Engine.replay(story, state.seed, state.log, warp=origin, sets=sets)
    gone = missing[0] + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
    total = len(state.log)
    orders = "1 order" if total == 1 else f"{total} orders"
    replayed = f"replayed its {orders}" if applied == total else f"replayed {applied} of {orders}"
    return engine, (
        f"The story has changed since this save ({gone} no longer exists); "
        f"{replayed} and resumed at {engine.header()}."
    )


# --- the store --------------------------------------------------------------------------------


def _reason(exc: OSError, directory: Path) -> str:
    """A player's explanation of a failed file operation."""
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return "the disk is full"
    if code == errno.EROFS:
        return f"the save folder {directory} is on a read-only disk"
    if code in (errno.EACCES, errno.EPERM):
        return f"no permission to write in the save folder {directory}"
    if code == errno.ENOENT:
        return f"the save folder {directory} does not exist"
    if code == errno.ENOTDIR:
        return f"{directory} is not a folder"
    return exc.strerror or str(exc)


def _gone(pid: int) -> bool:
    """Whether no process with this id runs here (only asked on POSIX; elsewhere: unknown)."""
    if os.name != "posix" or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable. Some systems cannot open or sync a folder: that is not an error."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class SaveStore:
    """The save slots in one folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory).expanduser()
        self._problems: list[str] = []

    @classmethod
    def resolve(cls, save_dir: str | None) -> SaveStore:
        """`--save-dir`, else `$HANDLER_ONE_SAVE_DIR`, else the user data folder."""
        if save_dir:
            return cls(Path(save_dir))
        env = os.environ.get(ENV_VAR)
        if env:
            return cls(Path(env))
        import platformdirs

        return cls(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "saves")

    def __repr__(self) -> str:
        return f"SaveStore({str(self.directory)!r})"

    # --- paths ---

    def path(self, slot: str) -> Path:
        """Where a slot's save lives."""
        return self.directory / f"{sanitise_slot(slot)}{SAVE_SUFFIX}"

    def _backup_path(self, slot: str) -> Path:
        return self.directory / f"{slot}{BACKUP_SUFFIX}"

    # --- reading ---

    @staticmethod
    def _read(path: Path) -> bytes:
        """A save file's bytes (at most one byte past the limit). A folder, pipe or device in a
        slot's place is refused without reading: a pipe would block for ever."""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
            if not stat.S_ISREG(mode):
                raise OSError(errno.EINVAL, "not a regular file", str(path))
            chunks: list[bytes] = []
            size = 0
            while size <= MAX_SAVE_BYTES:
                chunk = os.read(fd, min(1 << 20, MAX_SAVE_BYTES + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def _read_document(self, slot: str, path: Path) -> Document:
        """The checked document at `path`; raises `SaveError` naming the slot."""
        try:
            data = self._read(path)
        except FileNotFoundError:
            raise SaveError(f"save '{printable(slot)}': there is no such save") from None
        except IsADirectoryError:
            raise SaveError(
                f"save '{printable(slot)}': {path.name} is a folder, not a save"
            ) from None
        except OSError as exc:
            raise SaveError(
                f"save '{printable(slot)}': cannot read it ({exc.strerror or exc})"
            ) from None
        try:
            return parse_document(data)
        except _Damaged as exc:
            raise SaveError(f"save '{printable(slot)}': {exc}") from None

    def _open(self, slot: str) -> tuple[Document, Path, str | None]:
        """The document for a slot: its save, or the backup an interrupted save left behind."""
        path = self.directory / f"{slot}{SAVE_SUFFIX}"
        backup = self._backup_path(slot)
        try:
            return self._read_document(slot, path), path, None
        except SaveError as first:
            if not backup.is_file():
                if not path.exists():
                    raise SaveError(
                        f"save '{printable(slot)}': there is no such save in {self.directory}"
                    ) from None
                raise
            try:
                doc = self._read_document(slot, backup)
            except SaveError:
                raise first from None
            note = "The last save to this slot did not finish; loaded the version before it."
            return doc, backup, note

    def _info(self, slot: str, path: Path, doc: Document, story: Story | None) -> SaveInfo:
        meta = doc["meta"]
        return SaveInfo(
            slot=slot,
            kind=meta["kind"],
            chapter=meta["chapter"],
            chapter_title=printable(meta["chapter_title"], 200),
            scene_title=printable(meta["scene_title"], 200),
            saved_at=printable(meta["saved_at"], 60),
            play_seconds=float(meta["play_seconds"]),
            squad_summary=printable(meta["squad_summary"], 200),
            story_changed=story is not None and doc["story"]["content_hash"] != story.content_hash,
            path=path,
            story_id=printable(doc["story"]["id"], 200),
            story_title=printable(doc["story"]["title"], 200),
            ending=None if meta["ending"] is None else printable(meta["ending"], 200),
            orders=meta["orders"],
        )

    def _slots_on_disk(self) -> list[str]:
        try:
            names = os.listdir(self.directory)
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            self._problems.append(f"cannot read the save folder {self.directory}: {exc.strerror}")
            return []
        slots: set[str] = set()
        for name in names:
            if name.startswith("."):
                continue
            for suffix in (SAVE_SUFFIX, BACKUP_SUFFIX):
                if name.endswith(suffix):
                    stem = name[: -len(suffix)]
                    try:
                        if sanitise_slot(stem) == stem:
                            slots.add(stem)
                    except SaveError:
                        pass
        return sorted(slots)

    def _entries(self, story: Story | None) -> list[tuple[float, int, SaveInfo]]:
        self._problems = []
        entries = []
        for slot in self._slots_on_disk():
            try:
                doc, path, _ = self._open(slot)
            except SaveError as exc:
                self._problems.append(str(exc))
                continue
            if story is not None and doc["story"]["id"] != story.id:
                continue
            meta = doc["meta"]
            entries.append(
                (meta["saved_unix"], meta["sequence"], self._info(slot, path, doc, story))
            )
        entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
        return entries

    def list(self, story: Story | None = None) -> list[SaveInfo]:
        """Every readable save, newest first; with a story, only that story's saves (and
        `story_changed` set). Unreadable files are skipped and described by `list_problems`."""
        return [info for _, _, info in self._entries(story)]

    def list_problems(self) -> list[str]:
        """One line per save the last `list` could not read."""
        return list(self._problems)

    def info(self, slot: str, story: Story | None = None) -> SaveInfo:
        """The metadata of one save; raises `SaveError`."""
        slot = sanitise_slot(slot)
        doc, path, _ = self._open(slot)
        return self._info(slot, path, doc, story)

    def document(self, slot: str) -> Document:
        """The checked save document of a slot (current format); raises `SaveError`."""
        slot = sanitise_slot(slot)
        return self._open(slot)[0]

    def exists(self, slot: str) -> bool:
        """Whether the slot holds a save (readable or not)."""
        slot = sanitise_slot(slot)
        return (self.directory / f"{slot}{SAVE_SUFFIX}").exists() or self._backup_path(
            slot
        ).is_file()

    def latest(self, story: Story | None = None) -> SaveInfo | None:
        """The newest save (for "Continue"), or None."""
        saves = self.list(story)
        return saves[0] if saves else None

    # --- loading ---

    def load(self, slot: str, story: Story) -> Loaded:
        """Resume the game in `slot`; raises `SaveError` with a one-line reason."""
        slot = sanitise_slot(slot)
        doc, path, note = self._open(slot)
        saved_story = doc["story"]
        if saved_story["id"] != story.id:
            raise SaveError(
                f"save '{slot}': it belongs to another story ('{printable(saved_story['id'])}'), "
                f"not '{story.id}'"
            )
        info = self._info(slot, path, doc, story)
        from game.engine.state import GameState

        try:
            state = GameState.from_dict(doc["state"])
        except ValueError as exc:
            raise SaveError(f"save '{slot}': the save is damaged ({exc})") from None
        try:
            engine, message = resume(story, state, not info.story_changed)
        except _Damaged as exc:
            raise SaveError(f"save '{slot}': {exc}") from None
        except Exception as exc:  # noqa: BLE001 - a save must never crash the game
            raise SaveError(
                f"save '{slot}': it cannot be resumed in this story ({type(exc).__name__}: {exc})"
            ) from None
        message = " ".join(m for m in (note, message) if m) or None
        return Loaded(engine, message, info)

    def quickload(self, story: Story) -> Loaded:
        """Resume the quicksave."""
        return self.load(QUICK_SLOT, story)

    # --- writing ---

    def save(self, slot: str, engine: Engine, play_seconds: float = 0.0) -> SaveInfo:
        """Save the game in `slot` (replacing what was there); raises `SaveError`."""
        slot = sanitise_slot(slot)
        return self._save(slot, engine, play_seconds)

    def quicksave(self, engine: Engine, play_seconds: float = 0.0) -> SaveInfo:
        """Save the game in the quicksave slot."""
        return self._save(QUICK_SLOT, engine, play_seconds)

    def autosave(self, engine: Engine, play_seconds: float = 0.0) -> SaveInfo:
        """Save the game in the autosave ring (`auto-1` .. `auto-10`), over the oldest."""
        best: tuple[int, int] | None = None  # (sequence, slot number) of the slot to reuse
        newest = 0
        for number in range(1, AUTOSAVE_SLOTS + 1):
            sequence = self._sequence(f"{AUTO_PREFIX}{number}")
            newest = max(newest, sequence)
            if best is None or sequence < best[0]:
                best = (sequence, number)
        assert best is not None
        return self._save(f"{AUTO_PREFIX}{best[1]}", engine, play_seconds, newest + 1)

    def _sequence(self, slot: str) -> int:
        """An autosave's place in the ring: 0 when missing or unreadable (reuse it first)."""
        path = self.directory / f"{slot}{SAVE_SUFFIX}"
        try:
            meta = json.loads(self._read(path)).get("meta", {})
            sequence = meta.get("sequence", 0)
            return sequence if _is_int(sequence) and sequence > 0 else 0
        except (OSError, ValueError, AttributeError, RecursionError):
            return 0

    def _save(self, slot: str, engine: Engine, play_seconds: float, sequence: int = 0) -> SaveInfo:
        doc = build_document(slot, engine, play_seconds, sequence)
        path = self._write(slot, encode_document(doc))
        return self._info(slot, path, doc, engine.story)

    def _write(self, slot: str, data: bytes) -> Path:
        """Write `data` as the slot's save atomically. On failure nothing on disk changes."""
        directory = self.directory
        target = directory / f"{slot}{SAVE_SUFFIX}"
        backup = self._backup_path(slot)
        temp = directory / f".{slot}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"

        def failed(exc: OSError) -> SaveError:
            return SaveError(
                f"save '{slot}': could not be written: {_reason(exc, directory)} "
                "(existing saves are unchanged)"
            )

        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise failed(exc) from None
        self._sweep(slot)
        fd: int | None = None
        had_old = False
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            fd = os.open(temp, flags, 0o644)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                if written <= 0:
                    raise OSError(errno.EIO, "the write made no progress")
                view = view[written:]
            os.fsync(fd)
            os.close(fd)
            fd = None
            had_old = target.exists()
            if had_old:
                self._keep_backup(target, backup)
            os.replace(temp, target)
        except OSError as exc:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise failed(exc) from None
        _fsync_dir(directory)
        with contextlib.suppress(OSError):  # the new save is complete: the backup has done its job
            os.unlink(backup)
        return target

    @staticmethod
    def _keep_backup(target: Path, backup: Path) -> None:
        """Keep the current save as `<slot>.bak` while the new one is put in place. A hard link
        costs no space; where links are not supported, a copy. Best effort: the rename that
        follows is atomic by itself."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(backup)
        try:
            os.link(target, backup)
            return
        except FileExistsError:
            return
        except OSError:
            pass
        try:
            backup.write_bytes(target.read_bytes())
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(backup)

    def _sweep(self, slot: str) -> None:
        """Remove this slot's temporary files left by a crashed game: those of a process that
        no longer runs, or very old ones. Never a fresh one: another game may be saving now."""
        prefix = f".{slot}."
        now = time.time()
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
                continue
            path = self.directory / name
            pid = name[len(prefix) :].split(".")[0]
            with contextlib.suppress(OSError, ValueError):
                age = now - path.stat().st_mtime
                if age > STALE_TEMP_SECONDS or (age > ORPHAN_TEMP_SECONDS and _gone(int(pid))):
                    path.unlink()

    def delete(self, slot: str) -> None:
        """Delete a save (and its backup); raises `SaveError` if there is none."""
        slot = sanitise_slot(slot)
        paths = [self.directory / f"{slot}{SAVE_SUFFIX}", self._backup_path(slot)]
        if not any(p.exists() for p in paths):
            raise SaveError(f"save '{slot}': there is no such save in {self.directory}")
        for path in paths:
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except IsADirectoryError:
                raise SaveError(f"save '{slot}': {path.name} is a folder, not a save") from None
            except OSError as exc:
                raise SaveError(
                    f"save '{slot}': could not be deleted: {_reason(exc, self.directory)}"
                ) from None
        _fsync_dir(self.directory)
