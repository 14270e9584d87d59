"""Chapter title cards in line mode (issue 14): one plain line when a chapter begins, a new
game's first and each order's that crosses into a new chapter; never on look, undo or a load."""

from __future__ import annotations

import io
from pathlib import Path

from game.engine.loader import load_story
from game.engine.model import Chapter
from game.plain import LineMode, chapter_card
from game.session import Session, open_saves

CHAPTERS = Path(__file__).resolve().parent / "fixtures" / "tui_chapters"


def _mode(tmp_path: Path) -> tuple[LineMode, io.StringIO]:
    session = Session(load_story(CHAPTERS), open_saves(str(tmp_path / "saves")), seed=1)
    session.new_game(autosave=False)
    out = io.StringIO()
    return LineMode(session, out), out


def _typed(mode: LineMode, out: io.StringIO, text: str) -> list[str]:
    out.seek(0), out.truncate()
    mode.handle(text)
    return out.getvalue().splitlines()


def test_the_card_is_a_plain_sentence() -> None:
    assert chapter_card(Chapter(2, "Replacement Cores")) == "Chapter 2 begins: Replacement Cores."
    assert chapter_card(Chapter(3, "Chapter 3")) == "Chapter 3 begins."
    assert chapter_card(Chapter(4, "What now?")) == "Chapter 4 begins: What now?"


def test_a_new_game_and_an_order_into_a_new_chapter_show_the_card(tmp_path: Path) -> None:
    mode, out = _mode(tmp_path)
    mode.run(io.StringIO(""))
    assert out.getvalue().splitlines()[:3] == [
        "Chapter 1 begins: Supervise and Log.",
        "",
        "Chapter 1, Supervise and Log: Posting.",
    ]
    # HQ's declared voices are read under their own names; Lena's own lines as "You".
    for said in (
        "Bulletin: Citizens of the eighty-five sectors: no losses this week.",
        "Notice: Assignment: Handler One. Effective at once.",
        "Vasseur: Major. Sit down.",
        "Duty officer: Handler One, the link is yours.",
        "You: Handler One, on the link.",
    ):
        assert said in out.getvalue().splitlines()
    for order in ("1", "1", "1", "1"):  # the ford's three rounds, into the desk: chapter 1
        assert not any("begins" in line for line in _typed(mode, out, order))
    crossed = _typed(mode, out, "go home")
    card = crossed.index("Chapter 2 begins: Replacement Cores.")
    assert crossed[card - 1 : card + 3] == [
        "",
        "Chapter 2 begins: Replacement Cores.",
        "",
        "Chapter 2, Replacement Cores: Arrivals.",
    ]
    assert crossed[0] == "You: Go home."  # the order and what it brought come first
    # Hearing the scene again, or coming back to it, is no new chapter.
    assert not any("begins" in line for line in _typed(mode, out, "look"))
    _typed(mode, out, "quicksave")
    assert not any("begins" in line for line in _typed(mode, out, "quickload"))
    _typed(mode, out, "undo")
    assert not any("begins" in line for line in _typed(mode, out, "undo"))


def test_the_replacement_joins_the_roster_with_her_chapter(tmp_path: Path) -> None:
    mode, out = _mode(tmp_path)
    assert "Thimble" not in "\n".join(_typed(mode, out, "squad"))
    for order in ("1", "1", "1", "1", "1"):
        _typed(mode, out, order)
    squad = _typed(mode, out, "squad")
    assert len(squad) == 15 and squad[-1] == "  Thimble, name not known, active."
