"""The player's settings: text speed, reduced motion and theme, kept as JSON between runs.

The file lives in the platform's user config directory for "handler-one"; the environment
variable HANDLER_ONE_CONFIG_DIR points it elsewhere (tests use it). A missing or damaged file
gives the defaults: settings never stop the game from starting.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

APP_NAME = "handler-one"
CONFIG_ENV = "HANDLER_ONE_CONFIG_DIR"
SETTINGS_FILE = "settings.json"
MAX_SETTINGS_BYTES = 64 * 1024  # a settings file is a few lines; anything larger is not one

# Characters per second for the typewriter, and the pause between two lines (seconds).
TEXT_SPEEDS: dict[str, tuple[float, float]] = {
    "slow": (30.0, 0.6),
    "normal": (65.0, 0.35),
    "fast": (160.0, 0.15),
    "instant": (0.0, 0.0),
}
SPEED_LABELS = {"slow": "Slow", "normal": "Normal", "fast": "Fast", "instant": "Instant"}
DEFAULT_THEME = "handler"


@dataclass(frozen=True)
class Settings:
    """What the player chose in the Settings screen."""

    text_speed: str = "normal"
    reduced_motion: bool = False
    theme: str = DEFAULT_THEME

    @property
    def instant(self) -> bool:
        """Whether lines appear whole, with no typewriter and no pause between them."""
        return self.text_speed == "instant" or self.reduced_motion

    @property
    def chars_per_second(self) -> float:
        """Typewriter speed; 0 means instant."""
        return 0.0 if self.instant else TEXT_SPEEDS[self.text_speed][0]

    @property
    def line_gap(self) -> float:
        """Seconds between the end of one line and the start of the next."""
        return 0.0 if self.instant else TEXT_SPEEDS[self.text_speed][1]

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with some fields changed (and checked)."""
        return _checked(replace(self, **changes))


def _checked(settings: Settings) -> Settings:
    speed = settings.text_speed if settings.text_speed in TEXT_SPEEDS else "normal"
    theme = settings.theme if isinstance(settings.theme, str) and settings.theme else DEFAULT_THEME
    return Settings(speed, bool(settings.reduced_motion), theme)


def config_dir() -> Path:
    """Where settings are kept: $HANDLER_ONE_CONFIG_DIR, else the user config directory."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME))


def load_settings(directory: Path | None = None) -> Settings:
    """Read the settings file; anything missing or malformed falls back to the default."""
    path = (directory or config_dir()) / SETTINGS_FILE
    raw = _read_settings_file(path)
    if raw is None:
        return Settings()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return Settings()
    if not isinstance(data, dict):
        return Settings()
    defaults = Settings()
    speed = data.get("text_speed", defaults.text_speed)
    reduced = data.get("reduced_motion", defaults.reduced_motion)
    theme = data.get("theme", defaults.theme)
    return _checked(
        Settings(
            speed if isinstance(speed, str) else defaults.text_speed,
            reduced if isinstance(reduced, bool) else defaults.reduced_motion,
            theme if isinstance(theme, str) else defaults.theme,
        )
    )


def _read_settings_file(path: Path) -> bytes | None:
    """The settings file's bytes, or None when it is missing, unreadable, too large, or not a
    regular file: read as every file the game reads (`read_regular`), so a named pipe in its
    place does not hang the start."""
    from game.engine.regular import FileRefused, read_regular

    try:
        return read_regular(path, MAX_SETTINGS_BYTES)
    except FileRefused:
        return None


def save_settings(settings: Settings, directory: Path | None = None) -> str | None:
    """Write the settings atomically. Returns None, or a one-line reason it failed."""
    folder = directory or config_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(settings), handle, indent=2)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, folder / SETTINGS_FILE)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        return f"settings not saved: {exc.strerror or exc}"
    return None
