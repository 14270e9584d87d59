"""Text shown to the player: interpolation, our one emphasis markup, static, and sanitising.

Text from YAML is never handed to a markup parser. It becomes `Segment`s with a style of our own;
each front end draws the styles its own way. Control characters (escape sequences included) are
replaced by visible stand-ins, so a scene file cannot drive the terminal.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from game.engine.format import MAX_SIGNAL, MIN_SIGNAL

Style = Literal["plain", "em", "static"]

_INTERPOLATION = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# How much of a line static eats at each signal level, from a clear link down (a rate for
# every level: `strict` fails at import if the range and the rates part ways).
GARBLE_RATE = dict(
    zip(range(MAX_SIGNAL, MIN_SIGNAL - 1, -1), (0.0, 0.12, 0.3, 0.5, 0.75), strict=True)
)


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


_WORD = re.compile(r"\S+")
_PIECES = re.compile(r"(\s+)")
_CRC_SPAN = 0xFFFFFFFF
# The bytes of ":0", ":1", ... continued onto the key's CRC for each word's roll.
_INDEX: list[bytes] = [f":{i}".encode() for i in range(256)]


def _indices(count: int) -> list[bytes]:
    while len(_INDEX) < count:
        _INDEX.append(f":{len(_INDEX)}".encode())
    return _INDEX[:count]


def _threshold(rate: float) -> int:
    """The smallest CRC whose roll (crc / 0xFFFFFFFF) is not below `rate`: a word is lost
    exactly when its CRC is below this. (Division rounds monotonically, so one integer
    comparison gives the same answer as the float one, for every CRC.)"""
    low, high = 0, _CRC_SPAN + 1
    while low < high:
        middle = (low + high) // 2
        if middle / _CRC_SPAN >= rate:
            high = middle
        else:
            low = middle + 1
    return low


_THRESHOLD = {signal: _threshold(rate) for signal, rate in GARBLE_RATE.items()}


def signal_level(signal: int) -> int:
    """`signal` held in the range a radio line's signal has."""
    return max(MIN_SIGNAL, min(MAX_SIGNAL, signal))


def garbles(signal: int) -> bool:
    """Whether a line at this signal loses words to static."""
    return GARBLE_RATE[signal_level(signal)] > 0


def garble(segments: list[Segment], signal: int, key: str) -> list[Segment]:
    """Turn some words to static. Which words depends only on `key`, so it never changes
    between a save and its reload, and uses none of the game's random draws.

    Word `i` is lost when crc32(f"{key}:{i}") / 0xFFFFFFFF falls below the signal's rate. The
    CRC of the key is computed once and continued for each word (the same value).
    """
    signal = signal_level(signal)
    rate = GARBLE_RATE.get(signal, 0.0)
    if rate <= 0:
        return segments
    prefix = zlib.crc32(key.encode())
    threshold = _THRESHOLD[signal]
    if len(segments) == 1:
        segment = segments[0]
        return _garble_one(segment.text, segment.style, _spans(segment.text), threshold, prefix)
    return _garble_many(segments, threshold, prefix)


def _garble_one(
    text: str, style: Style, spans: tuple[tuple[int, int], ...], threshold: int, prefix: int
) -> list[Segment]:
    """One run of text in one style: each run of lost words, with the spaces between them,
    becomes one static segment as long as the text it covers; the rest is kept as written."""
    crc32 = zlib.crc32
    lost = bytes([crc32(index, prefix) < threshold for index in _indices(len(spans))])
    if 1 not in lost:
        return [Segment(text, style)]
    kept = _segment_maker(style)
    out: list[Segment] = []
    kept_from = 0  # where the text not yet written starts
    words = len(lost)
    first = lost.find(1)
    while first >= 0:  # each run of neighbouring lost words: first .. after - 1
        after = lost.find(0, first)
        if after < 0:
            after = words
        start, end = spans[first][0], spans[after - 1][1]
        if start > kept_from:
            out.append(kept(text[kept_from:start]))
        out.append(_static(end - start))
        kept_from = end
        first = lost.find(1, after)
    if kept_from < len(text):
        out.append(kept(text[kept_from:]))
    return out


_new_object = object.__new__
_set_text = Segment.text.__set__  # type: ignore[attr-defined]
_set_style = Segment.style.__set__  # type: ignore[attr-defined]


def _segment_maker(style: Style) -> Callable[[str], Segment]:
    """`lambda text: Segment(text, style)`, without the frozen dataclass's checked __init__:
    the slots are filled directly (the same object, at half the cost; garble makes many)."""

    def make(text: str) -> Segment:
        segment = _new_object(Segment)
        _set_text(segment, text)
        _set_style(segment, style)
        return segment

    return make


_STATIC: dict[int, Segment] = {}


def _static(length: int) -> Segment:
    """A run of static `length` characters long (segments are immutable: one per length)."""
    segment = _STATIC.get(length)
    if segment is None:
        segment = Segment("~" * length, "static")
        if length <= 1000:
            _STATIC[length] = segment
    return segment


def _garble_many(segments: list[Segment], threshold: int, prefix: int) -> list[Segment]:
    """Several styled runs (emphasis): word by word, as the rule is written."""
    crc32 = zlib.crc32
    out: list[Segment] = []
    index = 0
    for segment in segments:
        for piece in _PIECES.split(segment.text):
            if not piece:
                continue
            if piece.isspace():
                out.append(Segment(piece, segment.style))
                continue
            if index >= len(_INDEX):
                _indices(index + 1)
            kept = crc32(_INDEX[index], prefix) >= threshold
            index += 1
            if kept:
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


# Texts shown recently, by their exact string. Scene text repeats (every visit, every game), and
# a str caches its own hash, so a hit costs one dict lookup. Bounded: cleared when full.
PREPARED_CAP = 20_000
_PREPARED: dict[str, tuple[Segment, ...]] = {}
_SPANS: dict[str, tuple[tuple[int, int], ...]] = {}


def prepare(text: str) -> tuple[Segment, ...]:
    """`emphasis(sanitise(text))` as a tuple, computed once per distinct text."""
    segments = _PREPARED.get(text)
    if segments is None:
        if len(_PREPARED) >= PREPARED_CAP:
            _PREPARED.clear()
        segments = _PREPARED[text] = tuple(emphasis(sanitise(text)))
    return segments


def _spans(text: str) -> tuple[tuple[int, int], ...]:
    spans = _SPANS.get(text)
    if spans is None:
        if len(_SPANS) >= PREPARED_CAP:
            _SPANS.clear()
        spans = _SPANS[text] = tuple(m.span() for m in _WORD.finditer(text))
    return spans


def render(
    text: str,
    lookup: Callable[[str], object] | None,
    signal: int = MAX_SIGNAL,
    key: str = "",
) -> tuple[Segment, ...]:
    """The full pipeline for one line: interpolate, sanitise, emphasis, static."""
    filled = interpolate(text, lookup) if lookup and ("{" in text or "}" in text) else text
    segments = prepare(filled)
    if not garbles(signal):
        return segments
    return tuple(garble(list(segments), signal, key))


def plain_text(segments: tuple[Segment, ...] | list[Segment], static: str = "[static]") -> str:
    """Segments as plain text; each run of static becomes `static`."""
    out: list[str] = []
    for segment in segments:
        out.append(static if segment.style == "static" else segment.text)
    return "".join(out)
