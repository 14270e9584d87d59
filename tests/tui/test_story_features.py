"""The console's side of issue 14 ("A story people remember"): the map plays (markers move round
by round, one letter per kind), chapter title cards, the declared speakers' styles, a roster of
fourteen at 80x24 with a pilot in reserve off it, and the typewriter's manners (scrolling back,
an order number pressed while lines are still arriving)."""

from __future__ import annotations

from pathlib import Path

from game.tui.widgets.sector_map import MapView

from .helpers import make_app, screen_text, start_game, wait_for


def _squad(app) -> tuple[int, int]:  # noqa: ANN001
    view = app.screen.query_one("#map-view", MapView)
    (squad,) = [m for m in view.markers if m.kind == "squad"]
    return squad.column, squad.row


def _drawn_squad(app) -> tuple[int, int]:  # noqa: ANN001
    """Where the S is drawn in the map panel, in the map's own cells."""
    view = app.screen.query_one("#map-view", MapView)
    rows = view.render().plain.splitlines()
    (found,) = [(row.index("S"), y) for y, row in enumerate(rows) if "S" in row]
    return found[0] + view.window[0], found[1] + view.window[1]


async def test_the_map_moves_round_by_round(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_game(pilot)
        engine = app.session.engine
        await pilot.press("1")
        await wait_for(pilot, lambda: engine.state.scene == "fight", "the fight")
        assert _squad(app) == _drawn_squad(app) == (5, 2)
        await pilot.press("1")
        await wait_for(pilot, lambda: engine.state.scene == "fight#2", "round 2")
        await wait_for(pilot, lambda: _squad(app) == (8, 3), "the squad to move")
        assert _drawn_squad(app) == (8, 3)
        assert "L Legion, heavies" in screen_text(app)
        await pilot.press("1")
        await wait_for(pilot, lambda: engine.state.scene == "fight#3", "round 3")
        await wait_for(pilot, lambda: _squad(app) == (2, 4), "the squad to move again")
        assert "heavies" not in screen_text(app)


async def test_a_short_map_panel_follows_the_squad(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        engine = app.session.engine
        for scene in ("fight", "fight#2", "fight#3"):
            await pilot.press("1")
            await wait_for(pilot, lambda s=scene: engine.state.scene == s, scene)
            await pilot.pause()
            assert _drawn_squad(app) == _squad(app)  # in sight, wherever the window starts


async def test_scrolling_back_holds_the_view_while_lines_arrive_and_the_end_follows_again(
    tmp_path: Path,
) -> None:
    """PgUp while a scene is being typed out: the lines still arriving do not pull the view back
    down; back at the bottom (End), the log follows new lines again."""
    from textual.content import Content

    from .helpers import radio

    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        log = radio(app)
        for n in range(60):
            log.note(Content(f"filler {n}"))
        log.set_speed(30.0, 0.0)  # slow enough to scroll back while lines arrive
        for n in range(4):
            log.say(Content("KESTREL"), Content(f"Line {n} of the contact report, said slowly."))
        await wait_for(pilot, lambda: log._typing is not None, "a line being typed")
        await pilot.press("pageup", "pageup")
        held = log.scroll_y
        assert held < log.max_scroll_y
        written = len(log.entries)
        await wait_for(pilot, lambda: len(log.entries) > written, "another line")
        assert log.scroll_y == held
        await pilot.press("end")
        await wait_for(pilot, lambda: log.scroll_y == log.max_scroll_y, "the end")
        log.say(Content("UNDERTAKER"), Content("One more line, typed out. " * 2))
        await wait_for(pilot, lambda: not log.busy, "the line")
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y


async def test_scrolling_back_after_a_scene_written_whole_is_not_undone_by_a_resize(
    tmp_path: Path,
) -> None:
    from textual.content import Content

    from .helpers import radio

    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        log = radio(app)
        for n in range(60):
            log.note(Content(f"filler {n}"))
        await pilot.press("1")
        await wait_for(pilot, lambda: app.session.engine.state.scene == "fight", "the fight")
        await pilot.pause()
        await pilot.press("home")
        await wait_for(pilot, lambda: log.scroll_y == 0, "the top")
        await pilot.resize_terminal(81, 24)
        await pilot.pause()
        await pilot.pause()
        assert log.scroll_y == 0
