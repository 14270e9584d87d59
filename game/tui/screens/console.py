"""The Handler console: radio log, orders, roster, sector map and status line.

The screen only relays: it asks the engine what is said and what can be ordered, gives the
player's order back to it, and shows the answer. Saves go through the app (`HandlerApp`).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.events import Key
from textual.screen import Screen
from textual.widgets import Footer, Input

from game.engine.runtime import DeadEnd, Engine, GameOver, OrderView
from game.tui.render import line_body, line_tag, map_title, voice_map
from game.tui.widgets.orders import CommandInput, OrderItem, OrdersPanel
from game.tui.widgets.radio_log import RadioLog
from game.tui.widgets.roster import Roster
from game.tui.widgets.sector_map import SectorMap
from game.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from game.tui.app import HandlerApp
    from game.tui.session import GameSession

ENDING_LABEL = "The link goes quiet — debrief (Enter)"


def _order_bindings() -> list[Binding]:
    return [
        Binding(
            str(n),
            f"order({n})",
            "order",
            show=n == 1,
            key_display="1-9",
            tooltip="Give the order with this number",
        )
        for n in range(1, 10)
    ]


class ConsoleScreen(Screen):
    """The main screen of a game."""

    CSS_PATH = "console.tcss"

    AUTO_FOCUS = ""
    BINDINGS = [
        *_order_bindings(),
        Binding("slash", "focus_command", "type", key_display="/"),
        Binding("tab", "focus_command", "type", show=False),
        Binding("d", "dossier", "dossier"),
        Binding("g", "glossary", "glossary", show=False),
        Binding("ctrl+s", "save", "save"),
        Binding("l", "load", "load", show=False),
        Binding("f5", "quicksave", "quick"),
        Binding("f9", "quickload", "quickload", show=False),
        Binding("ctrl+z", "undo", "undo"),
        Binding("question_mark,f1", "help", "help", key_display="?"),
        Binding("escape", "menu", "menu"),
        Binding("enter,space", "advance", "skip line", show=False),
        Binding("pageup", "scroll_log(-1)", "scroll up", show=False),
        Binding("pagedown", "scroll_log(1)", "scroll down", show=False),
        Binding("up", "scroll_log(-0.1)", show=False),
        Binding("down", "scroll_log(0.1)", show=False),
        Binding("end", "scroll_log(100)", show=False),
        Binding("home", "scroll_log(-100)", show=False),
    ]

    def __init__(self, session: GameSession, note: str | None = None) -> None:
        super().__init__()
        self.session = session
        self._note = note
        story = session.engine.story
        self.voices = voice_map(story.pilots)
        callsigns = [len(p.callsign) for p in story.pilots.values()]
        self.tag_width = max(6, min(13, max(callsigns, default=4) + 1))
        self.signal: int | None = None

    @property
    def app_(self) -> HandlerApp:
        return self.app  # type: ignore[return-value]

    @property
    def engine(self) -> Engine:
        return self.session.engine

    # --- layout ------------------------------------------------------------------------------

    def compose(self):  # noqa: ANN201
        settings = self.app_.settings
        yield StatusLine(id="status")
        with Horizontal(id="console-body"):
            with Vertical(id="left"):
                log = RadioLog(
                    id="radio",
                    tag_width=self.tag_width,
                    chars_per_second=settings.chars_per_second,
                    line_gap=settings.line_gap,
                )
                log.border_title = Content(f"RADIO — {self.engine.story.title}")
                yield log
                orders = OrdersPanel(self.engine.completions, id="orders")
                orders.border_title = Content("ORDERS")
                yield orders
            with Vertical(id="right"):
                with VerticalScroll(id="roster-panel") as panel:
                    panel.border_title = Content("SQUADRON")
                    yield Roster(id="roster")
                yield SectorMap(id="map")
        yield Footer(compact=True)

    @property
    def log_widget(self) -> RadioLog:
        return self.query_one("#radio", RadioLog)

    @property
    def orders_panel(self) -> OrdersPanel:
        return self.query_one("#orders", OrdersPanel)

    def on_mount(self) -> None:
        self.query_one(CommandInput).cursor_blink = self.app_.cursor_blink
        if self._note:
            self.log_widget.note(Content.styled(self._note, ".radio--note"))
        self.play_scene()
        self.refresh_squad()

    # --- showing the game --------------------------------------------------------------------

    def play_scene(self) -> None:
        """The scene heading, then every line heard now; the orders; the map."""
        engine = self.engine
        log = self.log_widget
        log.note(Content.styled(f"── {self.engine.heading()} ──", ".radio--divider"))
        for line in engine.radio():
            log.say(line_tag(line, self.voices), line_body(line), line)
        self.show_orders()
        self.show_map()
        self.show_status()

    def show_orders(self) -> None:
        engine = self.engine
        panel = self.orders_panel
        if engine.ending is not None:
            panel.show([], ending_label=ENDING_LABEL)
        else:
            panel.show(engine.orders())
        command = panel.query_one(CommandInput)
        command.disabled = engine.ending is not None
        command.display = engine.ending is None
        self.refresh_bindings()

    def show_map(self) -> None:
        scene = self.engine.scene
        panel = self.query_one("#map", SectorMap)
        text = self.engine.story.maps.get(scene.map) if scene.map else None
        panel.border_title = Content(map_title(scene.map) if text is not None else "SECTOR")
        panel.show(text, scene.markers if text is not None else ())

    def show_status(self) -> None:
        engine = self.engine
        meters = [(m.name, m.value, m.low, m.high) for m in engine.meters()]
        short = f"Ch {engine.scene.chapter} · {self.engine.heading()}"
        self.query_one("#status", StatusLine).show(engine.header(), meters, self.signal, short)

    def refresh_squad(self) -> None:
        """Roster and meters: redrawn when the lines that changed them have been heard."""
        self.query_one("#roster", Roster).show(self.engine.squad())
        self.show_status()

    @on(RadioLog.Drained)
    def _drained(self) -> None:
        self.refresh_squad()

    @on(RadioLog.LineStarted)
    def _line_started(self, event: RadioLog.LineStarted) -> None:
        self.signal = event.line.signal
        self.show_status()

    def adopt(self, engine: Engine, play_seconds: float | None, note: str) -> None:
        """Carry on with another engine (a loaded save) in this console."""
        self.log_widget.flush()
        self.session.replace_engine(engine, play_seconds)
        self.orders_panel._complete = engine.completions
        self.query_one(CommandInput)._complete = engine.completions
        self.log_widget.note(Content.styled(note, ".radio--note"))
        self.play_scene()
        self.refresh_squad()

    def apply_speed(self) -> None:
        settings = self.app_.settings
        self.log_widget.set_speed(settings.chars_per_second, settings.line_gap)
        self.query_one(CommandInput).cursor_blink = self.app_.cursor_blink

    # --- giving orders -----------------------------------------------------------------------

    def give(self, view: OrderView) -> None:
        """Give an order shown in the panel."""
        self.log_widget.flush()
        try:
            self.engine.choose(view.index)
        except (ValueError, DeadEnd, GameOver) as exc:
            self.app.notify(str(exc), title="Order refused", severity="error", markup=False)
            return
        self._echo(view.say)
        self._after_order()

    def give_text(self, text: str) -> None:
        """Give an order typed on the command line."""
        if not text.strip():
            return
        self.log_widget.flush()
        before = {v.index: v for v in self.engine.orders()}
        try:
            outcome = self.engine.choose_text(text)
        except (ValueError, DeadEnd, GameOver) as exc:
            self.orders_panel.hint(str(exc))
            return
        if not outcome.ok:
            self.orders_panel.hint(outcome.message)
            return
        if outcome.index in before:
            self._echo(before[outcome.index].say)
        self._after_order()

    def _echo(self, say: str) -> None:
        self.log_widget.note(
            Content.styled("▸ " + say, ".radio--order"), Content.styled("LENA", ".radio--lena")
        )

    def _after_order(self) -> None:
        if self.session.take_scene_entered():
            self.app_.autosave()
        self.orders_panel.query_one(CommandInput).value = ""
        self.play_scene()

    def action_order(self, number: int) -> None:
        if self.engine.ending is not None:
            if number == 1:
                self.action_advance()
            return
        for view in self.engine.orders():
            if view.number == number:
                self.give(view)
                return
        count = sum(1 for v in self.engine.orders() if v.enabled)
        self.orders_panel.hint(f"There is no order {number}; choose 1 to {count}.")
        self.app.bell()

    @on(OrderItem.Chosen)
    def _clicked(self, event: OrderItem.Chosen) -> None:
        view = event.item.view
        if view is None:
            self.action_advance()
        elif self.engine.ending is None:
            self.give(view)

    @on(Input.Submitted, "#command")
    def _typed(self, event: Input.Submitted) -> None:
        self.give_text(event.value)

    @on(CommandInput.Hint)
    def _hint(self, event: CommandInput.Hint) -> None:
        self.orders_panel.hint(event.text)

    def on_key(self, event: Key) -> None:
        # Any key completes the line being typed; the key still does what it does.
        log = self.log_widget
        if log.busy:
            log.complete_line()

    def action_advance(self) -> None:
        """Enter/space: complete the radio; at an ending, go on to the debrief."""
        log = self.log_widget
        if log.busy:
            log.flush()
            return
        if self.engine.ending is not None:
            self.app_.show_ending(self.engine)

    # --- other keys --------------------------------------------------------------------------

    def action_focus_command(self) -> None:
        command = self.query_one(CommandInput)
        if not command.disabled:
            command.focus()

    def action_scroll_log(self, pages: float) -> None:
        log = self.log_widget
        log.scroll_relative(y=pages * max(1, log.scrollable_content_region.height), animate=False)

    def action_dossier(self) -> None:
        from game.tui.screens.dossier import DossierScreen

        self.app.push_screen(DossierScreen(self.engine))

    def action_glossary(self) -> None:
        self.app_.action_glossary()

    def action_help(self) -> None:
        self.app_.action_help()

    def action_menu(self) -> None:
        from game.tui.screens.menu import PauseMenu, run_choice

        self.app.push_screen(PauseMenu(), partial(run_choice, self.app_))

    def action_save(self) -> None:
        self.app_.open_save()

    def action_load(self) -> None:
        self.app_.action_load()

    def action_quicksave(self) -> None:
        self.app_.quicksave()

    def action_quickload(self) -> None:
        self.app_.quickload()

    def action_undo(self) -> None:
        self.log_widget.flush()
        if self.engine.undo():
            self.log_widget.note(Content.styled("— last order taken back —", ".radio--note"))
            self.play_scene()
            self.refresh_squad()
        else:
            self.app.notify("Nothing to undo.", markup=False)

    def can_undo(self) -> bool:
        engine = self.engine
        return engine.can_undo

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        saves = self.app_.saves.available
        ended = self.engine.ending is not None
        if action in ("save", "quicksave"):
            return True if saves and not ended else None
        if action in ("load", "quickload"):
            return True if saves else None
        if action == "undo":
            return True if self.can_undo() else None
        return True
