"""The game state: small, plain and serialisable — everything a save needs.

`GameState` is the one definition of a game in progress: the engine reads and changes it, and a
save's `state` is decoded into it and checked by it (msgspec, strictly: a value of the wrong
type, a pilot status the game does not know, a signal out of range or a negative count is
refused, naming where it is). Bounds a type cannot say are the `Meta` constraints below; the
signal's range is the scene format's (`game.engine.format`).

`scene` is where the player stands, stored here and nowhere else: it is the story machine's
state name, and the machine reads and writes it as its model's `position` (the engine's
`position` is this field). Putting a state in place (a loaded save, an undo snapshot) is
therefore all it takes to move the machine.

This module imports msgspec: the title screen, which lists saves before anything is played,
never imports it (`game.engine.savefile` reads a save's header without it).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
import msgspec.json

from game.engine.format import INT_MAX, INT_MIN, MAX_SIGNAL, MIN_SIGNAL
from game.engine.model import PilotStatus, Story

Signal = Annotated[int, msgspec.Meta(ge=MIN_SIGNAL, le=MAX_SIGNAL)]
Int = Annotated[int, msgspec.Meta(ge=INT_MIN, le=INT_MAX)]
Count = Annotated[int, msgspec.Meta(ge=0, le=INT_MAX)]
StateValue = bool | Int | str  # a variable's value, as the game holds it (`conditions.Value`)
Name = Annotated[str, msgspec.Meta(min_length=1)]


class SaidLine(msgspec.Struct, frozen=True):
    """A line produced by the last order (its radio, hits in an engagement), already filled in."""

    speaker: str
    text: str
    signal: Signal = MAX_SIGNAL


class GameState(msgspec.Struct):
    """Everything that changes during a game. Plain data only: it round-trips through JSON."""

    story_id: str
    seed: Int
    scene: Name
    variables: dict[str, StateValue]
    status: dict[str, PilotStatus]
    known: list[str]
    evidence: dict[str, str] = {}  # evidence id -> the scene it came from
    deductions: list[str] = []
    visits: dict[str, Count] = {}
    draws: Count = 0
    log: list[tuple[str, Count]] = []  # (state, order index) per order given
    # Each logged order's identity (`game.engine.identity`), entry by entry; "" when unknown.
    log_ids: list[str] = []
    # Whether replaying the log from the start leads to this game; not once a story edit (or
    # damage) broke it, when undo stops at the load that found it (`game.engine.saves.resume`).
    log_replays: bool = True
    # While a scene loops back to itself: its orders' indices by the number each was shown
    # with, so that an order keeps its number while it is offered (`Engine.orders`).
    numbers: list[Count] = []
    aftermath: list[SaidLine] = []
    ending: str | None = None
    origin: str | None = None  # the scene a game was warped to, if not the story's start
    preset: dict[str, StateValue] = {}  # variables preset with --set
    losses: dict[str, list[str]] = {}  # engagement -> pilots killed there
    asked: list[str] = []  # pilots who were asked their names and did not give them

    @classmethod
    def new(cls, story: Story, seed: int) -> GameState:
        """A fresh game at the story's start, before the first scene is entered."""
        return cls(
            story_id=story.id,
            seed=seed,
            scene=story.start,
            variables={v.name: v.default for v in story.variables.values()},
            status={p.id: p.status for p in story.pilots.values()},
            known=[p.id for p in story.pilots.values() if p.known],
        )

    def draw(self) -> float:
        """The next number from the game's seeded generator, in [0, 1).

        The generator's whole state is (seed, draws): two integers in a save, and the same
        sequence on every machine and Python version.
        """
        value = random.Random(f"{self.seed}:{self.draws}").random()
        self.draws += 1
        return value

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, exactly as a save's JSON reads back (lists for tuples, dicts for
        lines)."""
        return msgspec.json.decode(msgspec.json.encode(self))

    @classmethod
    def from_dict(cls, data: object, where: str = "state") -> GameState:
        """Decode and check `to_dict` output (e.g. a save's parsed JSON). Raises `ValueError`
        naming the bad field from `where`, e.g. "state.seed: expected `int`, got `str`"."""
        try:
            state = msgspec.convert(data, cls, strict=True)
        except msgspec.ValidationError as exc:
            raise ValueError(_located(str(exc), where)) from None
        if len(state.log_ids) != len(state.log):
            raise ValueError(
                f"{where}.log_ids: has {len(state.log_ids)} entries where {where}.log has "
                f"{len(state.log)}"
            )
        return state

    def copy(self, *, log: bool = True) -> GameState:
        """An independent copy: every container is copied, down to values that are immutable
        (text, numbers, tuples, frozen lines); which fields those are is read from the class.

        With `log=False` the copy's order log (and its identities) is left empty: the engine's
        undo snapshots keep only the log's length and take the entries back from the live log
        (which only grows between a snapshot and its restore), so a step does not copy the
        whole log.
        """
        clone = self.__copy__()  # shallow; its `__dict__` starts empty
        for name, copy_value in _COPIED if log else _COPIED_BUT_LOG:
            setattr(clone, name, copy_value(getattr(self, name)))
        if not log:
            clone.log = []
            clone.log_ids = []
        return clone


def _located(message: str, where: str) -> str:
    """msgspec's "Expected `int`, got `str` - at `$.seed`" as "state.seed: expected ..."."""
    message, _, path = message.partition(" - at `$")
    place = where + path.rstrip("`")
    return f"{place}: {message[:1].lower()}{message[1:]}"


def _copier(kind: Any) -> Callable[[Any], Any] | None:
    """How to copy a value of type `kind` so that the copy shares no container with it; None
    when such values are immutable. A mutable type this does not know fails at import."""
    origin = get_origin(kind)
    if origin is Annotated:
        return _copier(get_args(kind)[0])
    if origin in (list, dict):
        inner = _copier(get_args(kind)[-1])
        if inner is None:
            return origin
        if origin is list:
            return lambda items: [inner(item) for item in items]
        return lambda mapping: {key: inner(item) for key, item in mapping.items()}
    if _immutable(kind):
        return None
    raise TypeError(f"GameState.copy cannot copy a {kind!r}: make it immutable or teach _copier")


def _immutable(kind: Any) -> bool:
    origin = get_origin(kind)
    if origin is Literal:
        return True
    if origin is Annotated:
        return _immutable(get_args(kind)[0])
    if origin in (UnionType, Union, tuple):
        return all(_immutable(arm) for arm in get_args(kind) if arm is not Ellipsis)
    if kind in (str, int, bool, float, NoneType):
        return True
    frozen_struct = isinstance(kind, type) and issubclass(kind, msgspec.Struct)
    return frozen_struct and kind.__struct_config__.frozen


_COPIED: tuple[tuple[str, Callable[[Any], Any]], ...] = tuple(
    (field.name, copier)
    for field in msgspec.structs.fields(GameState)
    if (copier := _copier(field.type)) is not None
)
_COPIED_BUT_LOG = tuple(entry for entry in _COPIED if entry[0] not in ("log", "log_ids"))
