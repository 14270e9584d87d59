"""The wheel carries scenes, assets and seeds, and runs from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Build with the hatchling already installed: no network, no isolated build env.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("handler_one-*.whl")
    return built


def test_wheel_carries_the_data_and_the_command(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "game/_data/scenes/story.yaml" in names
    assert "game/_data/scenes/README.md" in names
    assert any(n.startswith("game/_data/assets/") for n in names)
    assert any(n.startswith("game/_data/seeds/") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "handler-one = game.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_validates_from_any_directory(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Dependencies come from this environment; the game itself only from the installed wheel.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]]),
    }
    result = subprocess.run(
        [sys.executable, "-I" if False else "-s", "-m", "game", "validate"],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        str(target)
        in subprocess.run(
            [sys.executable, "-c", "import game, sys; print(game.__file__)"],
            cwd="/",
            env=env,
            capture_output=True,
            text=True,
        ).stdout
    )
