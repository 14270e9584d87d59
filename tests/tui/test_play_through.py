"""The fixture chapter played to its ending by keyboard alone, and by mouse alone."""

from __future__ import annotations

from pathlib import Path

from game.tui.screens.ending import BLANK
from game.tui.widgets.orders import OrderItem

from .helpers import card_showing, dismiss_card, is_screen, make_app, radio, screen_text, wait_for


async def test_keyboard_alone_reaches_the_ending_and_the_roll_call(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        await pilot.press("n")
        await dismiss_card(pilot)
        await pilot.press("2")  # ask his name: the roll call will know it
        for _ in range(3):  # three rounds, following Undertaker
            await wait_for(pilot, lambda: app.session.engine.round is not None, "a round")
            await pilot.press("1")
        await wait_for(pilot, lambda: app.session.engine.ending is not None, "an ending")
        await wait_for(pilot, lambda: not radio(app).busy, "the last lines")
        assert "debrief (Enter)" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, is_screen(app, "EndingScreen"), "the ending screen")
        text = screen_text(app)
        ending = app.session.engine.ending
        assert ending.title in text
        assert "ROLL CALL" in text
        assert "Shinei Nouzen" in text  # she asked
        assert "Nell Test" not in text and "Abel Test" not in text  # she never asked
        assert text.count(BLANK) == 2
        assert "Rook Test" in text  # known from the start
        await pilot.press("enter")
        await wait_for(pilot, is_screen(app, "TitleScreen"), "back to the title")
        assert not app.session.playing


async def test_mouse_alone_reaches_the_ending_and_returns_to_the_title(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        await pilot.click("#menu", offset=(3, 1))  # the first option: New game
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "the console")
        await wait_for(pilot, lambda: card_showing(app), "the chapter's title card")
        await pilot.click("#chapter-card")  # a click lets it go, as a key does
        await wait_for(pilot, lambda: not card_showing(app), "the card to go")

        def order(number: int) -> OrderItem:
            return next(
                i for i in app.screen.query(OrderItem) if i.view and i.view.number == number
            )

        async def click_order(number: int) -> None:
            # Click where the order is drawn once the screen has laid it out (a click sent
            # while a busy machine is still laying out the new scene would land elsewhere).
            await wait_for(pilot, lambda: not radio(app).busy and order(number).region.area > 0)
            await pilot.pause()
            await pilot.click(order(number))

        await click_order(2)
        for _ in range(3):
            await wait_for(pilot, lambda: app.session.engine.round is not None, "a round")
            await click_order(1)
        await wait_for(pilot, lambda: app.session.engine.ending is not None, "an ending")
        item = next(i for i in app.screen.query(OrderItem) if i.view is None)
        await pilot.click(item)
        await wait_for(pilot, is_screen(app, "EndingScreen"), "the ending screen")
        assert "Shinei Nouzen" in screen_text(app)
        await pilot.click("#ending-done")
        await wait_for(pilot, is_screen(app, "TitleScreen"), "back to the title")


async def test_the_ending_roll_call_reveals_name_by_name_unless_instant(tmp_path: Path) -> None:
    app = make_app(tmp_path, speed="fast")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        await pilot.press("n")
        await dismiss_card(pilot)
        await wait_for(pilot, lambda: not radio(app).busy, "the scene's lines")
        await pilot.press("3")  # close the link: straight to an ending
        await wait_for(pilot, lambda: app.session.engine.ending is not None, "an ending")
        await wait_for(pilot, lambda: not radio(app).busy, "the last lines")
        await pilot.press("enter")  # the debrief
        await wait_for(pilot, is_screen(app, "EndingScreen"), "the ending screen")
        screen = app.screen
        assert screen._shown < len(screen.roll)
        await pilot.press("enter")  # shows the rest at once
        assert screen._shown == len(screen.roll)
        assert is_screen(app, "EndingScreen")()
        await pilot.press("enter")
        await wait_for(pilot, is_screen(app, "TitleScreen"), "back to the title")
