"""Helpers for the console's tests: a story, an app, waiting on conditions, a store with a fixed
clock, a real terminal."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from game.engine.loader import load_story
from game.engine.model import Story
from game.engine.saves import SaveStore
from game.session import SaveAccess, Session, open_saves
from game.tui.app import HandlerApp
from game.tui.config import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TUI_STORY = FIXTURES / "tui_story"
MINI = FIXTURES / "mini"
WORLD = TUI_STORY / "_seeds" / "world.yaml"
_STORIES: dict[Path, Story] = {}


def story(path: Path = TUI_STORY) -> Story:
    """The compiled fixture story (compiled once per test run; stories are immutable)."""
    if path not in _STORIES:
        _STORIES[path] = load_story(path)
    return _STORIES[path]


def make_app(
    tmp_path: Path,
    *,
    saves: SaveAccess | str = "real",
    speed: str = "instant",
    reduced_motion: bool = False,
    theme: str = "handler",
    seed: int = 1,
    story_path: Path = TUI_STORY,
    store: SaveStore | None = None,
    **kwargs: Any,
) -> HandlerApp:
    """An app on the fixture story: seeded, instant text, no cursor blink, saves in tmp_path
    ("real"), none ("none"), or dated by a fixed clock ("fixed": `store`, else a
    `FixedClockStore` in tmp_path)."""
    if saves == "real":
        access = open_saves(str(tmp_path / "saves"))
    elif saves == "none":
        access = SaveAccess(None, "saving is not available in this build")
    elif saves == "fixed":
        access = SaveAccess(store if store is not None else FixedClockStore(tmp_path / "saves"))
    else:
        access = saves  # type: ignore[assignment]
    return HandlerApp(
        Session(story(story_path), access, seed=seed),
        # settings=None: read them from config_dir, as a real start does.
        settings=kwargs.pop("settings", Settings(speed, reduced_motion, theme)),
        config_dir=tmp_path / "config",
        cursor_blink=False,
        glossary=WORLD,
        **kwargs,
    )


async def wait_for(
    pilot: Pilot, condition: Callable[[], object], what: str = "", timeout: float = 5.0
) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.01)


def screen_text(app: HandlerApp) -> str:
    """What the terminal shows, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def is_screen(app: HandlerApp, name: str) -> Callable[[], bool]:
    return lambda: type(app.screen).__name__ == name


async def start_game(pilot: Pilot) -> None:
    """From the title: press n, wait for the console, let the chapter's title card go, and wait
    for the radio to be quiet."""
    await wait_for(pilot, is_screen(pilot.app, "TitleScreen"), "the title")
    await pilot.press("n")
    await dismiss_card(pilot)
    await wait_for(pilot, lambda: not radio(pilot.app).busy, "the radio to finish")


def card_showing(app: HandlerApp) -> bool:
    """Whether a chapter's title card covers the console."""
    console = app.console_screen
    return console is not None and console.card.showing


async def dismiss_card(pilot: Pilot) -> None:
    """Wait for the console and its chapter title card (a new game opens chapter 1), then press
    space to let the card go."""
    await wait_for(pilot, is_screen(pilot.app, "ConsoleScreen"), "the console")
    await wait_for(pilot, lambda: card_showing(pilot.app), "the chapter's title card")
    await pilot.press("space")
    await wait_for(pilot, lambda: not card_showing(pilot.app), "the card to go")


def radio(app: HandlerApp):  # noqa: ANN201
    return app.console_screen.log_widget  # type: ignore[union-attr]


def radio_text(app: HandlerApp) -> str:
    return "\n".join(radio(app).plain_lines)


# --- a save store whose saves all carry the same date, for deterministic snapshots ---------------

SAVED_AT = datetime(2031, 5, 4, 9, 30)
"""When every `FixedClockStore` save was made (local time)."""


class FixedClockStore(SaveStore):
    """A real `SaveStore` whose saves are all dated 2031-05-04 09:30 local time (a second apart,
    so they still list newest first): screens that show dates look the same every run."""

    def __init__(self, directory: Path) -> None:
        ticks = itertools.count(SAVED_AT.timestamp())
        super().__init__(directory, clock=lambda: next(ticks))


# --- a real terminal ---------------------------------------------------------------------------

TMUX = shutil.which("tmux")
SHELL = "env PS1='shell$ ' bash --norc --noprofile"


def game_command() -> list[str]:
    """How to start the game: the installed script beside this Python, else `python -m game`."""
    script = Path(sys.executable).with_name("handler-one")
    return [str(script)] if script.exists() else [sys.executable, "-m", "game"]


class Tmux:
    """A tmux server on a private socket with one 100x30 session running `command`."""

    def __init__(self, command: str = SHELL) -> None:
        self.socket = f"handler-one-test-{os.getpid()}-{time.monotonic_ns()}"
        self.session = "t"
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX")}
        self.run("new-session", "-d", "-s", self.session, "-x", "100", "-y", "30", command, env=env)

    def run(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run a tmux command against this server; its output."""
        result = subprocess.run(
            [TMUX, "-L", self.socket, *args],  # type: ignore[list-item]
            capture_output=True,
            text=True,
            timeout=20,
            env=env,
            check=True,
        )
        return result.stdout

    def keys(self, *keys: str) -> None:
        """Press keys (tmux key names)."""
        self.run("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        """Type a line and press Enter."""
        self.run("send-keys", "-t", self.session, "-l", text)
        self.keys("Enter")

    def screen(self) -> str:
        """What the pane shows now."""
        return self.run("capture-pane", "-p", "-t", self.session)

    def show(self, fmt: str) -> str:
        """A tmux format about the pane, e.g. '#{pane_pid}'."""
        return self.run("display-message", "-p", "-t", self.session, fmt).strip()

    def wait(self, condition: Callable[[str], bool], what: str, timeout: float = 15.0) -> str:
        """Poll the screen until `condition` holds; fail with the screen after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if condition(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{text}")
            time.sleep(0.1)

    def close(self) -> None:
        """Stop the server and everything in it."""
        subprocess.run(
            [TMUX, "-L", self.socket, "kill-server"],  # type: ignore[list-item]
            capture_output=True,
            timeout=20,
            check=False,
        )
