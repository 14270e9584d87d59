"""Every id of a story with its places: where each is declared and every place it is named.

A file is indexed from PyYAML's node tree (the parser the loader uses, so every key and value
comes with its exact place) and walked by the format's own field table (`format.OBJECTS`): a
field of kind `scene_ref` names a scene, `pilot_refs` pilots, `condition` holds a condition,
and so on, so the index learns a new field when the format does. Inside conditions and texts a
light scan finds the names (`has(ev_x)`, `trust`, `{handler_name}`): what is wrong with them is
the validator's job, not this one's. Columns are 0-based and count code points.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from game.engine.conditions import FUNCTIONS, KEYWORDS
from game.engine.format import LINE_KEYS, OBJECTS
from game.engine.model import FIXED_SPEAKERS

KINDS = (
    "scene",
    "variable",
    "pilot",
    "evidence",
    "deduction",
    "ending",
    "speaker",
    "tone",
    "persona",
)
"""The kinds of id a story declares (each kind has its own namespace)."""

VOICES = ("pilot", "speaker")
"""What a radio line's speaker key may name, beside the fixed voices."""

_REF_KINDS = {
    "scene_ref": "scene",
    "ending_ref": "ending",
    "tone_ref": "tone",
    "evidence_refs": "evidence",
    "pilot_refs": "pilot",
    "tone_refs": "tone",
}
_KEY_REFS = {"assignments": "variable", "increments": "variable", "statuses": "pilot"}
_IDENTIFIER = re.compile(r"""[A-Za-z_][A-Za-z0-9_]*|'[^']*'|"[^"]*"|[()]""")
_INTERPOLATION = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
# `{pilot}` in an engagement's hit and kill narration is the hit pilot, not a variable.
_PILOT_PLACEHOLDER = {"hit", "kill"}


@dataclass(frozen=True, slots=True)
class Span:
    """Where a name is written: a line and the columns it covers (0-based, end exclusive)."""

    line: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Region:
    """A stretch of a file, from (line, column) to (end_line, end_column), 0-based."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One place an id is written: its declaration, or a reference to it. `kinds` is what it
    may name: one kind, but a radio speaker may be a pilot or a declared speaker."""

    kinds: tuple[str, ...]
    name: str
    span: Span
    declaration: bool = False


@dataclass(frozen=True, slots=True)
class Declared:
    """A declaration: its kind and id, where the id is written, the whole object, and its
    fields as written (for hover: a scene's title and first line, a variable's type...)."""

    kind: str
    name: str
    span: Span
    region: Region
    facts: tuple[tuple[str, str], ...] = ()

    def fact(self, key: str) -> str | None:
        """The value of one of the object's fields as written, or None."""
        return next((value for name, value in self.facts if name == key), None)


@dataclass
class FileIndex:
    """What one file declares and names."""

    path: Path
    lines: list[str]
    declared: list[Declared] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)


def index_text(path: Path, text: str, *, manifest: bool) -> FileIndex:
    """Index one file's text (a manifest when `manifest`). Raises `yaml.YAMLError` when the text
    does not parse; callers pass only text the loader's bounded reader has accepted."""
    import yaml

    try:
        from yaml import CSafeLoader as loader
    except ImportError:  # pragma: no cover - depends on how PyYAML was built
        from yaml import SafeLoader as loader  # type: ignore[assignment]
    text = text.removeprefix("\ufeff")
    index = FileIndex(path, text.split("\n"))
    root = yaml.compose(text, Loader=loader)
    if root is not None:
        _Walker(index).walk_object(root, "manifest" if manifest else "scene_file")
    return index


class _Walker:
    def __init__(self, index: FileIndex) -> None:
        self.index = index
        self.lines = index.lines
        # An alias (`*name`) is the node its anchor wrote: walked once, named once.
        self.seen: set[int] = set()

    # --- objects, by the format's field table ------------------------------------------------

    def walk_object(self, node: Any, kind: str) -> None:
        if type(node).__name__ != "MappingNode" or id(node) in self.seen:
            return
        self.seen.add(id(node))
        fields = OBJECTS[kind]
        id_key = "name" if kind == "variable" else "id"
        for key_node, value in node.value:
            key = getattr(key_node, "value", None)
            spec = fields.get(key) if isinstance(key, str) else None
            if spec is None:
                continue
            if kind in KINDS and key == id_key:
                self.declare(kind, node, value)
            else:
                self.walk_field(spec.kind, value, key)

    def walk_field(self, kind: str, node: Any, key: str) -> None:
        if kind.startswith("list:"):
            for item in self.items(node):
                self.walk_object(item, kind[5:])
        elif kind in ("effects", "engagement"):
            self.walk_object(node, kind)
        elif kind in _REF_KINDS:
            for item in [node] if _is_scalar(node) else self.items(node):
                self.reference((_REF_KINDS[kind],), item)
        elif kind in _KEY_REFS and type(node).__name__ == "MappingNode":
            for key_node, _ in node.value:
                self.reference((_KEY_REFS[kind],), key_node)
        elif kind in ("condition", "int_expr"):
            self.condition(node)
        elif kind == "lines":
            for line in self.items(node):
                self.radio_line(line)
        elif kind == "goto":
            if _is_scalar(node):
                self.reference(("scene",), node)
            for branch in self.items(node):
                self.walk_object(branch, "branch")
        elif kind == "text":
            self.text(node, skip={"pilot"} if key in _PILOT_PLACEHOLDER else set())

    def radio_line(self, node: Any) -> None:
        if type(node).__name__ != "MappingNode":
            return
        for key_node, value in node.value:
            key = getattr(key_node, "value", None)
            if not isinstance(key, str):
                continue
            if key in LINE_KEYS:
                self.walk_field(LINE_KEYS[key].kind, value, key)
            else:
                if key not in FIXED_SPEAKERS:
                    self.reference(VOICES, key_node)
                self.text(value)

    def items(self, node: Any) -> list[Any]:
        if type(node).__name__ != "SequenceNode" or id(node) in self.seen:
            return []
        self.seen.add(id(node))
        return list(node.value)

    # --- what is recorded --------------------------------------------------------------------

    def declare(self, kind: str, node: Any, id_node: Any) -> None:
        span = self.span(id_node)
        if span is None or not isinstance(id_node.value, str):
            return
        facts: list[tuple[str, str]] = []
        for key_node, value in node.value:
            key = getattr(key_node, "value", None)
            if not isinstance(key, str):
                continue
            if _is_scalar(value):
                facts.append((key, str(value.value)))
            elif key == "requires" and type(value).__name__ == "SequenceNode":
                facts.append((key, ", ".join(str(getattr(i, "value", "")) for i in value.value)))
            elif key == "radio" and kind == "scene":
                first = _first_line(value)
                if first:
                    facts.append(("first_line", first))
        start, end = node.start_mark, node.end_mark
        region = Region(start.line, start.column, end.line, end.column)
        self.index.declared.append(Declared(kind, id_node.value, span, region, tuple(facts)))
        self.index.occurrences.append(Occurrence((kind,), id_node.value, span, declaration=True))

    def reference(self, kinds: tuple[str, ...], node: Any) -> None:
        span = self.span(node) if _is_scalar(node) else None
        if span is not None and node.value:
            self.index.occurrences.append(Occurrence(kinds, node.value, span))

    def span(self, node: Any) -> Span | None:
        """Where a one-line scalar's text is written (inside its quotes, if any)."""
        start, end = node.start_mark, node.end_mark
        if start.line != end.line:
            return None
        if getattr(node, "style", None) in ("'", '"'):
            return Span(start.line, start.column + 1, max(start.column + 1, end.column - 1))
        return Span(start.line, start.column, end.column)

    def segments(self, node: Any) -> Iterator[tuple[int, int, str]]:
        """The source text of a scalar, line by line, as (line, first column, text), without
        its quotes or a block scalar's header: names inside are found where they are written,
        however the value is folded."""
        if not _is_scalar(node):
            return
        start, end = node.start_mark, node.end_mark
        style = getattr(node, "style", None)
        quoted = style in ("'", '"')
        first_line = start.line + 1 if style in ("|", ">") else start.line
        for line in range(first_line, min(end.line, len(self.lines) - 1) + 1):
            text = self.lines[line]
            first = start.column + (1 if quoted else 0) if line == start.line else 0
            last = end.column - (1 if quoted else 0) if line == end.line else len(text)
            if first < last:
                yield line, first, text[first:last]

    def condition(self, node: Any) -> None:
        # A function's parentheses name ids of the kind it takes; other names are variables.
        owners: list[str | None] = []
        pending: tuple[int, int, str] | None = None
        for line, first, text in self.segments(node):
            for match in _IDENTIFIER.finditer(text):
                token = match.group()
                if pending is not None:
                    self.condition_name(*pending, owners, call=token == "(")
                    pending = None
                if token == "(":
                    before = text[: match.start()].rstrip()
                    owner = re.search(r"[A-Za-z_][A-Za-z0-9_]*$", before)
                    owners.append(owner.group() if owner else None)
                elif token == ")":
                    if owners:
                        owners.pop()
                elif token[0] not in "'\"":
                    pending = (line, first + match.start(), token)
        if pending is not None:
            self.condition_name(*pending, owners, call=False)

    def condition_name(
        self, line: int, column: int, name: str, owners: list[str | None], *, call: bool
    ) -> None:
        if call or name in KEYWORDS:
            return
        span = Span(line, column, column + len(name))
        owner = owners[-1] if owners else None
        if owner is not None:
            function = FUNCTIONS.get(owner)
            if function is not None and function.args:
                self.index.occurrences.append(Occurrence((function.args[0],), name, span))
            return
        self.index.occurrences.append(Occurrence(("variable",), name, span))

    def text(self, node: Any, skip: set[str] | None = None) -> None:
        for line, first, text in self.segments(node):
            for match in _INTERPOLATION.finditer(text):
                name = match.group(1)
                if name and name not in (skip or ()):
                    column = first + match.start(1)
                    span = Span(line, column, column + len(name))
                    self.index.occurrences.append(Occurrence(("variable",), name, span))


def _is_scalar(node: Any) -> bool:
    return type(node).__name__ == "ScalarNode"


def _first_line(radio: Any) -> str | None:
    """A scene's first radio line as `speaker: text`."""
    if type(radio).__name__ != "SequenceNode":
        return None
    for line in radio.value:
        if type(line).__name__ != "MappingNode":
            continue
        for key_node, value in line.value:
            if key_node.value not in LINE_KEYS and _is_scalar(value):
                return f"{key_node.value}: {value.value}"
    return None


@dataclass(frozen=True, slots=True)
class Place:
    """An occurrence in a file."""

    path: Path
    occurrence: Occurrence


class StoryIndex:
    """The index of every file of one story."""

    def __init__(self) -> None:
        self.files: dict[Path, FileIndex] = {}
        self._declared: dict[tuple[str, str], list[tuple[Path, Declared]]] | None = None

    def put(self, index: FileIndex) -> None:
        """Add or replace one file's index."""
        self.files[index.path] = index
        self._declared = None

    def drop(self, path: Path) -> None:
        """Forget a file (deleted, or no longer part of the story)."""
        if self.files.pop(path, None) is not None:
            self._declared = None

    @property
    def declared(self) -> dict[tuple[str, str], list[tuple[Path, Declared]]]:
        """Every declaration by (kind, id); a duplicate has several."""
        if self._declared is None:
            table: dict[tuple[str, str], list[tuple[Path, Declared]]] = {}
            for path, file in sorted(self.files.items()):
                for item in file.declared:
                    table.setdefault((item.kind, item.name), []).append((path, item))
            self._declared = table
        return self._declared

    def names(self, kind: str) -> list[Declared]:
        """Every declaration of one kind, in id order (the first of duplicates)."""
        found = {name: items[0][1] for (k, name), items in self.declared.items() if k == kind}
        return [found[name] for name in sorted(found)]

    def resolve(self, occurrence: Occurrence) -> str:
        """The kind an occurrence names: the first of its kinds declared under its id."""
        for kind in occurrence.kinds:
            if (kind, occurrence.name) in self.declared:
                return kind
        return occurrence.kinds[0]

    def at(self, path: Path, line: int, column: int) -> Occurrence | None:
        """The occurrence written at a place (its end included, where a cursor stops)."""
        file = self.files.get(path)
        if file is None:
            return None
        for item in file.occurrences:
            span = item.span
            if span.line == line and span.start <= column <= span.end:
                return item
        return None

    def definitions(self, kind: str, name: str) -> list[tuple[Path, Declared]]:
        """Where (kind, name) is declared."""
        return self.declared.get((kind, name), [])

    def occurrences(self, kind: str, name: str) -> list[Place]:
        """Every place (kind, name) is written, declarations included, by file and place."""
        found = []
        for path, file in sorted(self.files.items()):
            for item in file.occurrences:
                if item.name == name and kind in item.kinds and self.resolve(item) == kind:
                    found.append(Place(path, item))
        return sorted(
            found, key=lambda p: (p.path, p.occurrence.span.line, p.occurrence.span.start)
        )
