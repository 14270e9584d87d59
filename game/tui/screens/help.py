"""Help (? or F1): how orders work, what the meters mean, and the keys."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

LINE_MODE = (
    "Playing with a screen reader or a braille display? The same game plays in line mode, one "
    "line at a time with nothing to read off the screen's layout: quit (ctrl+q) and run  "
    "handler-one play --plain  (type help there)."
)

HOW = (
    "You are the Handler. You never see the field: everything arrives over the radio, one voice "
    "at a time, tagged by callsign.",
    "Orders are your answers. Press an order's number, click it, or type it on the command line: "
    "its number or one of its words (a unique prefix is enough; Tab completes). Dimmed orders "
    "are not open to you yet, and say why.",
    "The roster shows callsigns until you learn a pilot's name. ● active  ✚ wounded  "
    "? missing  ✖ killed in action. Losses are permanent.",
    "In an engagement each order is one round. Undertaker can hear the Legion: when he warns "
    "you, ignoring him costs lives. The sector map marks S the squad, L the Legion, O an "
    "objective and ! a hazard, and the marks move round by round as the radio tells it.",
    "A new chapter opens on its title card: any key goes on (and gives no order).",
    "Every order you give is autosaved, and so is a game you leave: Continue on the title "
    "picks it up. F5 quicksaves, F9 brings the quicksave back, ctrl+z takes back your last "
    "order.",
)

METERS = (
    (
        "trust",
        "The squad's trust in you. Learning names, staying on the link and heeding Undertaker "
        "raise it; coldness and cruelty lower it. If it fails, the squad stops answering.",
    ),
    (
        "standing",
        "Your standing with Republic command. Whatever leaves paper behind costs it: a forged "
        "form, a report, an accusation, a refusal on the record. If it fails, you are put on "
        "probation; the next time, relieved.",
    ),
    ("signal", "How clear the link is. On a weak link, static (░▒) eats words."),
)

KEYS = (
    (
        "1 – 9",
        "give the order with that number (pressed while lines are still arriving, it "
        "shows them all first: press it again to give the order)",
    ),
    ("/  or  Tab", "type an order (Tab completes, Enter gives it, Esc leaves)"),
    ("Enter / Space", "complete the line arriving (any key does)"),
    ("PgUp / PgDn", "scroll back through the radio log"),
    ("d", "dossier: evidence and deductions"),
    ("g", "glossary: people, places and terms"),
    ("ctrl+s  /  l", "save to a slot  /  load a save"),
    ("F5  /  F9", "quicksave  /  quickload"),
    ("ctrl+z", "undo the last order"),
    ("Esc", "pause menu (settings, quit to title)"),
    ("ctrl+p", "command palette: every action, and the orders"),
    ("? / F1", "this help"),
    ("ctrl+q", "quit, from anywhere"),
)


def help_content() -> Content:
    """The help text: ours, so styles are ours too."""
    parts: list[str | tuple[str, str]] = [(LINE_MODE, "bold"), "\n\n"]
    parts += [("HOW THE LINK WORKS", "bold"), "\n\n"]
    for paragraph in HOW:
        parts += [paragraph, "\n\n"]
    parts += [("THE METERS", "bold"), " (top right)\n\n"]
    for name, text in METERS:
        parts += [(name, "bold"), "  ", text, "\n\n"]
    parts += [("KEYS", "bold"), "\n\n"]
    width = max(len(k) for k, _ in KEYS) + 2
    for key, text in KEYS:
        parts += [(key.ljust(width), "bold"), text, "\n"]
    return Content.assemble(*parts)


class HelpScreen(ModalScreen[None]):
    """A scrollable page of help."""

    CSS_PATH = "screens.tcss"

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "close"),
        Binding("down,j", "scroll(1)", show=False),
        Binding("up,k", "scroll(-1)", show=False),
    ]

    def compose(self):  # noqa: ANN201
        with Vertical(id="help-box", classes="dialog"):
            yield Static(Content("HELP"), classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(help_content(), id="help-text")
            yield Static(Content("Esc closes"), classes="dialog-hint")

    def action_scroll(self, lines: int) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_relative(y=lines, animate=False)
