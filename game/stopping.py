"""The signals that stop a game, shared by both front ends: each autosaves and exits on them."""

from __future__ import annotations

import signal

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


def stopped_message(name: str, slot: str | None) -> str:
    """The one line either front end prints after a stop signal: what stopped the game, and
    the slot it was autosaved to, if any."""
    where = f"; the game was autosaved as '{slot}'" if slot else ""
    return f"handler-one: stopped by {name}{where}."
