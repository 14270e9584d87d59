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


def _chapters_app(tmp_path: Path, **kwargs):  # noqa: ANN001, ANN202
    from .helpers import FIXTURES

    return make_app(tmp_path, story_path=FIXTURES / "tui_chapters", **kwargs)


async def test_a_chapter_card_covers_the_console_until_a_key_which_gives_no_order(
    tmp_path: Path,
) -> None:
    from .helpers import card_showing, is_screen

    app = _chapters_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: card_showing(app), "chapter 1's card")
        text = screen_text(app)
        assert "CHAPTER 1" in text and "Supervise and Log" in text and "ORDERS" not in text
        await pilot.press("1")  # lets the card go; gives no order
        await wait_for(pilot, lambda: not card_showing(app), "the card to go")
        assert app.session.engine.state.log == [] and is_screen(app, "ConsoleScreen")()
        for _ in range(4):  # the ford's rounds, then the desk: still chapter 1, no card
            await pilot.press("1")
            assert not card_showing(app)
        await wait_for(pilot, lambda: app.session.engine.scene.id == "desk", "the desk")
        await pilot.press("1")  # home: chapter 2 begins
        await wait_for(pilot, lambda: card_showing(app), "chapter 2's card")
        assert "Replacement Cores" in screen_text(app)
        await pilot.press("ctrl+z")  # the key goes to the card, not to undo
        await wait_for(pilot, lambda: not card_showing(app), "the card to go")
        assert app.session.engine.scene.id == "arrivals"
        await pilot.press("ctrl+z")  # an undo shows no card
        await wait_for(pilot, lambda: app.session.engine.scene.id == "desk", "the undo")
        assert not card_showing(app)


async def test_fourteen_pilots_fit_at_80x24_and_the_replacement_appears_when_she_joins(
    tmp_path: Path,
) -> None:
    from game.tui.widgets.roster import Roster

    from .helpers import dismiss_card

    app = _chapters_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        roster = app.screen.query_one(Roster)
        assert "Thimble" not in screen_text(app) and len(roster.pilots) == 13
        for _ in range(5):
            await pilot.press("1")
        await dismiss_card(pilot)  # chapter 2 begins; Thimble has joined
        await wait_for(pilot, lambda: len(roster.pilots) == 14, "fourteen on the roster")
        await pilot.pause()
        text = screen_text(app)
        callsigns = [p.callsign for p in app.session.story.pilots.values()]
        assert [c for c in callsigns if c not in text] == []
        panel = app.screen.query_one("#roster-panel")
        assert panel.max_scroll_y == 0  # every row in sight, none scrolled away


async def test_hqs_voices_each_have_their_own_style_and_a_tag(tmp_path: Path) -> None:
    from .helpers import radio

    app = _chapters_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_game(pilot)
        entries = {e.line.speaker: e for e in radio(app).entries if e.line is not None}
        styles = {}
        for speaker in ("vasseur", "bulletin", "notice", "duty", "lena"):
            entry = entries[speaker]
            assert entry.tag.plain  # a tag names every voice: never colour alone
            styles[speaker] = (entry.tag.spans[0].style, entry.body.spans[0].style)
        assert len(set(styles.values())) == 5, styles
        assert entries["duty"].tag.plain == "DUTY OFFICER"
        text = screen_text(app)
        assert "DUTY OFFICER Handler One, the link is yours." in " ".join(text.split())
