"""`handler-one validate`: every check an author gets, as a list of diagnostics.

The loader's checks come first (a story with errors gets only the few checks its errors cannot
mislead, `analysis.analyse_despite_errors`); a story that loads also gets
the checks in `game.engine.analysis`: reachability (the graph's, and verify's proofs), dead ends
with a witness, unused or never-set declarations, impossible conditions and colliding typed
words.
"""

from __future__ import annotations

from pathlib import Path

from game.engine.diagnostics import Diagnostic
from game.engine.loader import check_story_partly


def validate(root: Path | str, *, max_states: int | None = None) -> list[Diagnostic]:
    """Load the story in `root` and return every error and warning, sorted by place.

    `handler-one verify` answers within `analysis.VALIDATE_VERIFY_SECONDS`: what it proves no
    game reaches (W023-W025), and the dead ends when it answers them all, else the bounded
    search's; `max_states` sets the bounded search's budget and asks for it alone (no verify).
    `analysis.last_search()` says which answer each check used.
    A story with errors still gets the checks that its errors cannot mislead
    (`analysis.analyse_despite_errors`), so their warnings come with the errors.
    """
    story, diagnostics, partial = check_story_partly(root)
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
    elif partial is not None:
        from game.engine.analysis import analyse_despite_errors

        diagnostics = [*diagnostics, *analyse_despite_errors(partial)]
    return sorted(diagnostics, key=lambda d: (d.mark.path, d.mark.line, d.mark.column, d.code))
