"""Saves as the console shows them: dates, play time, and a failure as a notification.

Saving itself is the session's (game/session.py); screens call its public methods.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget

    from game.session import SaveFailed


def notify_failed(where: App | Widget, failure: SaveFailed) -> None:
    """Show a failed save, load or listing as one error notification: what failed, and why."""
    where.notify(str(failure) or failure.what, title=failure.what, severity="error", markup=False)


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
