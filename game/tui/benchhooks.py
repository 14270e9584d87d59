"""Measurements of the console for `make bench` (tests/perf/bench.py), run headless.

`log_latency(lines)` answers: with `lines` lines in the radio log, how long from a keypress that
gives an order (or takes one back) until the screen has been repainted with the result?
`baseline_latency()` answers the same for a minimal Textual app making a comparable update (a
log gains the same scene's lines, a list shows the same orders): the floor Textual sets.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import RichLog, Static

from game.engine.loader import load_story
from game.session import Session
from game.tui.app import HandlerApp
from game.tui.config import Settings
from game.tui.screens.console import ConsoleScreen

QUIET = 0.06  # seconds without a repaint that count as "the screen has settled"
TIMEOUT = 10.0


async def log_latency(lines: int, story_dir: Path | str | None = None, presses: int = 12) -> float:
    """Median seconds from a keypress to the last repaint it causes, with `lines` lines in the
    radio log.

    The console runs under `App.run_test` at 100x30 on the shipped story (or `story_dir`),
    with instant text and no saves. One order is given first (a game under way, where undo is
    already offered: the first order of a game also enables undo in the footer, which costs a
    rebuild of the footer once). The log is filled with `lines` lines, then keys alternate: `1`
    gives the first order (a new scene: a divider, its radio lines, new orders) and ctrl+z takes
    it back (a note and the scene again), so every press changes the radio and the orders. A press is timed from just before the key is sent until the last screen update the
    compositor produces for it (the repaint, measured where the app hands it to the terminal).
    """
    if story_dir is None:
        from game.paths import scenes_dir

        story_dir = scenes_dir()
    story = load_story(story_dir)
    with tempfile.TemporaryDirectory(prefix="h1-bench-") as scratch:
        app = HandlerApp(
            Session(story, seed=1),  # no saves while measuring
            settings=Settings("instant", False),
            config_dir=Path(scratch) / "config",
            cursor_blink=False,
        )
        async with app.run_test(size=(100, 30)) as pilot:
            await _until(pilot, lambda: type(app.screen).__name__ == "TitleScreen")
            await pilot.press("n")
            await _until(pilot, lambda: isinstance(app.screen, ConsoleScreen))
            screen = app.screen
            assert isinstance(screen, ConsoleScreen)
            # A new game opens on chapter 1's title card; the radio waits behind it.
            await _until(pilot, lambda: screen.card.showing)
            await pilot.press("space")
            await _until(pilot, lambda: not screen.card.showing)
            log = screen.log_widget
            await _until(pilot, lambda: not log.busy)
            await pilot.press("1")
            await _until(pilot, lambda: len(app.session.engine.state.log) == 1 and not log.busy)
            for n in range(lines):
                log.note(Content(f"filler {n}: the link hums; somebody counts grid squares aloud."))
            return await _timed_presses(app, pilot, presses)


class _Baseline(App[None]):
    """A log and a list of orders, and nothing else: each `1` shows one of two scenes in turn
    (a divider, the scene's lines in the log, its orders in the list), as the console does."""

    CSS = "RichLog { height: 1fr; } #orders { height: auto; }"
    BINDINGS = [("1", "scene", "scene"), ("ctrl+z", "scene", "scene")]

    def __init__(self, scenes: list[tuple[str, list[str], list[str]]]) -> None:
        super().__init__()
        self.scenes = scenes
        self.turn = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="status")
        yield RichLog(wrap=True, max_lines=5000, markup=False)
        with Vertical(id="orders"):
            for _ in range(max(len(orders) for _, _, orders in self.scenes)):
                yield Static("", markup=False)

    def action_scene(self) -> None:
        title, lines, orders = self.scenes[self.turn % len(self.scenes)]
        self.turn += 1
        self.query_one("#status", Static).update(Content(title))
        log = self.query_one(RichLog)
        log.write(Content(f"── {title} ──"))
        for line in lines:
            log.write(Content(line))
        items = list(self.query_one("#orders").query(Static))
        for n, item in enumerate(items):
            item.update(Content(f"{n + 1}  {orders[n]}" if n < len(orders) else ""))


async def baseline_latency(story_dir: Path | str | None = None, presses: int = 12) -> float:
    """Median seconds from a keypress to the last repaint it causes in `_Baseline` at 100x30,
    showing the two scenes the console alternates between in `log_latency` (their radio and
    orders, after one order and after two), timed the same way."""
    from game.engine.runtime import Engine

    if story_dir is None:
        from game.paths import scenes_dir

        story_dir = scenes_dir()
    engine = Engine.new(load_story(story_dir), 1)
    engine.choose(engine.orders()[0].index)
    scenes = []
    for _ in range(2):
        lines = [f"{line.tag} {line.text}".strip() for line in engine.radio()]
        orders = [view.say for view in engine.orders()]
        scenes.append((engine.header(), lines, orders))
        engine.choose(engine.orders()[0].index)
    app = _Baseline(scenes)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        return await _timed_presses(app, pilot, presses)


async def _timed_presses(app: App[Any], pilot: Any, presses: int) -> float:
    """Median seconds from each press (`1`, then ctrl+z, in turn) to its last repaint."""
    repaints: list[float] = []
    display = app._display

    def timed_display(target: Any, renderable: Any) -> None:
        display(target, renderable)
        if renderable is not None:
            repaints.append(time.perf_counter())

    app._display = timed_display  # type: ignore[method-assign]
    await _settled(pilot, repaints)
    samples: list[float] = []
    for n in range(presses):
        before = len(repaints)
        started = time.perf_counter()
        await pilot.press("1" if n % 2 == 0 else "ctrl+z")
        await _settled(pilot, repaints, before)
        samples.append(repaints[-1] - started)
    return statistics.median(samples)


async def _until(pilot: Any, condition: Callable[[], object]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the console did not get there in time")
        await pilot.pause(0.01)


async def _settled(pilot: Any, repaints: list[float], before: int | None = None) -> None:
    """Wait until a repaint has happened (after index `before`, if given) and none for QUIET."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        fresh = before is None or len(repaints) > before
        if fresh and (not repaints or now - repaints[-1] >= QUIET):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the screen never settled")
