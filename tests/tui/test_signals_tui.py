"""The console and its terminal: stop signals autosave and leave the terminal clean; a terminal
smaller than 80x24 shows a message instead of the layout, and the layout comes back when it grows.

The tmux tests skip, saying why, when tmux is not installed.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from textual.errors import NoWidget

from game.engine.saves import SaveStore
from game.tui.app import MIN_SIZE, TooSmall

from .helpers import (
    TMUX,
    TUI_STORY,
    Tmux,
    game_command,
    is_screen,
    make_app,
    screen_text,
    start_game,
    story,
    wait_for,
)

needs_tmux = pytest.mark.skipif(TMUX is None, reason="tmux is not installed: no real terminal")
TOO_SMALL = "Handler One needs at least 80×24; this terminal is"


def _newest_log(saves: Path) -> list[tuple[str, int]]:
    store = SaveStore(saves)
    newest = store.latest(story())
    assert newest is not None, f"no save in {saves}"
    return list(store.load(newest.slot, story()).engine.state.log)


def _autosaves(saves: Path) -> list[str]:
    return sorted(p.name for p in saves.glob("auto-*.json"))


# --- too small a terminal -------------------------------------------------------------------


def _covered(app) -> bool:  # noqa: ANN001
    """Whether `TooSmall` is what shows at the corners and middle of the screen."""
    width, height = app.size
    points = [(0, 0), (width - 1, 0), (width // 2, height // 2), (0, height - 1)]
    points.append((width - 1, height - 1))
    try:
        return all(isinstance(app.screen.get_widget_at(x, y)[0], TooSmall) for x, y in points)
    except NoWidget:  # a screen still being laid out
        return False


async def test_a_small_terminal_shows_a_message_and_recovers_when_enlarged(
    tmp_path: Path,
) -> None:
    assert MIN_SIZE == (80, 24)
    app = make_app(tmp_path)
    async with app.run_test(size=(70, 20)) as pilot:
        await wait_for(pilot, lambda: TOO_SMALL in screen_text(app), "the too-small message")
        assert f"{TOO_SMALL} 70×20." in screen_text(app)
        assert _covered(app)
        await pilot.press("n")  # keys given blind are ignored
        await pilot.pause(0.2)
        assert is_screen(app, "TitleScreen")()

        await pilot.resize_terminal(100, 30)
        await wait_for(pilot, lambda: not app.query(TooSmall), "the message to go")
        assert TOO_SMALL not in screen_text(app)
        assert "New game" in screen_text(app)
        await start_game(pilot)  # the keys work again

        await pilot.resize_terminal(100, 23)  # one row short, in the console
        await wait_for(pilot, lambda: f"{TOO_SMALL} 100×23." in screen_text(app), "message")
        assert _covered(app)
        app.action_help()  # a screen opened while small is covered too
        await wait_for(pilot, is_screen(app, "HelpScreen"), "the help screen")
        await wait_for(pilot, lambda: _covered(app), "the help screen covered")

        await pilot.resize_terminal(80, 24)  # exactly the minimum is enough
        await wait_for(pilot, lambda: not app.query(TooSmall), "the message to go")
        await pilot.press("escape")
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "the console")
        assert "ORDERS" in screen_text(app) and TOO_SMALL not in screen_text(app)


# --- stop signals, in the app ---------------------------------------------------------------


async def _undo_an_autosaved_order(pilot: Any, saves: Path) -> None:
    """New game, an order (autosaved with its scene), then undo: the game now differs from its
    last save."""
    app = pilot.app
    await start_game(pilot)
    await pilot.press("1")
    await wait_for(pilot, lambda: len(_autosaves(saves)) == 1, "the scene's autosave")
    assert _newest_log(saves) != []
    await pilot.press("ctrl+z")
    await wait_for(pilot, lambda: len(app.session.engine.state.log) == 0, "the undo")
    assert app.session.unsaved


async def test_a_stop_signal_autosaves_an_unsaved_game_and_exits_143(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        assert signal.SIGTERM in app._signals  # the handlers are in the app's loop
        await _undo_an_autosaved_order(pilot, saves)
        app.stop_for_signal(signal.SIGTERM)
    assert app.return_code == 128 + signal.SIGTERM
    assert app.stopped is not None and app.stopped.slot == "auto-2"
    assert _newest_log(saves) == []
    assert len(_autosaves(saves)) == 2


@pytest.mark.parametrize("leave", ["ctrl+q", "pause menu quit", "pause menu title"])
async def test_leaving_after_an_undo_autosaves_the_game_as_left(tmp_path: Path, leave: str) -> None:
    saves = tmp_path / "saves"
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await _undo_an_autosaved_order(pilot, saves)
        if leave == "ctrl+q":
            await pilot.press("ctrl+q")
        else:
            await pilot.press("escape")
            await wait_for(pilot, is_screen(app, "PauseMenu"), "the pause menu")
            # The last two items: Quit to title, Quit game.
            await pilot.press("end", *(["up"] if leave == "pause menu title" else []), "enter")
            if leave == "pause menu title":
                await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
                assert "Continue" in screen_text(app)
        await pilot.pause()
    if leave != "pause menu title":
        assert app.return_code == 0
    assert len(_autosaves(saves)) == 2
    assert _newest_log(saves) == []


async def test_a_stop_signal_with_nothing_unsaved_writes_no_save(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_game(pilot)
        await pilot.press("1")
        await wait_for(pilot, lambda: len(_autosaves(saves)) == 1, "the scene's autosave")
        assert not app.session.unsaved
        app.stop_for_signal(signal.SIGHUP)
    assert app.return_code == 128 + signal.SIGHUP
    assert app.stopped is not None and app.stopped.slot is None
    assert len(_autosaves(saves)) == 1


# --- stop signals, in a real terminal -------------------------------------------------------


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _game_with_an_unsaved_undo(terminal: Tmux, saves: Path) -> None:
    """New game, an order (autosaved with its scene), then undo: the game differs from its
    last save, so a stop signal has something to save."""
    terminal.wait(lambda s: "New game" in s, "the title screen")
    terminal.keys("n")
    terminal.wait(lambda s: "CHAPTER 1" in s, "the chapter's title card")
    terminal.keys("Space")
    terminal.wait(lambda s: "1 Report status." in s.replace("  ", " "), "the orders")
    terminal.keys("Enter", "1")  # Enter: every line in, then the order
    terminal.wait(lambda s: "Riverbed (round 1 of 3)" in s, "the next scene")
    deadline = time.monotonic() + 10
    while len(_autosaves(saves)) < 1:
        assert time.monotonic() < deadline, f"no scene autosave in {saves}"
        time.sleep(0.1)
    terminal.keys("C-z")
    terminal.wait(lambda s: "last order taken back" in s, "the undo")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the app's pid")
@needs_tmux
def test_sigterm_in_a_real_terminal_autosaves_and_restores_the_terminal(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    terminal = Tmux()
    try:
        terminal.wait(lambda s: "shell$" in s, "the shell")
        command = [*game_command(), "--save-dir", str(saves), str(TUI_STORY)]
        config = shlex.quote(str(tmp_path / "config"))
        # stty runs straight after the app, before the shell's line editor touches the modes.
        terminal.run(
            "send-keys",
            "-t",
            "t",
            "-l",
            f"HANDLER_ONE_CONFIG_DIR={config} {shlex.join(command)}; "
            'echo "exit status $?"; stty -a | tr -s " ;\\n" "\\n\\n\\n" | grep -x -e icanon '
            "-e -icanon -e echo -e -echo | tr '\\n' ' '; echo",
        )
        terminal.keys("Enter")
        _game_with_an_unsaved_undo(terminal, saves)
        assert terminal.show("#{alternate_on}") == "1"
        (app,) = _children(int(terminal.show("#{pane_pid}")))
        os.kill(app, signal.SIGTERM)
        screen = terminal.wait(
            lambda s: re.search(r"exit status \d+\n-?icanon -?echo", s), "the app to exit"
        )
        assert "exit status 143" in screen
        assert "handler-one: stopped by SIGTERM; the game was autosaved as 'auto-2'." in screen
        assert "icanon echo" in screen  # the terminal's modes are back: not raw
        assert terminal.show("#{alternate_on}") == "0"  # the alternate screen is left
        assert terminal.show("#{cursor_flag}") == "1"  # the cursor is visible
        assert "RADIO" not in screen and "SQUADRON" not in screen and "Traceback" not in screen
        terminal.wait(lambda s: s.rstrip().splitlines()[-1] == "shell$", "the shell's prompt")
        assert _newest_log(saves) == []  # the game as it was: the order taken back
        assert len(_autosaves(saves)) == 2
    finally:
        terminal.close()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see the app exit")
@needs_tmux
def test_closing_the_terminal_autosaves_and_the_app_exits(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    command = [*game_command(), "--save-dir", str(saves), str(TUI_STORY)]
    config = shlex.quote(str(tmp_path / "config"))
    # The app is the pane's command: closing the pane hangs up its terminal (SIGHUP).
    terminal = Tmux(f"HANDLER_ONE_CONFIG_DIR={config} exec {shlex.join(command)}")
    try:
        _game_with_an_unsaved_undo(terminal, saves)
        app = int(terminal.show("#{pane_pid}"))
        assert _alive(app)
    finally:
        terminal.close()  # the terminal is gone
    deadline = time.monotonic() + 15
    while _alive(app):
        assert time.monotonic() < deadline, "the app is still running after its terminal closed"
        time.sleep(0.1)
    assert len(_autosaves(saves)) == 2
    assert _newest_log(saves) == []


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see the app die")
@needs_tmux
def test_sigkill_mid_engagement_then_continue_resumes_the_last_round(tmp_path: Path) -> None:
    """Nothing runs on SIGKILL: every round was autosaved as it was given, so Continue brings
    back the round the game was killed in."""
    saves = tmp_path / "saves"
    command = [*game_command(), "--save-dir", str(saves), str(TUI_STORY)]
    config = shlex.quote(str(tmp_path / "config"))
    start = f"HANDLER_ONE_CONFIG_DIR={config} exec {shlex.join(command)}"
    terminal = Tmux(start)
    try:
        terminal.wait(lambda s: "New game" in s, "the title screen")
        terminal.keys("n")
        terminal.wait(lambda s: "CHAPTER 1" in s, "the chapter's title card")
        terminal.keys("Space")
        terminal.wait(lambda s: "1 Report status." in s.replace("  ", " "), "the orders")
        terminal.keys("Enter", "1")  # Enter: every line in, then the order
        terminal.wait(lambda s: "Riverbed (round 1 of 3)" in s, "the engagement")
        terminal.keys("Enter", "1")  # Enter: every line in, then the order
        terminal.wait(lambda s: "Riverbed (round 2 of 3)" in s, "its second round")
        app = int(terminal.show("#{pane_pid}"))
        os.kill(app, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while _alive(app):
            assert time.monotonic() < deadline, "the app outlived SIGKILL"
            time.sleep(0.1)
    finally:
        terminal.close()
    assert _newest_log(saves) == [("first_contact", 0), ("fight", 0)]
    terminal = Tmux(start)
    try:
        screen = terminal.wait(lambda s: "Continue: Chapter 1" in s, "the title's Continue")
        assert "Riverbed (round 2 of 3)" in screen
        terminal.keys("c")
        terminal.wait(
            lambda s: "loaded 'auto-2'" in s and "Follow Undertaker." in s, "the round loaded"
        )
        assert "Riverbed (round 2 of 3)" in terminal.screen()
    finally:
        terminal.close()
