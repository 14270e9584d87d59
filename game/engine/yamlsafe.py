"""Bounded, safe YAML loading that remembers where every mapping and sequence came from.

Only the safe loader is used (the C one when libyaml is present). Before anything is composed the
file is checked against hard caps: size, nesting depth and alias count. libyaml overflows its stack
on deep nesting and alias bombs expand exponentially when walked, so both are refused from the
event stream, which costs little and builds no objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from game.engine.diagnostics import Mark

if TYPE_CHECKING:
    import yaml

# PyYAML is imported when a file is first read, not with this module: a game that starts from
# the compiled-story cache never reads YAML, and importing PyYAML costs ~25 ms of startup.
_LOADERS: tuple[type, type] | None = None


def _loaders() -> tuple[type, type]:
    """The safe loader class and the bare event parser (the C ones when libyaml is present)."""
    global _LOADERS
    if _LOADERS is None:
        try:  # pragma: no branch - depends on how PyYAML was built
            from yaml import CSafeLoader as base
            from yaml._yaml import CParser as events
        except ImportError:  # pragma: no cover
            from yaml import SafeLoader as base  # type: ignore[assignment]
            from yaml import SafeLoader as events  # type: ignore[assignment]
        _LOADERS = (base, events)
    return _LOADERS


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


_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"
_MAX_INT_CHARS = 80  # longer than any way of writing a 64-bit number (binary with '_' aside)


def _bounded_int(loader: Any, node: yaml.ScalarNode, path: str) -> int:
    """A scalar YAML resolved as a whole number, built only if it is short enough to be one the
    game can hold, and refused unless it is (`game.engine.format.INT_MIN`..`INT_MAX`)."""
    from game.engine.format import INT_RANGE_TEXT, int_in_range

    value: Any = None
    if len(node.value) <= _MAX_INT_CHARS:
        try:
            value = loader.construct_yaml_int(node)
        except ValueError:
            value = None
    if not isinstance(value, int) or not int_in_range(value):
        raise YamlProblem(
            _mark(path, node), f"number too large: whole numbers are {INT_RANGE_TEXT}"
        )
    return value


def _make_loader(path: str) -> type:
    import yaml

    class _Loader(_loaders()[0]):  # type: ignore[misc, valid-type]
        pass

    def construct_mapping(loader: Any, node: yaml.MappingNode) -> MarkedDict:
        result = MarkedDict()
        result.mark = _mark(path, node)
        result.key_marks = {}
        # Merge keys (`<<: *base`) as YAML defines them: the mapping's own keys override the
        # merged ones; only a key written twice in the mapping itself is a duplicate.
        own = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE)
        loader.flatten_mapping(node)
        merged = len(node.value) - own
        own_keys: set[Any] = set()
        for position, (key_node, value_node) in enumerate(node.value):
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise YamlProblem(_mark(path, key_node), "a mapping key must be plain text")
            if position >= merged:
                if key in own_keys:
                    raise YamlProblem(
                        _mark(path, key_node), f"duplicate key '{key}' in this mapping"
                    )
                own_keys.add(key)
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_marks[key] = _mark(path, key_node)
        return result

    def construct_sequence(loader: Any, node: yaml.SequenceNode) -> MarkedList:
        result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
        result.mark = _mark(path, node)
        result.item_marks = [_mark(path, child) for child in node.value]
        return result

    _Loader.add_constructor(_INT, lambda loader, node: _bounded_int(loader, node, path))
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    return _Loader


# --- the one-pass loader for plain documents ---------------------------------------------------

_NOT_PLAIN = object()
_STR = "tag:yaml.org,2002:str"
# Scalar tags built here; anything else (timestamps, binary, merge keys, explicit tags) is left
# to PyYAML's own constructor, on the two-pass path.
_SIMPLE_TAGS = frozenset(
    {
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:float",
    }
)


def _load_plain(text: str, path: str) -> Any:
    """Build a plain document straight from the parser's events, in one pass.

    The two-pass path walks the events once to refuse deep nesting and alias bombs, then lets
    libyaml compose a node tree that PyYAML's constructor turns into data: three walks of every
    value, and most of a large story's load time. Scene files are plain data (mappings,
    sequences, scalars, no anchors or tags), so here the events are walked once, with the same
    depth check on the same events, and the same data is built: the same implicit types
    (PyYAML's resolver and constructors), `MarkedDict`/`MarkedList` with the same marks.

    Returns `_NOT_PLAIN` for anything else (anchors, aliases, tags, merge keys, several
    documents, a collection as a key, a duplicate key, a syntax error): the two-pass path then
    loads the file and raises its own errors, so every outcome is what it always was.
    """
    loader = _loaders()[0](text)
    try:
        return _build_plain(loader, path)
    except YamlProblem:
        raise
    except Exception:  # noqa: BLE001 - whatever went wrong, the two-pass path says it properly
        return _NOT_PLAIN
    finally:
        _dispose(loader)


def _build_plain(loader: Any, path: str) -> Any:  # noqa: C901, PLR0912, PLR0915 - one hot loop
    import yaml

    get_event = loader.get_event
    resolve = loader.resolve
    constructors = loader.yaml_constructors
    scalar_node = yaml.ScalarNode
    scalar_event = yaml.ScalarEvent
    mapping_start, mapping_end = yaml.MappingStartEvent, yaml.MappingEndEvent
    sequence_start, sequence_end = yaml.SequenceStartEvent, yaml.SequenceEndEvent
    document_start, stream_end = yaml.DocumentStartEvent, yaml.StreamEndEvent
    alias = yaml.AliasEvent
    tags: dict[tuple[str, tuple[bool, bool]], str] = {}
    no_key = _NOT_PLAIN
    # The open collections, innermost last; for a mapping, the key waiting for its value.
    open_: list[Any] = []
    keys: list[Any] = []
    key_marks: list[Any] = []
    root: Any = None
    documents = 0
    while True:
        event = get_event()
        kind = type(event)
        if kind is scalar_event:
            if event.anchor is not None or event.tag is not None:
                return _NOT_PLAIN
            value = event.value
            implicit = event.implicit
            if implicit[0]:
                tag = tags.get((value, implicit))
                if tag is None:
                    tag = tags[(value, implicit)] = resolve(scalar_node, value, implicit)
            else:
                tag = _STR
            if tag != _STR:
                if tag not in _SIMPLE_TAGS:
                    return _NOT_PLAIN
                node = scalar_node(tag, value, event.start_mark, event.end_mark, event.style)
                if tag == _INT:
                    value = _bounded_int(loader, node, path)
                else:
                    value = constructors[tag](loader, node)
            if not open_:
                root = value
                continue
            parent = open_[-1]
            start = event.start_mark
            if keys[-1] is None:  # a sequence
                parent.append(value)
                parent.item_marks.append(Mark(path, start.line + 1, start.column + 1))
            elif keys[-1] is no_key:  # a mapping's key
                if value in parent:
                    return _NOT_PLAIN  # a duplicate: the two-pass path reports it
                keys[-1] = value
                key_marks[-1] = start
            else:  # a mapping's value
                key = keys[-1]
                parent[key] = value
                at = key_marks[-1]
                parent.key_marks[key] = Mark(path, at.line + 1, at.column + 1)
                keys[-1] = no_key
        elif kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or event.tag is not None:
                return _NOT_PLAIN
            if len(open_) >= MAX_DEPTH:
                raise _too_deep(path, event)
            start = event.start_mark
            mark = Mark(path, start.line + 1, start.column + 1)
            if kind is mapping_start:
                child: Any = MarkedDict()
                child.mark = mark
                child.key_marks = {}
                child_key: Any = no_key
            else:
                child = MarkedList()
                child.mark = mark
                child.item_marks = []
                child_key = None
            if open_:
                parent = open_[-1]
                if keys[-1] is None:
                    parent.append(child)
                    parent.item_marks.append(mark)
                elif keys[-1] is no_key:
                    return _NOT_PLAIN  # a collection as a key
                else:
                    key = keys[-1]
                    parent[key] = child
                    at = key_marks[-1]
                    parent.key_marks[key] = Mark(path, at.line + 1, at.column + 1)
                    keys[-1] = no_key
            else:
                root = child
            open_.append(child)
            keys.append(child_key)
            key_marks.append(None)
        elif kind is mapping_end or kind is sequence_end:
            open_.pop()
            keys.pop()
            key_marks.pop()
        elif kind is alias:
            return _NOT_PLAIN
        elif kind is document_start:
            documents += 1
            if documents > 1:
                return _NOT_PLAIN
        elif event is None or kind is stream_end:
            return root


def _check_events(text: str, path: str) -> None:
    """Refuse deep nesting and alias bombs by walking parser events, which builds nothing."""
    import yaml

    if "&" in text:
        _check_events_with_anchors(text, path)
        return
    # No anchors means no aliases (an alias to a missing anchor is a parse error), so only the
    # depth needs watching. Compared by identity: this loop sees every event of every file.
    opening = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    closing = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    end = yaml.StreamEndEvent
    depth = 0
    parser = _loaders()[1](text)
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
    import yaml

    sizes: dict[str, int] = {}
    stack: list[list[int | str | None]] = [[0, None]]
    expanded = aliases = 0
    parser = _loaders()[1](text)
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
    return parse_yaml(read_yaml_bytes(file, display), display or str(file))


def read_yaml_bytes(file: Path, display: str | None = None) -> bytes:
    """A scene file's bytes, read as a regular file of at most `MAX_FILE_BYTES`; raises
    `YamlProblem` saying why not."""
    from game.engine.regular import FileRefused, read_regular

    try:
        return read_regular(file, MAX_FILE_BYTES)
    except FileRefused as exc:
        hint = " (split it into several files)" if "too large" in exc.reason else ""
        raise YamlProblem(
            Mark(display or str(file)), f"cannot read file: {exc.reason}{hint}"
        ) from None


def parse_yaml(raw: bytes, path: str) -> Any:
    """`load_yaml` for bytes already read (`read_yaml_bytes`); `path` names them in marks."""
    import yaml

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem(Mark(path, line), "file is not valid UTF-8 text") from None
    text = text.removeprefix("\ufeff")
    try:
        data = _load_plain(text, path)
        if data is not _NOT_PLAIN:
            return data
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
        else:
            from game.engine.yamlhints import explain

            hint = explain(
                text,
                exc.problem or "",
                exc.context or "",
                (exc.problem_mark.line, exc.problem_mark.column) if exc.problem_mark else None,
                (exc.context_mark.line, exc.context_mark.column) if exc.context_mark else None,
            )
            if hint is not None:
                raise YamlProblem(
                    Mark(path, hint.line, hint.column), f"YAML syntax: {hint.message}"
                ) from None
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
