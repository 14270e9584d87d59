"""Reading one value from a scene file, as every pass does: a mapping's keys against the format,
text, whole numbers, true/false, ids, lists, references to declarations, conditions and the
`{name}` placeholders in text. Each reports what is wrong with its place and gives a usable value
(or None), so that one mistake never hides the next."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from game.engine.conditions import (
    ConditionError,
    Expression,
    compile_expression,
    names_in,
    parse,
)
from game.engine.diagnostics import Mark, did_you_mean
from game.engine.format import ID, OBJECTS, whole
from game.engine.loader.context import Context
from game.engine.text import placeholders
from game.engine.yamlsafe import MarkedDict, MarkedList

MAX_TEXT = 20_000
ID_PATTERN = re.compile(rf"(?:{ID})\Z")  # with .match: the whole value, as the schema's ^...$

# The code for a reference to something that is not declared, by what it should have named.
_MISSING_REF = {
    "scene": "E030",
    "pilot": "E031",
    "evidence": "E032",
    "ending": "E033",
    "deduction": "E034",
    "variable": "E035",
    "tone": "E037",
}


def mark_of(data: Any, fallback: Mark) -> Mark:
    """Where `data` starts, if it came from YAML as a mapping or a list; else `fallback`."""
    return getattr(data, "mark", fallback)


def key_mark(data: MarkedDict, key: str) -> Mark:
    """Where `key` is written in `data` (the mapping's own place if the key is absent)."""
    return data.key_marks.get(key, data.mark)


def item_mark(data: MarkedList, index: int) -> Mark:
    """Where item `index` of `data` starts."""
    return data.item_marks[index] if index < len(data.item_marks) else data.mark


def show(value: Any) -> str:
    """A value as a message quotes it: its repr, cut to 40 characters."""
    text = repr(value) if not isinstance(value, MarkedDict | MarkedList) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def check_keys(ctx: Context, data: Any, kind: str, where: Mark, what: str) -> bool:
    """Check `data` is a mapping with only the keys `format.OBJECTS[kind]` knows and every
    required one (E010, E011). False if it is not a mapping at all (E012)."""
    spec = OBJECTS[kind]
    if not isinstance(data, MarkedDict):
        ctx.error(mark_of(data, where), "E012", f"{what} must be a mapping of keys to values")
        return False
    for key in data:
        if key not in spec:
            hint = did_you_mean(str(key), spec)
            ctx.error(key_mark(data, key), "E010", f"unknown key '{key}' in {what}{hint}")
    for key, fld in spec.items():
        if fld.required and key not in data:
            ctx.error(data.mark, "E011", f"{what} is missing required key '{key}'")
    return True


def read_text(ctx: Context, data: MarkedDict, key: str, what: str, default: str = "") -> str:
    """`data[key]` as text (numbers are written as text), at most `MAX_TEXT` characters."""
    value = data.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        ctx.error(key_mark(data, key), "E012", f"'{key}' of {what} must be text")
        return default
    text = str(value)
    if len(text) > MAX_TEXT:
        ctx.error(
            key_mark(data, key),
            "E013",
            f"'{key}' is {len(text)} characters; the cap is {MAX_TEXT}",
        )
        return text[:MAX_TEXT]
    return text


def read_int(ctx: Context, data: MarkedDict, key: str, what: str, default: int = 0) -> int:
    """`data[key]` as a whole number (true and false are not numbers here)."""
    value = whole(data.get(key, default))
    if value is None:
        ctx.error(key_mark(data, key), "E012", f"'{key}' of {what} must be a whole number")
        return default
    return value


def read_bool(ctx: Context, data: MarkedDict, key: str, what: str, default: bool = False) -> bool:
    """`data[key]` as true or false."""
    value = data.get(key, default)
    if not isinstance(value, bool):
        ctx.error(key_mark(data, key), "E012", f"'{key}' of {what} must be true or false")
        return default
    return value


def read_id(ctx: Context, data: MarkedDict, key: str, what: str) -> str | None:
    """`data[key]` as an id (`ID_PATTERN`), or None after saying what an id looks like."""
    value = data.get(key)
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        ctx.error(
            key_mark(data, key),
            "E012",
            f"'{key}' of {what} must be an id: lower case letters, digits and '_', "
            f"starting with a letter (got {show(value)})",
        )
        return None
    return value


def as_list(ctx: Context, data: Any, where: Mark, what: str) -> MarkedList:
    """`data` if it is a list; an empty list placed at `where` if it is absent or (E012) not."""
    if data is not None and not isinstance(data, MarkedList):
        ctx.error(mark_of(data, where), "E012", f"{what} must be a list")
        data = None
    if data is None:
        empty = MarkedList()
        empty.mark, empty.item_marks = where, []
        return empty
    return data


def read_ref(
    ctx: Context, value: Any, mark: Mark, kind: str, table: Mapping[str, Any]
) -> str | None:
    """`value` as the id of a declared `kind` in `table`, or None (E012, or E030-E037 with a
    did-you-mean hint). `mark` is the key's place (or a list item's): the diagnostic points at
    the id itself, where the author must change it."""
    if not isinstance(value, str):
        ctx.error(ctx.places.value_start(mark), "E012", f"expected a {kind} id, got {show(value)}")
        return None
    if value not in table:
        place = ctx.places.value_start(mark)
        ctx.error(place, _MISSING_REF[kind], f"no {kind} '{value}'{did_you_mean(value, table)}")
        return None
    return value


def read_refs(
    ctx: Context, value: Any, mark: Mark, kind: str, table: Mapping[str, Any]
) -> tuple[str, ...]:
    """One id or a list of them, each as `read_ref` reads it; the good ones."""
    if isinstance(value, str):
        ref = read_ref(ctx, value, mark, kind, table)
        return (ref,) if ref else ()
    if not isinstance(value, MarkedList):
        ctx.error(mark, "E012", f"expected a {kind} id or a list of them, got {show(value)}")
        return ()
    found = [read_ref(ctx, item, item_mark(value, i), kind, table) for i, item in enumerate(value)]
    return tuple(ref for ref in found if ref)


def read_condition(ctx: Context, source: Any, mark: Mark, want: str = "bool") -> Expression | None:
    """`source`, the value of the key written at `mark`, compiled against the story's scope as
    a condition of type `want`, or None (E040 pointing at the mistake inside the condition).

    A condition that reads a variable whose type failed to load (`Context.untyped`) is not
    reported again: its one error is the declaration's."""
    if isinstance(source, bool) and want == "bool":
        source = "true" if source else "false"
    if want == "int" and whole(source) is not None:
        source = str(whole(source))
    if not isinstance(source, str):
        ctx.error(mark, "E012", f"a condition must be text, got {show(source)}")
        return None
    assert ctx.scope is not None
    key = (source, want)
    if key in ctx.expressions:
        # Stories repeat the same conditions many times; the scope is fixed during a load.
        return ctx.expressions[key]
    try:
        expression = compile_expression(source, ctx.scope, want)  # type: ignore[arg-type]
        ctx.expressions[key] = expression
        return expression
    except ConditionError as exc:
        if _names_broken(ctx, source):
            return None
        place = ctx.places.inside(mark, source, exc.column)
        ctx.error(place, "E040", f"in condition '{source}': {exc.message}")
        return None


def _names_broken(ctx: Context, source: str) -> bool:
    """Whether the condition (which parses) reads a variable whose type failed to load: the
    type it was given is a stand-in, so a type error there is that declaration's, already
    reported. (Anything else declared despite an error is found, so errors here are real.)"""
    if not ctx.untyped:
        return False
    try:
        tree = parse(source)
    except ConditionError:
        return False
    variables, _ = names_in(tree)
    return bool(variables & ctx.untyped)


def check_placeholders(ctx: Context, text: str, mark: Mark, extra: Iterable[str] = ()) -> None:
    """E041 for each `{name}` in `text` that is neither a declared variable nor in `extra`."""
    allowed = set(extra)
    for name in placeholders(text):
        if name not in ctx.variables and name not in allowed:
            hint = did_you_mean(name, [*ctx.variables, *allowed])
            ctx.error(
                mark,
                "E041",
                f"'{{{name}}}' is not a declared variable{hint} (write '{{{{' for a literal brace)",
            )
