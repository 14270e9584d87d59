"""Which files make a story: its scene files and the folders its maps come from.

Kept apart from the loader so that a story read from the compiled cache (which hashes these
files to know whether it is stale) needs neither the loader nor the YAML parser.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_FILES = 5000
"""More YAML files than this under one story folder is an error (E002), not a story."""

MAX_MAP_BYTES = 64 * 1024
"""A map file larger than this is refused (E036): a sector map is a screenful of text."""


def story_files(root: Path) -> list[Path]:
    """The scene files under `root`, in load order: a folder's own files by name, then each
    subfolder in name order. Folders starting with '.' or '_' are skipped. Stops once it has
    found more than `MAX_FILES`."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        # A folder named like a scene file is almost certainly a mistake: report it as a file.
        misnamed = [d for d in dirs if d.endswith((".yaml", ".yml"))]
        dirs[:] = [d for d in dirs if d not in misnamed]
        for name in sorted([*files, *misnamed]):
            if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                found.append(Path(folder) / name)
                if len(found) > MAX_FILES:
                    return found
    return found


def default_map_dirs(root: Path) -> tuple[Path, ...]:
    """Where maps are looked for: the story's own `maps/`, then the game's assets."""
    from game.paths import assets_dir

    return (root / "maps", assets_dir() / "maps")
