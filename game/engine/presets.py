"""What an author can preset in a new game (`--set`), and how the presets reach its state.

Presets travel as one mapping from key to value, the same everywhere: the command line's
`--set`, `Engine.new(sets=...)`, a transcript's `sets`, a finding's replay command, and a
save's `GameState.preset`. The key says what is preset:

| key | value | the new game starts with |
| --- | --- | --- |
| `NAME` | of the variable's type | the variable at that value |
| `has:EVIDENCE` | true or false | the evidence in the dossier, and every deduction it completes |
| `knows:PILOT` | true or false | Lena knowing the pilot's name (false: not knowing it) |
| `status:PILOT` | a pilot status | the pilot active, wounded, missing, killed or in reserve |

Ids are lower-case words without a colon, so a key with a colon is never a variable: a save
written before evidence, names and statuses could be preset (its presets are all variables)
reads exactly as it did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args

from game.engine.diagnostics import one_line
from game.engine.model import PILOT_STATUSES, PilotStatus, Story

if TYPE_CHECKING:
    from game.engine.conditions import Value

Kind = Literal["has", "knows", "status"]
KINDS: tuple[Kind, ...] = get_args(Kind)
SEPARATOR = ":"


def split_key(key: str) -> tuple[str | None, str]:
    """A preset key as (kind, id): `("has", "ev_x")` for `has:ev_x`, `(None, "trust")` for a
    variable. The kind is returned as written, known or not."""
    kind, sep, ident = key.partition(SEPARATOR)
    return (kind, ident) if sep else (None, key)


def key_of(kind: Kind | None, ident: str) -> str:
    """The key that presets `ident` as `kind` (a variable when `kind` is None)."""
    return ident if kind is None else f"{kind}{SEPARATOR}{ident}"


def missing(story: Story, key: str) -> str | None:
    """What a preset key names that `story` does not have ("evidence 'x'", "variable 'y'"),
    or None when the story has it."""
    kind, ident = split_key(key)
    if kind is None:
        return None if ident in story.variables else f"variable '{ident}'"
    if kind == "has":
        return None if ident in story.evidence else f"evidence '{ident}'"
    if kind in ("knows", "status"):
        return None if ident in story.pilots else f"pilot '{ident}'"
    return f"preset '{key}'"


@dataclass(slots=True)
class Presets:
    """A game's presets, read and checked against its story (`read`)."""

    variables: dict[str, Value] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)  # held from the start, in the given order
    known: dict[str, bool] = field(default_factory=dict)
    status: dict[str, PilotStatus] = field(default_factory=dict)

    def apply(self, variables: dict[str, Value], known: list[str], status: dict[str, str]) -> None:
        """Put the variables, names and statuses in a new game's state (the evidence goes in
        as a reveal does, with its deductions: `Engine.new`)."""
        variables.update(self.variables)
        for pilot, knows in self.known.items():
            if knows and pilot not in known:
                known.append(pilot)
            elif not knows and pilot in known:
                known.remove(pilot)
        status.update(self.status)


def read(story: Story, sets: Mapping[str, Value] | None) -> Presets:
    """The presets `sets` holds, checked against `story`. Raises `ValueError` naming the first
    entry the story does not have or whose value does not fit (the command line checks more
    kindly first: `game.tools.common.parse_sets`)."""
    presets = Presets()
    for key, value in (sets or {}).items():
        absent = missing(story, key)
        if absent is not None:
            raise ValueError(one_line(f"no {absent[:80]}"))
        kind, ident = split_key(key)
        if kind is None:
            presets.variables[ident] = _typed(story, ident, value)
        elif kind == "status":
            if value not in PILOT_STATUSES:
                raise ValueError(one_line(f"'{str(value)[:40]}' is not a pilot status ({key})"))
            presets.status[ident] = value  # type: ignore[assignment]
        elif not isinstance(value, bool):
            raise ValueError(one_line(f"{key} takes true or false, not '{str(value)[:40]}'"))
        elif kind == "knows":
            presets.known[ident] = value
        elif value and ident not in presets.evidence:
            presets.evidence.append(ident)
        elif not value and ident in presets.evidence:
            presets.evidence.remove(ident)
    return presets


_TYPES = {"bool": (bool,), "int": (int,), "text": (str,)}


def _typed(story: Story, name: str, value: Value) -> Value:
    """`value` for variable `name`, when it is of the declared type (a number held in range)."""
    variable = story.variables[name]
    wanted = variable.type
    if isinstance(value, bool) != (wanted == "bool") or not isinstance(value, _TYPES[wanted]):
        raise ValueError(one_line(f"{name} is {wanted}, not '{str(value)[:40]}'"))
    return variable.clamp(value) if wanted == "int" else value  # type: ignore[arg-type]
