"""Text shown to the player: interpolation, our one emphasis markup, static, and sanitising.

Text from YAML is never handed to a markup parser. It becomes `Segment`s with a style of our own;
each front end draws the styles its own way. Control characters (escape sequences included) are
replaced by visible stand-ins, so a scene file cannot drive the terminal.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

Style = Literal["plain", "em", "static"]

_INTERPOLATION = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# How much of a line static eats at each signal level (4 is a clear link).
GARBLE_RATE = {4: 0.0, 3: 0.12, 2: 0.3, 1: 0.5, 0: 0.75}


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text in one style. A `static` segment's text is a run of '~' as long as the
    words it hides, so front ends can size it without ever seeing the words."""

    text: str
    style: Style = "plain"


def sanitise(text: str) -> str:
    """Replace control characters with visible stand-ins (ESC shows as ␛)."""

    def visible(match: re.Match[str]) -> str:
        code = ord(match.group())
        if code < 0x20:
            return chr(0x2400 + code)
        if code == 0x7F:
            return "\u2421"
        return "\ufffd"

    return _CONTROL.sub(visible, text)


def placeholders(text: str) -> list[str]:
    """The `{name}`s a text interpolates, in order."""
    return [m.group(1) for m in _INTERPOLATION.finditer(text) if m.group(1)]


def interpolate(text: str, lookup: Callable[[str], object]) -> str:
    """Fill `{name}` from `lookup`; `{{` and `}}` give literal braces."""

    def fill(match: re.Match[str]) -> str:
        token = match.group()
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        value = lookup(match.group(1))
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    return _INTERPOLATION.sub(fill, text)


_EMPHASIS_TOKEN = re.compile(r"\\\*|\*")


def emphasis(text: str) -> list[Segment]:
    """Split `*emphasis*` into segments; `\\*` is a literal asterisk."""
    if "*" not in text:
        return [Segment(text)] if text else []
    segments: list[Segment] = []
    buffer: list[str] = []
    emphasised = False
    position = 0
    for match in _EMPHASIS_TOKEN.finditer(text):
        buffer.append(text[position : match.start()])
        position = match.end()
        if match.group() != "*":
            buffer.append("*")
            continue
        if any(buffer):
            segments.append(Segment("".join(buffer), "em" if emphasised else "plain"))
        buffer = []
        emphasised = not emphasised
    buffer.append(text[position:])
    rest = "".join(buffer)
    if rest:
        # An unclosed '*' emphasises nothing: show the asterisk as written.
        segments.append(Segment("*" + rest if emphasised else rest))
    return segments


def garble(segments: list[Segment], signal: int, key: str) -> list[Segment]:
    """Turn some words to static. Which words depends only on `key`, so it never changes
    between a save and its reload, and uses none of the game's random draws."""
    rate = GARBLE_RATE.get(max(0, min(4, signal)), 0.0)
    if rate <= 0:
        return segments
    out: list[Segment] = []
    index = 0
    for segment in segments:
        for piece in re.split(r"(\s+)", segment.text):
            if not piece:
                continue
            if piece.isspace():
                out.append(Segment(piece, segment.style))
                continue
            roll = zlib.crc32(f"{key}:{index}".encode()) / 0xFFFFFFFF
            index += 1
            if roll >= rate:
                out.append(Segment(piece, segment.style))
            elif len(out) >= 2 and out[-1].text.isspace() and out[-2].style == "static":
                # Neighbouring words lost to static read as one burst of it.
                gap = out.pop().text
                out[-1] = Segment(out[-1].text + "~" * len(gap + piece), "static")
            else:
                out.append(Segment("~" * len(piece), "static"))
    return _merge(out)


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].style == segment.style:
            merged[-1] = Segment(merged[-1].text + segment.text, segment.style)
        else:
            merged.append(segment)
    return merged


def render(
    text: str,
    lookup: Callable[[str], object] | None,
    signal: int = 4,
    key: str = "",
) -> tuple[Segment, ...]:
    """The full pipeline for one line: interpolate, sanitise, emphasis, static."""
    filled = interpolate(text, lookup) if lookup else text
    return tuple(garble(emphasis(sanitise(filled)), signal, key))


def plain_text(segments: tuple[Segment, ...] | list[Segment], static: str = "[static]") -> str:
    """Segments as plain text; each run of static becomes `static`."""
    out: list[str] = []
    for segment in segments:
        out.append(static if segment.style == "static" else segment.text)
    return "".join(out)


def lookup_in(values: Mapping[str, object]) -> Callable[[str], object]:
    """A lookup over a mapping (missing names show as themselves in braces)."""
    return lambda name: values.get(name, "{" + name + "}")
