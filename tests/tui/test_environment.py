"""What the player's environment asks of the console: NO_COLOR (no colour at all, not grey),
TEXTUAL_ANIMATIONS=none (no motion, whatever the settings say), and a screen reader (the title and
help say how to play in line mode)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from game.tui.config import Settings
from game.tui.messages import SettingsChanged
from game.tui.nocolor import Attributes, attributes_style
from game.tui.screens.help import help_content

from .helpers import (
    TMUX,
    TUI_STORY,
    Tmux,
    dismiss_card,
    game_command,
    is_screen,
    make_app,
    radio,
    screen_text,
    start_game,
    wait_for,
)

SCREEN = Color.parse("#0b0f13")  # the Handler theme's background
# SGR parameters that set a colour: 30-39, 40-49, 90-97, 100-107 (38 and 48 start 256/RGB ones).
COLOUR_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colour_codes(screen: str) -> list[str]:
    """Every colour-setting SGR parameter in captured terminal output (resets excluded)."""
    found = []
    for params in COLOUR_SGR.findall(screen):
        for part in params.split(";"):
            if part and (30 <= int(part) <= 38 or 40 <= int(part) <= 48 or 90 <= int(part) <= 107):
                found.append(part)
    return found


# --- NO_COLOR ------------------------------------------------------------------------------------


colours = st.builds(lambda r, g, b: RichColor.from_rgb(r, g, b), *[st.integers(0, 255)] * 3)


@settings(max_examples=200, deadline=None)
@given(
    color=st.none() | colours,
    bgcolor=st.none() | colours,
    bold=st.booleans(),
    italic=st.booleans(),
    underline=st.booleans(),
    strike=st.booleans(),
    reverse=st.booleans(),
)
def test_no_color_drops_every_colour_and_keeps_every_attribute(
    color, bgcolor, bold, italic, underline, strike, reverse
) -> None:  # noqa: ANN001
    style = Style(
        color=color,
        bgcolor=bgcolor,
        bold=bold,
        italic=italic,
        underline=underline,
        strike=strike,
        reverse=reverse,
    )
    (segment,) = Attributes().apply([Segment("x", style)], SCREEN)
    out = segment.style
    assert out is not None
    assert out.color is None or out.color.is_default
    assert out.bgcolor is None or out.bgcolor.is_default
    assert (bool(out.bold), bool(out.italic), bool(out.underline), bool(out.strike)) == (
        bold,
        italic,
        underline,
        strike,
    )
    assert "38;" not in out._make_ansi_codes("truecolor") and "48;" not in str(out)


def test_what_only_colour_said_becomes_reverse_video_or_dim() -> None:
    screen = SCREEN.brightness
    highlight = attributes_style(Style(color="#0b0f13", bgcolor="#d4a73a", bold=True), screen)
    assert highlight.reverse and highlight.bold and not highlight.dim
    disabled = attributes_style(Style(color="#676a6c", bgcolor="#0b0f13"), screen)
    assert disabled.dim and not disabled.reverse
    plain = attributes_style(Style(color="#d9dee3", bgcolor="#10171d"), screen)
    assert not plain.dim and not plain.reverse
    muted = attributes_style(Style(color="#9d9fa0", bgcolor="#0b0f13", italic=True), screen)
    assert not muted.dim and muted.italic


async def test_no_color_puts_attributes_where_textual_put_greys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        names = [type(f).__name__ for f in app.get_line_filters()]
        assert "Attributes" in names and "Monochrome" not in names
        assert "●" in screen_text(app)  # a pilot's status is never colour alone


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed: no real terminal")
def test_no_color_in_a_real_terminal_sends_no_colour_code(tmp_path: Path) -> None:
    terminal = Tmux()
    try:
        terminal.wait(lambda s: "shell$" in s, "the shell")
        command = [*game_command(), "--save-dir", str(tmp_path / "saves"), str(TUI_STORY)]
        config = shlex.quote(str(tmp_path / "config"))
        terminal.type(f"NO_COLOR=1 HANDLER_ONE_CONFIG_DIR={config} {shlex.join(command)}")
        terminal.wait(lambda s: "New game" in s, "the title screen")
        title = terminal.run("capture-pane", "-p", "-e", "-t", terminal.session)
        assert colour_codes(title) == []
        # The highlighted choice is reverse video; Continue (nothing saved) is dim.
        new_game = next(line for line in title.splitlines() if "New game" in line)
        assert re.search(r"\x1b\[[0-9;]*7[;m][^\x1b]*New game", new_game), new_game
        resume = next(line for line in title.splitlines() if "Continue" in line)
        assert re.search(r"\x1b\[[0-9;]*2[;m][^\x1b]*Continue", resume), resume
        terminal.keys("n")
        terminal.wait(lambda s: "CHAPTER 1" in s, "the chapter's title card")
        terminal.keys("Space")
        terminal.wait(lambda s: "ORDERS" in s and "Report status." in s, "the console")
        console = terminal.run("capture-pane", "-p", "-e", "-t", terminal.session)
        assert colour_codes(console) == []
        terminal.keys("C-q")
    finally:
        terminal.close()


# --- TEXTUAL_ANIMATIONS --------------------------------------------------------------------------


async def test_textual_animations_none_turns_motion_off_whatever_the_settings_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    app = make_app(tmp_path, speed="slow")
    app._cursor_blink = None  # as a real start: the blink follows the motion settings
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.animation_level == "none" and not app.cursor_blink
        await pilot.press("n")
        await dismiss_card(pilot)
        assert not radio(app).busy and radio(app).instant  # no typewriter
        # Changing a setting (the theme, here) never turns Textual's animations back on.
        app.post_message(SettingsChanged(app.settings.with_changes(theme="handler-high-contrast")))
        await wait_for(pilot, lambda: app.settings.theme == "handler-high-contrast", "the theme")
        assert app.animation_level == "none" and radio(app).instant
        assert app.settings.reduced_motion is False  # the player's own choice is kept as it was
        app.action_settings()
        await wait_for(pilot, is_screen(app, "SettingsScreen"), "settings")
        await wait_for(pilot, lambda: "on (TEXTUAL_ANIMATIONS=none)" in screen_text(app), "it")


async def test_without_the_environment_the_settings_decide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEXTUAL_ANIMATIONS", raising=False)
    app = make_app(tmp_path, speed="slow")
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.animation_level == "full"
        app.post_message(SettingsChanged(Settings("slow", True, "handler")))
        await wait_for(pilot, lambda: app.animation_level == "none", "reduced motion")
        app.post_message(SettingsChanged(Settings("slow", False, "handler")))
        await wait_for(pilot, lambda: app.animation_level == "full", "motion back")


# --- a player who cannot read the screen ---------------------------------------------------------


async def test_the_title_says_how_to_play_in_line_mode(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        assert "Screen reader?" in screen_text(app)
        assert "handler-one play --plain" in screen_text(app)


async def test_in_a_browser_the_title_does_not_send_the_player_to_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `handler-one serve` runs the console with Textual's web driver: no terminal to quit to.
    from game.tui.app import HandlerApp

    monkeypatch.setattr(HandlerApp, "is_web", property(lambda self: True))
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        assert "New game" in screen_text(app)
        assert "--plain" not in screen_text(app)
        assert not app.screen.query("#title-plain")


def test_help_says_how_to_play_in_line_mode_first() -> None:
    text = help_content().plain
    assert text.startswith("Playing with a screen reader")
    assert "handler-one play --plain" in text.split("\n\n")[0]
