"""Line mode stopped by a signal: ctrl+c (SIGINT), SIGTERM and SIGHUP autosave the game and exit
with 128 + the signal's number, without a traceback.

Each test starts `python -m game play --plain` on a pipe, gives orders into an engagement (each
autosaved as it is carried out), sends the signal while the game waits for the next order, and
then loads the newest autosave to check what it holds.
"""

from __future__ import annotations

import io
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from game.engine.loader import load_story
from game.engine.saves import SaveStore
from game.plain import LineMode, Stopped
from game.session import Session

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
PROMPT = b"> "

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


class Game:
    """`handler-one play --plain` in a child process, read prompt by prompt."""

    def __init__(self, save_dir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != "HANDLER_ONE_SAVE_DIR"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "game",
                "play",
                "--plain",
                "--seed",
                "7",
                "--save-dir",
                str(save_dir),
                "--no-cache",
                str(MINI),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        self.output = b""

    def wait_for_prompt(self, timeout: float = 20.0) -> bytes:
        """Read until the game asks for the next order; return what it printed."""
        stdout = self.process.stdout
        assert stdout is not None
        start = len(self.output)
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while not self.output[start:].endswith(PROMPT):
                left = deadline - time.monotonic()
                assert left > 0, f"no prompt; the game printed:\n{self.output.decode()}"
                if selector.select(left):
                    chunk = os.read(stdout.fileno(), 65536)
                    assert chunk, f"the game ended early:\n{self.output.decode()}"
                    self.output += chunk
        return self.output[start:]

    def order(self, text: str) -> bytes:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(text.encode() + b"\n")
        stdin.flush()
        return self.wait_for_prompt()

    def stop(self, signum: int) -> tuple[int, str, str]:
        """Send the signal; return the exit status, the rest of stdout, and stderr."""
        process = self.process
        assert process.stdin is not None and process.stdout is not None
        assert process.stderr is not None
        process.send_signal(signum)
        try:
            status = process.wait(timeout=20)  # stdin stays open: no end of input to race with
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        out, err = process.stdout.read(), process.stderr.read()
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()
        return status, (self.output + out).decode(), err.decode()


def _newest_autosave_log(save_dir: Path) -> list[tuple[str, int]]:
    store = SaveStore(save_dir)
    story = load_story(MINI)
    newest = store.latest(story)
    assert newest is not None, f"no save in {save_dir}"
    assert newest.kind == "auto"
    return list(store.load(newest.slot, story).engine.state.log)


def _into_the_engagement(save_dir: Path) -> Game:
    """New game, then two orders: into the engagement, and its first round. Each is autosaved
    as soon as it is carried out."""
    game = Game(save_dir)
    game.wait_for_prompt()
    game.order("1")  # into the engagement
    shown = game.order("follow")  # round 1 given: now in round 2
    assert b"round 2 of 3" in shown
    return game


def test_sigkill_in_the_middle_of_an_engagement_loses_no_round(tmp_path: Path) -> None:
    """Nothing runs on SIGKILL: what Continue finds is what the autosaves already hold."""
    saves = tmp_path / "saves"
    game = _into_the_engagement(saves)
    status, _, _ = game.stop(signal.SIGKILL)
    assert status == -signal.SIGKILL
    assert _newest_autosave_log(saves) == [("first_contact", 0), ("fight", 0)]


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_autosaves_the_game_as_left_and_exits_cleanly(tmp_path: Path, name: str) -> None:
    """After an undo the game is one order behind its last autosave: a stop signal saves it as
    it was left."""
    signum = getattr(signal, name)
    saves = tmp_path / "saves"
    game = _into_the_engagement(saves)
    assert b"Order taken back." in game.order("undo")
    status, out, err = game.stop(signum)
    assert status == 128 + signum
    assert "Traceback" not in out + err
    assert _newest_autosave_log(saves) == [("first_contact", 0)]
    if name == "SIGHUP":
        assert err == ""  # the terminal is gone: nothing is written to it
    else:
        assert err.strip().splitlines() == [
            f"handler-one: stopped by {name}; the game was autosaved as 'auto-3'."
        ]


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_before_the_first_order_writes_no_save(tmp_path: Path, name: str) -> None:
    """A new game no order has touched is not kept: nothing pushes an older game out of the
    autosave ring."""
    signum = getattr(signal, name)
    saves = tmp_path / "saves"
    game = Game(saves)
    game.wait_for_prompt()
    assert b"Order taken back." not in game.order("undo")  # a command is not an order
    status, out, err = game.stop(signum)
    assert status == 128 + signum
    assert "Traceback" not in out + err
    assert not saves.exists() or list(saves.iterdir()) == []
    if name != "SIGHUP":
        assert err.strip() == f"handler-one: stopped by {name}."


def test_a_signal_with_nothing_unsaved_writes_no_save(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    game = Game(saves)
    game.wait_for_prompt()
    game.order("1")  # a scene: autosaved on entering it
    before = sorted(p.name for p in saves.iterdir())
    status, out, err = game.stop(signal.SIGTERM)
    assert status == 128 + signal.SIGTERM
    assert "Traceback" not in out + err
    assert sorted(p.name for p in saves.iterdir()) == before
    assert err.strip() == "handler-one: stopped by SIGTERM."


def test_a_signal_during_an_order_lets_the_order_finish(tmp_path: Path) -> None:
    """The handler only records a signal that arrives mid-order; the game stops at the next
    prompt with the order done and saved, never half way through a transition."""
    session = Session(load_story(MINI), seed=7)
    engine = session.new_game()

    class Interrupting(LineMode):
        def handle(self, text: str) -> bool:
            self.on_signal(signal.SIGTERM)  # as if SIGTERM came while the order ran
            return super().handle(text)

    mode = Interrupting(session, out=io.StringIO())
    with pytest.raises(Stopped) as stopped:
        mode.run(io.StringIO("1\nfollow\n"))
    assert stopped.value.code == 128 + signal.SIGTERM
    assert engine.state.log == [("first_contact", 0)]  # the first order, whole; not the second
