"""`handler-one validate`: every check an author gets, as a list of diagnostics.

The loader's checks come first (a story with errors stops there); a story that loads also gets
the checks in `game.engine.analysis`: reachability, dead ends with a witness, unused or never-set
declarations, impossible conditions and colliding typed words.
"""

from __future__ import annotations

from pathlib import Path

from game.engine.diagnostics import Diagnostic
from game.engine.loader import check_story


def validate(root: Path | str, *, max_states: int | None = None) -> list[Diagnostic]:
    """Load the story in `root` and return every error and warning, sorted by place.

    Dead ends come from the complete search (`handler-one verify`) when it finishes within
    `analysis.VALIDATE_VERIFY_SECONDS`, else from the bounded search; `max_states` sets the
    bounded search's budget and asks for it alone. `analysis.searched_by()` says which ran.
    """
    story, diagnostics = check_story(root)
    if story is not None:
        from game.engine.analysis import VALIDATE_MAX_STATES, analyse

        diagnostics = [
            *diagnostics,
            *analyse(
                story,
                max_states=max_states or VALIDATE_MAX_STATES,
                complete=max_states is None,
            ),
        ]
    return sorted(diagnostics, key=lambda d: (d.mark.path, d.mark.line, d.mark.column, d.code))
