"""Line mode: the same game on stdin/stdout, for screen readers, pipes and tests.

`LineMode` renders what its `Session` (game/session.py) holds and hands it each line typed; the
session gives orders, saves and loads. Output is deterministic: the same story, seed and input
give byte-identical output.

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
from typing import TYPE_CHECKING, TextIO

from game.session import Resumed, SaveFailed, Session
from game.stopping import Stop, signal_name, stop_signals

if TYPE_CHECKING:
    from game.engine.runtime import Engine, PilotView, RadioLine

HELP = """Orders: type an order's number, or its command words (a unique prefix is enough).
Other commands:
  help      this text
  status    chapter, scene, and the squad's trust against your standing
  squad     the squadron roster
  dossier   evidence and deductions
  undo      take back the last order
  quit      leave the game
Saving:
  save NAME  save the game in a slot (replaces a save of that name)
  load NAME  resume a saved game ('load quick' for the quicksave, 'load auto-1' ...)
  saves      list the saves
The game autosaves after every order (each scene, engagement round and ending:
slots auto-1 to auto-10), and when you leave a game that changed since its last
save (after an undo, say).
What the meters mean:
  trust     the squad's trust in you. Names, staying on the link and heeding
            Undertaker raise it; coldness and cruelty lower it. If it fails, the
            squad stops answering.
  standing  your standing with Republic command. Whatever leaves paper behind costs
            it: forged forms, reports, accusations, refusals on the record. If it
            fails, you are put on probation; the next time, relieved.
  signal    how clear the link is. On a weak link, static eats words: [static]."""

QUIT_WORDS = ("quit", "exit")

STATUS_MARK = {"active": "+", "wounded": "!", "missing": "?", "killed": "x"}


class Stopped(BaseException):
    """The game was stopped by a signal. A BaseException, like KeyboardInterrupt, so that no
    `except Exception` on the way out swallows it. `code` is the exit status: 128 + signal."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.code = 128 + signum
        self.name = signal_name(signum)
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
    """Plays a `Session` from lines of input. `run` returns the process exit code."""

    def __init__(self, session: Session, out: TextIO | None = None) -> None:
        self.session = session
        self.out = out or sys.stdout
        self.reading = False  # waiting for a line: a signal may stop the game at once
        self.pending: int | None = None  # a signal that came while an order was carried out
        self.autosave_failed = False  # a failed autosave is reported once
        session.report = self.report
        self._commands: dict[str, Callable[[str], None]] = {
            "help": self.show_help,
            "status": self.show_status,
            "squad": self.show_squad,
            "dossier": self.show_dossier,
            "undo": self.undo,
            "save": self.save,
            "load": self.load,
            "saves": self.show_saves,
        }

    @property
    def engine(self) -> Engine:
        """The game being played."""
        return self.session.engine

    def commands(self) -> frozenset[str]:
        """Every word this line mode takes as a command when it starts a line (quitting
        included): such a line never reaches the story."""
        return frozenset({*QUIT_WORDS, *self._commands})

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

    def report(self, what: str, why: str) -> None:
        """The session's word that an autosave failed: said once, and the game goes on."""
        if self.autosave_failed:
            return
        self.autosave_failed = True
        # The terminal may be gone (SIGHUP) or stdout closed: the message is then lost.
        with suppress(OSError, ValueError):
            self.say(f"({what.lower()}: {why}; 'save NAME' to try another way)")

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

    def show_status(self, _argument: str = "") -> None:
        """Where the game is, and the meters (trust, standing) as `name 3/10`."""
        self.say(self.engine.header())
        meters = [f"{m.name} {m.value}/{m.high}" for m in self.engine.meters()]
        if meters:
            self.say("  ".join(meters))

    def show_squad(self, _argument: str = "") -> None:
        """The roster."""
        self.say("SQUADRON")
        for pilot in self.engine.squad():
            self.say(format_pilot(pilot))

    def show_dossier(self, _argument: str = "") -> None:
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

    def show_help(self, _argument: str = "") -> None:
        """The commands."""
        self.say(HELP)

    def undo(self, _argument: str = "") -> None:
        """Take back the last order and show the scene again."""
        if self.session.undo():
            self.say("Order taken back.")
            self.show_scene()
        else:
            self.say("Nothing to undo.")

    def save(self, name: str) -> None:
        """`save NAME`."""
        if not name:
            self.say("Usage: save NAME (for example: save before-the-raid)")
            return
        session = self.session
        try:
            replacing = session.has_save(name)
            info = session.save(name)
        except SaveFailed as exc:
            self.say(f"Not saved: {exc}")
            return
        note = " (replacing the earlier save)" if replacing else ""
        self.say(f"Saved as '{info.slot}'{note}.")

    def load(self, name: str) -> None:
        """`load NAME`; with no name, list the saves."""
        if not name:
            self.say("Usage: load NAME")
            self.show_saves()
            return
        try:
            resumed = self.session.load(name)
        except SaveFailed as exc:
            self.say(f"Not loaded: {exc}")
            return
        self.say(f"Loaded '{resumed.slot}'.")
        if resumed.message:
            self.say(f"Note: {resumed.message}")
        self.say()
        self.show_scene()

    def show_saves(self, _argument: str = "") -> None:
        """`saves`: every save of this story, newest first."""
        from game.tools.saves import format_info

        session = self.session
        try:
            saves = session.list_saves()
        except SaveFailed as exc:
            self.say(f"No saves: {exc}")
            return
        if not saves:
            self.say(f"No saves yet (they go in {session.save_folder}).")
        else:
            self.say(f"SAVES in {session.save_folder}")
            for info in saves:
                self.say(format_info(info))
        for problem in session.save_problems():
            self.say(f"  (unreadable) {problem}")

    def handle(self, text: str) -> bool:
        """Act on one line of input; False means leave the game."""
        command = text.strip()
        word, _, argument = command.partition(" ")
        word = word.lower()
        if not command:
            self.say("Type an order's number, or 'help'.")
            return True
        if word in QUIT_WORDS:
            return False
        builtin = self._commands.get(word)
        if builtin is not None:
            builtin(argument.strip())
            return True
        given = self.session.give_text(command)
        if not given.ok:
            self.say(given.message)
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


def play(session: Session, resumed: Resumed | None = None) -> int:
    """`handler-one play --plain`: a new game (or `resumed`, the game `--load` brought back),
    played on stdin/stdout until an ending, `quit` or the end of input. Returns the exit status.

    ctrl+c, SIGTERM and SIGHUP (the terminal closed) stop the game cleanly: an order under way
    is finished, the session keeps the game (`Session.stop`), and the exit status is 128 + the
    signal's number (130, 143, 129). Never a traceback.
    """
    mode = LineMode(session)
    with stop_on_signals(mode):
        try:
            if resumed is None:
                session.new_game()
            elif resumed.message:
                mode.say(f"Note: {resumed.message}")
            status = mode.run()
        except Stopped as stopped:
            if stopped.name == "SIGHUP":
                _hang_up(mode)
            stop = session.stop(stopped.signum)
            _say_stopped(stop)
            return stop.code
        finally:
            session.close()  # leaving keeps the game, whatever the way out
        return status


def _hang_up(mode: LineMode) -> None:
    """The terminal is gone: send what is left to write nowhere, so no write fails."""
    import io
    import os

    mode.out = io.StringIO()
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(null, fd)
        os.close(null)
    except OSError:
        pass


def _say_stopped(stop: Stop) -> None:
    """One line on stderr after a signal: what stopped the game and where it was saved."""
    try:
        sys.stdout.flush()
        lead = "\n" if sys.stderr.isatty() else ""
        print(lead + stop.message, file=sys.stderr)
    except (OSError, ValueError):
        pass
