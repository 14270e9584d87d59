"""inkjs (the JavaScript runtime of inkle's ink, from npm) as a peer for `make bench`.

`make bench` and `make test` install the version pinned by tests/perf/inkjs/package-lock.json
into `.cache/inkjs` (or `$HANDLER_ONE_INKJS`) with npm; `InkPlayer` runs
tests/perf/inkjs/play.mjs there on an ink file (tests/perf/ink_translation.py writes the
generated story as one): compiled once, then games played on command.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
INK_DIR = Path(__file__).resolve().parent / "inkjs"
RUNNER = INK_DIR / "play.mjs"
PREFIX = Path(os.environ.get("HANDLER_ONE_INKJS", ROOT / ".cache" / "inkjs"))
# A full-size compile takes seconds and 10 full-size games about 15 s here; these only
# catch a runner that hangs.
COMPILE_TIMEOUT = 300.0
COMMAND_TIMEOUT = 1800.0


def pinned_version() -> str:
    """The inkjs version tests/perf/inkjs/package.json pins."""
    package = json.loads((INK_DIR / "package.json").read_text(encoding="utf-8"))
    return str(package["dependencies"]["inkjs"])


def unavailable(prefix: Path = PREFIX) -> str | None:
    """Why inkjs cannot be run here (None when it can)."""
    if shutil.which("node") is None:
        return "node is not installed (make test and make bench install inkjs with npm when node is there)"
    installed = prefix / "node_modules" / "inkjs" / "package.json"
    if not installed.is_file():
        return (
            f"inkjs is not installed in {prefix} (make test and make bench install it with npm: "
            "is npm there, and the npm registry reachable?)"
        )
    version = json.loads(installed.read_text(encoding="utf-8")).get("version")
    if version != pinned_version():
        return f"inkjs {version} is in {prefix}, {pinned_version()} is pinned: run make bench again"
    return None


@dataclass(frozen=True)
class Compiled:
    """What compiling the ink source gave: its time, the compiler's messages, its counts
    (`stats`: knots, functions, stitches, choices...) and the names of its top-level content."""

    compile_s: float
    errors: list[str]
    warnings: list[str]
    stats: dict[str, int] | None
    names: list[str]


class InkPlayer:
    """One node process holding one compiled ink story; each call is a command to it."""

    def __init__(self, ink_path: Path, prefix: Path = PREFIX) -> None:
        # stderr goes to a file: a pipe nobody reads could fill and stall the runner.
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - close() closes it
        self._process = subprocess.Popen(
            ["node", str(RUNNER), str(prefix), str(ink_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        try:
            self.compiled = Compiled(**self._answer(COMPILE_TIMEOUT))
        except BaseException:
            self.close()
            raise

    def play(self, runs: int, seed: int, max_steps: int) -> dict[str, Any]:
        """`runs` games with seeded random choices, each until an ending or `max_steps`
        choices: {runs, choices, ended, errors, seconds, runs_per_s}."""
        return self._ask(f"play {runs} {seed} {max_steps}")

    def trace(self, policy: str, seed: int) -> dict[str, Any]:
        """One game always taking the first (`policy` "first") or last choice offered:
        {steps: [[knot, round, [choice texts]], ...], text, ended, errors}."""
        return self._ask(f"trace {policy} {seed}")

    def close(self) -> None:
        """End the node process (closing its stdin ends its command loop)."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> InkPlayer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _ask(self, command: str) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        answer = self._answer(COMMAND_TIMEOUT)
        if "error" in answer:
            raise RuntimeError(f"inkjs runner: {answer['error']}")
        return answer

    def _answer(self, timeout: float) -> dict[str, Any]:
        """The runner's next line as JSON, waiting at most `timeout` seconds. The runner answers
        each command with exactly one line, so nothing waits in the pipe's buffer past it."""
        stdout = self._process.stdout
        assert stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                self._process.kill()
                raise RuntimeError(f"the inkjs runner gave no answer in {timeout:.0f} s")
        line = stdout.readline()
        if not line:
            self._process.wait()
            self._stderr.seek(0)
            stderr = self._stderr.read()
            raise RuntimeError(f"the inkjs runner stopped: {stderr.strip()[-2000:]}")
        return json.loads(line)
