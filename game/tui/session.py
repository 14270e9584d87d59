"""One game in the console: the engine, the play clock, and the autosave flag.

No game logic lives here: the engine decides everything; this only keeps the time played and
notes when the engine has entered a new scene so the console can autosave after the order.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from game.engine.runtime import Engine


class GameSession:
    """The engine being played and how long it has been played for."""

    def __init__(self, engine: Engine, play_seconds: float = 0.0) -> None:
        self.engine = engine
        self._base = float(play_seconds)
        self._since = time.monotonic()
        self.scene_entered = False
        engine.add_listener(self._on_enter)

    def _on_enter(self, _engine: Engine) -> None:
        self.scene_entered = True

    @property
    def play_seconds(self) -> float:
        """Seconds played in this game, across saves."""
        return self._base + (time.monotonic() - self._since)

    def replace_engine(self, engine: Engine, play_seconds: float | None = None) -> None:
        """Continue with another engine (a load); keep the clock unless told its time."""
        self.engine = engine
        if play_seconds is not None:
            self._base = float(play_seconds)
            self._since = time.monotonic()
        self.scene_entered = False
        engine.add_listener(self._on_enter)

    def take_scene_entered(self) -> bool:
        """Whether a scene was entered since the last call (and clear the flag)."""
        entered, self.scene_entered = self.scene_entered, False
        return entered
