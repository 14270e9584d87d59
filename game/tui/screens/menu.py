"""The pause menu (Escape in the console): everything, for mouse and keyboard alike."""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

ITEMS = (
    ("resume", "Resume", "esc"),
    ("save", "Save game", "ctrl+s"),
    ("load", "Load game", "l"),
    ("dossier", "Dossier", "d"),
    ("glossary", "Glossary", "g"),
    ("settings", "Settings", ""),
    ("help", "Help", "?"),
    ("title", "Quit to title", ""),
    ("quit", "Quit game", "ctrl+q"),
)


class PauseMenu(ModalScreen[str | None]):
    """A list of actions; choosing one closes the menu with its id (the console then does it).
    `saves`: whether saving is on (Save and Load are disabled without it)."""

    CSS_PATH = "screens.tcss"

    AUTO_FOCUS = "#pause-menu"
    BINDINGS = [Binding("escape", "dismiss", "resume")]

    def __init__(self, saves: bool) -> None:
        super().__init__()
        self.saves = saves

    def compose(self):  # noqa: ANN201
        saves = self.saves
        with Vertical(id="pause-box", classes="dialog"):
            yield Static(Content("PAUSED — the link holds"), classes="dialog-title")
            yield OptionList(
                *[
                    Option(
                        Content.assemble(label.ljust(16), (key, "dim")),
                        id=item,
                        disabled=item in ("save", "load") and not saves,
                    )
                    for item, label, key in ITEMS
                ],
                id="pause-menu",
            )

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
