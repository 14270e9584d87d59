"""The ending: its title and text, then the roll call, then back to the title screen.

The roll call names the pilots Lena knew by name and leaves a blank where she never asked.
"""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.containers import Center, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from game.engine.runtime import Engine, PilotView
from game.tui.render import STATUS_SYMBOL

BLANK = "_" * 14


def roll_call_line(pilot: PilotView, callsign_width: int) -> Content:
    """'● Undertaker   Shinei Nouzen    alive' — a blank where the name was never asked."""
    name = pilot.name if pilot.name else BLANK
    return Content.assemble(
        (STATUS_SYMBOL.get(pilot.status, "·"), f".roll--{pilot.status}"),
        " ",
        (pilot.callsign.ljust(callsign_width), "bold"),
        "  ",
        (name.ljust(max(len(BLANK), 16)), "" if pilot.name else "dim"),
        "  ",
        (pilot.fate, "italic"),
    )


class RollCall(Static):
    """The roll call's lines; status symbols take the theme's colours."""

    COMPONENT_CLASSES = {"roll--active", "roll--wounded", "roll--missing", "roll--killed"}


class EndingScreen(Screen[None]):
    """Dismissed with Enter or Esc (the app then returns to the title)."""

    CSS_PATH = "screens.tcss"

    BINDINGS = [
        Binding("enter,escape,space", "finish", "back to title"),
    ]

    def __init__(self, engine: Engine, instant: bool = False) -> None:
        """`instant`: show the whole roll call at once, rather than name by name."""
        super().__init__()
        self.engine = engine
        self.instant = instant
        self.roll = engine.roll_call()
        self._shown = 0

    def compose(self):  # noqa: ANN201
        ending = self.engine.ending
        title = ending.title if ending else "The End"
        text = ending.text if ending else ""
        with VerticalScroll(id="ending-scroll"):
            with Center():
                with Vertical(id="ending-box"):
                    yield Static(Content("— ENDING —"), id="ending-kicker")
                    yield Static(Content(title), id="ending-title")
                    if text:
                        yield Static(Content(text), id="ending-text")
                    yield Static(Content("ROLL CALL"), id="ending-roll-title")
                    yield RollCall(Content(""), id="ending-roll")
                    yield Button(Content("Back to the title (Enter)"), id="ending-done")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.instant or not self.roll:
            self._shown = len(self.roll)
            self._draw()
        else:
            self._timer = self.set_interval(0.6, self._reveal)

    def _reveal(self) -> None:
        self._shown += 1
        self._draw()
        if self._shown >= len(self.roll):
            self._timer.stop()

    def _draw(self) -> None:
        width = max((len(p.callsign) for p in self.roll), default=4)
        lines = [roll_call_line(p, width) for p in self.roll[: self._shown]]
        self.query_one("#ending-roll", RollCall).update(Content("\n").join(lines))

    @on(Button.Pressed, "#ending-done")
    def _done(self) -> None:
        self.action_finish()

    def action_finish(self) -> None:
        if self._shown < len(self.roll):
            self._shown = len(self.roll)
            self._draw()
            if hasattr(self, "_timer"):
                self._timer.stop()
            return
        self.dismiss()
