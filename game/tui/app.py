"""The Textual front end: `HandlerApp` and `run_console`, called by `handler-one play`.

The app owns what outlives one screen: the player's settings, the screen stack, and the
`Session` (game/session.py) that holds the game, its saves and its clock. Screens live in
`game.tui.screens`, widgets in `game.tui.widgets`, styles in the `.tcss` files beside this module.
Screens never call the app: they post the messages in `game.tui.messages`, handled here with
`@on`, and the app calls their public methods. Screens never import the app (`lint-imports`).

The environment: `NO_COLOR` (set to anything) means no colour at all: Textual alone would draw
in greys; here every colour is dropped and what only colour showed (the highlighted choice, the
cursor, a disabled order) is drawn with attributes instead (`game.tui.nocolor`). `TEXTUAL_ANIMATIONS=none` turns motion off as the reduced
motion setting does (no typewriter, no cursor blink, no animations), whatever the settings say.

Signals and terminals: SIGTERM, SIGHUP (the terminal closed) and a SIGINT from outside keep
the game (`Session.stop`: autosaved if it differs from its last save) and exit through Textual,
which restores the terminal; the exit status is 128 + the signal's number. ctrl+c typed in the
console is a key, not a signal, and shows Textual's hint. A terminal smaller than `MIN_SIZE`
shows `TooSmall` over every screen instead of a squeezed layout, until it is enlarged.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.filter import Monochrome
from textual.reactive import Initialize, Reactive
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Static

from game.session import Resumed, SaveFailed, Session
from game.stopping import Stop, stop_signals
from game.tui import messages
from game.tui.config import Settings, load_settings, save_settings
from game.tui.nocolor import Attributes
from game.tui.screens.title import TitleScreen
from game.tui.store import notify_failed
from game.tui.themes import HANDLER, HIGH_CONTRAST, load_themes

if TYPE_CHECKING:
    # The console loads with the first game, not before the title; the watcher only with --dev.
    from game.tools.devwatch import StoryUpdate, StoryWatcher
    from game.tui.screens.console import ConsoleScreen

MIN_SIZE = (80, 24)
"""The smallest terminal the console is laid out for (columns, rows)."""
EXIT_GRACE = 5.0
"""Seconds the app has to exit after a stop signal before the process ends itself (a closed
terminal can make the last writes hang; the game is saved before this clock starts)."""
KEYS_WHILE_TOO_SMALL = frozenset({"ctrl+q", "ctrl+c"})
ANIMATIONS_ENV = "TEXTUAL_ANIMATIONS"
HIDDEN_SYSTEM_COMMANDS = frozenset({"Keys"})
"""Textual's palette entries the game replaces: its own Help lists the keys."""


def animations_from_environment() -> str | None:
    """`TEXTUAL_ANIMATIONS` as Textual reads it ("none", "basic" or "full"), or None when it is
    unset or unknown."""
    value = os.environ.get(ANIMATIONS_ENV, "").strip().lower()
    return value if value in ("none", "basic", "full") else None


def too_small_text(width: int, height: int) -> Content:
    """What `TooSmall` says for a terminal of this size."""
    need_w, need_h = MIN_SIZE
    return Content(
        f"Handler One needs at least {need_w}×{need_h}; this terminal is {width}×{height}.\n\n"
        "Make the window larger to carry on. ctrl+q quits."
    )


class TooSmall(Static):
    """Covers a screen while the terminal is smaller than `MIN_SIZE`."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__(too_small_text(width, height), markup=False)

    def show_size(self, width: int, height: int) -> None:
        self.update(too_small_text(width, height))


class OrdersProvider(Provider):
    """The command palette's orders: every order the console offers now."""

    def _orders(self) -> list[tuple[str, Callable[[], object]]]:
        from game.tui.screens.console import ConsoleScreen

        screen = self.screen
        if not isinstance(screen, ConsoleScreen) or screen.engine.ending is not None:
            return []
        return [
            (f"Order {view.number}: {view.say}", partial(screen.action_order, view.number))
            for view in screen.engine.orders()
            if view.enabled
        ]

    async def discover(self) -> Hits:
        for title, callback in self._orders():
            yield DiscoveryHit(Content(title), callback, text=title, help="Give this order")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback in self._orders():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, Content(title), callback, text=title, help="Give this order")


class HandlerApp(App[int]):
    """Handler One in the terminal: the screens around one `Session`."""

    TITLE = "Handler One"
    # The other screens bring their own stylesheets (CSS_PATH) when they first open, so
    # start-up parses only what the title needs.
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {OrdersProvider}
    # The player's theme is the app's theme from the start (see `get_theme`): choosing it after
    # App.__init__ set Textual's default queued a second full parse of every stylesheet and a
    # second colour system on the way to the title.
    theme: Reactive[str] = Reactive(Initialize(lambda app: app._first_theme))
    BINDINGS = [
        Binding("ctrl+q", "quit", "quit", priority=True, show=False),
    ]

    def __init__(
        self,
        session: Session,
        *,
        settings: Settings | None = None,
        config_dir: Path | None = None,
        note: str | None = None,
        dev: bool = False,
        cursor_blink: bool | None = None,
        glossary: Path | None = None,
    ) -> None:
        """`session` may already hold a game (`--load`): the console opens on it, with `note`."""
        self.session = session
        session.report = self._autosave_failed
        self.config_dir = config_dir
        self.settings = settings if settings is not None else load_settings(config_dir)
        self._note = note
        self.dev = dev
        self._cursor_blink = cursor_blink
        self.glossary_path = glossary
        self.too_small = False
        self.stopped: Stop | None = None  # set when a stop signal ended the app
        self._signals: list[int] = []
        self._watchdog: threading.Timer | None = None
        self._watcher: StoryWatcher | None = None  # --dev
        self._own_themes = {theme.name: theme for theme in load_themes()}
        self._first_theme = self.settings.theme
        super().__init__()
        if self.no_color:
            # Textual draws NO_COLOR in greys (its Monochrome filter); no-color.org asks for none.
            self._filters = [
                Attributes() if isinstance(f, Monochrome) else f for f in self._filters
            ]
        for theme in self._own_themes.values():
            self.register_theme(theme)
        if self._first_theme not in self.available_themes:  # a theme that has since gone
            self.theme = HANDLER

    # --- set-up ------------------------------------------------------------------------------

    @property
    def motion_forced_off(self) -> bool:
        """Whether the environment (`TEXTUAL_ANIMATIONS=none`) turns motion off."""
        return animations_from_environment() == "none"

    @property
    def play_settings(self) -> Settings:
        """The settings the game plays by: the player's, with reduced motion on when the
        environment asks for no animation (`self.settings` stays the player's choice)."""
        if self.motion_forced_off and not self.settings.reduced_motion:
            return self.settings.with_changes(reduced_motion=True)
        return self.settings

    @property
    def cursor_blink(self) -> bool:
        """The command line's cursor blinks unless reduced motion is on (or a test says no)."""
        if self._cursor_blink is not None:
            return self._cursor_blink
        return not self.play_settings.reduced_motion

    def get_default_screen(self) -> Screen:
        return TitleScreen(self.session)

    def on_mount(self) -> None:
        self._apply_motion()
        session = self.session
        if session.playing:  # --load
            self.open_console(self._note)
        elif session.warp is not None or session.sets:
            self.new_game()
        if self.dev:
            self._start_watcher()
        self._install_signal_handlers()
        self.screen_change_signal.subscribe(self, self._screen_changed)
        self.call_after_refresh(self.check_size)

    def get_theme(self, theme_name: str) -> Theme | None:
        """A theme by name: Textual's, or one of the game's own. (App.__init__ looks up the
        first theme before the game's themes can be registered.)"""
        theme = super().get_theme(theme_name)
        if theme is None:
            theme = self._own_themes.get(theme_name)
        return theme

    def theme_names(self) -> list[str]:
        """Our two themes first, then Textual's."""
        ours = [HANDLER, HIGH_CONTRAST]
        return ours + [name for name in self.available_themes if name not in ours]

    def _apply_theme(self, name: str) -> None:
        self.theme = name if name in self.available_themes else HANDLER

    def _apply_motion(self) -> None:
        """Textual's animations: none with reduced motion, else as the environment says (the
        settings never turn on what `TEXTUAL_ANIMATIONS` turned off)."""
        if self.play_settings.reduced_motion:
            self.animation_level = "none"
        else:
            self.animation_level = animations_from_environment() or "full"  # type: ignore[assignment]

    @on(messages.SettingsChanged)
    def apply_settings(self, event: messages.SettingsChanged) -> None:
        """Use new settings now and keep them for the next start."""
        settings = self.settings = event.settings
        self._apply_theme(settings.theme)
        self._apply_motion()
        console = self.console_screen
        if console is not None:
            console.apply_settings(self.play_settings, self.cursor_blink)
        problem = save_settings(settings, self.config_dir)
        if problem:
            self.notify(problem, severity="warning", markup=False)

    def watch_theme(self, theme: str) -> None:
        if theme != self.settings.theme and self.is_mounted:
            self.settings = self.settings.with_changes(theme=theme)
            save_settings(self.settings, self.config_dir)

    # --- the game ----------------------------------------------------------------------------

    @property
    def console_screen(self) -> ConsoleScreen | None:
        """The console, when a game is open."""
        from game.tui.screens.console import ConsoleScreen

        for screen in self.screen_stack:
            if isinstance(screen, ConsoleScreen):
                return screen
        return None

    @on(messages.NewGame)
    def new_game(self) -> None:
        """Start a new game (at --warp, with --set presets, when given); like line mode, it is
        first autosaved at its first order (see game/session.py)."""
        self.to_title()
        self.session.new_game(autosave=False)
        self.open_console(None)

    def open_console(self, note: str | None) -> None:
        """Open the console on the session's game."""
        from game.tui.screens.console import ConsoleScreen

        self.push_screen(ConsoleScreen(self.session, self.play_settings, self.cursor_blink, note))

    @on(messages.ToTitle)
    def to_title(self) -> None:
        """Back to the title screen, closing everything above it; the game is kept as it was
        left."""
        self.session.close()
        while len(self.screen_stack) > 1:
            self.pop_screen()

    @on(messages.Debrief)
    def show_ending(self) -> None:
        """The ending and its roll call; then the title."""
        from game.tui.screens.ending import EndingScreen

        engine = self.session.engine
        self.push_screen(
            EndingScreen(engine, self.play_settings.instant), lambda _: self.to_title()
        )

    # --- saves -------------------------------------------------------------------------------

    def _autosave_failed(self, what: str, why: str) -> None:
        self.notify(why, title=what, severity="error", markup=False)

    def saves_unavailable(self) -> bool:
        """Say why saving is off, when it is (True)."""
        saves = self.session.saves
        if saves.available:
            return False
        self.notify(saves.reason, severity="warning", markup=False)
        return True

    @on(messages.Quicksave)
    def quicksave(self) -> None:
        """Save to the quicksave slot (F5)."""
        session = self.session
        if not session.playing or self.saves_unavailable():
            return
        if session.engine.ending is not None:
            self.notify("The story has ended: nothing to save.", markup=False)
            return
        try:
            session.quicksave()
        except SaveFailed as exc:
            notify_failed(self, exc)
            return
        self.notify("Quicksaved. F9 brings this moment back.", title="Saved", markup=False)

    @on(messages.Quickload)
    def quickload(self) -> None:
        """Load the quicksave (F9)."""
        if not self.saves_unavailable():
            self._load(self.session.quickload, lambda _: "— quickloaded —")

    @on(messages.LoadGame)
    def _load_game(self, event: messages.LoadGame) -> None:
        self.load_game(event.slot)

    def load_game(self, slot: str) -> None:
        """Load a slot into the console (opening it if needed)."""
        if not self.saves_unavailable():
            self._load(lambda: self.session.load(slot), lambda _: f"— loaded '{slot}' —")

    @on(messages.ContinueGame)
    def continue_game(self) -> None:
        """Load the latest save of a game still in progress."""
        if not self.saves_unavailable():
            self._load(self.session.continue_game, lambda r: f"— loaded '{r.slot}' —")

    def _load(self, load: Callable[[], Resumed | None], note: Callable[[Resumed], str]) -> None:
        try:
            resumed = load()
        except SaveFailed as exc:
            notify_failed(self, exc)
            return
        if resumed is None:
            self.notify("No game in progress to continue.", markup=False)
            return
        console = self.console_screen
        if console is not None:
            while self.screen is not console:
                self.pop_screen()
            console.show_game(note(resumed))
        else:
            self.open_console(note(resumed))
        if resumed.message:
            self.notify(resumed.message, title="Loaded", markup=False)

    @on(messages.OpenSave)
    def open_save(self) -> None:
        """The save screen (ctrl+s)."""
        if not self.session.playing or self.saves_unavailable():
            return
        from game.tui.screens.saves import SaveScreen

        self.push_screen(SaveScreen(self.session))

    @on(messages.OpenLoad)
    def open_load(self) -> None:
        """The load screen (l); the save chosen there is loaded."""
        if self.saves_unavailable():
            return
        from game.tui.screens.saves import LoadScreen

        self.push_screen(LoadScreen(self.session), self._chosen_to_load)

    def _chosen_to_load(self, slot: str | None) -> None:
        if slot is not None:
            self.load_game(slot)

    # --- other screens -----------------------------------------------------------------------

    @on(messages.OpenHelp)
    def action_help(self) -> None:
        """The help screen."""
        from game.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    @on(messages.OpenGlossary)
    def action_glossary(self) -> None:
        """The glossary."""
        from game.tui.screens.glossary import GlossaryScreen

        if not isinstance(self.screen, GlossaryScreen):
            self.push_screen(GlossaryScreen(self.glossary_path))

    @on(messages.OpenSettings)
    def action_settings(self) -> None:
        """The settings."""
        from game.tui.screens.settings import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(
                SettingsScreen(self.settings, self.theme_names(), self.motion_forced_off)
            )

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        console = self.console_screen if self.session.playing else None
        saves = self.session.saves.available
        if console is None:
            yield SystemCommand("New game", "Start a new game", self.new_game)
            if saves:
                yield SystemCommand("Continue", "Load the latest save", self.continue_game)
        if saves:
            yield SystemCommand("Load game", "Open the saved games", self.open_load)
        if console is not None:
            if saves:
                yield SystemCommand("Save game", "Save to a named slot", self.open_save)
                yield SystemCommand("Quicksave", "Save to the quick slot (F5)", self.quicksave)
                yield SystemCommand("Quickload", "Load the quick slot (F9)", self.quickload)
            yield SystemCommand("Undo", "Take back the last order", console.action_undo)
            yield SystemCommand("Dossier", "Evidence and deductions", console.action_dossier)
            yield SystemCommand("Return to title", "Leave this game", self.to_title)
        yield SystemCommand("Glossary", "People, places and terms", self.action_glossary)
        yield SystemCommand("Help", "Keys and how orders work", self.action_help)
        yield SystemCommand("Settings", "Text speed, motion and theme", self.action_settings)
        for command in super().get_system_commands(screen):
            if command.title not in HIDDEN_SYSTEM_COMMANDS:
                yield command

    # --- leaving: quitting, and SIGTERM, SIGHUP and SIGINT, keep the game --------------------

    @on(messages.QuitGame)
    def quit_game(self) -> None:
        """Quit (ctrl+q, Quit game in the pause menu, q on the title), keeping the game as it
        was left."""
        self.session.close()
        self.exit(0)

    async def action_quit(self) -> None:
        self.quit_game()

    def _install_signal_handlers(self) -> None:
        """Handle the stop signals in the app's own loop (main thread only; not on Windows)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        for signum in stop_signals():
            try:
                loop.add_signal_handler(signum, self.stop_for_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError, OSError):
                continue
            self._signals.append(signum)

    def _remove_signal_handlers(self) -> None:
        signals, self._signals = self._signals, []
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        for signum in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError, OSError):
                loop.remove_signal_handler(signum)

    def stop_for_signal(self, signum: int) -> None:
        """Keep the game (`Session.stop`), then exit with 128 + signum.

        The save comes first, before anything is drawn: after SIGHUP the terminal may be gone
        and every write to it may fail or block. Outside tests a watchdog then ends the process
        if Textual cannot finish restoring the terminal within `EXIT_GRACE` seconds.
        """
        if self.stopped is not None:
            return
        self.stopped = stop = self.session.stop(signum)
        if not self.is_headless:
            self._watchdog = threading.Timer(EXIT_GRACE, os._exit, (stop.code,))
            self._watchdog.daemon = True
            self._watchdog.start()
        self.exit(return_code=stop.code)

    def cancel_watchdog(self) -> None:
        """The app has exited: the watchdog is not needed."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    # --- terminals: too small a terminal shows a message instead of the layout ----------------

    def on_resize(self, event: events.Resize) -> None:
        self.check_size(event.size.width, event.size.height)

    def _screen_changed(self, _screen: Screen) -> None:
        self.call_after_refresh(self.check_size)

    def check_size(self, width: int | None = None, height: int | None = None) -> None:
        """Cover every screen with `TooSmall` while the terminal is below `MIN_SIZE`."""
        if width is None or height is None:
            width, height = self.size
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.too_small = small
        for screen in self.screen_stack:
            found = list(screen.query_children(TooSmall))
            if not small:
                for widget in found:
                    widget.remove()
            elif found:
                found[0].show_size(width, height)
            elif screen.is_attached:
                screen.mount(TooSmall(width, height))

    async def on_event(self, event: events.Event) -> None:
        # While the terminal is too small, input goes nowhere (orders given blind would be
        # orders the player never read), except ctrl+q to quit and ctrl+c for its hint.
        if (
            self.too_small
            and isinstance(event, events.InputEvent | events.Paste)
            and not (isinstance(event, events.Key) and event.key in KEYS_WHILE_TOO_SMALL)
        ):
            return
        await super().on_event(event)

    # --- authors: --dev reloads the story when its files change ------------------------------

    def _start_watcher(self) -> None:
        root = self.session.story.root
        if not root:
            return
        try:
            from game.tools.devwatch import StoryWatcher
        except ImportError as exc:
            self.notify(f"--dev is not available: {exc}", severity="warning", markup=False)
            return
        self._watcher = StoryWatcher(
            root, lambda update: self.call_from_thread(self._story_changed, update)
        )
        self._watcher.start()

    def on_unmount(self) -> None:
        self._remove_signal_handlers()
        if self._watcher is not None:
            self._watcher.stop()

    def _story_changed(self, update: StoryUpdate) -> None:
        if update.story is None:
            errors = update.errors or update.diagnostics
            first = str(errors[0]) if errors else "the story has errors"
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            self.notify(first + more, title="Story not reloaded", severity="error", markup=False)
            return
        message = self.session.reload(update.story)
        console = self.console_screen
        if console is None or not self.session.playing:
            self.notify("Story reloaded.", markup=False)
            return
        console.show_game("— story reloaded —" + (f" {message}" if message else ""))


def run_console(session: Session, resumed: Resumed | None = None, *, dev: bool = False) -> int:
    """`handler-one play` in a terminal: the app on `session` (which holds the game `--load`
    brought back, `resumed`, if any). Returns the exit code."""
    note = None
    if resumed is not None:
        note = f"— loaded '{resumed.slot}' —" + (f" {resumed.message}" if resumed.message else "")
    app = HandlerApp(session, note=note, dev=dev)
    try:
        result = app.run()
    finally:
        app.cancel_watchdog()
        session.close()  # leaving keeps the game, whatever the way out
    if app.stopped is not None:
        return _stopped(app.stopped)
    return result if isinstance(result, int) else (app.return_code or 0)


def _stopped(stop: Stop) -> int:
    """After a stop signal: say so on stderr (unless the terminal hung up); 128 + signum."""
    if not stop.hung_up:
        with contextlib.suppress(OSError, ValueError):
            print(stop.message, file=sys.stderr)
    return stop.code
