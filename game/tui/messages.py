"""What the screens ask of the app. A screen posts one of these; it bubbles up to `HandlerApp`,
which handles it with `@on` (screens never call the app, and never import it).

The game itself (orders, undo, saving to a slot) goes straight to the `Session` a screen was
given; these messages are for what only the app can do: change which screens are shown, start,
load or leave a game, and apply settings.
"""

from __future__ import annotations

from textual.message import Message

from game.tui.config import Settings


class NewGame(Message):
    """Start a new game."""


class ContinueGame(Message):
    """Load the newest save of a game still going on."""


class LoadGame(Message):
    """Load the game saved in `slot`."""

    def __init__(self, slot: str) -> None:
        super().__init__()
        self.slot = slot


class Quicksave(Message):
    """Save to the quicksave slot."""


class Quickload(Message):
    """Load the quicksave."""


class OpenSave(Message):
    """Show the save screen."""


class OpenLoad(Message):
    """Show the load screen."""


class OpenSettings(Message):
    """Show the settings."""


class OpenHelp(Message):
    """Show the help."""


class OpenGlossary(Message):
    """Show the glossary."""


class Debrief(Message):
    """The story has ended and the player has heard the last line: show the ending."""


class ToTitle(Message):
    """Leave the game (keeping it, if it changed since its last save) for the title screen."""


class QuitGame(Message):
    """Leave the game, keeping it, and quit."""


class SettingsChanged(Message):
    """The player changed a setting: use `settings` now and keep them for next time."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
