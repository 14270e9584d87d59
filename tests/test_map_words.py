"""The sector map in words (issue 14, "the map plays"): line mode's `map` command and the line
after a round whose markers moved; the console's map draws the same markers round by round."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from game.engine.loader import load_story
from game.engine.mapwords import describe, moves, offset, region
from game.engine.model import MARKER_KINDS, Marker
from game.engine.runtime import Engine
from game.plain import LineMode
from game.session import Session, open_saves

TUI_STORY = Path(__file__).resolve().parent / "fixtures" / "tui_story"

markers = st.builds(
    Marker,
    st.integers(0, 40),
    st.integers(0, 20),
    st.sampled_from(MARKER_KINDS),
    st.sampled_from(["", "Spearhead", "far bank", "Mast 9-East"]),
)


def test_offsets_and_regions_in_words() -> None:
    assert offset(3, -1) == "3 east and 1 north"
    assert offset(-2, 0) == "2 west" and offset(0, 4) == "4 south" and offset(0, 0) == "here"
    size = (28, 8)
    assert region(Marker(0, 0, "squad"), size) == "the north-west"
    assert region(Marker(14, 4, "squad"), size) == "the centre"
    assert region(Marker(27, 4, "squad"), size) == "the east"


def test_positions_are_told_from_the_squad() -> None:
    shown = [
        Marker(22, 1, "legion"),
        Marker(9, 5, "squad", "Spearhead"),
        Marker(13, 3, "objective", "ford"),
        Marker(9, 5, "hazard"),
    ]
    assert describe(shown, (28, 8)) == [
        "Spearhead, squad: in the west of the map.",
        "Legion: 13 east and 4 north of Spearhead.",
        "Ford, objective: 4 east and 2 north of Spearhead.",
        "Hazard: with Spearhead.",
    ]
    assert describe([], (28, 8)) == ["Nothing is marked on the map."]


@given(st.lists(markers, max_size=6))
def test_nothing_moved_says_nothing_and_every_marker_is_told(shown: list[Marker]) -> None:
    assert moves(shown, shown) == []
    told = describe(shown, (28, 8))
    assert len(told) == max(1, len(shown))
    assert all(sentence[:1].isupper() and sentence.endswith(".") for sentence in told)


@given(st.lists(markers, min_size=1, max_size=6), st.data())
def test_a_marker_that_moved_is_said_to_move_by_its_step(shown: list[Marker], data) -> None:  # noqa: ANN001
    n = data.draw(st.integers(0, len(shown) - 1))
    dx, dy = data.draw(st.tuples(st.integers(-5, 5), st.integers(-5, 5)))
    if (dx, dy) == (0, 0):
        dx = 1
    marker = shown[n]
    after = list(shown)
    after[n] = Marker(marker.column + dx, marker.row + dy, marker.kind, marker.label)
    said = moves(shown, after)
    # Markers of one kind and label are matched in order: the one moved, or its twin.
    assert len(said) in (1, 2)
    assert any(offset(dx, dy) in sentence for sentence in said)


@given(st.lists(markers, max_size=4), st.lists(markers, max_size=4))
def test_marks_that_come_and_go_are_said(before: list[Marker], after: list[Marker]) -> None:
    said = moves(before, after)
    key = sorted((m.kind, m.label) for m in before) == sorted((m.kind, m.label) for m in after)
    assert key or said
    assert all("[" not in s and "\x1b" not in s for s in said)


def _mode(tmp_path: Path) -> tuple[LineMode, io.StringIO]:
    story = load_story(TUI_STORY)
    session = Session(story, open_saves(str(tmp_path / "saves")), seed=1)
    session.new_game(autosave=False)
    out = io.StringIO()
    return LineMode(session, out), out


def test_line_mode_says_what_moved_after_a_round_and_reads_the_map(tmp_path: Path) -> None:
    mode, out = _mode(tmp_path)
    for typed in ("1", "1"):  # into the fight, then its second round: the squad moves
        mode.handle(typed)
    lines = out.getvalue().splitlines()
    assert lines[-3].startswith("On the map: The squad moves 3 east and 1 south.")
    assert "heavies, Legion" in lines[-3]
    out.seek(0), out.truncate()
    mode.handle("map")
    assert out.getvalue().splitlines() == [
        "Map of sector 9.",
        "  Squad: in the centre of the map.",
        "  Legion: 4 east and 1 north of the squad.",
        "  Heavies, Legion: 5 east and 2 north of the squad.",
    ]


def test_entering_a_scene_says_no_moves(tmp_path: Path) -> None:
    mode, out = _mode(tmp_path)
    mode.handle("1")  # first contact to the fight: another scene, nothing "moved"
    assert "On the map" not in out.getvalue()


def test_the_engine_gives_each_round_its_markers() -> None:
    story = load_story(TUI_STORY)
    engine = Engine.new(story, 1)
    engine.choose_number(1)
    first = engine.markers()
    engine.choose_number(1)
    second = engine.markers()
    engine.choose_number(1)
    third = engine.markers()
    assert first == story.scenes["fight"].markers
    assert (second[0].column, second[0].row) == (8, 3)
    assert (third[0].column, third[0].row) == (2, 4) and len(third) == 2
