"""The compiled-story cache: hits, misses on edits, and damage that is ignored, never trusted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from game.engine import cache, loader
from game.engine.diagnostics import StoryError
from game.engine.runtime import Engine


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def _play(story, seed: int = 3) -> tuple[dict, list[str]]:
    engine = Engine.new(story, seed)
    for word in ("name", "push", "push", "push"):
        engine.choose_text(word)
    return engine.state.to_dict(), [line.text for line in engine.radio()]


def test_a_warm_load_is_a_hit_and_plays_the_same(
    mini_copy: Path, tmp_path: Path, monkeypatch
) -> None:
    folder = tmp_path / "cache"
    cold = cache.load_story_cached(mini_copy, folder)
    assert len(_files(folder)) == 1

    def no_yaml(*args, **kwargs):
        raise AssertionError("a warm load must not read the YAML")

    monkeypatch.setattr(loader, "load_story", no_yaml)
    warm = cache.load_story_cached(mini_copy, folder)
    assert isinstance(warm.scenes, cache.LazyScenes)
    assert warm.states() == cold.states()
    assert warm.content_hash == cold.content_hash
    assert _play(warm) == _play(cold)


def test_a_warm_load_imports_neither_the_loader_nor_yaml(mini_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    cache.load_story_cached(mini_copy, folder)
    code = (
        "import sys; from pathlib import Path; from game.engine import cache; "
        f"cache.load_story_cached({str(mini_copy)!r}, Path({str(folder)!r})); "
        "print(sorted(m for m in ('game.engine.loader', 'yaml') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_editing_a_scene_file_misses(mini_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    cache.load_story_cached(mini_copy, folder)
    scenes = mini_copy / "ch1.yaml"
    scenes.write_text(scenes.read_text().replace("Wind on the link.", "Rain on the link."))
    story = cache.load_story_cached(mini_copy, folder)
    assert story.scenes["first_contact"].radio[1].text == "Rain on the link."
    assert len(_files(folder)) == 2


def test_an_edit_that_breaks_the_story_still_reports_errors(
    mini_copy: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "cache"
    cache.load_story_cached(mini_copy, folder)
    scenes = mini_copy / "ch1.yaml"
    scenes.write_text(scenes.read_text().replace("goto: fight\n", "goto: figth\n", 1))
    with pytest.raises(StoryError):
        cache.load_story_cached(mini_copy, folder)


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],
        lambda b: b"",
        lambda b: b"\x00" * 40,
        lambda b: b.replace(b'"$Scene"', b'"$Nope"'),
        lambda b: b.replace(b"first_contact", b"first_contakt"),
        lambda b: b.replace(b'"$x","', b'"$x","__import__(', 1),
        lambda b: b'{"cache_format":2}\n',
    ],
)
def test_a_corrupt_cache_is_ignored_and_rebuilt(mini_copy: Path, tmp_path: Path, damage) -> None:
    folder = tmp_path / "cache"
    good = cache.load_story_cached(mini_copy, folder)
    [path] = _files(folder)
    path.write_bytes(damage(path.read_bytes()))
    story = cache.load_story_cached(mini_copy, folder)
    assert _play(story) == _play(good)
    assert "first_contact" in story.scenes
    # ...and the rebuilt cache is whole again.
    assert (
        cache.load_story_cached(mini_copy, folder).scenes["first_contact"].title == "First Contact"
    )


def test_an_unwritable_cache_folder_is_not_an_error(mini_copy: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    assert cache.load_story_cached(mini_copy, blocked / "cache").id == "mini"


def test_play_uses_the_cache_unless_told_not_to(mini_copy: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {"HANDLER_ONE_CACHE_DIR": str(tmp_path / "c"), "PATH": "/usr/bin:/bin"}
    args = [sys.executable, "-m", "game", "play", "--plain", "--seed", "1", str(mini_copy)]
    subprocess.run(
        [*args, "--no-cache"], input="", capture_output=True, text=True, env=env, check=True
    )
    assert not (tmp_path / "c").exists()
    out = subprocess.run(args, input="", capture_output=True, text=True, env=env, check=True)
    assert len(_files(tmp_path / "c")) == 1
    assert out.stdout.startswith("Chapter 1 begins: ")
