"""The save folder itself goes wrong mid-game: it disappears, or something else takes its place."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest

from game.engine.loader import load_story
from game.engine.runtime import Engine
from game.engine.saves import SaveError, SaveStore
from game.plain import LineMode
from game.session import SaveAccess, Session
from tests.conftest import MINI


@pytest.fixture
def story():
    return load_story(MINI)


def _engine(story, orders: int = 2) -> Engine:
    engine = Engine.new(story, 5)
    for _ in range(orders):
        engine.choose_number(1)
    return engine


def test_a_save_folder_that_disappears_is_made_again(story, tmp_path: Path) -> None:
    folder = tmp_path / "saves"
    store = SaveStore(folder)
    store.save("first", _engine(story, 1))
    shutil.rmtree(folder)
    assert store.list() == []
    with pytest.raises(SaveError) as missing:
        store.load("first", story)
    assert "\n" not in str(missing.value) and "first" in str(missing.value)
    engine = _engine(story, 2)
    store.save("second", engine)
    loaded = store.load("second", story)
    assert loaded.engine.state.to_dict() == engine.state.to_dict()


def test_a_file_where_the_folder_was_is_a_one_line_error_and_the_game_goes_on(
    story, tmp_path: Path
) -> None:
    folder = tmp_path / "saves"
    store = SaveStore(folder)
    store.save("first", _engine(story, 1))
    shutil.rmtree(folder)
    folder.write_text("not a folder")
    with pytest.raises(SaveError) as blocked:
        store.save("second", _engine(story, 2))
    assert "\n" not in str(blocked.value)
    assert folder.read_text() == "not a folder"  # nothing was overwritten


def test_line_mode_keeps_playing_when_the_folder_vanishes_between_autosaves(
    story, tmp_path: Path
) -> None:
    folder = tmp_path / "saves"
    out = StringIO()
    session = Session(story, SaveAccess(SaveStore(folder)))
    session.begin(Engine.new(story, 5))
    mode = LineMode(session, out=out)
    assert mode.handle("1")
    shutil.rmtree(folder)
    assert mode.handle("1")  # the next scene's autosave makes the folder again
    assert mode.handle("save later")
    assert (folder / "later.json").is_file()
    assert "Traceback" not in out.getvalue()
