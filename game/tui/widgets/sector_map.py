"""The tactical sector map: the scene's map from the story, with the markers of the moment (the
squad and the Legion move round by round in an engagement) drawn on it, and their legend.

A panel too small for the whole map shows the part around the squad (`render.map_window`); a
panel too short for the legend under the map gives it one line, or failing that the bottom
border.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from game.engine.model import Marker
from game.tui.render import legend_line, map_legend, map_lines, map_window

EMPTY = "No tactical feed for this position."


class MapView(Widget):
    """The map's characters (terrain styled, markers bold), cropped to the widget's size around
    the markers."""

    COMPONENT_CLASSES = {
        "map--ground",
        "map--ridge",
        "map--water",
        "map--structure",
        "map--squad",
        "map--legion",
        "map--objective",
        "map--hazard",
    }

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lines: list[Content] = []
        self.markers: tuple[Marker, ...] = ()
        self.window: tuple[int, int] = (0, 0)  # where the view starts, as last drawn

    def show(self, lines: list[Content], markers: Sequence[Marker]) -> None:
        """Draw these map lines (empty: no feed) with these markers on them."""
        self.lines, self.markers = lines, tuple(markers)
        self.set_class(not lines, "-empty")
        self.refresh()

    def render(self) -> Content:
        if not self.lines:
            return Content(EMPTY)
        size = (max(line.cell_length for line in self.lines), len(self.lines))
        view = (self.content_size.width, self.content_size.height)
        x, y = self.window = map_window(size, self.markers, view)
        shown = [line[x : x + view[0]] for line in self.lines[y : y + view[1]]]
        return Content("\n").join(shown)


class Legend(Static):
    """The markers' letters and what each stands for."""

    COMPONENT_CLASSES = {"map--squad", "map--legion", "map--objective", "map--hazard"}


class SectorMap(Vertical):
    """The map panel: the map, then a legend of the markers shown."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.markers: tuple[Marker, ...] = ()
        self.map_rows = 0

    def compose(self):  # noqa: ANN201
        yield MapView(id="map-view")
        yield Legend("", id="map-legend", markup=False)

    def show(self, text: str | None, markers: Sequence[Marker]) -> None:
        """Draw a map (None: no feed for this scene) with the markers of the moment."""
        view = self.query_one("#map-view", MapView)
        self.markers = tuple(markers) if text is not None else ()
        lines = map_lines(text, self.markers) if text is not None else []
        self.map_rows = len(lines)
        view.show(lines, self.markers)
        self._place_legend()

    def on_resize(self) -> None:
        self._place_legend()

    def _place_legend(self) -> None:
        """Under the map when there is room for the map and it; else on one line under the map
        (`legend_line`), as long as two rows of map are left; else in the bottom border."""
        legend = self.query_one("#map-legend", Legend)
        width = max(12, self.content_size.width)
        full = map_legend(self.markers, width)
        rows = len(full.plain.splitlines()) if full.plain else 0
        room = self.content_size.height
        subtitle = Content("")
        if not rows:
            shown = full
        elif not room or self.map_rows + 1 + rows <= room:
            shown = full
            legend.remove_class("-compact")
        else:
            shown = legend_line(self.markers, width)
            legend.add_class("-compact")
            if room - 1 < 2:
                # The border keeps its corners and a space either side of the subtitle.
                subtitle, shown = legend_line(self.markers, max(1, self.size.width - 6)), Content("")
        legend.update(shown)
        legend.display = bool(shown.plain)
        self.border_subtitle = subtitle
