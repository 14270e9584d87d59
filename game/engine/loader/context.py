"""What the loader's passes share: the declarations found so far, and every diagnostic."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from game.engine.conditions import Expression, Scope
from game.engine.diagnostics import Diagnostic, Mark
from game.engine.loader.places import Places
from game.engine.model import (
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


@dataclass
class Context:
    """One load under way. Declaring fills the tables from `variables` to `scene_marks`; the
    scope is set once they are complete; compiling scenes reads them, fills `maps` and caches
    compiled conditions in `expressions`. Diagnostics are kept in the order they are found."""

    root: Path
    map_dirs: tuple[Path, ...] = ()
    diagnostics: list[Diagnostic] = field(default_factory=list)
    variables: dict[str, Variable] = field(default_factory=dict)
    pilots: dict[str, Pilot] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    deductions: dict[str, Deduction] = field(default_factory=dict)
    endings: dict[str, Ending] = field(default_factory=dict)
    chapters: dict[int, Chapter] = field(default_factory=dict)
    tones: dict[str, Tone] = field(default_factory=dict)
    speakers: dict[str, Speaker] = field(default_factory=dict)
    personas: dict[str, Persona] = field(default_factory=dict)
    scene_marks: dict[str, Mark] = field(default_factory=dict)
    maps: dict[str, str] = field(default_factory=dict)
    scope: Scope | None = None
    expressions: dict[tuple[str, str], Expression] = field(default_factory=dict)
    # Ids and names whose declaration failed to load: declared anyway, so that what names them
    # finds them; effects on such a variable are not checked again. `untyped`: variables whose
    # type itself failed, given a stand-in type; conditions reading them are not reported.
    broken: set[str] = field(default_factory=set)
    untyped: set[str] = field(default_factory=set)
    # Where each condition's key is written, by the mark of what holds it (a line's speaker
    # key, an order's or a branch's mapping) and the key ('if', 'hint_if').
    condition_marks: dict[tuple[Mark, str], Mark] = field(default_factory=dict)
    # Where values are written, for diagnostics that point inside one (a condition's name).
    places: Places = field(default_factory=Places)

    def error(self, mark: Mark, code: str, message: str) -> None:
        """Record an error: the story will not load, but reading goes on to find the rest."""
        self.diagnostics.append(Diagnostic(mark, "error", code, message))

    def warning(self, mark: Mark, code: str, message: str) -> None:
        """Record a warning: kept on `Story.warnings`; the story still loads."""
        self.diagnostics.append(Diagnostic(mark, "warning", code, message))

    @property
    def failed(self) -> bool:
        """Whether any error has been recorded."""
        return any(d.severity == "error" for d in self.diagnostics)
