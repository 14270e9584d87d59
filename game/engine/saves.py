"""Saves that never lose a game: named slots, an autosave ring and a quicksave.

A save is one JSON document per slot, `<slot>.json` in the save folder; its format is defined
once, in `game.engine.savefile` (the header) and `game.engine.state` (the game), and
`saves/README.md` shows it as players meet it. Writing is atomic: the new save goes to a
temporary file in the same folder, is flushed to disk, and only then renamed over the old one;
the old version is kept as `<slot>.bak` until the new one is complete. A write that fails (disk
full, read-only folder) leaves every existing save as it was.

Loading checks everything (the JSON against the format's types, a checksum, the story it belongs
to, and that every id it names exists in the story) and never crashes: a bad save is a one-line
`SaveError` naming the slot and the problem. When the story was edited since the save, the game
says so; when the save's scene or something it refers to is gone, the order log is replayed as far
as the story still allows and the game resumes there.

Listing saves (the title screen does, before anything is played) reads only their headers: it
imports neither msgspec, nor the game state, nor the runtime. Older save formats are upgraded by
`game.engine.migrations`. This module never imports a front end.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from game import __version__
from game.engine.model import FIXED_SPEAKERS, Story
from game.engine.presets import missing, split_key
from game.engine.regular import FileRefused, read_regular
from game.engine.savefile import (
    FORMAT_VERSION,
    MAX_SAVE_BYTES,
    DamagedSave,
    SaveDocument,
    SaveFile,
    SaveHeader,
    SaveKind,
    SaveMeta,
    SaveTooLarge,
    StoryRef,
    encode,
    read,
)
from game.engine.savefile import checksum as _checksum  # noqa: F401 - fuzz tests re-sign saves

if TYPE_CHECKING:
    # Listing saves needs neither the runtime nor the game state (nor msgspec, which the state
    # imports): `load` and `resume` import them, and `_scene_title` the text pipeline, when a
    # game is loaded or saved.
    from game.engine.runtime import Engine
    from game.engine.state import GameState

ENV_VAR = "HANDLER_ONE_SAVE_DIR"
APP_NAME = "handler-one"
QUICK_SLOT = "quick"
AUTO_PREFIX = "auto-"
AUTOSAVE_SLOTS = 10
MAX_SEQUENCE = 2**53
"""The last place in the autosave ring a save may claim: a save claiming a later one (a foreign
or hand-made file) is treated as free, so that it can never stop the ring from counting on."""
MAX_SLOT_CHARS = 64
MAX_SLOT_BYTES = 128
SAVE_SUFFIX = ".json"
BACKUP_SUFFIX = ".bak"
TEMP_SUFFIX = ".tmp"
STALE_TEMP_SECONDS = 3600.0  # a temporary file this old is left from a crash
ORPHAN_TEMP_SECONDS = 30.0  # ...and so is one this old whose process is gone
# Speakers the runtime produces itself in an order's aftermath (besides hq/narration/lena).
_AFTERMATH_SPEAKERS = frozenset((*FIXED_SPEAKERS, "dossier", "hit"))
_FORBIDDEN_IN_NAMES = '/\\<>:"|?*'
# Control, format and separator characters, and lone surrogates (undecodable bytes in a file
# name or a command-line argument arrive as these; they cannot even be encoded to print).
_UNPRINTABLE = ("Cc", "Cf", "Cs", "Zl", "Zp")
_RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
)


class SaveError(Exception):
    """A save could not be written, read or resumed. `str(e)` is one line naming the slot."""


@dataclass(frozen=True, slots=True)
class SaveInfo:
    """What a save screen shows about one slot (every text safe to print in one line)."""

    slot: str
    kind: SaveKind
    chapter: int
    chapter_title: str
    scene_title: str
    saved_at: str  # ISO 8601, local time with its UTC offset
    play_seconds: float
    squad_summary: str  # e.g. "9 alive · 2 wounded · 1 lost"
    story_changed: bool  # the story's content differs from the one the save was made with
    path: Path  # the file it was read from (the backup, when the last save did not finish)
    story_id: str
    story_title: str
    ending: str | None  # the ending's title when the saved game had ended
    orders: int  # orders given so far

    @property
    def in_progress(self) -> bool:
        """Whether the saved game had not ended: what "Continue" may resume."""
        return self.ending is None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for `handler-one saves list --json`)."""
        return {**asdict(self), "path": str(self.path)}


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A save that cannot be loaded, and why: what a save screen shows in its place."""

    slot: str
    reason: str  # one line, e.g. "the file is damaged or truncated (bad JSON at line 3...)"
    path: Path


@dataclass(frozen=True, slots=True)
class Loaded:
    """A resumed game. `message` is set when the story changed since the save or the game
    resumed at an earlier point than the one saved; show it to the player."""

    engine: Engine
    message: str | None
    info: SaveInfo  # the save it came from (its play time, its slot)


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


def named_slot(name: str) -> str:
    """The slot name for a named save of `name` (`sanitise_slot`); raises `SaveError` too for
    the names the game writes over by itself: the quicksave's and the autosaves', in any case
    (some file systems do not tell `Quick` from `quick`)."""
    slot = sanitise_slot(name)
    kind = slot_kind(slot.lower())
    if kind == "quick":
        return _reserved(slot, "it is the quicksave's slot, which every quicksave writes over")
    if kind == "auto":
        return _reserved(
            slot, "auto-1, auto-2... are the autosaves' slots, which the game writes over"
        )
    return slot


def _reserved(slot: str, why: str) -> str:
    raise SaveError(f"bad save name '{printable(slot)}': {why}; choose another name")


def slot_kind(slot: str) -> SaveKind:
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


def build_document(
    slot: str,
    engine: Engine,
    play_seconds: float = 0.0,
    sequence: int = 0,
    now: float | None = None,
) -> SaveDocument:
    """The save of `engine` in `slot`, dated `now` (seconds since the epoch; default: now)."""
    story, state = engine.story, engine.state
    scene = engine.scene
    now = time.time() if now is None else now
    ending = engine.ending
    meta = SaveMeta(
        kind=slot_kind(slot),
        saved_at=datetime.fromtimestamp(now).astimezone().isoformat(timespec="seconds"),
        saved_unix=now,
        sequence=sequence,
        play_seconds=round(max(0.0, float(play_seconds)), 3),
        chapter=scene.chapter,
        chapter_title=story.chapter_title(scene.chapter),
        scene_title=_scene_title(engine),
        header=engine.header(),
        squad_summary=squad_summary(engine),
        ending=ending.title if ending else None,
        orders=len(state.log),
    )
    story_ref = StoryRef(story.id, story.title, story.content_hash)
    return SaveDocument(SaveHeader(FORMAT_VERSION, __version__, story_ref, meta), state)


# --- fitting a saved state to the story -------------------------------------------------------

_TYPE_WORDS = {"bool": "true/false", "int": "a whole number", "text": "text"}


def _type_of(value: object) -> str:
    """A variable value's type as a story declares types."""
    if isinstance(value, bool):
        return "bool"
    return "int" if isinstance(value, int) else "text"


class Misfit(NamedTuple):
    """Something a saved game holds that its story does not: a thing it names that the story
    lacks (`held` is None), or a variable holding a value of another type than the story's."""

    thing: str  # e.g. "scene 'x'", "variable 'trust'"
    held: str | None = None  # the saved value's type ("bool", "int", "text")
    declared: str | None = None  # the type the story declares

    def _differs(self, story: str) -> str:
        held, declared = _TYPE_WORDS[self.held or ""], _TYPE_WORDS[self.declared or ""]
        return f"{self.thing} holds {held} where {story} keeps {declared}"

    def in_its_own_story(self) -> str:
        """The problem, for a save whose story has not changed: the save is damaged."""
        if self.held is None:
            return f"the save names {self.thing}, which this story does not have"
        return f"the save is damaged ({self._differs('this story')})"

    def after_an_edit(self) -> str:
        """The change, for a save whose story was edited since."""
        if self.held is None:
            return f"{self.thing} no longer exists"
        return self._differs("the story now")


def _variable_misfit(story: Story, name: str, value: object) -> Misfit | None:
    variable = story.variables.get(name)
    if variable is None:
        return Misfit(f"variable '{name}'")
    held = _type_of(value)
    return None if held == variable.type else Misfit(f"variable '{name}'", held, variable.type)


def _preset_misfit(story: Story, key: str, value: object) -> Misfit | None:
    """A variable, or a preset of evidence, a name or a status (`game.engine.presets`)."""
    if split_key(key)[0] is None:
        return _variable_misfit(story, key, value)
    absent = missing(story, key)
    return None if absent is None else Misfit(absent)


def fit_state(state: GameState, story: Story) -> tuple[GameState, list[Misfit]]:
    """A copy of `state` fitted to `story`, and what in it the story does not have.

    New variables and pilots get their defaults, numbers are held in their declared ranges and
    visits to removed scenes are forgotten. Anything else is a `Misfit` (a scene, pilot,
    variable, evidence, deduction or ending the story lacks, or a variable of another type):
    such a state cannot be resumed as it stands.
    """
    fitted = state.copy()
    misfits: list[Misfit] = []
    states = set(story.states())
    if fitted.scene not in states:
        misfits.append(Misfit(f"scene '{fitted.scene}'"))
    if fitted.origin is not None and fitted.origin not in story.scenes:
        misfits.append(Misfit(f"scene '{fitted.origin}'"))
    for name, value in [*fitted.variables.items(), *fitted.preset.items()]:
        misfit = _preset_misfit(story, name, value)
        if misfit is not None:
            misfits.append(misfit)
    for name, variable in story.variables.items():
        value = fitted.variables.get(name, variable.default)
        if variable.type == "int" and _type_of(value) == "int":
            value = variable.clamp(value)  # type: ignore[arg-type]
        fitted.variables[name] = value
    pilots = set(fitted.status) | set(fitted.known)
    pilots |= {
        a.speaker
        for a in fitted.aftermath
        if a.speaker not in _AFTERMATH_SPEAKERS and a.speaker not in story.speakers
    }
    misfits += [Misfit(f"pilot '{p}'") for p in sorted(pilots) if p not in story.pilots]
    for pilot in story.pilots.values():
        fitted.status.setdefault(pilot.id, pilot.status)
    misfits += [Misfit(f"evidence '{e}'") for e in fitted.evidence if e not in story.evidence]
    misfits += [Misfit(f"deduction '{d}'") for d in fitted.deductions if d not in story.deductions]
    if fitted.ending is not None and fitted.ending not in story.endings:
        misfits.append(Misfit(f"ending '{fitted.ending}'"))
    fitted.visits = {s: n for s, n in fitted.visits.items() if s in story.scenes}
    return fitted, list(dict.fromkeys(misfits))


def resume(story: Story, state: GameState, same_story: bool) -> tuple[Engine, str | None]:
    """An engine for a saved state, and a message when it could not resume exactly as saved.

    The order log is replayed from the start, each order found by its identity
    (`game.engine.identity`): in its scene, or in the scene it was renamed to, wherever the
    scene now keeps it. When everything the game names is still in the story, it resumes as
    saved, its log named as the replay named it; when the replay reproduces it exactly, the
    engine is the replay's, whose undo history reaches back without replaying again. If the log
    does not lead to the saved game (an order the story no longer has, or a damaged log), the
    message says where it stops, and undo does not reach back past the load. When something the
    game names is gone (a scene, pilot, variable...), it resumes where the replay got to. A game
    whose log was found not to lead to it (`GameState.log_replays`) is not replayed again.

    Raises `DamagedSave` when the save claims to be from this very story yet does not fit it.
    """
    from game.engine.runtime import Engine

    fitted, misfits = fit_state(state, story)
    if same_story and misfits:
        raise DamagedSave(misfits[0].in_its_own_story())
    changed = None if same_story else "The story has changed since this save"
    if not misfits and not state.log_replays:  # found and said at an earlier load
        return Engine(story, fitted), changed and changed + "."
    origin = state.origin if state.origin in story.scenes else None
    sets = {k: v for k, v in state.preset.items() if _preset_misfit(story, k, v) is None}
    replayed, applied = Engine.replay(
        story, state.seed, state.log, ids=state.log_ids, warp=origin, sets=sets
    )
    total = len(state.log)
    names = _renamed_scenes(state, replayed.state, applied)
    if names:  # scenes the replay found under new ids: the saved game names them so too
        fitted, misfits = fit_state(_with_scene_names(state, names), story)
    if misfits:
        more = len(misfits) - 1
        changed = misfits[0].after_an_edit() + (
            f", and {more} more {'change' if more == 1 else 'changes'}" if more else ""
        )
        orders = "1 order" if total == 1 else f"{total} orders"
        done = f"replayed its {orders}" if applied == total else f"replayed {applied} of {orders}"
        return replayed, (
            f"The story has changed since this save ({changed}); "
            f"{done} and resumed at {replayed.header()}."
        )
    now = replayed.state
    fitted.log = now.log + fitted.log[applied:]
    fitted.log_ids = now.log_ids + fitted.log_ids[applied:]
    whole = applied == total and now.scene == fitted.scene
    fitted.numbers = list(now.numbers) if whole else fitted.numbers
    fitted.log_replays = whole
    engine = replayed if whole and now == fitted else Engine(story, fitted)
    if whole:
        return engine, changed and changed + "."
    problem = _log_stops(story, state, replayed, applied)
    opening = changed or "This save's order log does not fit its game"
    return engine, (
        f"{opening}: {problem}. It resumes as saved; undo cannot reach back past this load."
    )


def _renamed_scenes(saved: GameState, replayed: GameState, applied: int) -> dict[str, str]:
    """Old scene id -> new, for each scene the first `applied` orders of the saved log were
    given in and the replay found under another id."""
    from game.engine.model import split_state

    names: dict[str, str] = {}
    for (old, _), (new, _) in zip(saved.log[:applied], replayed.log[:applied], strict=True):
        old_scene, new_scene = split_state(old)[0], split_state(new)[0]
        if old_scene != new_scene:
            names[old_scene] = new_scene
    return names


def _with_scene_names(state: GameState, names: dict[str, str]) -> GameState:
    """A copy of `state` naming its scenes by `names` where it names them outside its log: where
    it stands, where it started, visits, where evidence was found, where pilots were lost."""
    from game.engine.model import split_state

    def name(state_name: str) -> str:
        scene, number = split_state(state_name)
        return state_name.replace(scene, names[scene], 1) if scene in names else state_name

    renamed = state.copy()
    renamed.scene = name(state.scene)
    renamed.origin = None if state.origin is None else name(state.origin)
    renamed.visits = {names.get(k, k): v for k, v in state.visits.items()}
    renamed.evidence = {k: names.get(v, v) for k, v in state.evidence.items()}
    renamed.losses = {names.get(k, k): v for k, v in state.losses.items()}
    return renamed


def _log_stops(story: Story, state: GameState, replayed: Engine, applied: int) -> str:
    """Why replaying `state`'s order log stopped after `applied` orders (`replayed` is where it
    got to), in a few words for the player."""
    from game.engine.identity import find_order, order_id, renamed

    if applied == len(state.log):
        return (
            f"its orders lead to '{printable(replayed.state.scene)}', not to "
            f"'{printable(state.scene)}' where the game stands"
        )
    where, index = state.log[applied]
    identity = state.log_ids[applied]
    place, shown = f"order {applied + 1} of its log", printable(where)
    here = replayed.state.scene
    if replayed.state.ending is not None:
        return f"the game it replays ends before {place}"
    if here != where and (not identity or not renamed(story, where, here)):
        return f"{place} was given in '{shown}', where the orders before it no longer lead"
    orders = story.orders_at(here)
    ids = tuple(order_id(order) for order in orders)
    if find_order(identity, index, ids, same_scene=here == where) is not None:
        return f"{place} cannot be given in '{shown}' there"
    if identity:
        return f"{place} is not an order of '{shown}'"
    offered = "1 order" if len(orders) == 1 else f"{len(orders)} orders"
    return f"{place} is order {index + 1} of '{shown}', which has {offered}"


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
    if code == errno.ENOTDIR or (code == errno.EEXIST and not directory.is_dir()):
        return f"{printable(str(directory), 200)} is not a folder"
    if code == errno.ELOOP:
        return "a symbolic link on the way loops back on itself"
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


def _read_whole(data: bytes) -> SaveDocument:
    """A save file's bytes as a whole checked document (header and game)."""
    return read(data).document()


_Read = TypeVar("_Read", SaveFile, SaveDocument)


class SaveStore:
    """The save slots in one folder: list, read, load, save and delete them.

    Every method that takes a slot name checks it first (`sanitise_slot`), and each raises
    `SaveError` (one line naming the slot) for anything it cannot do. Saves are dated by
    `clock` (seconds since the epoch; tests fix it so that screens showing dates are the same
    every run).
    """

    def __init__(self, directory: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.directory: Path = Path(directory).expanduser()
        self.clock = clock
        self._problems: list[str] = []
        # Autosave slots the last autosave could not use (a folder, pipe or device in the
        # slot's place), one line each: the session tells the player.
        self.ring_skipped: tuple[str, ...] = ()
        self._unreadable: list[Unreadable] = []

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
        """A save file's bytes, read as every file the game reads (`read_regular`): a folder,
        pipe or device in a slot's place is refused without reading (a pipe would block for
        ever), and so is a file larger than any save the game writes."""
        return read_regular(path, MAX_SAVE_BYTES)

    def _read_save(self, slot: str, path: Path, decode: Callable[[bytes], _Read]) -> _Read:
        """The save at `path` decoded and checked by `decode` (`savefile.read` for its header,
        `_read_whole` for all of it); raises `SaveError` naming the slot."""
        try:
            data = self._read(path)
        except FileRefused as exc:
            if exc.errno == errno.ENOENT:
                raise SaveError(f"save '{printable(slot)}': there is no such save") from None
            if exc.errno == errno.EISDIR:
                raise SaveError(
                    f"save '{printable(slot)}': {printable(path.name)} is a folder, not a save"
                ) from None
            raise SaveError(f"save '{printable(slot)}': cannot read it ({exc.reason})") from None
        try:
            return decode(data)
        except DamagedSave as exc:
            raise SaveError(f"save '{printable(slot)}': {exc}") from None

    def _open(self, slot: str, decode: Callable[[bytes], _Read]) -> tuple[_Read, Path, str | None]:
        """A slot's save, or the backup an interrupted save left behind, decoded by `decode`;
        and the path read, and a note when it was the backup."""
        path = self.directory / f"{slot}{SAVE_SUFFIX}"
        backup = self._backup_path(slot)
        try:
            return self._read_save(slot, path, decode), path, None
        except SaveError as first:
            if not backup.is_file():
                if not os.path.lexists(path):  # a link that leads nowhere is there, unreadable
                    raise SaveError(
                        f"save '{printable(slot)}': there is no such save in {self.directory}"
                    ) from None
                raise
            try:
                read_back = self._read_save(slot, backup, decode)
            except SaveError:
                raise first from None
            note = "The last save to this slot did not finish; loaded the version before it."
            return read_back, backup, note

    @staticmethod
    def _info(slot: str, path: Path, header: SaveHeader, story: Story | None) -> SaveInfo:
        meta, saved = header.meta, header.story
        return SaveInfo(
            slot=slot,
            kind=meta.kind,
            chapter=meta.chapter,
            chapter_title=printable(meta.chapter_title, 200),
            scene_title=printable(meta.scene_title, 200),
            saved_at=printable(meta.saved_at, 60),
            play_seconds=meta.play_seconds,
            squad_summary=printable(meta.squad_summary, 200),
            story_changed=story is not None and saved.content_hash != story.content_hash,
            path=path,
            story_id=printable(saved.id, 200),
            story_title=printable(saved.title, 200),
            ending=None if meta.ending is None else printable(meta.ending, 200),
            orders=meta.orders,
        )

    def _slots_on_disk(self) -> list[str]:
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        except OSError as exc:
            shown = printable(str(self.directory), 200)
            self._problems.append(
                f"the save folder {shown} is not a folder"
                if exc.errno == errno.ENOTDIR
                else f"cannot read the save folder {shown}: {_reason(exc, self.directory)}"
            )
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
        self._unreadable = []
        entries = []
        for slot in self._slots_on_disk():
            try:
                save, path, _ = self._open(slot, read)
            except SaveError as exc:
                self._problems.append(str(exc))
                self._unreadable.append(self._unreadable_slot(slot, exc))
                continue
            header = save.header
            if story is not None and header.story.id != story.id:
                continue
            info = self._info(slot, path, header, story)
            entries.append((header.meta.saved_unix, header.meta.sequence, info))
        entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
        return entries

    def list(self, story: Story | None = None) -> list[SaveInfo]:
        """Every readable save, newest first; with a story, only that story's saves (and
        `story_changed` set). Unreadable files are skipped and described by `list_problems`.
        Only each save's header is read and checked; `load` checks the game it holds."""
        return [info for _, _, info in self._entries(story)]

    def list_problems(self) -> list[str]:
        """One line per save the last `list` could not read."""
        return list(self._problems)

    def list_unreadable(self) -> list[Unreadable]:
        """The saves the last `list` could not read, each with its reason, by slot name."""
        return list(self._unreadable)

    def check(self, info: SaveInfo, story: Story) -> Unreadable | None:
        """Whether the save `info` describes can be loaded in `story`, checked as far as can be
        without replaying it: its game decoded, and (the story unchanged since) everything it
        names found in the story. The `Unreadable` when not, with load's reason."""
        try:
            document = self._open(info.slot, _read_whole)[0]
            if not info.story_changed:
                misfits = fit_state(document.state, story)[1]
                if misfits:
                    raise SaveError(
                        f"save '{printable(info.slot)}': {misfits[0].in_its_own_story()}"
                    )
        except SaveError as exc:
            return self._unreadable_slot(info.slot, exc)
        return None

    def _unreadable_slot(self, slot: str, exc: SaveError) -> Unreadable:
        prefix = f"save '{printable(slot)}': "
        message = str(exc)
        reason = message[len(prefix) :] if message.startswith(prefix) else message
        return Unreadable(slot, reason, self.directory / f"{slot}{SAVE_SUFFIX}")

    def info(self, slot: str, story: Story | None = None) -> SaveInfo:
        """The metadata of one save; raises `SaveError`."""
        slot = sanitise_slot(slot)
        save, path, _ = self._open(slot, read)
        return self._info(slot, path, save.header, story)

    def document(self, slot: str) -> SaveDocument:
        """The whole save in a slot, upgraded to the current format and checked, its game
        decoded; raises `SaveError`."""
        slot = sanitise_slot(slot)
        return self._open(slot, _read_whole)[0]

    def exists(self, slot: str) -> bool:
        """Whether the slot holds a save (readable or not)."""
        slot = sanitise_slot(slot)
        return (self.directory / f"{slot}{SAVE_SUFFIX}").exists() or self._backup_path(
            slot
        ).is_file()

    def latest(self, story: Story | None = None, *, in_progress: bool = False) -> SaveInfo | None:
        """The newest save, or None; with `in_progress`, None too when the game it holds has
        ended. That is what "Continue" resumes: the game most recently played, never an older
        one (the branch a quickload left behind) once that game has ended."""
        newest = next(iter(self.list(story)), None)
        return None if newest is None or (in_progress and not newest.in_progress) else newest

    # --- loading ---

    def load(self, slot: str, story: Story) -> Loaded:
        """Resume the game in `slot`; raises `SaveError` with a one-line reason."""
        slot = sanitise_slot(slot)
        document, path, note = self._open(slot, _read_whole)
        saved_story = document.header.story
        if saved_story.id != story.id:
            raise SaveError(
                f"save '{slot}': it belongs to another story ('{printable(saved_story.id)}'), "
                f"not '{story.id}'"
            )
        info = self._info(slot, path, document.header, story)
        try:
            engine, message = resume(story, document.state, not info.story_changed)
        except DamagedSave as exc:
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
        """Save the game in the named slot `slot` (replacing what was there); raises `SaveError`,
        also for the quicksave's and autosaves' names (`named_slot`)."""
        return self._save(named_slot(slot), engine, play_seconds)

    def quicksave(self, engine: Engine, play_seconds: float = 0.0) -> SaveInfo:
        """Save the game in the quicksave slot."""
        return self._save(QUICK_SLOT, engine, play_seconds)

    def autosave(
        self, engine: Engine, play_seconds: float = 0.0, *, replace: SaveInfo | None = None
    ) -> SaveInfo:
        """Save the game in the autosave ring (`auto-1` .. `auto-10`), over the oldest; the new
        autosave is the newest in the ring.

        `replace` is an autosave this store returned earlier: the new one is written over it
        instead (atomically, like every save), so the other nine stay. That happens only while
        its slot still holds exactly that save; if another game has saved there since, or the
        slot was deleted, the oldest is used as usual.
        """
        slots = [f"{AUTO_PREFIX}{number}" for number in range(1, AUTOSAVE_SLOTS + 1)]
        ring = {slot: self._sequence(slot) for slot in slots}
        usable = {slot: place for slot, place in ring.items() if isinstance(place, int)}
        self.ring_skipped = tuple(
            f"{slot}{SAVE_SUFFIX}: {place}"
            for slot, place in ring.items()
            if isinstance(place, str)
        )
        if not usable:
            raise SaveError(
                "no autosave slot can be used: "
                + "; ".join(printable(line, 120) for line in self.ring_skipped[:2])
                + (" ..." if len(self.ring_skipped) > 2 else "")
            )
        newest = max(usable.values())
        slot = min(usable, key=lambda name: usable[name])  # the oldest, or the first free one
        if replace is not None and replace.slot in usable and self._holds(replace, engine.story):
            slot = replace.slot
        return self._save(slot, engine, play_seconds, newest + 1)

    def _holds(self, info: SaveInfo, story: Story) -> bool:
        """Whether `info`'s slot still holds the very save `info` describes."""
        try:
            return self.info(info.slot, story) == info
        except SaveError:
            return False

    def _sequence(self, slot: str) -> int | str:
        """An autosave's place in the ring: 0 when the slot is free to use first (no file, or a
        file that is not a readable save, or holds a place past any the ring reaches), or one
        line saying why it cannot be used at all (a folder, pipe or device in its place)."""
        path = self.directory / f"{slot}{SAVE_SUFFIX}"
        try:
            saved = read(self._read(path))
        except FileRefused as exc:
            if exc.errno in (errno.EISDIR, errno.EINVAL, errno.ENXIO, errno.ELOOP):
                return exc.reason  # something other than a file holds the slot's name
            return 0  # missing, or a file to be replaced: the write says if it cannot be
        except DamagedSave:
            return 0
        sequence = saved.header.meta.sequence
        return sequence if 0 < sequence <= MAX_SEQUENCE else 0

    def _save(self, slot: str, engine: Engine, play_seconds: float, sequence: int = 0) -> SaveInfo:
        document = build_document(slot, engine, play_seconds, sequence, self.clock())
        try:
            data = encode(document)
            read(data)  # what is written must read back: never trade a good save for one
        except (SaveTooLarge, DamagedSave) as exc:
            raise SaveError(
                f"save '{printable(slot)}': not written: {exc} (existing saves are unchanged)"
            ) from None
        path = self._write(slot, data)
        return self._info(slot, path, document.header, engine.story)

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
