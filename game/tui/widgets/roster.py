"""The squadron roster: status symbol and colour, callsign, and the name once it is learned."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widget import Widget

from game.engine.runtime import PilotView
from game.tui.render import roster_row


class Roster(Widget):
    """One row per pilot, redrawn to the panel's width."""

    COMPONENT_CLASSES = {
        "roster--active",
        "roster--wounded",
        "roster--missing",
        "roster--killed",
        "roster--callsign",
        "roster--name",
        "roster--unknown",
        "roster--fallen",
    }

    DEFAULT_CSS = """
    Roster { height: auto; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pilots: list[PilotView] = []

    def show(self, pilots: Sequence[PilotView]) -> None:
        """Redraw with these rows (nothing to do when they are the rows shown)."""
        pilots = list(pilots)
        if pilots == self.pilots:
            return
        self.pilots = pilots
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001
        return max(1, len(self.pilots))

    def render(self) -> Content:
        if not self.pilots:
            return Content("(no pilots on the link)")
        width = max(12, self.content_size.width)
        callsign_width = max(len(p.callsign) for p in self.pilots)
        return Content("\n").join(roster_row(p, width, callsign_width) for p in self.pilots)
