"""The sector map in words, for line mode (and anyone who cannot see the console's map): where
each marker stands, told from the squad, and how the markers moved between two moments.

North is the top of the map, as the console draws it. Markers are matched from one moment to
the next by kind and label, in the order the story lists them.
"""

from __future__ import annotations

from collections.abc import Sequence

from game.engine.model import Marker

KIND_WORD = {"squad": "squad", "legion": "Legion", "objective": "objective", "hazard": "hazard"}


def name(marker: Marker) -> str:
    """What a marker is called: its label, with its kind (`Spearhead, squad`), or its kind
    alone (`Legion`)."""
    kind = KIND_WORD.get(marker.kind, marker.kind)
    return f"{marker.label}, {kind}" if marker.label else kind


def _short(marker: Marker) -> str:
    """A marker as a sentence names it again: its label, or `the squad`."""
    return marker.label or f"the {KIND_WORD.get(marker.kind, marker.kind)}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def offset(dx: int, dy: int) -> str:
    """A step on the map in words: `3 east and 1 north`, `here` for none."""
    parts = []
    if dx:
        parts.append(f"{abs(dx)} {'east' if dx > 0 else 'west'}")
    if dy:
        parts.append(f"{abs(dy)} {'south' if dy > 0 else 'north'}")
    return " and ".join(parts) if parts else "here"


def region(marker: Marker, size: tuple[int, int]) -> str:
    """Which part of a map of `size` (columns, rows) the marker is in: `the north-west`,
    `the centre`."""
    width, height = max(1, size[0]), max(1, size[1])
    across = ("west", "", "east")[min(2, marker.column * 3 // width)]
    down = ("north", "", "south")[min(2, marker.row * 3 // height)]
    if across and down:
        return f"the {down}-{across}"
    return f"the {down or across or 'centre'}"


def size_of(text: str) -> tuple[int, int]:
    """A map's size in (columns, rows), from its text."""
    rows = text.splitlines()
    return max((len(row) for row in rows), default=0), len(rows)


def describe(markers: Sequence[Marker], size: tuple[int, int]) -> list[str]:
    """One sentence per marker: the squad (or the first marker) by the part of the map it is
    in, every other marker by where it stands from that one."""
    if not markers:
        return ["Nothing is marked on the map."]
    anchor = next((m for m in markers if m.kind == "squad"), markers[0])
    said = [f"{name(anchor)}: in {region(anchor, size)} of the map."]
    for marker in markers:
        if marker is anchor:
            continue
        where = offset(marker.column - anchor.column, marker.row - anchor.row)
        if where == "here":
            said.append(f"{name(marker)}: with {_short(anchor)}.")
        else:
            said.append(f"{name(marker)}: {where} of {_short(anchor)}.")
    return [_capital(sentence) for sentence in said]


def moves(before: Sequence[Marker], after: Sequence[Marker]) -> list[str]:
    """How the markers changed between two moments, one sentence each: a marker that moved
    (`Spearhead moves 3 west.`), one that appeared, one no longer marked. Empty when nothing
    changed."""
    left = list(before)
    said: list[str] = []
    appeared: list[Marker] = []
    for marker in after:
        match = next((m for m in left if (m.kind, m.label) == (marker.kind, marker.label)), None)
        if match is None:
            appeared.append(marker)
            continue
        left.remove(match)
        if (match.column, match.row) != (marker.column, marker.row):
            step = offset(marker.column - match.column, marker.row - match.row)
            said.append(f"{_capital(_short(marker))} moves {step}.")
    anchor = next((m for m in after if m.kind == "squad"), None)
    for marker in appeared:
        if anchor is not None and marker is not anchor:
            where = offset(marker.column - anchor.column, marker.row - anchor.row)
            said.append(f"New on the map: {name(marker)}, {where} of {_short(anchor)}.")
        else:
            said.append(f"New on the map: {name(marker)}.")
    said += [f"No longer marked: {name(marker)}." for marker in left]
    return said
