"""Diagnostics: every problem the loader or a checker finds, with its place in a file."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Mark:
    """A place in a file; line and column are 1-based, as editors count them."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: `PATH:LINE:COL: severity: message [code]`, gcc style so editors jump to it."""

    mark: Mark
    severity: Severity
    code: str
    message: str

    def __post_init__(self) -> None:
        # Messages quote what authors wrote; they must stay one line and never reach the
        # terminal as control characters, whatever the file held.
        object.__setattr__(self, "message", one_line(self.message))
        object.__setattr__(
            self, "mark", Mark(one_line(self.mark.path), self.mark.line, self.mark.column)
        )

    def __str__(self) -> str:
        return f"{self.mark}: {self.severity}: {self.message} [{self.code}]"

    def to_json(self) -> dict[str, object]:
        """The diagnostic as the flat object `validate --json` prints."""
        data = asdict(self)
        mark = data.pop("mark")
        return {**mark, **data}


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def one_line(text: str) -> str:
    """Text safe to print on one line: control characters (newlines included) as visible
    stand-ins (␊, ␛, …), and bidi overrides and lone surrogates as �."""
    return _CONTROL.sub(
        lambda m: chr(0x2400 + ord(m.group())) if ord(m.group()) < 0x20 else "\ufffd", text
    )


class StoryError(Exception):
    """Raised when a story cannot be loaded; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0] if diagnostics else None
        more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
        super().__init__(f"{first}{more}" if first else "story failed to load")


def did_you_mean(word: str, choices: object) -> str:
    """A `; did you mean 'x'?` hint when a close match exists, else an empty string."""
    names = [c for c in choices if isinstance(c, str)]  # type: ignore[attr-defined]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def display_path(path: Path) -> str:
    """A path as editors can open it from here: relative to the working directory when the
    file is beneath it, else absolute."""
    # abspath, not resolve(): resolving a symlink loop raises, and a place must always print.
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, os.getcwd())
    return absolute if relative.startswith("..") else relative
