"""Blessed transcripts: a game played in line mode, kept as the text a player saw, and checked
again on every run (as Inform authors regression-test their stories).

A transcript file (`NAME.transcript`, in the story's `transcripts/` folder) is plain text:

    # Handler One transcript (handler-one test --bless rewrites what follows the header)
    # seed: 8
    # warp: ch2_open          (optional)
    # set: trust=3            (optional, one line each)
    # note: reaches end_recalled   (optional)
    Chapter 1, ...: First Contact.
    ...
    > 1
    ...

Below the header is the line-mode output of that game, with each line typed written after its
prompt (`> 1`): the lines typed are read back from there, so a transcript can be written by
hand (the header and the `> ` lines) and blessed to fill in the rest. Checking replays the
typed lines on a new game with that seed and compares the whole output; blessing writes the new
output in place. Nothing is saved to disk while a transcript runs.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from game.engine.conditions import Value
from game.engine.model import Story

SUFFIX = ".transcript"
FOLDER = "transcripts"
HEADER = "# Handler One transcript (handler-one test --bless rewrites what follows the header)"
MAX_BYTES = 4 * 1024 * 1024
_PROMPT = re.compile(r"^>(?: (.*))?$")
_FIELD = re.compile(r"^# (seed|warp|set|note): ?(.*)$")


@dataclass
class Blessed:
    """One transcript file: the game's seed, start and presets, the lines typed, and the output
    expected (everything below the header)."""

    path: Path
    seed: int
    typed: list[str]
    expected: str
    warp: str | None = None
    sets: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def header(self) -> str:
        """The header lines, as written."""
        lines = [HEADER, f"# seed: {self.seed}"]
        if self.warp:
            lines.append(f"# warp: {self.warp}")
        lines += [f"# set: {k}={v}" for k, v in self.sets.items()]
        if self.note:
            lines.append(f"# note: {self.note}")
        return "\n".join(lines) + "\n"


def read(path: Path) -> Blessed:
    """Read a transcript file; `ValueError` names what is wrong with it."""
    if not path.is_file():
        raise ValueError(f"{path}: not a file")
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"{path}: larger than {MAX_BYTES // 1024 // 1024} MB")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    seed: int | None = None
    warp: str | None = None
    sets: dict[str, str] = {}
    note = ""
    body_start = 0
    for n, line in enumerate(lines):
        if not line.startswith("#"):
            body_start = n
            break
        found = _FIELD.match(line)
        if found is None:
            continue
        key, value = found.group(1), found.group(2).strip()
        if key == "seed":
            if not value.isdigit() or len(value) > 18:
                raise ValueError(f"{path}:{n + 1}: the seed must be a whole number, not '{value}'")
            seed = int(value)
        elif key == "warp":
            warp = value or None
        elif key == "set":
            name, sep, val = value.partition("=")
            if not sep or not name.strip():
                raise ValueError(f"{path}:{n + 1}: write a preset as '# set: NAME=VALUE'")
            sets[name.strip()] = val.strip()
        else:
            note = value
    else:
        body_start = len(lines)
    if seed is None:
        raise ValueError(f"{path}: no '# seed: N' line in the header")
    body = lines[body_start:]
    typed = [m.group(1) or "" for m in map(_PROMPT.match, body) if m is not None]
    # the last prompt of a game that did not end is where the input ran out, not a line typed
    filled = [line for line in body if line.strip()]
    if typed and typed[-1] == "" and filled and _PROMPT.match(filled[-1]):
        typed.pop()
    expected = "\n".join(body) + ("\n" if body else "")
    return Blessed(path, seed, typed, expected, warp, sets, note)


class _Typed(io.TextIOBase):
    """The lines typed, read one by one by line mode and written after its prompt as read."""

    def __init__(self, lines: Iterable[str], out: io.StringIO) -> None:
        self._lines = list(lines)
        self._out = out

    def readline(self, size: int | None = -1) -> str:  # noqa: ARG002 - TextIO's signature
        if not self._lines:
            return ""
        line = self._lines.pop(0)
        self._out.write(line + "\n")
        return line + "\n"


def play(
    story: Story,
    seed: int,
    typed: Iterable[str],
    *,
    warp: str | None = None,
    sets: Mapping[str, Value] | None = None,
) -> str:
    """The line-mode output of a new game with `seed`, given the lines `typed`, each written
    after its prompt; `ValueError` if the game cannot start (an unknown warp)."""
    from game.plain import LineMode
    from game.session import Session

    out = io.StringIO()
    session = Session(story, seed=seed, warp=warp, sets=sets)
    session.new_game(autosave=False)
    mode = LineMode(session, out=out)
    mode.run(_Typed(typed, out))
    return out.getvalue()


def check(story: Story, blessed: Blessed, sets: Mapping[str, Value]) -> str:
    """The output the transcript gives now."""
    return play(story, blessed.seed, blessed.typed, warp=blessed.warp, sets=sets)


def diff(blessed: Blessed, got: str) -> list[str]:
    """A unified diff of the expected output against `got` (empty when they agree)."""
    name = str(blessed.path)
    return list(
        difflib.unified_diff(
            blessed.expected.splitlines(keepends=True),
            got.splitlines(keepends=True),
            fromfile=f"{name} (blessed)",
            tofile=f"{name} (now)",
        )
    )


def bless(blessed: Blessed, got: str) -> None:
    """Write `got` as the transcript's expected output (atomically)."""
    import os
    import tempfile

    text = blessed.header() + got
    folder = blessed.path.parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".", suffix=SUFFIX)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, blessed.path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def typed_for(story: Story, seed: int, log: Iterable[tuple[str, int]]) -> list[str]:
    """The order numbers a player types to give the orders of `log` (machine state, order
    index) in a game with `seed`: what a transcript of a witness types."""
    from game.engine.runtime import Engine

    engine = Engine.new(story, seed)
    typed: list[str] = []
    for state, index in log:
        if engine.state.scene != state:
            break
        view = next((v for v in engine.orders() if v.index == index and v.enabled), None)
        if view is None:
            break
        typed.append(str(view.number))
        engine.choose(index)
    return typed


def transcripts_in(root: Path) -> list[Path]:
    """The transcript files of a story folder (`root/transcripts/*.transcript`), by name."""
    folder = root / FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"*{SUFFIX}") if not p.name.startswith("."))
