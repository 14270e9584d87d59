"""Shared fixtures: the small fixture story, and a helper that writes broken stories."""

from __future__ import annotations

import shutil
import textwrap
from functools import cache
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini"


@cache
def mini():  # noqa: ANN201 - a Story; the engine is imported only when a test asks for one
    """The fixture story, loaded once per test run (stories are immutable)."""
    from game.engine.loader import load_story

    return load_story(MINI)


@cache
def shipped():  # noqa: ANN201 - a Story
    """The shipped story, loaded once per test run."""
    from game.engine.loader import load_story
    from game.paths import scenes_dir

    return load_story(scenes_dir())


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture story."""
    target = tmp_path / "story"
    shutil.copytree(MINI, target)
    return target


def write(path: Path, text: str) -> Path:
    """Write dedented YAML, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(autouse=True, scope="session")
def _saves_stay_out_of_the_home_folder(tmp_path_factory: pytest.TempPathFactory):
    """Games started by tests (autosaves included) save in a temporary folder, never in the
    user's data folder: `HANDLER_ONE_SAVE_DIR` is inherited by every `handler-one` subprocess."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HANDLER_ONE_SAVE_DIR", str(tmp_path_factory.mktemp("saves")))
        yield
