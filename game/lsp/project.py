"""One story in the editor: its overlay, its index and what the loader and validator say of it.

`Project.check` runs the real loader (`check_story`) on the overlay, so the whole story is in
view: a change in one file updates the diagnostics of every other. It also re-indexes the files
that changed since the last check, reading each through the loader's bounded reader first; a
file the loader could not read (E001) keeps its last index. The whole validator (reachability,
dead ends and the rest, seconds of work on a large story) runs as `handler-one validate --json`
on the same overlay, in a process of its own (`validate_command`, `findings_of`): it then takes
no time from the checks of the next keystrokes, and is stopped when they make it stale.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from game.engine.diagnostics import Diagnostic, Mark, display_path
from game.engine.loader import MANIFEST
from game.lsp.index import FileIndex, StoryIndex, index_text
from game.lsp.overlay import Overlay


@dataclass(frozen=True, slots=True)
class Finding:
    """A diagnostic placed in a real file: 0-based line and column, as editors count."""

    path: Path
    line: int
    column: int
    severity: str
    code: str
    message: str


@dataclass
class Checked:
    """What one check found: the findings of every file of the story (an empty list for a
    file with none), and the files whose index changed or went away."""

    findings: dict[Path, list[Finding]]
    indexed: list[FileIndex] = field(default_factory=list)
    dropped: list[Path] = field(default_factory=list)
    loaded: bool = False


def find_root(path: Path) -> Path | None:
    """The story folder a file belongs to: the nearest folder above it holding story.yaml."""
    for folder in path.parents:
        if (folder / MANIFEST).is_file():
            return folder
    return None


class Project:
    """One story folder being edited."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.overlay = Overlay(root)
        self.index = StoryIndex()
        # Worker-side: what each file's index was built from (disk stamp or buffer text).
        self._stamps: dict[Path, object] = {}
        self.files: list[Path] = []

    def check(self, buffers: dict[Path, str]) -> Checked:
        """Check the story with `buffers` (a snapshot of the open buffers) laid over disk: the
        loader's diagnostics; and re-index what changed."""
        from game.engine.loader import check_story

        files = self.overlay.sync(buffers)
        story, diagnostics = check_story(self.overlay.shadow)
        loaded = story is not None
        self.files = files
        findings: dict[Path, list[Finding]] = {path: [] for path in files}
        unread: set[Path] = set()
        for diagnostic in diagnostics:
            finding = self._place(diagnostic)
            findings.setdefault(finding.path, []).append(finding)
            if diagnostic.code in ("E001", "E002"):
                unread.add(finding.path)
        checked = Checked(findings, loaded=loaded)
        if any(d.code == "E002" for d in diagnostics):
            return checked
        for path in files:
            if path not in unread:
                fresh = self._reindex(path, buffers.get(path))
                if fresh is not None:
                    checked.indexed.append(fresh)
        for path in set(self._stamps) - set(files):
            del self._stamps[path]
            checked.dropped.append(path)
        return checked

    def validate_command(self) -> list[str]:
        """The command that runs every check of `handler-one validate` on the overlay as it was
        last checked, printing JSON (run it with the overlay's folder as working directory)."""
        return [sys.executable, "-m", "game", "validate", "--json", str(self.overlay.shadow)]

    def findings_of(self, report: str) -> dict[Path, list[Finding]] | None:
        """`validate --json`'s report as findings for every file, or None if it is not one."""
        try:
            items = json.loads(report)
            diagnostics = [
                Diagnostic(
                    Mark(
                        os.path.join(self.overlay.shadow, item["path"]),
                        int(item["line"]),
                        int(item["column"]),
                    ),
                    item["severity"],
                    str(item["code"]),
                    str(item["message"]),
                )
                for item in items
            ]
        except (ValueError, TypeError, KeyError):
            return None
        findings: dict[Path, list[Finding]] = {path: [] for path in self.files}
        for diagnostic in diagnostics:
            finding = self._place(diagnostic)
            findings.setdefault(finding.path, []).append(finding)
        return findings

    def _reindex(self, path: Path, buffer: str | None) -> FileIndex | None:
        """A new index of one file if it changed since it was last indexed, else None."""
        from game.engine.regular import read_regular
        from game.engine.yamlsafe import MAX_FILE_BYTES

        if buffer is not None:
            stamp: object = ("buffer", buffer)
        else:
            try:
                info = os.stat(path)
            except OSError:
                return None
            stamp = ("disk", info.st_mtime_ns, info.st_size)
        if self._stamps.get(path) == stamp:
            return None
        try:
            text = buffer if buffer is not None else read_regular(path, MAX_FILE_BYTES).decode()
            fresh = index_text(path, text, manifest=path == self.root / MANIFEST)
        except Exception:  # noqa: BLE001 - the loader has said what is wrong with the file
            return None
        self._stamps[path] = stamp
        return fresh

    def apply(self, checked: Checked) -> None:
        """Take a check's new indexes (on the thread that answers requests)."""
        for fresh in checked.indexed:
            self.index.put(fresh)
        for path in checked.dropped:
            self.index.drop(path)

    def _place(self, diagnostic: Diagnostic) -> Finding:
        mark = diagnostic.mark
        real = self.overlay.real_of(Path(mark.path))
        if real is None:
            real, line, column = self.root / MANIFEST, 0, 0
        else:
            line, column = max(mark.line - 1, 0), max(mark.column - 1, 0)
        message = diagnostic.message
        shadow = str(self.overlay.shadow)
        for form in {shadow, display_path(self.overlay.shadow)}:
            message = message.replace(form, display_path(self.root))
        return Finding(real, line, column, diagnostic.severity, diagnostic.code, message)

    def close(self) -> None:
        """Remove the overlay's folder."""
        self.overlay.close()
