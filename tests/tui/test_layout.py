"""The console's layout at the smallest terminal it is laid out for (80x24) and at 100x30: the
radio keeps its width for words, the roster shows every pilot, the orders and the command line
stay reachable, a new scene is read from its start, and text never runs under a scrollbar."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from textual.content import Content

from game.engine.loader import load_story
from game.paths import scenes_dir
from game.session import Session, open_saves
from game.tui.app import HandlerApp
from game.tui.config import Settings
from game.tui.widgets.orders import CommandInput, OrdersPanel

from .helpers import dismiss_card, make_app, radio, screen_text, start_game, wait_for


def visible_rows(app: HandlerApp) -> list[str]:
    """The radio's rows on screen, as plain text."""
    log = radio(app)
    return [log.render_line(y).text.rstrip() for y in range(log.scrollable_content_region.height)]


@pytest.mark.parametrize(("size", "gutter"), [((80, 24), False), ((100, 30), True)])
async def test_the_speaker_takes_a_column_only_where_it_leaves_room_for_words(
    tmp_path: Path, size: tuple[int, int], gutter: bool
) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await start_game(pilot)
        log = radio(app)
        width = log.scrollable_content_region.width - 1
        columns = log.tag_columns(width)
        assert (columns > 0) == gutter
        assert columns * 4 <= width  # never more than a quarter of the radio's width
        rows = visible_rows(app)
        if gutter:
            assert any(re.match(r"UNDERTAKER {2,}Handler", row) for row in rows), rows
        else:  # the tag starts the line
            assert any(row.startswith("UNDERTAKER Handler") for row in rows), rows


async def test_at_80x24_the_roster_shows_every_pilot(tmp_path: Path) -> None:
    story = load_story(scenes_dir())
    app = HandlerApp(
        Session(story, open_saves(str(tmp_path / "saves")), seed=1),
        settings=Settings("instant", False, "handler"),
        config_dir=tmp_path / "config",
        cursor_blink=False,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        text = screen_text(app)
        squad = [p for p in story.pilots.values() if p.status != "reserve"]
        missing = [p.callsign for p in squad if p.callsign not in text]
        assert len(squad) == 13 and missing == []


async def test_many_orders_scroll_and_the_command_line_stays_reachable(tmp_path: Path) -> None:
    story = load_story(scenes_dir())
    session = Session(
        story,
        open_saves(str(tmp_path / "saves")),
        seed=1,
        warp="ch5_last_names",
        sets={"trust": 9, "shin_trust": 5},
    )
    app = HandlerApp(
        session,
        settings=Settings("instant", False, "handler"),
        config_dir=tmp_path / "config",
        cursor_blink=False,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await dismiss_card(pilot)
        panel = app.screen.query_one(OrdersPanel)
        assert len(session.engine.orders()) == 13
        await wait_for(pilot, lambda: panel.border_subtitle == OrdersPanel.MORE, "'more below'")
        # The first orders show first.
        await wait_for(pilot, lambda: "1  Undertaker. Your name." in screen_text(app), "order 1")
        await pilot.press("slash")
        command = app.screen.query_one(CommandInput)
        await wait_for(pilot, lambda: command.has_focus, "the command line")
        await wait_for(
            pilot,
            lambda: panel.region.contains_region(command.region),
            "the command line to scroll into view",
        )
        await pilot.press(*"done", "enter")
        await wait_for(pilot, lambda: session.engine.scene.id != "ch5_last_names", "the order")


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_a_scene_written_whole_is_shown_from_its_start(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """Instant text: after an order, the order and the new scene's heading are at the top of
    the radio, not scrolled away past the scene's start; what does not fit is below the view."""
    story = load_story(scenes_dir())
    app = HandlerApp(
        Session(story, open_saves(str(tmp_path / "saves")), seed=1),
        settings=Settings("instant", False, "handler"),
        config_dir=tmp_path / "config",
        cursor_blink=False,
    )
    async with app.run_test(size=size) as pilot:
        await start_game(pilot)
        log = radio(app)
        await pilot.press("1")  # Open the link: a long first contact
        await wait_for(pilot, lambda: app.session.engine.scene.id == "ch1_first_contact", "it")
        await wait_for(pilot, lambda: visible_rows(app)[0].startswith("LENA"), "the order on top")
        rows = visible_rows(app)
        assert "▸ Open the link." in rows[0]
        assert "── First Contact ──" in rows[1]
        assert log.scroll_y < log.max_scroll_y and log.border_subtitle == log.MORE
        await pilot.press("end")
        await wait_for(pilot, lambda: log.scroll_y == log.max_scroll_y, "the end")
        await wait_for(pilot, lambda: log.border_subtitle == "", "no more below")


async def test_a_short_scene_follows_the_end_of_the_log(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_game(pilot)
        log = radio(app)
        for n in range(40):
            log.note(Content(f"filler {n}"))
        await pilot.press("1")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the fight")
        await wait_for(pilot, lambda: log.scroll_y == log.max_scroll_y > 0, "the end")


async def test_radio_text_never_reaches_the_scrollbar(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    rng = random.Random(3)
    words = ["link", "static", "Juggernaut", "breathing", "Undertaker", "a", "I", "—", "…"]
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        log = radio(app)
        for size in ((80, 24), (93, 27), (100, 30), (121, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            for _ in range(30):
                text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 40)))
                long = "x" * rng.randint(1, 150)
                log.note(Content(rng.choice([text, long, text + long])), Content("KESTREL"))
            await pilot.pause()
            width = log.scrollable_content_region.width
            # The last column before the scrollbar stays blank in every row of the log.
            assert all(strip.cell_length <= width - 1 for strip in log._strips), size
