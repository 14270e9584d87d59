"""The pause menu (Escape in the console): everything, for mouse and keyboard alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from game.tui.app import HandlerApp

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
    """A list of actions; choosing one closes the menu and does it."""

    CSS_PATH = "screens.tcss"

    AUTO_FOCUS = "#pause-menu"
    BINDINGS = [Binding("escape", "dismiss", "resume")]

    @property
    def app_(self) -> HandlerApp:
        return self.app  # type: ignore[return-value]

    def compose(self):  # noqa: ANN201
        saves = self.app_.saves.available
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


def run_choice(app: HandlerApp, choice: str | None) -> None:
    """Do what was chosen in the pause menu (called once the menu has closed)."""
    console = app.console_screen
    if choice == "save":
        app.open_save()
    elif choice == "load":
        app.action_load()
    elif choice == "dossier" and console is not None:
        console.action_dossier()
    elif choice == "glossary":
        app.action_glossary()
    elif choice == "settings":
        app.action_settings()
    elif choice == "help":
        app.action_help()
    elif choice == "title":
        app.keep_unsaved()
        app.to_title()
    elif choice == "quit":
        app.quit_game()
