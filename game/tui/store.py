"""Saves, as the console sees them: the engine's `SaveStore`, imported only when it is there.

`game.engine.saves` is optional here: while it is missing (or fails to import), the console shows
its save bindings disabled and says why. Everything the screens call goes through `SaveAccess`, so a
test can hand the app any object with the same interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class SaveAccess:
    """The save store in use (or None) and, when there is none, the one-line reason."""

    store: Any | None
    reason: str = ""
    error_type: type[BaseException] = Exception

    @property
    def available(self) -> bool:
        return self.store is not None


def open_store(save_dir: str | None) -> SaveAccess:
    """Resolve the save folder through `SaveStore.resolve`, or say why saves are unavailable."""
    try:
        from game.engine import saves
    except Exception as exc:  # noqa: BLE001 - any failure here only disables saving
        return SaveAccess(None, f"saving is not available in this build ({type(exc).__name__})")
    error_type = getattr(saves, "SaveError", Exception)
    try:
        store = saves.SaveStore.resolve(save_dir)
    except Exception as exc:  # noqa: BLE001
        return SaveAccess(None, f"saves unavailable: {exc}", error_type)
    return SaveAccess(store, "", error_type)


def format_when(saved_at: str) -> str:
    """An ISO timestamp as 'YYYY-MM-DD HH:MM' in local time (or as written if unparsable)."""
    try:
        moment = datetime.fromisoformat(saved_at)
    except (TypeError, ValueError):
        return str(saved_at)
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def format_duration(seconds: float) -> str:
    """Play time as '1h 05m' or '12m' (or '<1m')."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "<1m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"
