"""The console's pieces without a screen: rendering, settings, themes, glossary, radio log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.app import App
from textual.content import Content

from game.engine.model import Marker
from game.engine.runtime import PilotView, RadioLine
from game.engine.text import Segment
from game.glossary import load_glossary
from game.tui.config import Settings, config_dir, load_settings, save_settings
from game.tui.render import (
    legend_items,
    legend_line,
    line_body,
    line_tag,
    map_legend,
    map_lines,
    map_window,
    meter,
    roster_row,
    signal_bars,
    static_run,
)
from game.tui.store import format_duration, format_when
from game.tui.themes import HANDLER, HIGH_CONTRAST, load_themes
from game.tui.widgets.radio_log import RadioLog

from .helpers import WORLD, wait_for

# --- rendering ----------------------------------------------------------------------------------


def test_static_becomes_shaded_blocks_of_the_same_length() -> None:
    line = RadioLine("shin", "UNDERTAKER", "pilot", (Segment("Go "), Segment("~~~~", "static")))
    body = line_body(line)
    assert body.plain == "Go " + static_run(4, 3)
    assert set(body.plain[3:]) <= set("░▒") and len(body.plain) == 7
    assert any(span.style == ".radio--static" for span in body.spans)


def test_markup_in_a_line_stays_text() -> None:
    text = "[@click=app.quit]x[/] [bold]y"
    line = RadioLine("hq", "HQ", "hq", (Segment(text),))
    assert line_body(line).plain == text
    assert line_tag(line, {}).plain == "HQ"


def test_kinds_get_their_marks_and_voices_keep_their_colour() -> None:
    hit = RadioLine("hit", "", "hit", (Segment("marker dark"),))
    assert line_body(hit).plain.startswith("▼ ")
    dossier = RadioLine("dossier", "", "dossier", (Segment("Dossier: X"),))
    assert line_body(dossier).plain.startswith("▣ ")
    warn = RadioLine("shin", "UNDERTAKER", "warning", (Segment("Pull left."),))
    assert line_body(warn).plain == "⚠ Pull left."
    pilot = RadioLine("abel", "BRASS BUTTON", "pilot", (Segment("hi"),))
    assert line_tag(pilot, {"abel": 2}).spans[0].style == ".radio--voice-2"
    em = RadioLine("nell", "THISTLE", "pilot", (Segment("so "), Segment("young", "em")))
    assert [s.style for s in line_body(em).spans if s.start == 3] == [".radio--em"]


def test_signal_bars() -> None:
    assert signal_bars(4) == "▂▄▆█" and signal_bars(2) == "▂▄··" and signal_bars(0) == "····"


def test_meters_scale_to_the_declared_range() -> None:
    assert meter(0, 0, 10) == "▯▯▯▯▯"
    assert meter(10, 0, 10) == "▮▮▮▮▮"
    assert meter(3, 0, 5) == "▮▮▮▯▯"
    assert meter(99, 0, 5) == "▮▮▮▮▮"


def test_roster_rows_show_symbol_callsign_and_name_or_a_dash() -> None:
    known = PilotView("shin", "Undertaker", "Shinei Nouzen", "Captain", "active")
    unknown = PilotView("nell", "Thistle", None, "Pilot", "killed")
    assert roster_row(known, 28, 10).plain.startswith("● Undertaker Shinei Nouzen")
    row = roster_row(unknown, 40, 10).plain
    assert row.startswith("✖ Thistle    —") and row.rstrip().endswith("KIA")
    assert "Shinei N." in roster_row(known, 22, 10).plain  # short name when narrow


def test_map_markers_are_drawn_over_the_terrain() -> None:
    markers = [Marker(1, 0, "squad"), Marker(3, 1, "legion"), Marker(6, 2, "objective", "mast")]
    lines = map_lines("....\n.^^.", markers)
    assert [line.plain for line in lines] == [".S..", ".^^L", "      O"]
    legend = map_legend(markers, 28).plain
    assert legend == "S squad   L Legion\nO mast"
    assert map_legend(markers, 12).plain == "S squad\nL Legion\nO mast"


def test_a_legend_gives_each_letter_one_entry() -> None:
    """Issue 14: legends used one letter for several things; now a letter is one kind, and the
    markers of that kind share its entry."""
    markers = [
        Marker(9, 5, "squad", "Spearhead"),
        Marker(22, 1, "legion"),
        Marker(17, 4, "legion", "far bank"),
        Marker(13, 3, "objective", "ford"),
        Marker(2, 2, "objective", "church"),
        Marker(4, 4, "squad", "Spearhead"),
    ]
    assert legend_items(markers) == [
        ("S", ".map--squad", "Spearhead"),
        ("L", ".map--legion", "Legion, far bank"),
        ("O", ".map--objective", "ford, church"),
    ]
    letters = [line.split(" ")[0] for line in map_legend(markers, 12).plain.splitlines()]
    assert letters == ["S", "L", "O"]
    assert legend_line(markers).plain == "S Spearhead · L Legion, far bank · O ford, church"
    assert legend_line(markers, 31).plain == "S Spearhead · L Legion · O ford"
    assert legend_line(markers, 27).plain == "S Spearhead·L Legion·O ford"
    assert legend_line(markers, 5).plain == "S L O"


@given(
    st.lists(
        st.builds(
            Marker,
            st.integers(0, 30),
            st.integers(0, 10),
            st.sampled_from(["squad", "legion", "objective", "hazard", "unknown"]),
            st.sampled_from(["", "Spearhead", "ford", "the Pen", "Mast 9-East"]),
        ),
        max_size=8,
    )
)
def test_no_legend_letter_stands_for_two_kinds(markers) -> None:  # noqa: ANN001
    items = legend_items(markers)
    letters = [glyph for glyph, _, _ in items]
    assert len(letters) == len(set(letters))
    kinds = {m.kind for m in markers if m.kind != "unknown"}
    assert len(items) == len(kinds)
    for glyph, _, text in items:
        assert legend_line(markers, 1).plain.split().count(glyph) == 1
        assert text  # every letter says what it stands for in the full legend


@given(
    st.tuples(st.integers(1, 60), st.integers(1, 30)),
    st.lists(
        st.builds(
            Marker, st.integers(0, 59), st.integers(0, 29), st.sampled_from(["squad", "legion"])
        ),
        max_size=6,
    ),
    st.tuples(st.integers(1, 40), st.integers(1, 20)),
)
def test_a_small_map_panel_keeps_the_squad_in_sight(size, markers, view) -> None:  # noqa: ANN001
    markers = [m for m in markers if m.column < size[0] and m.row < size[1]]
    x, y = map_window(size, markers, view)
    assert x >= 0 and y >= 0
    if size[0] <= view[0] and size[1] <= view[1]:
        assert (x, y) == (0, 0)
    squads = [m for m in markers if m.kind == "squad"]
    focus = squads[0] if squads else (markers[0] if markers else None)
    if focus is not None:
        assert x <= focus.column < x + view[0] or size[0] <= view[0]
        assert y <= focus.row < y + view[1] or size[1] <= view[1]
        # never past the map's far edge when the map is larger than the view
        assert x + view[0] <= max(size[0], view[0]) and y + view[1] <= max(size[1], view[1])


# --- settings and themes ------------------------------------------------------------------------


def test_settings_round_trip_and_survive_a_damaged_file(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == Settings()
    assert save_settings(Settings("fast", True, "nord"), tmp_path) is None
    assert load_settings(tmp_path) == Settings("fast", True, "nord")
    (tmp_path / "settings.json").write_text("{not json")
    assert load_settings(tmp_path) == Settings()
    (tmp_path / "settings.json").write_text(json.dumps({"text_speed": "warp", "theme": 3}))
    assert load_settings(tmp_path) == Settings()


def test_settings_that_cannot_be_written_say_why(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    problem = save_settings(Settings(), blocker / "inside")
    assert problem is not None and problem.startswith("settings not saved")


def test_the_config_dir_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDLER_ONE_CONFIG_DIR", str(tmp_path))
    assert config_dir() == tmp_path
    monkeypatch.delenv("HANDLER_ONE_CONFIG_DIR")
    assert config_dir().name == "handler-one"


def test_instant_and_reduced_motion_stop_the_typewriter() -> None:
    assert Settings("instant").chars_per_second == 0
    assert Settings("slow", reduced_motion=True).chars_per_second == 0
    assert Settings("slow").chars_per_second > 0 and Settings("slow").line_gap > 0


def test_our_themes_load_and_a_broken_file_is_skipped(tmp_path: Path) -> None:
    names = [t.name for t in load_themes()]
    assert names[:2] == [HANDLER, HIGH_CONTRAST]
    (tmp_path / "bad.json").write_text('{"name": "bad", "primary": "not a colour"}')
    (tmp_path / "worse.json").write_text("[")
    (tmp_path / "extra.json").write_text('{"name": "extra", "primary": "#123456"}')
    names = [t.name for t in load_themes(tmp_path)]
    assert names == [HANDLER, HIGH_CONTRAST, "extra"]


# --- glossary, saves' formatting ----------------------------------------------------------------


def test_glossary_loads_sorted_and_sanitised(tmp_path: Path) -> None:
    entries, message = load_glossary(WORLD)
    assert message == "" and [e.kind for e in entries] == ["person", "faction", "place", "term"]
    (tmp_path / "w.yaml").write_text('entries:\n  - {term: "a\\e[31m", text: x, kind: odd}\n')
    entries, _ = load_glossary(tmp_path / "w.yaml")
    assert entries[0].term == "a␛[31m" and entries[0].kind == "term"
    (tmp_path / "bad.yaml").write_text("entries: [unclosed")
    assert load_glossary(tmp_path / "bad.yaml")[1].startswith("The glossary could not be read")
    (tmp_path / "none.yaml").write_text("other: 1\n")
    assert load_glossary(tmp_path / "none.yaml") == ([], "The glossary file has no 'entries' list.")


def test_the_console_glossary_reads_the_one_glossary_module() -> None:
    """One description of the glossary file: the console's screen and line mode read it through
    `game.glossary` (issue 16), so the two cannot drift apart."""
    import game.glossary
    from game.tui.screens import glossary as screen

    assert screen.load_glossary is game.glossary.load_glossary
    assert screen.GlossaryEntry is game.glossary.GlossaryEntry
    assert set(screen.KIND_MARK) == set(game.glossary.KINDS)


def test_save_details_are_formatted() -> None:
    assert format_duration(30) == "<1m" and format_duration(750) == "12m"
    assert format_duration(3900) == "1h 05m"
    assert format_when("2031-05-04T09:30:00") == "2031-05-04 09:30"
    assert format_when("soon") == "soon"


# --- the radio log ------------------------------------------------------------------------------


class LogApp(App[None]):
    def __init__(self, **kwargs: object) -> None:
        super().__init__()
        self.kwargs = kwargs

    def compose(self):  # noqa: ANN201
        yield RadioLog(**self.kwargs)  # type: ignore[arg-type]


async def test_the_log_is_bounded() -> None:
    app = LogApp(max_entries=5, tag_width=6)
    async with app.run_test(size=(40, 10)) as pilot:
        log = app.query_one(RadioLog)
        for n in range(12):
            log.say(Content("HQ"), Content(f"line {n}"))
        await pilot.pause()
        assert log.plain_lines == [f"HQ line {n}" for n in range(7, 12)]
        assert log.virtual_size.height == 5


async def test_the_log_rewraps_when_its_width_changes() -> None:
    app = LogApp(tag_width=6)
    async with app.run_test(size=(40, 10)) as pilot:
        log = app.query_one(RadioLog)
        log.say(Content("HQ"), Content("word " * 12))
        await pilot.pause()
        narrow = log.virtual_size.height
        assert narrow > 1
        await pilot.resize_terminal(120, 10)
        await wait_for(pilot, lambda: log.virtual_size.height < narrow, "a rewrap")
        assert log.virtual_size.height == 1
        first = log.render_line(0).text
        assert first.startswith("HQ    word word")


async def test_the_typewriter_reveals_a_line_a_little_at_a_time() -> None:
    app = LogApp(tag_width=6, chars_per_second=40, line_gap=0.05)
    async with app.run_test(size=(60, 10)) as pilot:
        log = app.query_one(RadioLog)
        log.say(Content("HQ"), Content("a line long enough to be typed out slowly"))
        log.say(Content("HQ"), Content("second"))
        await wait_for(pilot, lambda: log._typing is not None and log._typing.shown > 2, "typing")
        partial = log._typing.shown
        assert partial < len(log._typing.body)
        assert log.plain_lines == []
        await wait_for(pilot, lambda: not log.busy, "both lines", timeout=10)
        assert log.plain_lines == ["HQ a line long enough to be typed out slowly", "HQ second"]


def test_the_scrollback_holds_a_whole_session() -> None:
    """The radio log's cap is above the most entries any played game writes to it (each scene's
    lines, its divider, and the echoed order), so a session's start never scrolls away."""
    import inspect
    import random

    from game.engine.loader import load_story
    from game.engine.runtime import Engine
    from game.paths import scenes_dir
    from game.tui.widgets.radio_log import RadioLog

    cap = inspect.signature(RadioLog.__init__).parameters["max_entries"].default
    story = load_story(scenes_dir())
    longest = 0
    for seed in range(60):
        engine, chooser, entries = Engine.new(story, seed), random.Random(seed), 0
        while True:
            entries += len(engine.radio()) + 2
            if engine.ending is not None:
                break
            engine.choose(chooser.choice([v.index for v in engine.orders() if v.enabled]))
        longest = max(longest, entries)
    # Random play wanders; undo and loading add more. Keep a wide margin over what we saw.
    assert longest * 3 < cap, (longest, cap)
