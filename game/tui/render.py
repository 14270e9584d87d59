"""Turning what the engine says into Textual `Content`, without ever parsing markup.

Every piece of text that comes from the story (scene YAML, pilot names, evidence) is placed into
`Content` as a literal string; styles are only ever our own component-class names (".radio--hq")
resolved by the widget that draws them. Nothing here decides anything about the game.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from textual.content import Content, Span

from game.engine.model import Marker
from game.engine.runtime import Meter, OrderView, PilotView, RadioLine

VOICES = 6
REGISTERS = 4
STATIC_GLYPHS = "░▒"
STATUS_SYMBOL = {"active": "●", "wounded": "✚", "missing": "?", "killed": "✖"}
STATUS_WORD = {"active": "active", "wounded": "wounded", "missing": "missing", "killed": "KIA"}
MARKER_GLYPH = {"squad": "S", "legion": "L", "objective": "O", "hazard": "!"}
MARKER_NAME = {"squad": "squad", "legion": "Legion", "objective": "objective", "hazard": "hazard"}
TERRAIN = {
    ".": "map--ground",
    "^": "map--ridge",
    "~": "map--water",
    "#": "map--structure",
}
_BODY_CLASS = {
    "hq": ".radio--hq-text",
    "narration": ".radio--narration",
    "lena": ".radio--lena-text",
    "warning": ".radio--warning",
    "dossier": ".radio--dossier",
    "hit": ".radio--hit",
    "pilot": "",
}
_PREFIX = {"dossier": "▣ ", "hit": "▼ ", "warning": "⚠ "}


def voice_map(pilot_ids: Iterable[str]) -> dict[str, int]:
    """Each pilot's voice colour, by roster order, so a voice keeps its colour all game."""
    return {pilot: n % VOICES for n, pilot in enumerate(pilot_ids)}


def register_map(speaker_ids: Iterable[str]) -> dict[str, int]:
    """Each declared speaker's register (`.radio--register-N` for the tag, `-N-text` for the
    words), by declaration order: HQ's voices (the Colonel, the bulletin, notices, the duty
    officer) each read in their own style. The tag names the speaker; the style only helps
    (under NO_COLOR the registers differ by bold, italic, underline and dim)."""
    return {speaker: n % REGISTERS for n, speaker in enumerate(speaker_ids)}


def static_run(length: int, start: int = 0) -> str:
    """Static as the radio shows it: a run of ░▒ as long as the words it hides."""
    return "".join(STATIC_GLYPHS[(start + i) % 2] for i in range(length))


def line_body(line: RadioLine, registers: Mapping[str, int] | None = None) -> Content:
    """The text of a radio line, styled by kind (a declared speaker's by its register, from
    `register_map`), with static drawn as ░▒ and emphasis kept."""
    register = registers.get(line.speaker) if registers and line.kind == "hq" else None
    base = f".radio--register-{register}-text" if register is not None else ""
    base = base or _BODY_CLASS.get(line.kind, "")
    pieces: list[tuple[str, tuple[str, ...]]] = []
    prefix = _PREFIX.get(line.kind)
    if prefix:
        pieces.append((prefix, (base,)))
    position = 0
    for segment in line.segments:
        if segment.style == "static":
            pieces.append((static_run(len(segment.text), position), (".radio--static",)))
        elif segment.style == "em":
            pieces.append((segment.text, (base, ".radio--em")))
        else:
            pieces.append((segment.text, (base,)))
        position += len(segment.text)
    return layered(pieces)


def layered(pieces: Iterable[tuple[str, tuple[str, ...]]]) -> Content:
    """Content from (text, styles) pieces, where one piece may carry several styles."""
    text: list[str] = []
    spans: list[Span] = []
    offset = 0
    for piece, styles in pieces:
        if not piece:
            continue
        text.append(piece)
        spans += [Span(offset, offset + len(piece), style) for style in styles if style]
        offset += len(piece)
    return Content("".join(text), spans)


def line_tag(
    line: RadioLine, voices: Mapping[str, int], registers: Mapping[str, int] | None = None
) -> Content:
    """The callsign tag in the speaker's colour (narration and dossier notes have none); a
    declared speaker's in its register's style (`register_map`)."""
    if not line.tag:
        return Content("")
    register = registers.get(line.speaker) if registers and line.kind == "hq" else None
    if register is not None:
        style = f".radio--register-{register}"
    elif line.kind == "hq":
        style = ".radio--hq"
    elif line.kind == "lena":
        style = ".radio--lena"
    elif line.kind == "warning":
        style = ".radio--warning-tag"
    else:
        style = f".radio--voice-{voices.get(line.speaker, 0)}"
    return Content.styled(line.tag, style)


def meter(value: int, low: int, high: int, cells: int = 5) -> str:
    """A value as ▮▮▮▯▯ between `low` and `high` (filled as `Meter.filled` says)."""
    filled = Meter("", value, low, high).filled(cells)
    return "▮" * filled + "▯" * (cells - filled)


def signal_bars(level: int) -> str:
    """Signal strength as rising bars: 4 is ▂▄▆█, 0 is ····."""
    level = max(0, min(4, level))
    return "▂▄▆█"[:level] + "·" * (4 - level)


def roster_row(pilot: PilotView, width: int, callsign_width: int) -> Content:
    """One roster line: status symbol, callsign, name (a dash until learned), status word."""
    symbol = STATUS_SYMBOL.get(pilot.status, "·")
    status_class = f".roster--{pilot.status}" if pilot.status in STATUS_SYMBOL else ""
    name = pilot.name or "—"
    word = STATUS_WORD.get(pilot.status, pilot.status)
    callsign_width = max(4, min(callsign_width, width - 6))
    name_room = width - 2 - callsign_width - 1
    word_room = max(len(w) for w in STATUS_WORD.values()) + 1
    show_word = name_room - word_room >= 10
    if show_word:
        name_room -= word_room
    name_styles = (".roster--name" if pilot.name else ".roster--unknown",)
    if pilot.status == "killed":
        name_styles += (".roster--fallen",)
    pieces: list[tuple[str, tuple[str, ...]]] = [
        (symbol, (status_class,)),
        (" ", ()),
        (pilot.callsign[:callsign_width].ljust(callsign_width), (".roster--callsign",)),
        (" ", ()),
    ]
    if name_room > 0:
        shown = name if len(name) <= name_room else _short_name(name, name_room)
        pieces.append((shown.ljust(name_room), name_styles))
    if show_word:
        pieces += [(" " * (word_room - len(word)), ()), (word, (status_class,))]
    return layered(pieces)


def _short_name(name: str, room: int) -> str:
    """'Shinei Nouzen' in 9 cells is 'Shinei N.'; failing that, cut with an ellipsis."""
    words = name.split()
    if len(words) > 1:
        short = " ".join(words[:-1]) + f" {words[-1][0]}."
        if len(short) <= room:
            return short
    return name[: max(0, room - 1)] + "…" if room > 1 else name[:room]


def map_lines(text: str, markers: Sequence[Marker]) -> list[Content]:
    """The sector map with the scene's markers drawn over it (S, L, O, !)."""
    rows = [list(row) for row in text.splitlines()] or [[]]
    overlay: dict[tuple[int, int], str] = {}
    for marker in markers:
        if marker.row < 0 or marker.column < 0 or marker.row > 200 or marker.column > 400:
            continue
        while len(rows) <= marker.row:
            rows.append([])
        row = rows[marker.row]
        if len(row) <= marker.column:
            row.extend(" " * (marker.column + 1 - len(row)))
        row[marker.column] = MARKER_GLYPH.get(marker.kind, "?")
        overlay[(marker.column, marker.row)] = marker.kind
    lines: list[Content] = []
    for y, row in enumerate(rows):
        parts: list[tuple[str, str]] = []
        for x, char in enumerate(row):
            kind = overlay.get((x, y))
            style = f".map--{kind}" if kind else f".{TERRAIN[char]}" if char in TERRAIN else ""
            if parts and parts[-1][1] == style:
                parts[-1] = (parts[-1][0] + char, style)
            else:
                parts.append((char, style))
        lines.append(Content.assemble(*parts))
    return lines


def legend_items(markers: Sequence[Marker]) -> list[tuple[str, str, str]]:
    """One (letter, style, what) per kind of marker shown, in the order the kinds first appear:
    a letter never stands for two kinds, and the markers of one kind share its entry, their
    labels (or the kind's name) listed once each: `L Legion, far bank`."""
    names: dict[str, list[str]] = {}
    for marker in markers:
        if marker.kind not in MARKER_GLYPH:
            continue
        name = marker.label or MARKER_NAME[marker.kind]
        shown = names.setdefault(marker.kind, [])
        if name not in shown:
            shown.append(name)
    return [(MARKER_GLYPH[k], f".map--{k}", ", ".join(v)) for k, v in names.items()]


def map_legend(markers: Sequence[Marker], width: int = 28) -> Content:
    """'S squad   L Legion' for the markers shown (`legend_items`), two to a line when they
    fit, else one."""
    items = legend_items(markers)
    column = max((len(text) + 2 for _, _, text in items), default=0) + 2
    per_line = 2 if column * 2 <= width else 1
    parts: list[str | tuple[str, str]] = []
    for n, (glyph, style, text) in enumerate(items):
        if n:
            parts.append("\n" if n % per_line == 0 else " " * (column - len(items[n - 1][2]) - 2))
        parts += [(glyph, style), " ", text]
    return Content.assemble(*parts)


def legend_line(markers: Sequence[Marker], width: int = 0) -> Content:
    """The legend on one line, for a map panel too short for `map_legend` under the map:
    `S Spearhead · L Legion, far bank · O ford`, or, to fit `width` (0: any), each kind's first
    name, then its kind's name, then the letters alone. Every letter shown stays listed."""
    items = legend_items(markers)
    kinds = {glyph: kind for kind, glyph in MARKER_GLYPH.items()}
    forms = [
        (" · ", [text for _, _, text in items]),
        (" · ", [text.split(", ")[0] for _, _, text in items]),
        ("·", [text.split(", ")[0] for _, _, text in items]),
        ("·", [MARKER_NAME[kinds[glyph]] for glyph, _, _ in items]),
        (" ", ["" for _ in items]),
    ]
    for separator, names in forms:
        parts: list[str | tuple[str, str]] = []
        for (glyph, style, _), name in zip(items, names, strict=True):
            if parts:
                parts.append(separator)
            parts += [(glyph, style), *((" ", name) if name else ())]
        line = Content.assemble(*parts)
        if not width or line.cell_length <= width:
            break
    return line


def map_window(
    size: tuple[int, int], markers: Sequence[Marker], view: tuple[int, int]
) -> tuple[int, int]:
    """Where a view of `view` (columns, rows) over a map of `size` starts, so that the squad
    stays in sight, then as many other markers as fit, then the squad as near the middle as
    can be: a small panel follows the squad round by round instead of showing the map's
    corner. (0, 0) when the whole map fits."""
    width, height = size
    view_w, view_h = max(1, view[0]), max(1, view[1])
    marks = [(m.column, m.row, m.kind) for m in markers if m.column >= 0 and m.row >= 0]
    if (width <= view_w and height <= view_h) or not marks:
        return 0, 0
    squad = next(((x, y) for x, y, kind in marks if kind == "squad"), marks[0][:2])

    def starts(at: int, extent: int, room: int) -> range:
        if extent <= room:
            return range(0, 1)
        return range(max(0, min(at - room + 1, extent - room)), min(at, extent - room) + 1)

    best: tuple[int, int, int, int] | None = None
    for y in starts(squad[1], height, view_h):
        for x in starts(squad[0], width, view_w):
            seen = sum(1 for mx, my, _ in marks if x <= mx < x + view_w and y <= my < y + view_h)
            off = abs(squad[0] - (x + view_w // 2)) + abs(squad[1] - (y + view_h // 2))
            if best is None or (-seen, off) < (-best[0], best[1]):
                best = (seen, off, x, y)
    assert best is not None
    return best[2], best[3]


def map_title(name: str | None) -> str:
    """'sector_4' as 'SECTOR 4'."""
    return name.replace("_", " ").replace("-", " ").upper() if name else "SECTOR"


def order_pending_hint(number: int, orders: Sequence[OrderView]) -> str:
    """What an order number pressed while the radio was still arriving says, once the lines
    are written out: which order pressing it again gives (or that there is none)."""
    for view in orders:
        if view.number == number:
            return f"Every line is in. {number} again gives: {' '.join(view.say.split())}"
    return f"Every line is in. There is no order {number} here."
