"""Helpers for the console's tests: a story, an app, waiting on conditions, an in-memory store."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from textual.pilot import Pilot

from game.engine.loader import load_story
from game.engine.model import Story
from game.engine.runtime import Engine
from game.engine.state import GameState
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
    store: Any = None,
    **kwargs: Any,
) -> HandlerApp:
    """An app on the fixture story: seeded, instant text, no cursor blink, saves in tmp_path
    ("real"), none ("none"), or in memory ("fake": `store`, else a new `FakeStore`)."""
    if saves == "real":
        access = open_saves(str(tmp_path / "saves"))
    elif saves == "none":
        access = SaveAccess(None, "saving is not available in this build")
    elif saves == "fake":
        access = SaveAccess(store if store is not None else FakeStore(), "", FakeSaveError)
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
    """From the title: press n and wait for the console with the radio quiet."""
    await wait_for(pilot, is_screen(pilot.app, "TitleScreen"), "the title")
    await pilot.press("n")
    await wait_for(pilot, is_screen(pilot.app, "ConsoleScreen"), "the console")
    await wait_for(pilot, lambda: not radio(pilot.app).busy, "the radio to finish")


def radio(app: HandlerApp):  # noqa: ANN201
    return app.console_screen.log_widget  # type: ignore[union-attr]


def radio_text(app: HandlerApp) -> str:
    return "\n".join(radio(app).plain_lines)


# --- an in-memory save store with fixed dates, for deterministic snapshots ----------------------


class FakeSaveError(Exception):
    """What the fake store raises."""


@dataclass(frozen=True)
class FakeInfo:
    slot: str
    kind: str
    chapter: int
    chapter_title: str
    scene_title: str
    saved_at: str
    play_seconds: float
    squad_summary: str
    story_changed: bool
    path: Path
    ending: str | None = None
    orders: int = 0


@dataclass
class FakeStore:
    """The `SaveStore` interface, in memory; every save is dated 2031-05-04 09:30."""

    slots: dict[str, tuple[dict[str, Any], FakeInfo]] = field(default_factory=dict)
    autosaves: int = 0

    def _kind(self, slot: str) -> str:
        return "quick" if slot == "quick" else "auto" if slot.startswith("auto-") else "named"

    def save(self, slot: str, engine: Engine, play_seconds: float = 0.0) -> FakeInfo:
        if not slot.strip() or "/" in slot:
            raise FakeSaveError(f"bad save name '{slot}'")
        statuses = list(engine.state.status.values())
        info = FakeInfo(
            slot,
            self._kind(slot),
            engine.scene.chapter,
            engine.story.chapter_title(engine.scene.chapter),
            engine.scene.title,
            "2031-05-04T09:30:00",
            float(int(play_seconds)) if play_seconds < 3600 else 4500.0,
            f"{statuses.count('active')} alive",
            False,
            Path(f"/saves/{slot}.json"),
            engine.ending.title if engine.ending else None,
            len(engine.state.log),
        )
        self.slots.pop(slot, None)
        self.slots[slot] = (engine.state.to_dict(), info)
        return info

    def list(self, story: Story | None = None) -> list[FakeInfo]:
        return [info for _, info in reversed(self.slots.values())]

    def latest(self, story: Story | None = None) -> FakeInfo | None:
        infos = self.list(story)
        return infos[0] if infos else None

    def exists(self, slot: str) -> bool:
        return slot in self.slots

    def delete(self, slot: str) -> None:
        if slot not in self.slots:
            raise FakeSaveError(f"save '{slot}': no such save")
        del self.slots[slot]

    def load(self, slot: str, story: Story) -> SimpleNamespace:
        if slot not in self.slots:
            raise FakeSaveError(f"save '{slot}': no such save")
        state, info = self.slots[slot]
        return SimpleNamespace(
            engine=Engine(story, GameState.from_dict(state)), message=None, info=info
        )

    def autosave(self, engine: Engine, play_seconds: float = 0.0) -> FakeInfo:
        self.autosaves += 1
        return self.save("auto-1", engine, play_seconds)

    def quicksave(self, engine: Engine, play_seconds: float = 0.0) -> FakeInfo:
        return self.save("quick", engine, play_seconds)

    def quickload(self, story: Story) -> SimpleNamespace:
        return self.load("quick", story)


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
