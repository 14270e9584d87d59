"""The game state: small, plain and serialisable — everything a save needs.

`scene` is where the player stands, stored here and nowhere else: it is the story machine's
state name, and the machine reads and writes it as its model's `position` (the engine's
`position` is this field). Putting a state in place (a loaded save, an undo snapshot) is
therefore all it takes to move the machine.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from game.engine.model import Story

if TYPE_CHECKING:
    from game.engine.conditions import Value


@dataclass(frozen=True, slots=True)
class SaidLine:
    """A line produced by the last order (its radio, hits in an engagement), already filled in."""

    speaker: str
    text: str
    signal: int = 4


@dataclass
class GameState:
    """Everything that changes during a game. Plain data only: it round-trips through JSON."""

    story_id: str
    seed: int
    scene: str
    variables: dict[str, Value]
    status: dict[str, str]
    known: list[str]
    evidence: dict[str, str] = field(default_factory=dict)  # evidence id -> scene it came from
    deductions: list[str] = field(default_factory=list)
    visits: dict[str, int] = field(default_factory=dict)
    draws: int = 0
    log: list[tuple[str, int]] = field(default_factory=list)  # (state, order index) per order
    aftermath: list[SaidLine] = field(default_factory=list)
    ending: str | None = None
    origin: str | None = None  # the scene a game was warped to, if not the story's start
    preset: dict[str, Value] = field(default_factory=dict)  # variables preset with --set
    losses: dict[str, list[str]] = field(default_factory=dict)  # engagement -> pilots killed there

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
        """A JSON-ready copy."""
        data = asdict(self)
        data["log"] = [list(entry) for entry in self.log]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GameState:
        """Rebuild from `to_dict` output; raises `ValueError` on anything malformed."""
        try:
            state = cls(
                story_id=str(data["story_id"]),
                seed=int(data["seed"]),
                scene=str(data["scene"]),
                variables=dict(data["variables"]),
                status={str(k): str(v) for k, v in dict(data["status"]).items()},
                known=[str(p) for p in data["known"]],
                evidence={str(k): str(v) for k, v in dict(data.get("evidence", {})).items()},
                deductions=[str(d) for d in data.get("deductions", [])],
                visits={str(k): int(v) for k, v in dict(data.get("visits", {})).items()},
                draws=int(data.get("draws", 0)),
                log=[(str(s), int(i)) for s, i in data.get("log", [])],
                aftermath=[
                    SaidLine(str(a["speaker"]), str(a["text"]), int(a.get("signal", 4)))
                    for a in data.get("aftermath", [])
                ],
                ending=None if data.get("ending") is None else str(data["ending"]),
                origin=None if data.get("origin") is None else str(data["origin"]),
                preset=dict(data.get("preset", {})),
                losses={
                    str(k): [str(p) for p in v] for k, v in dict(data.get("losses", {})).items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"malformed game state: {exc}") from None
        for name, value in [*state.variables.items(), *state.preset.items()]:
            if not isinstance(value, bool | int | str):
                raise ValueError(
                    f"variable '{name}' holds {type(value).__name__}, not bool/int/text"
                )
        return state

    def copy(self, *, log: bool = True) -> GameState:
        """An independent copy. Every container holds only immutable values (str, int, bool,
        tuples, frozen lines), so copying the containers themselves is a full copy.

        With `log=False` the copy's order log is left empty: the engine's undo snapshots keep
        only the log's length and take the entries back from the live log (which only grows
        between a snapshot and its restore), so a step does not copy the whole log.
        """
        return GameState(
            story_id=self.story_id,
            seed=self.seed,
            scene=self.scene,
            variables=dict(self.variables),
            status=dict(self.status),
            known=list(self.known),
            evidence=dict(self.evidence),
            deductions=list(self.deductions),
            visits=dict(self.visits),
            draws=self.draws,
            log=list(self.log) if log else [],
            aftermath=list(self.aftermath),
            ending=self.ending,
            origin=self.origin,
            preset=dict(self.preset),
            losses={k: list(v) for k, v in self.losses.items()},
        )
