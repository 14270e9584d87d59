"""Shared fixtures: the small fixture story, and a helper that writes broken stories."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini"


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
