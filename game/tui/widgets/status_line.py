"""The status line over the console: where we are, trust and standing, and the signal."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from game.tui.render import meter, signal_bars


class StatusLine(Horizontal):
    """`HANDLER ONE · Chapter 1 · … · Scene` on the left, meters on the right."""

    # What the last `show` drew (a resize draws `where` again before any `show`, too).
    _where = ""
    _short = ""
    _meters = Content("")
    _shown: tuple[object, ...] = ()

    def compose(self):  # noqa: ANN201
        yield Static("", id="status-where", markup=False)
        yield Static("", id="status-meters", markup=False)

    def show(
        self,
        where: str,
        meters: list[tuple[str, int, int, int]],
        signal: int | None,
        short: str = "",
    ) -> None:
        """`meters` holds (label, value, low, high) for trust and standing, if the story has them;
        `short` is a shorter `where` for narrow terminals. Showing what is shown draws nothing."""
        shown = (where, tuple(meters), signal, short)
        if shown == self._shown:
            return
        self._shown = shown
        self._where = where
        self._short = short or where
        parts: list[str | tuple[str, str]] = []
        for label, value, low, high in meters:
            parts += [f"{label} ", (meter(value, low, high), "bold"), "  "]
        if signal is not None:
            parts += ["signal ", (signal_bars(signal), "bold")]
        self._meters = Content.assemble(*parts)
        self.query_one("#status-meters", Static).update(self._meters)
        self._draw_where()

    def on_resize(self) -> None:
        self._draw_where()

    def _draw_where(self) -> None:
        where, short, meters = self._where, self._short or self._where, self._meters
        room = self.size.width - meters.cell_length - 4
        for choice in (Content.assemble(("HANDLER ONE", "bold"), " · ", where), Content(where)):
            if choice.cell_length <= room:
                break
        else:
            choice = Content(short)
        self.query_one("#status-where", Static).update(choice)
