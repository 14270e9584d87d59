"""Measurements of the console for `make bench` (tests/perf/bench.py), run headless.

`log_latency(lines)` answers: with `lines` lines in the radio log, how long from a keypress that
gives an order (or takes one back) until the screen has been repainted with the result?
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.content import Content

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
    with instant text and no saves. The log is filled with `lines` lines, then keys alternate:
    `1` gives the first order (a new scene: a divider, its radio lines, new orders) and ctrl+z
    takes it back (a note and the scene again), so every press changes the radio and the
    orders. A press is timed from just before the key is sent until the last screen update the
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
            log = screen.log_widget
            await _until(pilot, lambda: not log.busy)
            for n in range(lines):
                log.note(Content(f"filler {n}: the link hums; somebody counts grid squares aloud."))
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
