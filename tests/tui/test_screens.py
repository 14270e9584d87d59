"""Title, dossier, glossary, help, settings, pause menu and ending: each screen's keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from game.tui.config import load_settings

from .helpers import dismiss_card, is_screen, make_app, screen_text, start_game, wait_for


async def test_title_shows_the_art_and_menu(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        text = screen_text(app)
        assert "▄▀▀▄" in text  # the art from assets/title.txt
        for label in ("New game", "Continue", "Load", "Settings", "Quit"):
            assert label in text
        menu = app.screen.query_one("#menu")
        assert menu.get_option("continue").disabled  # no save yet


@pytest.mark.parametrize(
    ("key", "screen"),
    [
        ("s", "SettingsScreen"),
        ("l", "LoadScreen"),
        ("question_mark", "HelpScreen"),
        ("f1", "HelpScreen"),
        ("g", "GlossaryScreen"),
    ],
)
async def test_title_keys_open_their_screens(tmp_path: Path, key: str, screen: str) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        await pilot.press(key)
        await wait_for(pilot, is_screen(app, screen), screen)
        await pilot.press("escape")
        await wait_for(pilot, is_screen(app, "TitleScreen"), "back to the title")


async def test_title_q_quits(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, "the app to exit")
    assert app.return_code == 0


async def test_title_arrows_and_enter(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        menu = app.screen.query_one("#menu")
        await pilot.press("down")  # Continue is disabled: skipped
        assert menu.get_option_at_index(menu.highlighted).id == "load"
        await pilot.press("down", "up", "up")
        assert menu.get_option_at_index(menu.highlighted).id == "new"
        await pilot.press("enter")
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "the console")


async def test_continue_loads_the_latest_game_in_progress(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("2")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the fight")
        app.to_title()
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        await wait_for(
            pilot,
            lambda: not app.screen.query_one("#menu").get_option("continue").disabled,
            "Continue to be offered",
        )
        assert "Continue: Chapter 1 · Riverbed" in screen_text(app)
        await pilot.press("c")
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "the console")
        assert app.session.engine.scene.id == "fight"
        assert app.session.engine.knows("shin")


async def test_continue_and_load_without_saves_are_disabled(tmp_path: Path) -> None:
    app = make_app(tmp_path, saves="none")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        assert "saving is not available" in screen_text(app)
        assert not app.screen.active_bindings["c"].enabled
        assert not app.screen.active_bindings["l"].enabled
        await pilot.press("c", "l")
        await pilot.pause()
        assert is_screen(app, "TitleScreen")()
        app.continue_game()  # from the command palette, say
        await wait_for(
            pilot,
            lambda: "saving is not available" in str([n.message for n in app._notifications]),
            "a notice",
        )


async def test_dossier_shows_the_official_line_beside_the_radio(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_game(pilot)
        await pilot.press("d")
        await wait_for(pilot, is_screen(app, "DossierScreen"), "the dossier")
        text = screen_text(app)
        assert "THE OFFICIAL LINE" in text and "WHAT THE RADIO SAID" in text
        assert "No losses on any front." in text and "from: First Contact" in text
        assert "Nothing yet." in text  # the radio column, before a voice is logged
        await pilot.press("escape")
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "the console")
        await pilot.press("2")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the fight")
        await pilot.press("d")
        await wait_for(pilot, is_screen(app, "DossierScreen"), "the dossier")
        text = screen_text(app)
        assert "They answer by name." in text
        assert "◆ People" in text and "The units are people." in text
        assert "◇ a thread (1 of 2 pieces)" in text and "A record and a voice." in text
        await pilot.press("d")
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "closed with d")


async def test_glossary_filters_and_shows_text_literally(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_game(pilot)
        await pilot.press("g")
        await wait_for(pilot, is_screen(app, "GlossaryScreen"), "the glossary")
        assert "Undertaker" in screen_text(app)
        await pilot.press(*"sector")
        await wait_for(pilot, lambda: "[@click=app.quit]" in screen_text(app), "the entry")
        assert "Sector [bold]9[/bold]" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "the console")


async def test_glossary_missing_file_is_a_message(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        app.glossary_path = tmp_path / "nowhere.yaml"
        await pilot.press("g")
        await wait_for(pilot, is_screen(app, "GlossaryScreen"), "the glossary")
        assert "The glossary has not been written yet." in screen_text(app)


async def test_help_opens_with_question_mark_and_f1(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        for key in ("question_mark", "f1"):
            await pilot.press(key)
            await wait_for(pilot, is_screen(app, "HelpScreen"), "help")
            assert "HOW THE LINK WORKS" in screen_text(app)
            await pilot.press("down", "up", "escape")
            await wait_for(pilot, is_screen(app, "ConsoleScreen"), "the console")


async def test_help_says_what_trust_standing_and_signal_mean(tmp_path: Path) -> None:
    """Scrolled through at 80x24, help explains the three meters the status line shows, and
    the autosave policy as the session keeps it (not "at every scene")."""
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, is_screen(app, "HelpScreen"), "help")
        scroll = app.screen.query_one("#help-scroll")
        box = scroll.scrollable_content_region
        read: list[str] = []  # the help's own lines, as the terminal shows them
        for _ in range(60):
            await pilot.pause()
            rows = screen_text(app).splitlines()[box.y : box.bottom]
            shown = [row[box.x : box.right].strip() for row in rows]
            read += shown if not read else shown[-1:]  # one line further down each time
            if scroll.scroll_y >= scroll.max_scroll_y:
                break
            await pilot.press("down")
        flat = " ".join(line for line in read if line)
        for words in (
            "trust  The squad's trust in you",
            "the squad stops answering",
            "standing  Your standing with Republic command",
            "put on probation",
            "signal  How clear the link is",
            "Every order you give is autosaved",
        ):
            assert words in flat, words
        assert "every scene" not in flat


def test_the_shipped_glossary_explains_the_meters() -> None:
    from game.glossary import load_glossary

    entries, problem = load_glossary()
    assert not problem
    terms = {entry.term: entry for entry in entries}
    for term in ("Trust", "Standing", "Signal"):
        assert terms[term].kind == "term" and terms[term].text


async def test_settings_change_speed_motion_and_theme_and_persist(tmp_path: Path) -> None:
    app = make_app(tmp_path, speed="normal")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        await pilot.press("s")
        await wait_for(pilot, is_screen(app, "SettingsScreen"), "settings")
        await pilot.press("right")  # normal -> fast
        assert app.settings.text_speed == "fast"
        await pilot.press("right", "right")  # -> instant -> slow
        assert app.settings.text_speed == "slow"
        await pilot.press("left")
        assert app.settings.text_speed == "instant"
        await pilot.press("down", "enter")
        assert app.settings.reduced_motion and app.animation_level == "none"
        await pilot.press("down", "right")
        assert app.settings.theme == "handler-high-contrast" == app.theme
        await pilot.press("right")
        assert app.theme not in ("handler", "handler-high-contrast")
        await pilot.press("left")
        await pilot.press("down", "enter")  # Done
        await wait_for(pilot, is_screen(app, "TitleScreen"), "closed")
    saved = json.loads((tmp_path / "config" / "settings.json").read_text())
    assert saved == {
        "text_speed": "instant",
        "reduced_motion": True,
        "theme": "handler-high-contrast",
    }
    assert load_settings(tmp_path / "config").theme == "handler-high-contrast"


async def test_settings_are_honoured_on_the_next_start(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.json").write_text(
        json.dumps({"text_speed": "fast", "reduced_motion": False, "theme": "nord"})
    )
    app = make_app(tmp_path, settings=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        assert app.theme == "nord"
        assert app.console_screen.log_widget.chars_per_second == 160.0


@pytest.mark.parametrize(
    ("saved", "shown"),
    [("handler-high-contrast", "handler-high-contrast"), ("a-theme-since-removed", "handler")],
)
async def test_the_saved_theme_styles_the_title_and_a_removed_one_falls_back(
    tmp_path: Path, saved: str, shown: str
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.json").write_text(json.dumps({"theme": saved}))
    app = make_app(tmp_path, settings=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        assert app.theme == shown
        assert app.current_theme.name == shown
        expected = app.get_theme(shown)
        assert expected is not None
        generated = expected.to_color_system().generate()
        assert app.theme_variables["primary"] == generated["primary"]
        assert app.theme_variables["background"] == generated["background"]


async def test_settings_in_game_make_the_radio_instant(tmp_path: Path) -> None:
    app = make_app(tmp_path, speed="slow")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await dismiss_card(pilot)
        log = app.console_screen.log_widget
        assert log.busy
        app.action_settings()
        await wait_for(pilot, is_screen(app, "SettingsScreen"), "settings")
        await pilot.press("left")  # slow -> instant (wraps)
        assert app.settings.text_speed == "instant"
        assert not log.busy


async def test_no_color_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        assert app.no_color
        # No colour at all, not greys (tests/tui/test_environment.py checks the terminal).
        assert [type(f).__name__ for f in app.get_line_filters()][-1] == "Attributes"
        assert "●" in screen_text(app)  # status is never colour alone


async def test_pause_menu_reaches_everything(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        for item, screen in (
            ("dossier", "DossierScreen"),
            ("settings", "SettingsScreen"),
            ("help", "HelpScreen"),
            ("glossary", "GlossaryScreen"),
            ("save", "SaveScreen"),
            ("load", "LoadScreen"),
        ):
            await pilot.press("escape")
            await wait_for(pilot, is_screen(app, "PauseMenu"), "the menu")
            menu = app.screen.query_one("#pause-menu")
            menu.highlighted = menu.get_option_index(item)
            await pilot.press("enter")
            await wait_for(pilot, is_screen(app, screen), screen)
            await pilot.press("escape")
            await wait_for(pilot, is_screen(app, "ConsoleScreen"), "the console")
        await pilot.press("escape")
        await wait_for(pilot, is_screen(app, "PauseMenu"), "the menu")
        await pilot.press("escape")
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "resumed")
        await pilot.press("escape")
        await wait_for(pilot, is_screen(app, "PauseMenu"), "the menu")
        menu = app.screen.query_one("#pause-menu")
        menu.highlighted = menu.get_option_index("title")
        await pilot.press("enter")
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")


async def test_ctrl_q_quits_from_any_screen(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("d")
        await wait_for(pilot, is_screen(app, "DossierScreen"), "the dossier")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running, "the app to exit")
    assert app.return_code == 0


async def test_a_theme_chosen_from_the_palette_is_kept(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        log = app.console_screen.log_widget
        before = [seg.style for strip in log._strips for seg in strip]
        app.theme = "dracula"
        await pilot.pause()
        assert load_settings(tmp_path / "config").theme == "dracula"
        await wait_for(
            pilot,
            lambda: [seg.style for strip in log._strips for seg in strip] != before,
            "the radio to redraw in the new colours",
        )


async def test_continue_means_the_game_last_played_even_after_a_quickload_and_an_ending(
    tmp_path: Path,
) -> None:
    """Quicksave, play on (autosaved), quickload, play that branch to an ending: Continue must
    not bring back the branch the quickload left behind."""
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await start_game(pilot)
        await pilot.press("f5")
        await wait_for(pilot, lambda: (tmp_path / "saves" / "quick.json").exists(), "quicksave")
        await pilot.press("1")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the fight")
        await pilot.press("f9")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "first_contact", "quickload")
        await pilot.press("slash", *"close", "enter")
        await wait_for(pilot, lambda: app.session.engine.ending is not None, "the ending")
        app.to_title()
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        menu = app.screen.query_one("#menu")
        await wait_for(pilot, lambda: menu.get_option("continue").disabled, "Continue off")
        await wait_for(
            pilot, lambda: "Your last game ended: Bad End." in screen_text(app), "the detail"
        )
        app.continue_game()  # from the command palette, say
        await wait_for(
            pilot,
            lambda: "No game in progress" in str([n.message for n in app._notifications]),
            "the notice",
        )
        assert is_screen(app, "TitleScreen")()
        # A new game is the game last played: Continue resumes it.
        await pilot.press("n")
        await dismiss_card(pilot)
        await pilot.press("2")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the fight")
        app.to_title()
        await wait_for(pilot, lambda: not menu.get_option("continue").disabled, "Continue on")
        await pilot.press("c")
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "the console")
        assert app.session.engine.scene.id == "fight" and app.session.engine.knows("shin")
