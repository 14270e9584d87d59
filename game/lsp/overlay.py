"""The story as the editor sees it: the open buffers laid over the files on disk.

The loader and the validator read a folder, and they stay the one source of truth: so the
overlay is a folder, a shadow of the story's, in which each open buffer is a file holding the
buffer's text and every other file a symbolic link to the file on disk (the loader follows
links and reads each through its bounded reader). Diagnostics found there are mapped back to
the real files. Buffer files are replaced atomically, so a check that runs while one changes
reads the old text or the new, never half of each.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from game.engine.files import story_files


class Overlay:
    """The shadow folder of one story (`root`): `sync` makes it match disk and the buffers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.shadow = Path(tempfile.mkdtemp(prefix="handler-one-lsp-")).resolve()

    def shadow_of(self, path: Path) -> Path:
        """Where a real file of the story sits in the shadow folder."""
        return self.shadow / path.relative_to(self.root)

    def real_of(self, shadow_path: Path) -> Path | None:
        """The real file a shadow path stands for, or None if it is not in the shadow."""
        try:
            return self.root / Path(os.path.abspath(shadow_path)).relative_to(self.shadow)
        except ValueError:
            return None

    def files(self, buffers: dict[Path, str]) -> list[Path]:
        """The story's files as the editor sees them: on disk, and open buffers not yet saved."""
        on_disk = set(story_files(self.root)) if self.root.is_dir() else set()
        return sorted(on_disk | {p for p in buffers if p.suffix in (".yaml", ".yml")})

    def sync(self, buffers: dict[Path, str]) -> list[Path]:
        """Make the shadow folder match `buffers` (a snapshot of the open ones) over disk: a
        link for each file on disk, the text of each buffer, nothing else. Returns the story's
        real files."""
        files = self.files(buffers)
        wanted = {self.shadow_of(p) for p in files}
        for folder, _dirs, names in os.walk(self.shadow):
            for name in names:
                candidate = Path(folder) / name
                if candidate not in wanted and candidate != self.shadow / "maps":
                    with contextlib.suppress(OSError):
                        candidate.unlink()
        for path in files:
            if path in buffers:
                self._write(self.shadow_of(path), buffers[path])
            else:
                self._link(path)
        maps = self.shadow / "maps"
        if (self.root / "maps").is_dir() and not maps.is_symlink():
            with contextlib.suppress(OSError):
                maps.symlink_to(self.root / "maps", target_is_directory=True)
        return files

    def close(self) -> None:
        """Remove the shadow folder."""
        shutil.rmtree(self.shadow, ignore_errors=True)

    def _link(self, path: Path) -> None:
        target = self.shadow_of(path)
        if target.is_symlink() and os.readlink(target) == str(path):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.link")
        with contextlib.suppress(OSError):
            temporary.unlink()
        temporary.symlink_to(path)
        os.replace(temporary, target)

    @staticmethod
    def _write(target: Path, text: str) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
