"""The Handler console: radio log, orders, roster, sector map and status line.

The screen only relays: it shows what the engine says and what can be ordered, hands the
player's order to the `Session` (which gives it and autosaves), and shows the answer. What only
the app can do (saves, loads, other screens, leaving) it asks for with `game.tui.messages`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.events import Key
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input

from game.tui import messages
from game.tui.config import Settings
from game.tui.render import (
    line_body,
    line_tag,
    map_title,
    order_pending_hint,
    register_map,
    voice_map,
)
from game.tui.widgets.chapter_card import ChapterCard
from game.tui.widgets.orders import CommandInput, OrderItem, OrdersPanel
from game.tui.widgets.radio_log import RadioLog
from game.tui.widgets.roster import Roster
from game.tui.widgets.sector_map import SectorMap
from game.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from game.engine.runtime import Engine
    from game.session import Session

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
        Binding("g", "post('glossary')", "glossary", show=False),
        Binding("ctrl+s", "post('save')", "save"),
        Binding("l", "post('load')", "load", show=False),
        Binding("f5", "post('quicksave')", "quick"),
        Binding("f9", "post('quickload')", "quickload", show=False),
        Binding("ctrl+z", "undo", "undo"),
        Binding("question_mark,f1", "post('help')", "help", key_display="?"),
        Binding("escape", "menu", "menu"),
        Binding("enter,space", "advance", "skip line", show=False),
        Binding("pageup", "scroll_log(-1)", "scroll up", show=False),
        Binding("pagedown", "scroll_log(1)", "scroll down", show=False),
        Binding("up", "scroll_log(-0.1)", show=False),
        Binding("down", "scroll_log(0.1)", show=False),
        Binding("end", "scroll_log(100)", show=False),
        Binding("home", "scroll_log(-100)", show=False),
    ]

    def __init__(
        self, session: Session, settings: Settings, cursor_blink: bool, note: str | None = None
    ) -> None:
        super().__init__()
        self.session = session
        # The game on screen: the session's, as of the last time it was shown (the session
        # may already have let it go while this screen is being closed).
        self.engine: Engine = session.engine
        self.settings = settings
        self.cursor_blink = cursor_blink
        self._note = note
        story = self.engine.story
        self.voices = voice_map(story.pilots)
        self.registers = register_map(story.speakers)
        callsigns = [len(p.callsign) for p in story.pilots.values()]
        callsigns += [len(s.tag) for s in story.speakers.values()]
        self.tag_width = max(6, min(13, max(callsigns, default=4) + 1))
        self.signal: int | None = None
        self._binding_state: tuple[bool, ...] = ()  # what the footer last showed enabled

    # --- layout ------------------------------------------------------------------------------

    def compose(self):  # noqa: ANN201
        settings = self.settings
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
                orders = OrdersPanel(self.session.completions, id="orders")
                orders.border_title = Content("ORDERS")
                yield orders
            with Vertical(id="right"):
                with VerticalScroll(id="roster-panel") as panel:
                    panel.border_title = Content("SQUADRON")
                    yield Roster(id="roster")
                yield SectorMap(id="map")
        yield Footer(compact=True)
        yield ChapterCard(id="chapter-card")

    @property
    def log_widget(self) -> RadioLog:
        return self.query_one("#radio", RadioLog)

    @property
    def orders_panel(self) -> OrdersPanel:
        return self.query_one("#orders", OrdersPanel)

    def on_mount(self) -> None:
        self.query_one(CommandInput).cursor_blink = self.cursor_blink
        self.log_widget.mark()
        if self._note:
            self.log_widget.note(Content.styled(self._note, ".radio--note"))
        self.play_scene(card=self._note is None)  # a new game (a load comes with its note)
        self.refresh_squad()

    # --- showing the game --------------------------------------------------------------------

    @property
    def card(self) -> ChapterCard:
        return self.query_one("#chapter-card", ChapterCard)

    def play_scene(self, *, card: bool = True) -> None:
        """The scene heading, then every line heard now; the orders; the map. When the scene
        begins a chapter (`Engine.chapter_opening`) at a new game's start or after an order,
        its title card covers the console first and the radio waits for it (`card=False`: a
        load, an undo, a story reload show none)."""
        engine = self.engine
        log = self.log_widget
        opening = engine.chapter_opening() if card else None
        if opening is not None:
            self.card.show(opening)
            self.set_focus(None)
            log.hold(True)
        else:
            self.card.dismiss()  # a load from the palette, say, over a card still showing
        log.note(Content.styled(f"── {self.engine.heading()} ──", ".radio--divider"))
        for line in engine.radio():
            log.say(
                line_tag(line, self.voices, self.registers),
                line_body(line, self.registers),
                line,
            )
        self.show_orders()
        self.show_map()
        if log.busy:
            self.show_status()
        else:  # written whole: the roster and meters at once, in this same frame
            self._drained()

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
        # The footer is rebuilt whenever bindings are refreshed (about 35 ms here): only when
        # what `check_action` answers can have changed.
        keys = (engine.can_undo, engine.ending is not None, self.session.saves.available)
        if keys != self._binding_state:
            self._binding_state = keys
            self.refresh_bindings()

    def show_map(self) -> None:
        scene = self.engine.scene
        panel = self.query_one("#map", SectorMap)
        text = self.engine.story.maps.get(scene.map) if scene.map else None
        panel.border_title = Content(map_title(scene.map) if text is not None else "SECTOR")
        panel.show(text, self.engine.markers() if text is not None else ())

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
        last = self.log_widget.last_line
        if last is not None:
            self.signal = last.signal
        self.refresh_squad()

    @on(RadioLog.LineStarted)
    def _line_started(self, event: RadioLog.LineStarted) -> None:
        self.signal = event.line.signal
        self.show_status()

    def show_game(self, note: str) -> None:
        """Show the session's game afresh (a load, a reload), after `note` in the log."""
        self.log_widget.mark()
        self.engine = self.session.engine
        self.log_widget.note(Content.styled(note, ".radio--note"))
        self.play_scene(card=False)
        self.refresh_squad()

    @on(ChapterCard.Dismissed)
    def _card_dismissed(self) -> None:
        self.log_widget.hold(False)

    def apply_settings(self, settings: Settings, cursor_blink: bool) -> None:
        """Use new settings: the typewriter's speed and the cursor's blink."""
        self.settings = settings
        self.cursor_blink = cursor_blink
        self.log_widget.set_speed(settings.chars_per_second, settings.line_gap)
        self.query_one(CommandInput).cursor_blink = cursor_blink

    # --- giving orders -----------------------------------------------------------------------

    def action_order(self, number: int) -> None:
        """Give the order shown with `number` (a key, a click, the command palette)."""
        if self.card.showing:  # the palette can reach here past the card: it only goes away
            self.card.dismiss()
            return
        if self.engine.ending is not None:
            if number == 1:
                self.action_advance()
            return
        log = self.log_widget
        if log.busy:
            # Lines still arriving: the number writes them out and says what it will give,
            # rather than giving an order whose scene has not been read (nor losing the key).
            log.flush()
            self.orders_panel.hint(order_pending_hint(number, self.engine.orders()))
            return
        given = self.session.give(number)
        if not given.ok:
            self.orders_panel.hint(given.message)
            self.app.bell()
            return
        self._after_order(given.say)

    def give_text(self, text: str) -> None:
        """Give an order typed on the command line."""
        if not text.strip() or self.engine.ending is not None:
            return
        given = self.session.give_text(text)
        if not given.ok:
            self.orders_panel.hint(given.message)  # the command line keeps the focus: retype
            return
        self._after_order(given.say)
        self.set_focus(None)  # the order is given: the digits give orders again

    def _after_order(self, say: str) -> None:
        log = self.log_widget
        log.mark()  # what was still arriving is written whole; the answer starts a passage
        if say:
            log.note(
                Content.styled("▸ " + say, ".radio--order"), Content.styled("LENA", ".radio--lena")
            )
        self.orders_panel.query_one(CommandInput).value = ""
        self.play_scene()

    @on(OrderItem.Chosen)
    def _clicked(self, event: OrderItem.Chosen) -> None:
        view = event.item.view
        if view is None:
            self.action_advance()
        elif view.number is not None:
            self.action_order(view.number)

    @on(Input.Submitted, "#command")
    def _typed(self, event: Input.Submitted) -> None:
        self.give_text(event.value)

    @on(CommandInput.Hint)
    def _hint(self, event: CommandInput.Hint) -> None:
        self.orders_panel.hint(event.text)

    def on_key(self, event: Key) -> None:
        # A chapter's title card takes the first key: it goes away, and the key does nothing
        # else (an order number pressed to dismiss it is not an order given unread).
        if self.card.showing and event.key not in ("ctrl+q", "ctrl+c"):
            event.stop()
            event.prevent_default()
            self.card.dismiss()
            return
        # Any key completes the line being typed; the key still does what it does. (An order
        # number writes out every line instead: `action_order`.)
        log = self.log_widget
        if log.busy and not (len(event.key) == 1 and event.key in "123456789"):
            log.complete_line()

    def action_advance(self) -> None:
        """Enter/space: complete the radio; at an ending, go on to the debrief."""
        log = self.log_widget
        if log.busy:
            log.flush()
            return
        if self.engine.ending is not None:
            self.post_message(messages.Debrief())

    # --- other keys --------------------------------------------------------------------------

    def action_focus_command(self) -> None:
        command = self.query_one(CommandInput)
        if not command.disabled:
            # At once, not as `focus()` does (later): letters typed straight after / go into
            # the command line, not to the console's keys (d would open the dossier).
            self.set_focus(command)

    def action_scroll_log(self, pages: float) -> None:
        log = self.log_widget
        log.scroll_relative(y=pages * max(1, log.scrollable_content_region.height), animate=False)

    def action_dossier(self) -> None:
        """The dossier, over the console."""
        from game.tui.screens.dossier import DossierScreen

        self.app.push_screen(DossierScreen(self.engine))

    def action_post(self, request: str) -> None:
        """Ask the app for something only it can do (a key bound to `post('...')`)."""
        self.post_message(REQUESTS[request]())

    def action_menu(self) -> None:
        """The pause menu; what is chosen there is done once it has closed."""
        from game.tui.screens.menu import PauseMenu

        self.app.push_screen(PauseMenu(self.session.saves.available), self._menu_chosen)

    def _menu_chosen(self, choice: str | None) -> None:
        if choice == "dossier":
            self.action_dossier()
        elif choice in REQUESTS:
            self.post_message(REQUESTS[choice]())

    def action_undo(self) -> None:
        """Take back the last order and show the scene as it was."""
        self.log_widget.flush()
        could = self.engine.can_undo
        if self.session.undo():
            self.query_one(CommandInput).value = ""
            self.set_focus(None)  # back at the orders: the digits give orders again
            self.log_widget.mark()
            self.log_widget.note(Content.styled("— last order taken back —", ".radio--note"))
            self.play_scene(card=False)
            self.refresh_squad()
        elif could:
            self.notify(
                "The last order cannot be taken back: this game's order log no longer replays "
                "in the story as it is.",
                markup=False,
            )
        else:
            self.notify("Nothing to undo.", markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        saves = self.session.saves.available
        ended = self.engine.ending is not None
        wanted = parameters[0] if action == "post" and parameters else action
        if wanted in ("save", "quicksave"):
            return True if saves and not ended else None
        if wanted in ("load", "quickload"):
            return True if saves else None
        if wanted == "undo":
            return True if self.engine.can_undo else None
        return True


REQUESTS: dict[str, type[Message]] = {
    "save": messages.OpenSave,
    "load": messages.OpenLoad,
    "quicksave": messages.Quicksave,
    "quickload": messages.Quickload,
    "glossary": messages.OpenGlossary,
    "settings": messages.OpenSettings,
    "help": messages.OpenHelp,
    "title": messages.ToTitle,
    "quit": messages.QuitGame,
}
"""What the console's keys and pause menu ask the app for, by name."""
