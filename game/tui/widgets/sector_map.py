"""The tactical sector map: the scene's map from the story, with its markers drawn on it."""

from __future__ import annotations

from collections.abc import Sequence

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from game.engine.model import Marker
from game.tui.render import map_legend, map_lines


class MapView(Static):
    """The map's characters (terrain styled, markers bold)."""

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


class SectorMap(VerticalScroll):
    """The map panel: the map, then a legend of the markers shown."""

    def compose(self):  # noqa: ANN201
        yield MapView("", id="map-view", markup=False)
        yield MapView("", id="map-legend", markup=False)

    def show(self, text: str | None, markers: Sequence[Marker]) -> None:
        """Draw a map (None: no feed for this scene)."""
        view = self.query_one("#map-view", MapView)
        legend = self.query_one("#map-legend", MapView)
        if text is None:
            view.update(Content("No tactical feed for this position."))
            view.add_class("-empty")
            legend.update(Content(""))
            legend.display = False
            return
        view.remove_class("-empty")
        view.update(Content("\n").join(map_lines(text, markers)))
        shown = map_legend(markers, 0)
        legend.update(shown)
        legend.display = bool(shown.plain)
