"""The title screen: the art, and New game / Continue / Load / Settings / Quit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.containers import Center
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from game.paths import assets_dir
from game.session import SaveFailed
from game.tui import messages
from game.tui.store import format_duration

if TYPE_CHECKING:
    from game.engine.saves import SaveInfo
    from game.session import Session

FALLBACK_ART = "HANDLER ONE"
KEYS_HINT = "↑↓ enter choose · ? help · g glossary · ^p palette · ^q quit"
LINE_MODE_HINT = "Screen reader? Quit and run  handler-one play --plain  for line mode."
"""For a player who cannot read this screen: the same game, one line at a time."""
CHOICES: dict[str, type[Message]] = {
    "new": messages.NewGame,
    "continue": messages.ContinueGame,
    "load": messages.OpenLoad,
    "settings": messages.OpenSettings,
    "quit": messages.QuitGame,
}
MENU = (
    ("new", "New game", "n"),
    ("continue", "Continue", "c"),
    ("load", "Load", "l"),
    ("settings", "Settings", "s"),
    ("quit", "Quit", "q"),
)


def title_art() -> str:
    """The title art from assets/title.txt (plain text; never parsed as markup), every line
    padded to the widest so that centring the text centres the art as one block."""
    try:
        text = (assets_dir() / "title.txt").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return FALLBACK_ART
    lines = text.rstrip("\n").splitlines()
    width = max((len(line) for line in lines), default=0)
    return "\n".join(line.ljust(width) for line in lines) or FALLBACK_ART


class TitleScreen(Screen):
    """The first screen. Its choices are messages to the app (`game.tui.messages`)."""

    AUTO_FOCUS = "#menu"
    BINDINGS = [
        Binding("n", "choose('new')", "new game"),
        Binding("c", "choose('continue')", "continue"),
        Binding("l", "choose('load')", "load"),
        Binding("s", "choose('settings')", "settings"),
        Binding("q", "choose('quit')", "quit"),
        Binding("g", "app.glossary", "glossary", show=False),
        Binding("question_mark,f1", "app.help", "help", key_display="?"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        # The newest game in progress, read once per showing of the title: the menu, its
        # detail line and the `c` binding's check all ask, and each read opens every save.
        self._latest_save: SaveInfo | None = None
        self._ended: str | None = None  # the ending of the game last played, when it ended
        self._composed = False  # the first resume follows compose, which read the saves

    def compose(self):  # noqa: ANN201
        self._latest_save = self._read_latest()
        self._composed = True
        yield Static(Content(title_art()), id="title-art")
        yield Static(
            Content(
                f"“{self.session.story.title}” — you are the Handler. The radio is all you have."
            ),
            id="title-tagline",
        )
        with Center():
            yield OptionList(*self._options(), id="menu")
        yield Static(self._detail(), id="title-detail")
        if not self.app.is_web:  # in a browser there is no terminal to quit to
            yield Static(Content(LINE_MODE_HINT), id="title-plain")
        # The menu shows its own keys; a fixed line names the rest. (A Footer here would be
        # rebuilt on every binding refresh and cost more of the start-up than the rest of the
        # screen.)
        yield Static(Content(KEYS_HINT), id="title-keys")

    def _options(self) -> list[Option]:
        continue_ok = self._latest_save is not None
        saves_ok = self.session.saves.available
        options = []
        for key, label, letter in MENU:
            prompt = Content.assemble((label.ljust(12), ""), (letter, "dim"))
            disabled = (key == "continue" and not continue_ok) or (key == "load" and not saves_ok)
            options.append(Option(prompt, id=key, disabled=disabled))
        return options

    def _read_latest(self) -> SaveInfo | None:
        self._ended = None
        try:
            latest = self.session.latest()
            if latest is None and self.session.saves.available:
                newest = self.session.list_saves()
                if newest and newest[0].ending is not None:
                    self._ended = newest[0].ending
            return latest
        except SaveFailed:
            return None

    def on_screen_resume(self) -> None:
        """Back on the title (a game left, a dialog closed): the saves may have changed."""
        if self._composed:  # first shown: compose has just read them
            self._composed = False
            return
        self.refresh_menu()

    def refresh_menu(self) -> None:
        """Read the saves again and update the menu, its detail line and the bindings."""
        self._latest_save = self._read_latest()
        self.refresh_bindings()
        menu = self.query_one("#menu", OptionList)
        highlighted = menu.highlighted
        menu.set_options(self._options())
        if highlighted is not None and not menu.get_option_at_index(highlighted).disabled:
            menu.highlighted = highlighted
        else:
            menu.action_first()
        self.query_one("#title-detail", Static).update(self._detail())

    def _detail(self) -> Content:
        """The line under the menu: what Continue would load, that the last game ended, or why
        saving is off."""
        latest = self._latest_save
        if latest is not None:
            return Content(
                f"Continue: Chapter {latest.chapter} · {latest.scene_title} · "
                f"{format_duration(latest.play_seconds)} played"
            )
        if self._ended is not None:
            return Content(f"Your last game ended: {self._ended}.")
        if not self.session.saves.available:
            return Content(self.session.saves.reason)
        return Content("")

    @on(OptionList.OptionSelected, "#menu")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.action_choose(event.option.id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters:
            if parameters[0] == "continue" and self._latest_save is None:
                return None
            if parameters[0] == "load" and not self.session.saves.available:
                return None
        return True

    def action_choose(self, key: str) -> None:
        message = CHOICES.get(key)
        if message is not None:
            self.post_message(message())
