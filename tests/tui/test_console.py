"""The Handler console, driven by keys and mouse through Textual's Pilot."""

from __future__ import annotations

from pathlib import Path

from game.tui.widgets.orders import CommandInput, OrderItem

from .helpers import (
    dismiss_card,
    is_screen,
    make_app,
    radio,
    radio_text,
    screen_text,
    start_game,
    wait_for,
)


async def test_new_game_shows_radio_roster_map_and_status(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_game(pilot)
        text = screen_text(app)
        assert "HQ" in text and "Units deployed, Handler One." in text
        assert "Wind on the link." in text
        assert "Undertaker" in text and "Brass Button" in text
        assert "Rook Test" in text  # known from the start
        assert "1 Report status." in text.replace("  ", " ")
        assert "Read the ledger.  (Nothing to connect yet.)" in text
        assert "SECTOR 9" in text
        assert "trust" in text and "standing" in text and "signal" in text
        assert "relay mast" in text  # a marker's label in the legend


async def test_scene_text_with_markup_and_escapes_is_shown_literally(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_game(pilot)
        text = screen_text(app)
        assert "[@click=app.quit]" in text
        assert "[bold]not bold[/bold]" in text
        assert "␛[31mred␛[0m" in text
        assert "\x1b" not in radio_text(app)
        # Clicking the line must not run the action it spells out.
        log = radio(app)
        row = next(n for n, line in enumerate(log.plain_lines) if "@click" in line)
        await pilot.click("#radio", offset=(30, row + 1))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_number_keys_give_orders_and_the_next_scene_arrives(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("2")
        await wait_for(pilot, lambda: "Riverbed" in radio_text(app), "the next scene")
        assert "▸ What's your name?" in radio_text(app)
        assert app.session.engine.knows("shin")
        await wait_for(pilot, lambda: "Shinei" in screen_text(app), "the roster to learn a name")


async def test_a_number_with_no_order_says_so(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("7")
        await wait_for(pilot, lambda: "There is no order 7" in screen_text(app), "the hint")
        assert app.session.engine.state.scene == "first_contact"


async def test_typed_orders_complete_with_tab_and_give_with_enter(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("slash")
        command = app.screen.query_one(CommandInput)
        assert command.has_focus
        await pilot.press("r", "e", "tab")
        assert command.value == "report "
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                app.session.engine.state.scene == "fight#1"
                or app.session.engine.scene.id == "fight"
            ),
            "the order",
        )
        assert "▸ Report status." in radio_text(app)


async def test_tab_focuses_the_command_line_and_escape_leaves_it(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("tab")
        command = app.screen.query_one(CommandInput)
        assert command.has_focus
        await pilot.press("d")  # typed, not the dossier
        assert command.value == "d" and is_screen(app, "ConsoleScreen")()
        await pilot.press("escape")
        assert not command.has_focus
        await pilot.press("escape")  # now the pause menu
        await wait_for(pilot, is_screen(app, "PauseMenu"), "the pause menu")


async def test_a_typed_order_that_matches_nothing_explains(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("slash", "z", "z", "enter")
        await wait_for(pilot, lambda: "No order answers to 'zz'" in screen_text(app), "hint")
        await pilot.press("backspace", "backspace", "l", "e", "d", "enter")
        await wait_for(
            pilot, lambda: "Not now: Nothing to connect yet." in screen_text(app), "hint"
        )
        await pilot.press("ctrl+a")
        command = app.screen.query_one(CommandInput)
        command.value = "x"
        await pilot.press("tab")
        await wait_for(pilot, lambda: "no order word starts with 'x'" in screen_text(app), "hint")


async def test_typewriter_lines_arrive_one_at_a_time_and_a_key_completes_them(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, speed="slow")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await dismiss_card(pilot)
        log = radio(app)
        await wait_for(pilot, lambda: log._typing is not None, "a line to start")
        assert log.busy and len(log._queue) >= 2
        typing = log._typing
        await pilot.press("x")  # any key
        assert typing in log.entries and log._typing is not typing
        assert typing.shown == len(typing.body)
        await pilot.press("enter")  # Enter writes everything still waiting
        await wait_for(pilot, lambda: not log.busy, "the radio to finish")
        assert "Wind on the link." in radio_text(app)


async def test_an_order_number_pressed_while_lines_arrive_shows_them_then_gives_it(
    tmp_path: Path,
) -> None:
    """Issue 14: a number pressed before the scene has finished arriving is neither lost nor an
    order given blind: it writes every line out and says what pressing it again gives."""
    app = make_app(tmp_path, speed="slow")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await dismiss_card(pilot)
        log = radio(app)
        await wait_for(pilot, lambda: log._typing is not None, "a line to start")
        await pilot.press("1")
        assert not log.busy and app.session.engine.state.log == []
        assert "We hear you." in radio_text(app) and "▸" not in radio_text(app)
        await wait_for(
            pilot, lambda: "1 again gives: Report status." in screen_text(app), "the hint"
        )
        await pilot.press("1")
        await wait_for(pilot, lambda: app.session.engine.state.scene == "fight", "the order")
        text = radio_text(app)
        assert text.index("We hear you.") < text.index("▸ Report status.")


async def test_scrollback_keys_scroll_the_radio(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        for _ in range(3):
            await pilot.press("ctrl+z") if False else None
            await pilot.press("1")
        log = radio(app)
        await wait_for(pilot, lambda: log.max_scroll_y > 0, "enough lines to scroll")
        await wait_for(pilot, lambda: log.scroll_y == log.max_scroll_y, "the end")
        await pilot.press("pageup")
        assert log.scroll_y < log.max_scroll_y
        await pilot.press("end")
        await wait_for(pilot, lambda: log.scroll_y == log.max_scroll_y, "back at the end")


async def test_undo_takes_back_the_last_order(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("2")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the fight")
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "first_contact", "undo")
        assert "— last order taken back —" in radio_text(app)
        assert not app.session.engine.knows("shin")


async def test_undo_is_disabled_before_any_order(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        assert app.screen.check_action("undo", ()) is None
        await pilot.press("1")
        assert app.screen.check_action("undo", ()) is True


async def test_orders_can_be_clicked(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        items = app.screen.query(OrderItem)
        disabled = next(i for i in items if i.has_class("-disabled"))
        await pilot.click(disabled)
        assert app.session.engine.scene.id == "first_contact"
        enabled = next(i for i in items if i.view and i.view.number == 2)
        await pilot.click(enabled)
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the order")


async def test_engagement_rounds_and_warning(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_game(pilot)
        await pilot.press("1")
        await wait_for(pilot, lambda: "(round 1 of 3)" in screen_text(app), "round 1")
        await pilot.press("1")
        await wait_for(pilot, lambda: "⚠ Pull left." in radio_text(app), "Shin's warning")
        assert "(round 2 of 3)" in screen_text(app)


async def test_command_palette_offers_the_orders(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_game(pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, is_screen(app, "CommandPalette"), "the palette")
        await pilot.press(*"Report status")
        await wait_for(pilot, lambda: "Order 1: Report status." in screen_text(app), "the hit")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the order")


async def test_command_palette_offers_every_action(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_game(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for title in (
            "Save game",
            "Load game",
            "Quicksave",
            "Quickload",
            "Undo",
            "Dossier",
            "Glossary",
            "Help",
            "Settings",
            "Return to title",
            "Quit",
        ):
            assert title in titles
        # One entry for the keys: the game's Help. Textual's "Keys" panel is not offered.
        assert "Keys" not in titles
        await pilot.press("ctrl+p")
        await wait_for(pilot, is_screen(app, "CommandPalette"), "the palette")
        await pilot.press(*"keys")
        await pilot.pause(0.3)
        assert "Show help for the focused widget" not in screen_text(app)


async def test_after_a_typed_order_the_digits_give_orders_again(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("slash", *"report", "enter")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the order")
        command = app.screen.query_one(CommandInput)
        assert not command.has_focus and command.value == ""
        await pilot.press("1")  # an order, not a "1" typed into the command line
        await wait_for(pilot, lambda: app.session.engine.state.scene == "fight#2", "round two")
        assert command.value == ""


async def test_after_an_undo_from_the_command_line_the_digits_give_orders(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("1")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the order")
        await pilot.press("slash", "f")
        command = app.screen.query_one(CommandInput)
        assert command.has_focus and command.value == "f"
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "first_contact", "undone")
        assert not command.has_focus and command.value == ""
        await pilot.press("1")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "order 1 again")


async def test_a_typed_order_that_fails_keeps_the_command_line(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("slash", "z", "z", "enter")
        await wait_for(pilot, lambda: "No order answers to 'zz'" in screen_text(app), "hint")
        assert app.screen.query_one(CommandInput).has_focus


async def test_dev_mode_reloads_the_story_when_a_scene_file_changes(tmp_path: Path) -> None:
    import shutil

    from game.engine.loader import load_story

    from .helpers import TUI_STORY

    root = tmp_path / "story"
    shutil.copytree(TUI_STORY, root)
    app = make_app(tmp_path, dev=True)
    app.session.story = load_story(root)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_game(pilot)
        scene_file = root / "ch1.yaml"
        scene_file.write_text(
            scene_file.read_text().replace("Wind on the link.", "Rain on the link.")
        )
        await wait_for(pilot, lambda: "— story reloaded —" in radio_text(app), "a reload", 15)
        await wait_for(pilot, lambda: "Rain on the link." in radio_text(app), "the new line")
        scene_file.write_text("scenes: [oops")
        await wait_for(
            pilot,
            lambda: any(n.title == "Story not reloaded" for n in app._notifications),
            "the error notice",
            15,
        )
        assert app.session.engine.story.scenes["first_contact"]
