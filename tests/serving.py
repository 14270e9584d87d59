"""Helpers for the `handler-one serve` tests: a server in a subprocess, its processes and their
memory, and what a browser session's terminal received, as text."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

START_DEADLINE = 60.0
STOP_DEADLINE = 30.0
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>78]|\x1b\][^\x07]*\x07")


def screen_text(chunks: list[str]) -> str:
    """The text a terminal was sent, escape sequences removed (enough to find words in)."""
    return ANSI.sub("", "".join(chunks))


def wait_until(check: Callable[[], object], deadline: float, what: str) -> object:
    """Poll `check` until it returns something truthy, or fail naming `what`."""
    end = time.monotonic() + deadline
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline:.0f} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Served:
    """A running `handler-one serve`."""

    process: subprocess.Popen[str]
    url: str
    root: Path
    output: list[str] = field(default_factory=list)

    def players(self) -> list[Path]:
        """The player folders the server has made."""
        return sorted(p for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() else []


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields follow the last ')'.
        fields = stat.rsplit(")", 1)[-1].split()
        if fields and fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(kids)
        frontier.extend(kids)
    return found


def rss_kib(pid: int) -> int:
    """A process's resident memory (VmRSS), in KiB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@contextmanager
def serve(root: Path, *args: str) -> Iterator[Served]:
    """Start `handler-one serve --port 0` with its players under `root`; stop it with SIGTERM
    afterwards and check that it stopped, leaving no game process behind."""
    process = subprocess.Popen(
        [sys.executable, "-m", "game", "serve", "--port", "0", "--save-root", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TEXTUAL_ANIMATIONS": "none"},
    )
    output: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        url = wait_until(
            lambda: (
                next(
                    (m.group(0) for line in output if (m := re.search(r"http://\S+/", line))), None
                )
                or (process.poll() is not None and "exited")
            ),
            START_DEADLINE,
            "the server's start message",
        )
        assert url != "exited", "".join(output)
        served = Served(process, str(url), root, output)
        yield served
    finally:
        games = children(process.pid)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError("the server did not stop on SIGTERM") from None
        reader.join(5)
        left = [pid for pid in games if Path(f"/proc/{pid}").exists() and rss_kib(pid)]
        assert not left, f"game processes left behind: {left}"
