"""`NO_COLOR`: the screen drawn with no colour at all, what colour said said with attributes.

Textual's own answer to `NO_COLOR` draws every colour as a grey, which is still colour (256-colour
codes); its `NoColor` filter drops colours, but with them whatever only a colour marked: the
highlighted choice of a menu, the cursor, a disabled order. `Attributes` drops every colour and
keeps those marks as terminal attributes, judged from the colours it drops:

- a background that stands out from the screen's (a highlight, a cursor) becomes reverse video;
- text that barely stands out from its background (disabled, faded static) becomes dim.

Bold, italic, underline and strike-through are kept. The app puts this filter where Textual put
its own (see `game.tui.app`).
"""

from __future__ import annotations

from functools import lru_cache

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter

HIGHLIGHT = 0.3
"""A background whose brightness differs from the screen's by more than this is a highlight."""
FAINT = 0.4
"""Text whose brightness differs from its background's by less than this is faint."""
_PLAIN = Style(color="default", bgcolor="default")


def _brightness(color: RichColor | None, default: float) -> float:
    if color is None or color.is_default:
        return default
    return Color.from_rich_color(color).brightness


@lru_cache(4096)
def attributes_style(style: Style, screen: float) -> Style:
    """`style` without colours, a highlight as reverse video and faint text as dim; `screen` is
    the brightness of the screen's background."""
    background = _brightness(style.bgcolor, screen)
    # Text in the terminal's default colour stands out, whatever the background.
    foreground = _brightness(style.color, 1.0 - screen if screen < 0.5 else 0.0)
    highlight = abs(background - screen) > HIGHLIGHT
    faint = abs(foreground - background) < FAINT
    reverse = bool(style.reverse) != highlight
    return style + _PLAIN + Style(reverse=reverse, dim=faint)


class Attributes(LineFilter):
    """Drop every colour; keep highlights as reverse video and faint text as dim."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        screen = background.brightness
        return [
            Segment(text, None if style is None else attributes_style(style, screen), control)
            for text, style, control in segments
        ]
