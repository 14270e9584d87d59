"""The signals that stop a game, and what a stopped game says, shared by both front ends.

Each front end catches the signals its own way (line mode with `signal.signal`, the console in
its event loop); both then call `Session.stop`, which keeps the game as it was left and returns
a `Stop`: the exit status and the one line to print.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


def stop_signals() -> list[int]:
    """The stop signals this platform has and the process was not started ignoring.

    A signal ignored at start stays ignored: `nohup` ignores SIGHUP, and a shell ignores SIGINT
    for a background job.
    """
    found: list[int] = []
    for name in STOP_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) is not signal.SIG_IGN:
            found.append(signum)
    return found


def signal_name(signum: int) -> str:
    """'SIGTERM' for 15, and so on ('signal N' for a number this platform does not name)."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


@dataclass(frozen=True)
class Stop:
    """A game stopped by a signal: which one, and the autosave it was kept in, if one was made."""

    signum: int
    slot: str | None = None

    @property
    def code(self) -> int:
        """The exit status: 128 + the signal's number (130, 143, 129)."""
        return 128 + self.signum

    @property
    def hung_up(self) -> bool:
        """SIGHUP: the terminal is gone, so nothing should be written to it."""
        return self.signum == getattr(signal, "SIGHUP", None)

    @property
    def message(self) -> str:
        """The one line either front end prints on stderr after a stop signal."""
        where = f"; the game was autosaved as '{self.slot}'" if self.slot else ""
        return f"handler-one: stopped by {signal_name(self.signum)}{where}."
