"""The compiled story: immutable objects built once from the scene files.

Front ends and tools read these; only the loader creates them. Game progress lives in
`game.engine.state.GameState`, never here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from game.engine.diagnostics import Diagnostic, Mark
from game.engine.format import INT_MAX, INT_MIN, MAX_SIGNAL

if TYPE_CHECKING:
    # Annotations only: a story read from the cache compiles a scene's conditions when the
    # scene is first read, so the title screen can show before the condition parser loads.
    from game.engine.conditions import Expression, Type, Value

PilotStatus = Literal["active", "wounded", "missing", "killed", "reserve"]
# `reserve`: not with the squad yet (a replacement on the way): off the roster, not alive, not
# fallen, never hit; a `status:` effect making them active brings them in. Kept last, so the
# other statuses keep their places.
PILOT_STATUSES: tuple[PilotStatus, ...] = ("active", "wounded", "missing", "killed", "reserve")
EvidenceSource = Literal["official", "radio", "record"]
EVIDENCE_SOURCES: tuple[EvidenceSource, ...] = ("official", "radio", "record")
FIXED_SPEAKERS = ("hq", "narration", "lena")
SpeakerVoice = Literal["hq", "narration", "lena"]
MARKER_KINDS = ("squad", "legion", "objective", "hazard")
ROUND_SEPARATOR = "#"
NOWHERE = Mark("<story>")


@dataclass(frozen=True, slots=True)
class Chapter:
    """A chapter's number and title, as the manifest declares them."""

    number: int
    title: str


@dataclass(frozen=True, slots=True)
class Variable:
    """A declared variable: its type, starting value and (for ints) the range it is held in."""

    name: str
    type: Type
    default: Value
    min: int | None = None
    max: int | None = None
    mark: Mark = NOWHERE

    def clamp(self, value: int) -> int:
        """`value` held inside the declared range, and always inside the range every whole number
        the game holds (`INT_MIN`..`INT_MAX`), so no effect can grow one past it."""
        value = max(INT_MIN, min(INT_MAX, value))
        if self.min is not None:
            value = max(self.min, value)
        if self.max is not None:
            value = min(self.max, value)
        return value


@dataclass(frozen=True, slots=True)
class Pilot:
    """A member of the squadron: callsign, name, role, how they start, and whether Lena knows
    their name from the start."""

    id: str
    callsign: str
    name: str
    role: str
    status: PilotStatus = "active"
    known: bool = False
    mark: Mark = NOWHERE


@dataclass(frozen=True, slots=True)
class Evidence:
    """A dossier entry: what it says and where it came from (the official line, the radio or a
    record)."""

    id: str
    title: str
    text: str
    source: EvidenceSource
    mark: Mark = NOWHERE


@dataclass(frozen=True, slots=True)
class Deduction:
    """A conclusion the dossier draws once every piece of evidence it requires is revealed."""

    id: str
    title: str
    text: str
    requires: tuple[str, ...]
    hint: str = ""
    mark: Mark = NOWHERE


@dataclass(frozen=True, slots=True)
class Ending:
    """One of the story's endings: its title and closing text."""

    id: str
    title: str
    text: str = ""
    mark: Mark = NOWHERE


@dataclass(frozen=True, slots=True)
class Speaker:
    """A voice the story declares beside the fixed ones and the pilots (the Colonel in person,
    the civic bulletin, a personnel notice): its tag, and the fixed voice whose register it is
    shown in."""

    id: str
    tag: str
    voice: SpeakerVoice = "hq"
    mark: Mark = NOWHERE


@dataclass(frozen=True, slots=True)
class Tone:
    """A kind of order (warm, dutiful, ...) an author tags orders with, so that persona
    playtests can play the story the way a kind of player would. Never shown to players."""

    id: str
    title: str = ""
    mark: Mark = NOWHERE


@dataclass(frozen=True, slots=True)
class Persona:
    """A way of playing Lena, for `playtest --persona`: the tones this player prefers, those
    they take only when nothing else is offered, and how often (percent) they follow their
    preference when they can."""

    id: str
    title: str
    prefers: tuple[str, ...]
    avoids: tuple[str, ...] = ()
    consistency: int = 85
    mark: Mark = NOWHERE


@dataclass(frozen=True, slots=True)
class Line:
    """One radio line as written: who says it, the raw text, when, and how clearly."""

    speaker: str
    text: str
    condition: Expression | None = None
    signal: int = MAX_SIGNAL
    mark: Mark = NOWHERE
    once: bool = False


@dataclass(frozen=True, slots=True)
class Effects:
    """What an order, a branch or arriving in a scene changes; false when it changes nothing."""

    set: tuple[tuple[str, Value], ...] = ()
    add: tuple[tuple[str, int], ...] = ()
    reveal: tuple[str, ...] = ()
    learn: tuple[str, ...] = ()
    status: tuple[tuple[str, PilotStatus], ...] = ()
    mark: Mark = NOWHERE
    # Last, after `mark`: the story cache stores fields by position, and a cache written before
    # this field existed still reads correctly with it defaulted.
    asked: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.set or self.add or self.reveal or self.learn or self.status or self.asked)


NO_EFFECTS = Effects()


@dataclass(frozen=True, slots=True)
class Branch:
    """One way an order or an engagement can go: one transition of the story machine, taken
    when its guards pass (its `condition`, and for a weighted branch chance's roll); see
    `game.engine.machine`."""

    goto: str
    condition: Expression | None = None
    weight: int | None = None
    effects: Effects = NO_EFFECTS
    radio: tuple[Line, ...] = ()
    mark: Mark = NOWHERE


@dataclass(frozen=True, slots=True)
class Order:
    """One order Lena can give: what she says, the words that give it when typed, when it is
    offered, what it does, and where it leads (or, in an engagement, how it meets the danger)."""

    say: str
    words: tuple[str, ...] = ()
    condition: Expression | None = None
    disabled: str | None = None
    effects: Effects = NO_EFFECTS
    radio: tuple[Line, ...] = ()
    branches: tuple[Branch, ...] = ()
    heeds: bool = False
    risk: int = 0
    mark: Mark = NOWHERE
    tone: str | None = None
    hint_if: Expression | None = None


@dataclass(frozen=True, slots=True)
class Round:
    """One round of an engagement: its radio, a warning, and orders of its own (else the
    engagement's)."""

    radio: tuple[Line, ...] = ()
    warning: str | None = None
    orders: tuple[Order, ...] = ()
    mark: Mark = NOWHERE
    markers: tuple[Marker, ...] | None = None  # None: the marks of the round before stay


@dataclass(frozen=True, slots=True)
class Engagement:
    """A fight in rounds: the danger each order faces, who is at risk, the lines for a hit and a
    kill, the rounds, the orders, and where it goes after."""

    danger: Expression
    ignore_cost: int
    at_risk: tuple[str, ...]
    hit: str
    kill: str
    rounds: tuple[Round, ...]
    orders: tuple[Order, ...]
    after: tuple[Branch, ...]
    mark: Mark = NOWHERE


@dataclass(frozen=True, slots=True)
class Marker:
    """A mark on a scene's sector map: a cell, what stands there and an optional label."""

    column: int
    row: int
    kind: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Scene:
    """One scene as written: its title and chapter, radio lines, orders (or an ending or an
    engagement), effects on arrival, and its sector map."""

    id: str
    title: str
    chapter: int
    radio: tuple[Line, ...] = ()
    orders: tuple[Order, ...] = ()
    enter: Effects = NO_EFFECTS
    ending: str | None = None
    engagement: Engagement | None = None
    map: str | None = None
    markers: tuple[Marker, ...] = ()
    mark: Mark = NOWHERE

    @property
    def rounds(self) -> int:
        """How many machine states this scene occupies (engagement rounds, else 1)."""
        return len(self.engagement.rounds) if self.engagement else 1


def state_name(scene: str, round_number: int = 1) -> str:
    """The machine state for a scene (and an engagement round after the first)."""
    return scene if round_number <= 1 else f"{scene}{ROUND_SEPARATOR}{round_number}"


def split_state(name: str) -> tuple[str, int]:
    """The scene id and round number of a machine state name."""
    scene, sep, number = name.partition(ROUND_SEPARATOR)
    return (scene, int(number)) if sep and number.isdigit() else (name, 1)


@dataclass(frozen=True)
class Story:
    """A whole compiled story. Mappings keep the order in which things were declared."""

    id: str
    title: str
    start: str
    chapters: Mapping[int, Chapter]
    variables: Mapping[str, Variable]
    pilots: Mapping[str, Pilot]
    evidence: Mapping[str, Evidence]
    deductions: Mapping[str, Deduction]
    endings: Mapping[str, Ending]
    scenes: Mapping[str, Scene]
    maps: Mapping[str, str] = field(default_factory=dict)
    content_hash: str = ""
    root: str = ""
    warnings: tuple[Diagnostic, ...] = ()
    # Filled by the loader and the cache, so listing states never has to decode every scene.
    state_names: tuple[str, ...] = ()
    tones: Mapping[str, Tone] = field(default_factory=dict)
    personas: Mapping[str, Persona] = field(default_factory=dict)
    speakers: Mapping[str, Speaker] = field(default_factory=dict)
    # Where each condition's key ('if', 'hint_if') is written, by the mark of the line, order or
    # branch holding it: for diagnostics. Filled by the loader; a story from the cache has none.
    condition_marks: Mapping[tuple[Mark, str], Mark] = field(default_factory=dict)

    def orders_at(self, state: str) -> tuple[Order, ...]:
        """Every order written for a machine state, in authored order (hidden ones included)."""
        scene_id, round_number = split_state(state)
        scene = self.scenes[scene_id]
        if scene.engagement is None:
            return scene.orders
        rnd = scene.engagement.rounds[round_number - 1]
        return scene.engagement.orders + rnd.orders

    def states(self) -> list[str]:
        """Every machine state: one per scene, one per engagement round."""
        if self.state_names:
            return list(self.state_names)
        return [state_name(s.id, r) for s in self.scenes.values() for r in range(1, s.rounds + 1)]

    def chapter_title(self, number: int) -> str:
        """The chapter's title, or 'Chapter N' when none was declared."""
        chapter = self.chapters.get(number)
        return chapter.title if chapter else f"Chapter {number}"
