"""The game's own themes, read from assets/themes/*.json, with built-in fallbacks.

A theme file holds the fields of `textual.theme.Theme` (name, primary, secondary, accent, warning,
error, success, foreground, background, surface, panel, dark, text_alpha, luminosity_spread and a
`variables` table of CSS variables). A file that cannot be read is skipped; the two themes the
game relies on are always there.
"""

from __future__ import annotations

import json
from pathlib import Path

from textual.color import Color
from textual.theme import Theme

from game.engine.regular import read_regular
from game.paths import assets_dir

HANDLER = "handler"
HIGH_CONTRAST = "handler-high-contrast"
_COLOURS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)

FALLBACK: dict[str, dict[str, object]] = {
    HANDLER: {
        "name": HANDLER,
        "primary": "#d4a73a",
        "secondary": "#6aa9d8",
        "accent": "#e0876a",
        "warning": "#f0c75e",
        "error": "#e5534b",
        "success": "#74c476",
        "foreground": "#d9dee3",
        "background": "#0b0f13",
        "surface": "#10171d",
        "panel": "#1a252e",
    },
    HIGH_CONTRAST: {
        "name": HIGH_CONTRAST,
        "primary": "#ffff00",
        "secondary": "#00ffff",
        "accent": "#ff80ff",
        "warning": "#ffb000",
        "error": "#ff5050",
        "success": "#40ff40",
        "foreground": "#ffffff",
        "background": "#000000",
        "surface": "#000000",
        "panel": "#202020",
        "text_alpha": 1.0,
    },
}


def theme_from_dict(data: dict[str, object]) -> Theme:
    """Build a Theme from a theme file's table; raises ValueError when it is not one."""
    name = data.get("name")
    primary = data.get("primary")
    if not isinstance(name, str) or not name or not isinstance(primary, str):
        raise ValueError("a theme needs a 'name' and a 'primary' colour")
    fields: dict[str, object] = {"name": name}
    for key in _COLOURS:
        value = data.get(key)
        if value is not None:
            if not isinstance(value, str):
                raise ValueError(f"'{key}' must be a colour string")
            Color.parse(value)  # fails here, not when the theme is chosen, on a bad colour
            fields[key] = value
    for key in ("text_alpha", "luminosity_spread"):
        value = data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            fields[key] = float(value)
    dark = data.get("dark", True)
    fields["dark"] = bool(dark)
    variables = data.get("variables", {})
    if isinstance(variables, dict):
        fields["variables"] = {str(k): str(v) for k, v in variables.items()}
    return Theme(**fields)  # type: ignore[arg-type]


MAX_THEME_BYTES = 256 * 1024


def load_themes(directory: Path | None = None) -> list[Theme]:
    """Our themes: every readable file in assets/themes, plus fallbacks for the two we need."""
    folder = directory or assets_dir() / "themes"
    themes: dict[str, Theme] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(read_regular(path, MAX_THEME_BYTES).decode("utf-8"))
            if isinstance(data, dict):
                theme = theme_from_dict(data)
                themes[theme.name] = theme
        except Exception:  # noqa: BLE001 - a broken theme file must not stop the game
            continue
    for name, data in FALLBACK.items():
        if name not in themes:
            themes[name] = theme_from_dict(data)
    ordered = [themes.pop(HANDLER), themes.pop(HIGH_CONTRAST)]
    return ordered + sorted(themes.values(), key=lambda t: t.name)
