"""Line mode: the same game on stdin/stdout, for screen readers, pipes and tests.

Output is deterministic: the same story, seed and input give byte-identical output.

Signals: while `stop_on_signals` is active, ctrl+c (SIGINT), SIGTERM and SIGHUP end the game
through `Stopped`, never a traceback. A signal that arrives while the game is waiting for a line
stops it at once; one that arrives while an order is being carried out (or a save written) waits
until that is done, so the game is never left half way through a transition.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TextIO

from game.engine.runtime import Engine, PilotView, RadioLine
from game.stopping import stop_signals

HELP = """Orders: type an order's number, or its command words (a unique prefix is enough).
Other commands:
  help      this text
  status    chapter, scene, and the squad's trust against your standing
  squad     the squadron roster
  dossier   evidence and deductions
  undo      take back the last order
  quit      leave the game"""

QUIT_WORDS = ("quit", "exit")

STATUS_MARK = {"active": "+", "wounded": "!", "missing": "?", "killed": "x"}


class Stopped(BaseException):
    """The game was stopped by a signal. A BaseException, like KeyboardInterrupt, so that no
    `except Exception` on the way out swallows it. `code` is the exit status: 128 + signal."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.code = 128 + signum
        try:
            self.name = signal.Signals(signum).name
        except ValueError:
            self.name = f"signal {signum}"
        super().__init__(self.name)


def format_line(line: RadioLine) -> str:
    """A radio line as line mode prints it: `CALLSIGN: text`, narration bare."""
    if line.kind == "warning":
        return f"{line.tag} (warning): {line.text}"
    if line.kind == "dossier":
        return f"[{line.text}]"
    return f"{line.tag}: {line.text}" if line.tag else line.text


def format_pilot(pilot: PilotView) -> str:
    """One roster row: status mark, callsign, name (or a dash), role, status."""
    name = pilot.name or "—"
    return f"  {STATUS_MARK.get(pilot.status, ' ')} {pilot.callsign:<14} {name:<22} {pilot.status}"


class LineMode:
    """Drives an `Engine` from lines of input. `run` returns the process exit code."""

    def __init__(
        self,
        engine: Engine,
        out: TextIO | None = None,
        extra_commands: dict[str, Callable[[str], bool]] | None = None,
    ) -> None:
        self.engine = engine
        self.out = out or sys.stdout
        self.extra = extra_commands or {}
        self.extra_help = ""  # help for the extra commands, printed after HELP
        self.reading = False  # waiting for a line: a signal may stop the game at once
        self.pending: int | None = None  # a signal that came while an order was carried out
        self._commands: dict[str, Callable[[], None]] = {
            "help": self.show_help,
            "status": self.show_status,
            "squad": self.show_squad,
            "dossier": self.show_dossier,
            "undo": self.undo,
        }

    def commands(self) -> frozenset[str]:
        """Every word this line mode takes as a command when it starts a line (quitting and the
        extra commands included): such a line never reaches the story."""
        return frozenset({*QUIT_WORDS, *self._commands, *self.extra})

    def on_signal(self, signum: int, _frame: object = None) -> None:
        """The signal handler `stop_on_signals` installs: stop now if waiting for input, else
        as soon as the current order (and any save it makes) is done."""
        if self.reading:
            self.reading = False
            raise Stopped(signum)
        if self.pending is None:
            self.pending = signum

    def _check_pending(self) -> None:
        if self.pending is not None:
            raise Stopped(self.pending)

    def say(self, text: str = "") -> None:
        """Write one line of output."""
        self.out.write(text + "\n")

    def show_scene(self) -> None:
        """The scene header, its radio lines and the orders."""
        engine = self.engine
        self.say(f"== {engine.header()} ==")
        for line in engine.radio():
            self.say(format_line(line))
        if engine.ending is None:
            self.show_orders()

    def show_orders(self) -> None:
        """The numbered orders, and disabled ones with their reason."""
        for view in self.engine.orders():
            if view.enabled:
                self.say(f"{view.number}) {view.say}")
            else:
                self.say(f"-) {view.say} [unavailable: {view.reason}]")

    def show_ending(self) -> None:
        """The ending's title and text, then the roll call."""
        ending = self.engine.ending
        assert ending is not None
        self.say()
        self.say(f"ENDING: {ending.title}")
        if ending.text:
            self.say(ending.text)
        self.say()
        self.say("ROLL CALL")
        for pilot in self.engine.roll_call():
            who = pilot.name if pilot.name else "(name never asked)"
            self.say(f"  {pilot.callsign:<14} {who:<22} {pilot.fate}")

    def show_status(self) -> None:
        """Where the game is, and the meters (trust, standing) as `name 3/10`."""
        self.say(self.engine.header())
        meters = [f"{m.name} {m.value}/{m.high}" for m in self.engine.meters()]
        if meters:
            self.say("  ".join(meters))

    def show_squad(self) -> None:
        """The roster."""
        self.say("SQUADRON")
        for pilot in self.engine.squad():
            self.say(format_pilot(pilot))

    def show_dossier(self) -> None:
        """Evidence held and deductions made or hinted."""
        entries = self.engine.dossier()
        self.say("DOSSIER")
        if not entries:
            self.say("  (empty)")
        for entry in entries:
            ev = entry.evidence
            self.say(f"  [{ev.source}] {ev.title} (from: {entry.found_in})")
            self.say(f"      {ev.text}")
        for view in self.engine.deductions():
            d = view.deduction
            if view.made:
                self.say(f"  DEDUCTION: {d.title} - {d.text}")
            elif d.hint:
                self.say(f"  (a thread: {d.hint})")

    def show_help(self) -> None:
        self.say(HELP)
        if self.extra_help:
            self.say(self.extra_help)

    def undo(self) -> None:
        """Take back the last order and show the scene again."""
        if self.engine.undo():
            self.say("Order taken back.")
            self.show_scene()
        else:
            self.say("Nothing to undo.")

    def handle(self, text: str) -> bool:
        """Act on one line of input; False means leave the game."""
        command = text.strip()
        word = command.lower().split(" ", 1)[0] if command else ""
        if not command:
            self.say("Type an order's number, or 'help'.")
            return True
        if word in QUIT_WORDS:
            return False
        builtin = self._commands.get(word)
        if builtin is not None:
            builtin()
            return True
        if word in self.extra:
            return self.extra[word](command)
        try:
            outcome = self.engine.choose_text(command)
        except ValueError as exc:
            self.say(str(exc))
            return True
        if not outcome.ok:
            self.say(outcome.message)
            return True
        self.say()
        self.show_scene()
        return True

    def run(self, lines: TextIO | None = None) -> int:
        """Play until an ending, `quit`, or end of input. Returns 0."""
        source = lines or sys.stdin
        self.show_scene()
        if self.engine.ending is not None:
            self.show_ending()
            return 0
        while True:
            # From here until a line is read, a signal stops the game at once; one that came
            # just before is caught by the check (so none can be left waiting on the read).
            self.reading = True
            try:
                self._check_pending()
                self.out.write("> ")
                self.out.flush()
                text = source.readline()
            finally:
                self.reading = False
            if not text:
                self.say()
                return 0
            if not self.handle(text):
                return 0
            if self.engine.ending is not None:
                self.show_ending()
                return 0


@contextmanager
def stop_on_signals(mode: LineMode) -> Iterator[None]:
    """Route SIGINT, SIGTERM and SIGHUP to `mode.on_signal` for the duration (main thread only).

    A signal the process was started ignoring (`nohup` ignores SIGHUP; a background job, SIGINT)
    stays ignored. The previous handlers come back on leaving.
    """
    previous: dict[int, object] = {}
    for signum in stop_signals():
        try:
            previous[signum] = signal.signal(signum, mode.on_signal)
        except (OSError, ValueError):  # not the main thread, or not settable here
            continue
    try:
        yield
    finally:
        for signum, handler in previous.items():
            with suppress(OSError, ValueError, TypeError):
                signal.signal(signum, handler)  # type: ignore[arg-type]
