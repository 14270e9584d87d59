"""Bounded, safe YAML loading that remembers where every mapping and sequence came from.

Only the safe loader is used (the C one when libyaml is present). Before anything is composed the
file is checked against hard caps: size, nesting depth and alias count. libyaml overflows its stack
on deep nesting and alias bombs expand exponentially when walked, so both are refused from the
event stream, which costs little and builds no objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

try:  # pragma: no branch - depends on how PyYAML was built
    from yaml import CSafeLoader as _BaseLoader
    from yaml._yaml import CParser as _EventParser
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]
    from yaml import SafeLoader as _EventParser  # type: ignore[assignment]

from game.engine.diagnostics import Mark

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 1000
MAX_EXPANDED_NODES = 200_000


class YamlProblem(Exception):
    """A file that cannot be read as a scene file; carries the place of the problem."""

    def __init__(self, mark: Mark, message: str) -> None:
        super().__init__(f"{mark}: {message}")
        self.mark = mark
        self.message = message


class MarkedDict(dict):  # type: ignore[type-arg]
    """A mapping from YAML that knows where it and each of its keys started."""

    mark: Mark
    key_marks: dict[Any, Mark]


class MarkedList(list):  # type: ignore[type-arg]
    """A sequence from YAML that knows where it and each of its items started."""

    mark: Mark
    item_marks: list[Mark]


def _mark(path: str, node: yaml.Node) -> Mark:
    return Mark(path, node.start_mark.line + 1, node.start_mark.column + 1)


def _make_loader(path: str) -> type:
    class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
        pass

    def construct_mapping(loader: Any, node: yaml.MappingNode) -> MarkedDict:
        result = MarkedDict()
        result.mark = _mark(path, node)
        result.key_marks = {}
        loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise YamlProblem(_mark(path, key_node), "a mapping key must be plain text")
            if key in result:
                raise YamlProblem(_mark(path, key_node), f"duplicate key '{key}' in this mapping")
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_marks[key] = _mark(path, key_node)
        return result

    def construct_sequence(loader: Any, node: yaml.SequenceNode) -> MarkedList:
        result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
        result.mark = _mark(path, node)
        result.item_marks = [_mark(path, child) for child in node.value]
        return result

    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    return _Loader


def _check_events(text: str, path: str) -> None:
    """Refuse deep nesting and alias bombs by walking parser events, which builds nothing."""
    if "&" in text:
        _check_events_with_anchors(text, path)
        return
    # No anchors means no aliases (an alias to a missing anchor is a parse error), so only the
    # depth needs watching. Compared by identity: this loop sees every event of every file.
    opening = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    closing = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    end = yaml.StreamEndEvent
    depth = 0
    parser = _EventParser(text)
    get_event = parser.get_event
    try:
        while True:
            event = get_event()
            kind = type(event)
            if kind is opening[0] or kind is opening[1]:
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(path, event)
            elif kind is closing[0] or kind is closing[1]:
                depth -= 1
            elif event is None or kind is end:
                return
    finally:
        _dispose(parser)


def _check_events_with_anchors(text: str, path: str) -> None:
    """The same walk, also counting how many nodes the document holds once aliases expand.

    Each anchored node's size is recorded when it closes; an alias adds that size to its
    parent. A few aliases of aliases can describe billions of nodes, which is what a walker
    (a schema validator, a dump) would visit.
    """
    sizes: dict[str, int] = {}
    stack: list[list[int | str | None]] = [[0, None]]
    expanded = aliases = 0
    parser = _EventParser(text)
    try:
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                stack.append([1, event.anchor])
                expanded += 1
                if len(stack) - 1 > MAX_DEPTH:
                    raise _too_deep(path, event)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                count, anchor = stack.pop()
                if anchor:
                    sizes[str(anchor)] = int(count or 0)
                stack[-1][0] = int(stack[-1][0] or 0) + int(count or 0)
            elif isinstance(event, yaml.ScalarEvent):
                stack[-1][0] = int(stack[-1][0] or 0) + 1
                expanded += 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                size = sizes.get(event.anchor, 1)
                stack[-1][0] = int(stack[-1][0] or 0) + size
                expanded += size
                if aliases > MAX_ALIASES or expanded > MAX_EXPANDED_NODES:
                    raise YamlProblem(
                        _event_mark(path, event),
                        f"aliases (*name) here expand to more than {MAX_EXPANDED_NODES:,} "
                        "values; refusing a possible alias bomb",
                    )
    finally:
        _dispose(parser)


def _too_deep(path: str, event: yaml.Event) -> YamlProblem:
    return YamlProblem(
        _event_mark(path, event),
        f"nesting deeper than {MAX_DEPTH} levels; scene files never need this",
    )


def _dispose(parser: object) -> None:
    dispose = getattr(parser, "dispose", None)
    if dispose:
        dispose()


def _event_mark(path: str, event: yaml.Event) -> Mark:
    return Mark(path, event.start_mark.line + 1, event.start_mark.column + 1)


def load_yaml(file: Path, display: str | None = None) -> Any:
    """Read one YAML file safely and within bounds.

    Returns plain data where every mapping is a `MarkedDict` and every sequence a `MarkedList`.
    Raises `YamlProblem` with a place and a plain message for anything unreadable or hostile.
    """
    path = display or str(file)
    try:
        if not file.is_file():
            raise YamlProblem(Mark(path), "not a regular file")
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlProblem(
                Mark(path),
                f"file is {size // 1024} KiB; scene files are capped at "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MiB (split it into several files)",
            )
        raw = file.read_bytes()
    except OSError as exc:
        raise YamlProblem(Mark(path), f"cannot read file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem(Mark(path, line), "file is not valid UTF-8 text") from None
    text = text.removeprefix("\ufeff")
    try:
        _check_events(text, path)
        return yaml.load(text, Loader=_make_loader(path))  # noqa: S506 - a SafeLoader subclass
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(path, mark.line + 1, mark.column + 1) if mark else Mark(path)
        problem = " ".join((exc.problem or exc.context or "malformed YAML").split())
        if "could not determine a constructor" in str(exc):
            problem = "tags such as '!!python/...' are not allowed in scene files"
        raise YamlProblem(where, f"YAML syntax: {problem}") from None
    except yaml.reader.ReaderError as exc:
        # Raised for characters YAML forbids (NUL, most control characters); it has a position,
        # not a mark.
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        raise YamlProblem(
            Mark(path, line, column),
            f"character {exc.character!r} is not allowed in YAML; remove it",
        ) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(Mark(path), "YAML: " + " ".join(str(exc).split())) from None
    except RecursionError:
        raise YamlProblem(Mark(path), "nesting too deep") from None
