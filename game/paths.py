"""Where the game's data lives: packaged inside the wheel, or beside the code in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def _data(name: str) -> Path:
    packaged = _PACKAGE / "_data" / name
    return packaged if packaged.is_dir() else _CHECKOUT / name


def scenes_dir() -> Path:
    """The shipped story: the folder holding story.yaml."""
    return _data("scenes")


def assets_dir() -> Path:
    """Title art, sector maps and the theme."""
    return _data("assets")


def seeds_dir() -> Path:
    """The premise fact sheet the glossary reads."""
    return _data("seeds")
