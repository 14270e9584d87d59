"""Where a character inside a value is written: the place a diagnostic about a condition points
at, whatever the quoting (plain, 'single', "double" with escapes, a `|` block).

The loader keeps where each key starts, not where its value's characters are; reading that for
every value would slow every load for the sake of the few that are wrong. So a file is read
again, as parser events, only when a diagnostic needs to point inside one of its values, and
each character of the value is traced back to the file. Where that is impossible (a folded `>`
block, a file changed since it was read) the place is the value's start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from game.engine.diagnostics import Mark


@dataclass(frozen=True, slots=True)
class _Scalar:
    """A scalar value as written: where it starts and ends in the file's text, and its style
    (None for plain, or one of ' " | >)."""

    start: int
    end: int
    style: str | None


class Places:
    """The places of values, by the place of their key: filled one file at a time, the first
    time a diagnostic in that file asks."""

    def __init__(self) -> None:
        self.paths: dict[str, Path] = {}  # a file's name as diagnostics give it -> its path
        self._texts: dict[str, str] = {}
        self._values: dict[str, dict[tuple[int, int], _Scalar]] = {}

    def value_start(self, key: Mark) -> Mark:
        """Where the value of the key written at `key` starts (`key` itself if unknown)."""
        scalar = self._scalar(key)
        if scalar is None:
            return key
        return self._mark(key.path, scalar.start)

    def inside(self, key: Mark, value: str, offset: int) -> Mark:
        """Where character `offset` of `value`, the value of the key written at `key`, is
        written. The value's start when the character cannot be traced; `key` when the value
        cannot be found (or is not `value` any more)."""
        scalar = self._scalar(key)
        if scalar is None:
            return key
        text = self._texts[key.path]
        positions = _positions(text[scalar.start : scalar.end], scalar.style, value)
        if positions is None or not positions:
            return self._mark(key.path, scalar.start)
        index = positions[min(max(offset, 0), len(positions) - 1)]
        if offset >= len(positions):  # the end of the value: just after its last character
            index += 1
        return self._mark(key.path, scalar.start + index)

    def _mark(self, path: str, index: int) -> Mark:
        text = self._texts[path]
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        return Mark(path, line, column)

    def _scalar(self, key: Mark) -> _Scalar | None:
        if key.path not in self._values:
            self._values[key.path] = self._read(key.path)
        return self._values[key.path].get((key.line, key.column))

    def _read(self, display: str) -> dict[tuple[int, int], _Scalar]:
        """Every scalar value that follows a scalar key in the file, by the key's place."""
        path = self.paths.get(display)
        if path is None:
            return {}
        try:
            from game.engine.regular import read_regular
            from game.engine.yamlsafe import MAX_FILE_BYTES

            text = read_regular(path, MAX_FILE_BYTES).decode("utf-8").removeprefix("\ufeff")
        except Exception:  # noqa: BLE001 - gone or changed: the diagnostic keeps the key's place
            return {}
        self._texts[display] = text
        return _scalars_after_keys(text)


def _scalars_after_keys(text: str) -> dict[tuple[int, int], _Scalar]:
    import yaml

    from game.engine.yamlsafe import _loaders

    found: dict[tuple[int, int], _Scalar] = {}
    # For each open collection: None for a sequence; for a mapping, the place of the key
    # waiting for its value, or False while a key is expected.
    stack: list[tuple[int, int] | bool | None] = []
    parser = _loaders()[1](text)
    try:
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            is_start = isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent)
            if isinstance(event, yaml.ScalarEvent | yaml.AliasEvent) or is_start:
                top = stack[-1] if stack else None
                if top is False and isinstance(event, yaml.ScalarEvent):
                    mark = event.start_mark
                    stack[-1] = (mark.line + 1, mark.column + 1)
                elif isinstance(top, tuple):
                    if isinstance(event, yaml.ScalarEvent):
                        found[top] = _Scalar(
                            event.start_mark.index, event.end_mark.index, event.style or None
                        )
                    stack[-1] = False
                elif top is False:
                    stack[-1] = (-1, -1)  # a collection as a key: its value is not indexed
                if isinstance(event, yaml.MappingStartEvent):
                    stack.append(False)
                elif isinstance(event, yaml.SequenceStartEvent):
                    stack.append(None)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                stack.pop()
    except yaml.YAMLError:
        pass  # what was indexed before the problem still points true
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose:
            dispose()
    return found


_ESCAPE_LENGTHS = {"x": 2, "u": 4, "U": 8}


def _positions(raw: str, style: str | None, value: str) -> list[int] | None:
    """For each character of `value`, its index in `raw` (the scalar as written), or None
    when that cannot be worked out or `raw` does not read as `value`."""
    if style == ">":
        return None
    out, positions = _literal(raw) if style == "|" else _flow(raw, style)
    if out == value or (style == "|" and out.rstrip("\n") == value.rstrip("\n")):
        return positions[: len(value)]
    return None


def _literal(raw: str) -> tuple[str, list[int]]:
    """A `|` block: its lines without their common indentation."""
    header_end = raw.find("\n")
    if header_end < 0:
        return "", []
    lines: list[tuple[int, str]] = []
    start = header_end + 1
    for line in raw[start:].split("\n"):
        lines.append((start, line))
        start += len(line) + 1
    content = [line for _, line in lines if line.strip()]
    indent = min((len(line) - len(line.lstrip(" ")) for line in content), default=0)
    out: list[str] = []
    positions: list[int] = []
    for begin, line in lines:
        for column, char in enumerate(line[indent:], start=indent):
            out.append(char)
            positions.append(begin + column)
        out.append("\n")
        positions.append(begin + len(line))
    return "".join(out), positions


def _flow(raw: str, style: str | None) -> tuple[str, list[int]]:  # noqa: C901, PLR0912
    """A plain, 'single' or "double" quoted scalar, folded as YAML folds it: a line break and
    the blanks around it are one space, each empty line a newline."""
    out: list[str] = []
    positions: list[int] = []
    quoted = style in ("'", '"')
    i = 1 if quoted else 0
    end = len(raw)
    while i < end:
        char = raw[i]
        if quoted and char == style:
            if style == "'" and raw[i + 1 : i + 2] == "'":
                out.append("'")
                positions.append(i)
                i += 2
                continue
            break
        if char == "\\" and style == '"' and i + 1 < end:
            code = raw[i + 1]
            if code == "\n":
                i += 2
                while i < end and raw[i] in " \t":
                    i += 1
                continue
            length = _ESCAPE_LENGTHS.get(code, 0)
            if length:
                try:
                    out.append(chr(int(raw[i + 2 : i + 2 + length], 16)))
                except ValueError:
                    return "", []
            else:
                out.append(_SIMPLE_ESCAPES.get(code, code))
            positions.append(i)
            i += 2 + length
            continue
        if char == "\n":
            while out and out[-1] in " \t" and positions and raw[positions[-1]] in " \t":
                out.pop()
                positions.pop()
            breaks = [i]
            i += 1
            while True:
                while i < end and raw[i] in " \t":
                    i += 1
                if i < end and raw[i] == "\n":
                    breaks.append(i)
                    i += 1
                    continue
                break
            if len(breaks) == 1:
                out.append(" ")
                positions.append(breaks[0])
            else:
                for at in breaks[1:]:
                    out.append("\n")
                    positions.append(at)
            continue
        out.append(char)
        positions.append(i)
        i += 1
    return "".join(out), positions


_SIMPLE_ESCAPES = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
