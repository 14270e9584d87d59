"""`handler-one validate`: every check an author gets, as a list of diagnostics."""

from __future__ import annotations

from pathlib import Path

from game.engine.diagnostics import Diagnostic
from game.engine.loader import check_story


def validate(root: Path | str) -> list[Diagnostic]:
    """Load the story in `root` and return every error and warning, sorted by place."""
    _, diagnostics = check_story(root)
    return sorted(diagnostics, key=lambda d: (d.mark.path, d.mark.line, d.mark.column))
