"""The Textual front end: `HandlerApp` and `run_console`, called by `handler-one play`.

The app owns what outlives one screen: the story, the player's settings, the save store and the
game being played (a `GameSession`). Screens live in `game.tui.screens`, widgets in
`game.tui.widgets`, styles in the `.tcss` files beside this module.

Signals and terminals: SIGTERM, SIGHUP (the terminal closed) and a SIGINT from outside autosave
the game (when orders were given since the last save) and exit through Textual, which restores
the terminal; the exit status is 128 + the signal's number. ctrl+c typed in the console is a key,
not a signal, and shows Textual's hint. A terminal smaller than `MIN_SIZE` shows `TooSmall` over
every screen instead of a squeezed layout, until it is enlarged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import sys
import threading
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.reactive import Initialize, Reactive
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Static

from game.engine.model import Story
from game.stopping import stop_signals, stopped_message
from game.tui.config import Settings, load_settings, save_settings
from game.tui.screens.title import TitleScreen
from game.tui.session import GameSession
from game.tui.store import SaveAccess, open_store
from game.tui.themes import HANDLER, HIGH_CONTRAST, load_themes

if TYPE_CHECKING:
    # The engine's runtime and the console load with the first game, not before the title.
    from game.engine.runtime import Engine
    from game.tui.screens.console import ConsoleScreen

MIN_SIZE = (80, 24)
"""The smallest terminal the console is laid out for (columns, rows)."""
EXIT_GRACE = 5.0
"""Seconds the app has to exit after a stop signal before the process ends itself (a closed
terminal can make the last writes hang; the game is saved before this clock starts)."""
KEYS_WHILE_TOO_SMALL = frozenset({"ctrl+q", "ctrl+c"})


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

    def _orders(self) -> list[tuple[str, Any]]:
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
    """Handler One in the terminal."""

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
        story: Story,
        *,
        save_dir: str | None = None,
        seed: int | None = None,
        settings: Settings | None = None,
        config_dir: Path | None = None,
        saves: SaveAccess | None = None,
        warp: str | None = None,
        sets: Mapping[str, bool | int | str] | None = None,
        start: Engine | None = None,
        start_play_seconds: float = 0.0,
        start_note: str | None = None,
        dev: bool = False,
        cursor_blink: bool | None = None,
        glossary: Path | None = None,
    ) -> None:
        self.story = story
        self.save_dir = save_dir
        self.seed = seed
        self.config_dir = config_dir
        self.settings = settings if settings is not None else load_settings(config_dir)
        self.saves = saves if saves is not None else open_store(save_dir)
        self.warp = warp
        self.sets = dict(sets or {})
        self._start = start
        self._start_play_seconds = start_play_seconds
        self._start_note = start_note
        self.dev = dev
        self._cursor_blink = cursor_blink
        self.glossary_path = glossary
        self.session: GameSession | None = None
        self.too_small = False
        self.stopped_by: int | None = None  # the signal that stopped the app, if one did
        self.stop_saved: str | None = None  # the autosave slot written when it stopped
        self._saved_log: list[tuple[str, int]] | None = None  # the game's log at its last save
        self._signals: list[int] = []
        self._watchdog: threading.Timer | None = None
        self._own_themes = {theme.name: theme for theme in load_themes()}
        self._first_theme = self.settings.theme
        super().__init__()
        for theme in self._own_themes.values():
            self.register_theme(theme)
        if self._first_theme not in self.available_themes:  # a theme that has since gone
            self.theme = HANDLER

    # --- set-up ------------------------------------------------------------------------------

    @property
    def cursor_blink(self) -> bool:
        """The command line's cursor blinks unless reduced motion is on (or a test says no)."""
        if self._cursor_blink is not None:
            return self._cursor_blink
        return not self.settings.reduced_motion

    def get_default_screen(self) -> Screen:
        return TitleScreen()

    def on_mount(self) -> None:
        self._apply_motion()
        if self._start is not None:
            engine, self._start = self._start, None
            self.begin(engine, self._start_play_seconds, self._start_note)
            self._note_saved()  # the game as loaded is the game as saved
        elif self.warp is not None or self.sets:
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
        if self.settings.reduced_motion:
            self.animation_level = "none"

    def apply_settings(self, settings: Settings) -> None:
        """Use new settings now and keep them for the next start."""
        self.settings = settings
        self._apply_theme(settings.theme)
        self.animation_level = "none" if settings.reduced_motion else "full"
        console = self.console_screen
        if console is not None:
            console.apply_speed()
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
        from game.tui.screens.console import ConsoleScreen

        for screen in self.screen_stack:
            if isinstance(screen, ConsoleScreen):
                return screen
        return None

    def _new_seed(self) -> int:
        if self.seed is not None:
            return self.seed
        return random.SystemRandom().randrange(1, 2**31)

    def new_game(self) -> None:
        """Start a new game (at --warp, with --set presets, when given)."""
        from game.engine.runtime import Engine

        self.to_title()
        engine = Engine.new(self.story, self._new_seed(), warp=self.warp, sets=self.sets)
        self.begin(engine, 0.0, None)
        self.autosave()

    def begin(self, engine: Engine, play_seconds: float, note: str | None) -> None:
        """Open the console on an engine."""
        from game.tui.screens.console import ConsoleScreen

        self.session = GameSession(engine, play_seconds)
        self.push_screen(ConsoleScreen(self.session, note))

    def to_title(self) -> None:
        """Back to the title screen, closing everything above it."""
        self.session = None
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def show_ending(self, engine: Engine) -> None:
        from game.tui.screens.ending import EndingScreen

        self.push_screen(EndingScreen(engine), lambda _: self.to_title())

    # --- saves -------------------------------------------------------------------------------

    def _failed(self, what: str, exc: BaseException) -> None:
        text = (
            str(exc) if isinstance(exc, self.saves.error_type) else f"{type(exc).__name__}: {exc}"
        )
        self.notify(text or what, title=what, severity="error", markup=False)

    def saves_unavailable(self) -> bool:
        if self.saves.available:
            return False
        self.notify(self.saves.reason, severity="warning", markup=False)
        return True

    def _note_saved(self) -> None:
        """Remember the game's order log as it was saved (or loaded)."""
        session = self.session
        self._saved_log = list(session.engine.state.log) if session is not None else None

    def unsaved(self) -> bool:
        """Whether orders were given since the last save, in a game still going on."""
        session = self.session
        if session is None or session.engine.ending is not None:
            return False
        return list(session.engine.state.log) != self._saved_log

    def autosave(self) -> Any | None:
        """Save quietly to the autosave slot (called at each scene); the save made, or None."""
        session = self.session
        if session is None or not self.saves.available:
            return None
        try:
            info = self.saves.store.autosave(session.engine, session.play_seconds)
        except Exception as exc:  # noqa: BLE001 - a failed autosave must not stop the game
            self._failed("Autosave failed", exc)
            return None
        self._note_saved()
        return info

    def save_game(self, slot: str) -> bool:
        """Save to a named slot; a notification confirms it."""
        session = self.session
        if session is None or self.saves_unavailable():
            return False
        try:
            info = self.saves.store.save(slot, session.engine, session.play_seconds)
        except Exception as exc:  # noqa: BLE001
            self._failed("Save failed", exc)
            return False
        self._note_saved()
        self.notify(f"Saved to '{getattr(info, 'slot', slot)}'.", title="Saved", markup=False)
        return True

    def quicksave(self) -> None:
        session = self.session
        if session is None or self.saves_unavailable():
            return
        if session.engine.ending is not None:
            self.notify("The story has ended: nothing to save.", markup=False)
            return
        try:
            self.saves.store.quicksave(session.engine, session.play_seconds)
        except Exception as exc:  # noqa: BLE001
            self._failed("Quicksave failed", exc)
            return
        self._note_saved()
        self.notify("Quicksaved. F9 brings this moment back.", title="Saved", markup=False)

    def quickload(self) -> None:
        if self.saves_unavailable():
            return
        try:
            loaded = self.saves.store.quickload(self.story)
        except Exception as exc:  # noqa: BLE001
            self._failed("Quickload failed", exc)
            return
        self._resume(loaded, self._play_time(loaded, kind="quick"), "— quickloaded —")

    def load_game(self, slot: str) -> None:
        """Load a slot into the console (opening it if needed)."""
        if self.saves_unavailable():
            return
        try:
            loaded = self.saves.store.load(slot, self.story)
        except Exception as exc:  # noqa: BLE001
            self._failed("Load failed", exc)
            return
        self._resume(loaded, self._play_time(loaded, slot=slot), f"— loaded '{slot}' —")

    def _play_time(self, loaded: Any, slot: str | None = None, kind: str | None = None) -> float:
        info = getattr(loaded, "info", None)
        for source in (loaded, info):
            seconds = getattr(source, "play_seconds", None)
            if isinstance(seconds, int | float) and not isinstance(seconds, bool):
                return float(seconds)
        try:
            for found in self.saves.store.list(self.story):
                if (slot is not None and found.slot == slot) or (kind and found.kind == kind):
                    return float(found.play_seconds)
        except Exception:  # noqa: BLE001
            pass
        return 0.0

    def _resume(self, loaded: Any, play_seconds: float, note: str) -> None:
        message = getattr(loaded, "message", None)
        console = self.console_screen
        if console is not None:
            while self.screen is not console:
                self.pop_screen()
            console.adopt(loaded.engine, play_seconds, note)
        else:
            self.begin(loaded.engine, play_seconds, note)
        self._note_saved()
        if message:
            self.notify(str(message), title="Loaded", markup=False)

    def latest_save(self) -> Any | None:
        """The newest save of a game still in progress (what Continue loads), or None."""
        if not self.saves.available:
            return None
        for info in self.saves.store.list(self.story):
            if getattr(info, "ending", None) is None:
                return info
        return None

    def action_continue(self) -> None:
        """Load the latest save of a game still in progress."""
        if self.saves_unavailable():
            return
        try:
            latest = self.latest_save()
        except Exception as exc:  # noqa: BLE001
            self._failed("Continue failed", exc)
            return
        if latest is None:
            self.notify("No game in progress to continue.", markup=False)
            return
        self.load_game(latest.slot)

    def open_save(self) -> None:
        if self.session is None or self.saves_unavailable():
            return
        from game.tui.screens.saves import SaveScreen

        self.push_screen(SaveScreen())

    def action_load(self) -> None:
        if self.saves_unavailable():
            return
        from game.tui.screens.saves import LoadScreen

        self.push_screen(LoadScreen())

    # --- other screens -----------------------------------------------------------------------

    def action_help(self) -> None:
        from game.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_glossary(self) -> None:
        from game.tui.screens.glossary import GlossaryScreen

        if not isinstance(self.screen, GlossaryScreen):
            self.push_screen(GlossaryScreen(self.glossary_path))

    def action_settings(self) -> None:
        from game.tui.screens.settings import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    def action_new_game(self) -> None:
        self.new_game()

    def action_to_title(self) -> None:
        self.to_title()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        console = self.console_screen if self.session is not None else None
        if console is None:
            yield SystemCommand("New game", "Start a new game", self.new_game)
            if self.saves.available:
                yield SystemCommand("Continue", "Load the latest save", self.action_continue)
        if self.saves.available:
            yield SystemCommand("Load game", "Open the saved games", self.action_load)
        if console is not None:
            if self.saves.available:
                yield SystemCommand("Save game", "Save to a named slot", self.open_save)
                yield SystemCommand("Quicksave", "Save to the quick slot (F5)", self.quicksave)
                yield SystemCommand("Quickload", "Load the quick slot (F9)", self.quickload)
            yield SystemCommand("Undo", "Take back the last order", console.action_undo)
            yield SystemCommand("Dossier", "Evidence and deductions", console.action_dossier)
            yield SystemCommand("Return to title", "Leave this game", self.to_title)
        yield SystemCommand("Glossary", "People, places and terms", self.action_glossary)
        yield SystemCommand("Help", "Keys and how orders work", self.action_help)
        yield SystemCommand("Settings", "Text speed, motion and theme", self.action_settings)
        yield from super().get_system_commands(screen)

    # --- signals: SIGTERM, SIGHUP and SIGINT autosave and exit cleanly -----------------------

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

    def keep_unsaved(self) -> Any | None:
        """Autosave when orders were given (or taken back) since the last save, so Continue
        finds the game exactly as it was left; the save made, or None. Every scene autosaves;
        an undo does not."""
        return self.autosave() if self.unsaved() else None

    def quit_game(self) -> None:
        """Quit (ctrl+q, or Quit game in the pause menu), keeping the game as it was left."""
        self.keep_unsaved()
        self.exit(0)

    async def action_quit(self) -> None:
        self.quit_game()

    def stop_for_signal(self, signum: int) -> None:
        """Autosave if orders were given since the last save, then exit with 128 + signum.

        The save comes first, before anything is drawn: after SIGHUP the terminal may be gone
        and every write to it may fail or block. Outside tests a watchdog then ends the process
        if Textual cannot finish restoring the terminal within `EXIT_GRACE` seconds.
        """
        if self.stopped_by is not None:
            return
        self.stopped_by = signum
        info = self.keep_unsaved()
        if info is not None:
            self.stop_saved = str(getattr(info, "slot", "autosave"))
        if not self.is_headless:
            self._watchdog = threading.Timer(EXIT_GRACE, os._exit, (128 + signum,))
            self._watchdog.daemon = True
            self._watchdog.start()
        self.exit(return_code=128 + signum)

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
        root = self.story.root
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
        watcher = getattr(self, "_watcher", None)
        if watcher is not None:
            watcher.stop()

    def _story_changed(self, update: Any) -> None:
        if update.story is None:
            errors = update.errors or update.diagnostics
            first = str(errors[0]) if errors else "the story has errors"
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            self.notify(first + more, title="Story not reloaded", severity="error", markup=False)
            return
        from game.engine.reload import reload

        self.story = update.story
        session, console = self.session, self.console_screen
        if session is None or console is None:
            self.notify("Story reloaded.", markup=False)
            return
        engine, message = reload(session.engine, update.story)
        console.adopt(engine, None, "— story reloaded —" + (f" {message}" if message else ""))


def run_console(args: argparse.Namespace) -> int:
    """`handler-one play` in a terminal: load the story, then run the app. Returns the exit code."""
    from game.tools.common import check_load, check_warp, load_or_exit, parse_sets

    if getattr(args, "replay", None):  # transcripts replay in line mode
        from game.tools.playtest import play_for_authors

        return play_for_authors(args)
    check_load(args)
    story = load_or_exit(args.story, use_cache=not getattr(args, "no_cache", False))
    sets = parse_sets(args.set, story)
    check_warp(args.warp, story)
    saves = open_store(args.save_dir)
    start: Engine | None = None
    play_seconds = 0.0
    note = None
    if args.load is not None:
        if not saves.available:
            print(f"handler-one: --load: {saves.reason}", file=sys.stderr)
            return 1
        try:
            loaded = saves.store.load(args.load, story)
        except Exception as exc:  # noqa: BLE001 - one line, never a traceback
            print(f"handler-one: {exc}", file=sys.stderr)
            return 1
        start = loaded.engine
        seconds = getattr(getattr(loaded, "info", None), "play_seconds", None)
        play_seconds = float(seconds) if isinstance(seconds, int | float) else 0.0
        note = f"— loaded '{args.load}' —"
        if getattr(loaded, "message", None):
            note += f" {loaded.message}"
    app = HandlerApp(
        story,
        save_dir=args.save_dir,
        seed=args.seed,
        saves=saves,
        warp=args.warp,
        sets=sets,
        start=start,
        start_play_seconds=play_seconds,
        start_note=note,
        dev=bool(getattr(args, "dev", False)),
    )
    try:
        result = app.run()
    finally:
        app.cancel_watchdog()
    if app.stopped_by is not None:
        return _stopped(app)
    return result if isinstance(result, int) else (app.return_code or 0)


def _stopped(app: HandlerApp) -> int:
    """After a stop signal: say so on stderr (unless the terminal hung up); 128 + signum."""
    signum = app.stopped_by or 0
    if signum != getattr(signal, "SIGHUP", None):
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        with contextlib.suppress(OSError, ValueError):
            print(stopped_message(name, app.stop_saved), file=sys.stderr)
    return 128 + signum
