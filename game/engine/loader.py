"""Load a story folder into an immutable `Story`, or report every problem with its place.

The folder holds `story.yaml` (the manifest) and any number of scene files beneath it. Loading runs
in two passes: first every declaration (variables, pilots, evidence, deductions, endings, scene
ids) from every file, then every scene, so that references may point forward and across files.
All problems are collected; `load_story` raises `StoryError` carrying them all.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from game.engine.conditions import ConditionError, Expression, Scope, Value, compile_expression
from game.engine.diagnostics import Diagnostic, Mark, StoryError, did_you_mean, display_path
from game.engine.files import MAX_FILES, default_map_dirs, story_files
from game.engine.format import LINE_KEYS, MAX_SIGNAL, MIN_SIGNAL, OBJECTS
from game.engine.model import (
    EVIDENCE_SOURCES,
    FIXED_SPEAKERS,
    MARKER_KINDS,
    NO_EFFECTS,
    PILOT_STATUSES,
    Branch,
    Chapter,
    Deduction,
    Effects,
    Ending,
    Engagement,
    Evidence,
    Line,
    Marker,
    Order,
    Pilot,
    Round,
    Scene,
    Story,
    Variable,
    state_name,
)
from game.engine.text import placeholders, sanitise
from game.engine.yamlsafe import MarkedDict, MarkedList, YamlProblem, load_yaml

MANIFEST = "story.yaml"
MAX_TEXT = 20_000
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
STORY_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
WORD_PATTERN = re.compile(r"^[a-z0-9][a-z0-9'-]*$")
ENGAGEMENT_DEFAULT_DANGER = 1
ENGAGEMENT_DEFAULT_IGNORE_COST = 3
ENGAGEMENT_DEFAULT_HIT = "{pilot}'s signal breaks up and comes back ragged: hit, still moving."
ENGAGEMENT_DEFAULT_KILL = "{pilot}'s marker goes dark on your board and stays dark."


@dataclass
class _File:
    path: Path
    display: str
    data: Any


@dataclass
class _Context:
    """Everything pass one learned, and the diagnostics found so far."""

    root: Path
    diagnostics: list[Diagnostic] = field(default_factory=list)
    variables: dict[str, Variable] = field(default_factory=dict)
    pilots: dict[str, Pilot] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    deductions: dict[str, Deduction] = field(default_factory=dict)
    endings: dict[str, Ending] = field(default_factory=dict)
    chapters: dict[int, Chapter] = field(default_factory=dict)
    scene_marks: dict[str, Mark] = field(default_factory=dict)
    maps: dict[str, str] = field(default_factory=dict)
    map_dirs: tuple[Path, ...] = ()
    scope: Scope | None = None
    expressions: dict[tuple[str, str], Expression] = field(default_factory=dict)

    def error(self, mark: Mark, code: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(mark, "error", code, message))

    def warning(self, mark: Mark, code: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(mark, "warning", code, message))

    @property
    def failed(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)


def _mark_of(data: Any, fallback: Mark) -> Mark:
    return getattr(data, "mark", fallback)


def _key_mark(data: MarkedDict, key: str) -> Mark:
    return data.key_marks.get(key, data.mark)


def _item_mark(data: MarkedList, index: int) -> Mark:
    return data.item_marks[index] if index < len(data.item_marks) else data.mark


_KIND_NAMES = {"list": "a list", "text": "text", "int": "a whole number", "bool": "true or false"}


def _check_keys(ctx: _Context, data: Any, kind: str, where: Mark, what: str) -> bool:
    """Check `data` is a mapping with only known keys and every required one. False if unusable."""
    spec = OBJECTS[kind]
    if not isinstance(data, MarkedDict):
        ctx.error(_mark_of(data, where), "E012", f"{what} must be a mapping of keys to values")
        return False
    for key in data:
        if key not in spec:
            hint = did_you_mean(str(key), spec)
            ctx.error(_key_mark(data, key), "E010", f"unknown key '{key}' in {what}{hint}")
    for key, fld in spec.items():
        if fld.required and key not in data:
            ctx.error(data.mark, "E011", f"{what} is missing required key '{key}'")
    return True


def _text(ctx: _Context, data: MarkedDict, key: str, what: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        ctx.error(_key_mark(data, key), "E012", f"'{key}' of {what} must be text")
        return default
    text = str(value)
    if len(text) > MAX_TEXT:
        ctx.error(
            _key_mark(data, key),
            "E013",
            f"'{key}' is {len(text)} characters; the cap is {MAX_TEXT}",
        )
        return text[:MAX_TEXT]
    return text


def _int(ctx: _Context, data: MarkedDict, key: str, what: str, default: int = 0) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        ctx.error(_key_mark(data, key), "E012", f"'{key}' of {what} must be a whole number")
        return default
    return value


def _bool(ctx: _Context, data: MarkedDict, key: str, what: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        ctx.error(_key_mark(data, key), "E012", f"'{key}' of {what} must be true or false")
        return default
    return value


def _id(ctx: _Context, data: MarkedDict, key: str, what: str) -> str | None:
    value = data.get(key)
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        ctx.error(
            _key_mark(data, key),
            "E012",
            f"'{key}' of {what} must be an id: lower case letters, digits and '_', "
            f"starting with a letter (got {_show(value)})",
        )
        return None
    return value


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, MarkedDict | MarkedList) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _list(ctx: _Context, data: Any, where: Mark, what: str) -> MarkedList:
    if data is None:
        empty = MarkedList()
        empty.mark, empty.item_marks = where, []
        return empty
    if not isinstance(data, MarkedList):
        ctx.error(_mark_of(data, where), "E012", f"{what} must be a list")
        empty = MarkedList()
        empty.mark, empty.item_marks = where, []
        return empty
    return data


def _declare(ctx: _Context, table: dict[str, Any], key: str, mark: Mark, kind: str) -> bool:
    if key in table:
        first = table[key].mark
        ctx.error(mark, "E020", f"duplicate {kind} id '{key}' (first declared at {first})")
        return False
    return True


# --- pass one: declarations -------------------------------------------------------------------


def _read_variables(ctx: _Context, items: Any, where: Mark) -> None:
    items = _list(ctx, items, where, "'variables'")
    for data in items:
        if not _check_keys(ctx, data, "variable", items.mark, "a variable"):
            continue
        name = _id(ctx, data, "name", "a variable")
        kind = data.get("type")
        if kind not in ("bool", "int", "text"):
            ctx.error(
                _key_mark(data, "type"),
                "E013",
                f"variable type must be bool, int or text (got {_show(kind)})",
            )
            continue
        default = data.get("default")
        ok = {
            "bool": isinstance(default, bool),
            "int": isinstance(default, int) and not isinstance(default, bool),
            "text": isinstance(default, str),
        }[kind]
        if not ok:
            ctx.error(
                _key_mark(data, "default"),
                "E012",
                f"default of '{name}' must be {kind} (got {_show(default)})",
            )
            continue
        low = data.get("min")
        high = data.get("max")
        for bound_key, bound in (("min", low), ("max", high)):
            if bound is not None and (
                kind != "int" or isinstance(bound, bool) or not isinstance(bound, int)
            ):
                ctx.error(
                    _key_mark(data, bound_key),
                    "E012",
                    f"'{bound_key}' is for int variables and must be a whole number",
                )
                low = high = None
        if low is not None and high is not None and low > high:
            ctx.error(_key_mark(data, "min"), "E013", f"'min' ({low}) is above 'max' ({high})")
        if kind == "int" and (
            (low is not None and default < low) or (high is not None and default > high)
        ):
            ctx.error(
                _key_mark(data, "default"), "E013", f"default {default} is outside {low}..{high}"
            )
        if name and _declare(ctx, ctx.variables, name, data.mark, "variable"):
            if name in ("true", "false", "and", "or", "not"):
                ctx.error(data.mark, "E013", f"'{name}' is a reserved word")
                continue
            ctx.variables[name] = Variable(name, kind, default, low, high, data.mark)


def _read_pilots(ctx: _Context, items: Any, where: Mark) -> None:
    items = _list(ctx, items, where, "'pilots'")
    for data in items:
        if not _check_keys(ctx, data, "pilot", items.mark, "a pilot"):
            continue
        pid = _id(ctx, data, "id", "a pilot")
        status = data.get("status", "active")
        if status not in PILOT_STATUSES:
            ctx.error(
                _key_mark(data, "status"),
                "E013",
                f"status must be one of {', '.join(PILOT_STATUSES)}",
            )
            status = "active"
        if pid in (*FIXED_SPEAKERS, *LINE_KEYS):
            ctx.error(
                _key_mark(data, "id"),
                "E013",
                f"'{pid}' is reserved for radio lines; pick another pilot id",
            )
            continue
        if pid and _declare(ctx, ctx.pilots, pid, data.mark, "pilot"):
            ctx.pilots[pid] = Pilot(
                pid,
                sanitise(_text(ctx, data, "callsign", "a pilot")),
                sanitise(_text(ctx, data, "name", "a pilot")),
                sanitise(_text(ctx, data, "role", "a pilot")),
                status,
                _bool(ctx, data, "known", "a pilot"),
                data.mark,
            )


def _read_evidence(ctx: _Context, items: Any, where: Mark) -> None:
    items = _list(ctx, items, where, "'evidence'")
    for data in items:
        if not _check_keys(ctx, data, "evidence", items.mark, "an evidence entry"):
            continue
        eid = _id(ctx, data, "id", "an evidence entry")
        source = data.get("source")
        if source not in EVIDENCE_SOURCES:
            ctx.error(
                _key_mark(data, "source"),
                "E013",
                f"source must be one of {', '.join(EVIDENCE_SOURCES)}",
            )
            continue
        if eid and _declare(ctx, ctx.evidence, eid, data.mark, "evidence"):
            ctx.evidence[eid] = Evidence(
                eid,
                sanitise(_text(ctx, data, "title", "an evidence entry")),
                sanitise(_text(ctx, data, "text", "an evidence entry")),
                source,
                data.mark,
            )


def _read_deductions(ctx: _Context, items: Any, where: Mark) -> list[tuple[MarkedDict, str]]:
    items = _list(ctx, items, where, "'deductions'")
    pending: list[tuple[MarkedDict, str]] = []
    for data in items:
        if not _check_keys(ctx, data, "deduction", items.mark, "a deduction"):
            continue
        did = _id(ctx, data, "id", "a deduction")
        if did and _declare(ctx, ctx.deductions, did, data.mark, "deduction"):
            ctx.deductions[did] = Deduction(
                did,
                sanitise(_text(ctx, data, "title", "a deduction")),
                sanitise(_text(ctx, data, "text", "a deduction")),
                (),
                sanitise(_text(ctx, data, "hint", "a deduction")),
                data.mark,
            )
            pending.append((data, did))
    return pending


def _read_endings(ctx: _Context, items: Any, where: Mark) -> None:
    items = _list(ctx, items, where, "'endings'")
    for data in items:
        if not _check_keys(ctx, data, "ending", items.mark, "an ending"):
            continue
        eid = _id(ctx, data, "id", "an ending")
        if eid and _declare(ctx, ctx.endings, eid, data.mark, "ending"):
            ctx.endings[eid] = Ending(
                eid,
                sanitise(_text(ctx, data, "title", "an ending")),
                sanitise(_text(ctx, data, "text", "an ending")),
                data.mark,
            )


def _read_chapters(ctx: _Context, items: Any, where: Mark) -> None:
    items = _list(ctx, items, where, "'chapters'")
    for data in items:
        if not _check_keys(ctx, data, "chapter", items.mark, "a chapter"):
            continue
        number = _int(ctx, data, "number", "a chapter")
        if number in ctx.chapters:
            ctx.error(data.mark, "E020", f"chapter {number} is declared twice")
            continue
        ctx.chapters[number] = Chapter(number, sanitise(_text(ctx, data, "title", "a chapter")))


# --- references ---------------------------------------------------------------------------------


def _ref(ctx: _Context, value: Any, mark: Mark, kind: str, table: Mapping[str, Any]) -> str | None:
    if not isinstance(value, str):
        ctx.error(mark, "E012", f"expected a {kind} id, got {_show(value)}")
        return None
    if value not in table:
        code = {
            "scene": "E030",
            "pilot": "E031",
            "evidence": "E032",
            "ending": "E033",
            "deduction": "E034",
            "variable": "E035",
        }[kind]
        ctx.error(mark, code, f"no {kind} '{value}'{did_you_mean(value, table)}")
        return None
    return value


def _refs(
    ctx: _Context, value: Any, mark: Mark, kind: str, table: Mapping[str, Any]
) -> tuple[str, ...]:
    if isinstance(value, str):
        ref = _ref(ctx, value, mark, kind, table)
        return (ref,) if ref else ()
    if not isinstance(value, MarkedList):
        ctx.error(mark, "E012", f"expected a {kind} id or a list of them, got {_show(value)}")
        return ()
    found = [_ref(ctx, item, _item_mark(value, i), kind, table) for i, item in enumerate(value)]
    return tuple(ref for ref in found if ref)


def _condition(ctx: _Context, source: Any, mark: Mark, want: str = "bool") -> Expression | None:
    if isinstance(source, bool) and want == "bool":
        source = "true" if source else "false"
    if isinstance(source, int) and not isinstance(source, bool) and want == "int":
        source = str(source)
    if not isinstance(source, str):
        ctx.error(mark, "E012", f"a condition must be text, got {_show(source)}")
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
        # Point at the offending column when the condition sits on the key's own line.
        column = mark.column + exc.column
        place = Mark(mark.path, mark.line, column) if exc.column else mark
        ctx.error(place, "E040", f"in condition '{source}': {exc.message}")
        return None


def _interpolations(ctx: _Context, text: str, mark: Mark, extra: Iterable[str] = ()) -> None:
    allowed = set(extra)
    for name in placeholders(text):
        if name not in ctx.variables and name not in allowed:
            hint = did_you_mean(name, [*ctx.variables, *allowed])
            ctx.error(
                mark,
                "E041",
                f"'{{{name}}}' is not a declared variable{hint} (write '{{{{' for a literal brace)",
            )


# --- pass two: scenes ---------------------------------------------------------------------------


def _lines(
    ctx: _Context, items: Any, where: Mark, what: str, extra: Iterable[str] = ()
) -> tuple[Line, ...]:
    items = _list(ctx, items, where, what)
    lines: list[Line] = []
    speakers = (*FIXED_SPEAKERS, *ctx.pilots)
    for index, data in enumerate(items):
        mark = _item_mark(items, index)
        if not isinstance(data, MarkedDict):
            ctx.error(
                mark, "E012", 'a radio line is a mapping like `shin: "text"` or `narration: "text"`'
            )
            continue
        speaker_keys = [k for k in data if k not in LINE_KEYS]
        if len(speaker_keys) != 1:
            if not speaker_keys:
                ctx.error(
                    data.mark,
                    "E011",
                    "a radio line needs a speaker: hq, narration, lena or a pilot id",
                )
            else:
                ctx.error(
                    data.mark,
                    "E013",
                    f"a radio line has one speaker, found {', '.join(map(str, speaker_keys))}",
                )
            continue
        speaker = str(speaker_keys[0])
        if speaker not in speakers:
            ctx.error(
                _key_mark(data, speaker),
                "E031",
                f"unknown speaker '{speaker}'{did_you_mean(speaker, speakers)}",
            )
            continue
        text = _text(ctx, data, speaker, "a radio line")
        _interpolations(ctx, text, _key_mark(data, speaker), extra)
        condition = _condition(ctx, data["if"], _key_mark(data, "if")) if "if" in data else None
        signal = _int(ctx, data, "signal", "a radio line", MAX_SIGNAL)
        if not MIN_SIGNAL <= signal <= MAX_SIGNAL:
            ctx.error(
                _key_mark(data, "signal"),
                "E013",
                f"signal must be {MIN_SIGNAL} to {MAX_SIGNAL} (got {signal})",
            )
            signal = MAX_SIGNAL
        once = _bool(ctx, data, "once", "a radio line")
        lines.append(Line(speaker, text, condition, signal, _key_mark(data, speaker), once))
    return tuple(lines)


def _effects(ctx: _Context, data: Any, where: Mark) -> Effects:
    if data is None:
        return NO_EFFECTS
    if not _check_keys(ctx, data, "effects", where, "effects"):
        return NO_EFFECTS
    sets: list[tuple[str, Value]] = []
    adds: list[tuple[str, int]] = []
    statuses: list[tuple[str, Any]] = []
    for key, target in (("set", sets), ("add", adds)):
        values = data.get(key)
        if values is None:
            continue
        if not isinstance(values, MarkedDict):
            ctx.error(_key_mark(data, key), "E012", f"'{key}' takes a mapping like `{{trust: 1}}`")
            continue
        for name, value in values.items():
            mark = _key_mark(values, name)
            variable = ctx.variables.get(name)
            if variable is None:
                ctx.error(
                    mark, "E035", f"no variable '{name}'{did_you_mean(str(name), ctx.variables)}"
                )
                continue
            if key == "add":
                if variable.type != "int":
                    ctx.error(
                        mark, "E012", f"'add' needs an int variable; '{name}' is {variable.type}"
                    )
                elif isinstance(value, bool) or not isinstance(value, int):
                    ctx.error(
                        mark, "E012", f"'add' takes a whole number for '{name}', got {_show(value)}"
                    )
                else:
                    target.append((name, value))
                continue
            ok = {
                "bool": isinstance(value, bool),
                "int": isinstance(value, int) and not isinstance(value, bool),
                "text": isinstance(value, str),
            }[variable.type]
            if not ok:
                ctx.error(
                    mark, "E012", f"'{name}' is {variable.type}; cannot set it to {_show(value)}"
                )
            else:
                target.append((name, value))
    reveal = (
        _refs(ctx, data["reveal"], _key_mark(data, "reveal"), "evidence", ctx.evidence)
        if "reveal" in data
        else ()
    )
    learn = (
        _refs(ctx, data["learn"], _key_mark(data, "learn"), "pilot", ctx.pilots)
        if "learn" in data
        else ()
    )
    if "status" in data:
        values = data["status"]
        if not isinstance(values, MarkedDict):
            ctx.error(
                _key_mark(data, "status"), "E012", "'status' takes a mapping like `{kaie: wounded}`"
            )
        else:
            for pid, status in values.items():
                mark = _key_mark(values, pid)
                if _ref(ctx, pid, mark, "pilot", ctx.pilots) and status in PILOT_STATUSES:
                    statuses.append((pid, status))
                elif status not in PILOT_STATUSES:
                    ctx.error(mark, "E013", f"status must be one of {', '.join(PILOT_STATUSES)}")
    return Effects(tuple(sets), tuple(adds), reveal, learn, tuple(statuses), data.mark)


def _branches(ctx: _Context, value: Any, mark: Mark, what: str) -> tuple[Branch, ...]:
    if isinstance(value, str):
        ref = _ref(ctx, value, mark, "scene", ctx.scene_marks)
        return (Branch(ref, mark=mark),) if ref else ()
    if not isinstance(value, MarkedList) or not value:
        ctx.error(mark, "E012", f"{what} must be a scene id or a non-empty list of branches")
        return ()
    branches: list[Branch] = []
    for index, data in enumerate(value):
        if not _check_keys(ctx, data, "branch", _item_mark(value, index), "a branch"):
            continue
        target = (
            _ref(ctx, data.get("goto"), _key_mark(data, "goto"), "scene", ctx.scene_marks)
            if "goto" in data
            else None
        )
        condition = _condition(ctx, data["if"], _key_mark(data, "if")) if "if" in data else None
        weight = None
        if "weight" in data:
            weight = _int(ctx, data, "weight", "a branch", 1)
            if weight < 1:
                ctx.error(_key_mark(data, "weight"), "E013", "weight must be 1 or more")
                weight = 1
        effects = _effects(ctx, data.get("effects"), _key_mark(data, "effects"))
        radio = _lines(ctx, data.get("radio"), _key_mark(data, "radio"), "a branch's 'radio'")
        if target:
            branches.append(Branch(target, condition, weight, effects, radio, data.mark))
    return tuple(branches)


def _words(ctx: _Context, data: MarkedDict) -> tuple[str, ...]:
    if "words" not in data:
        return ()
    value = data["words"]
    mark = _key_mark(data, "words")
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list):
        ctx.error(mark, "E012", "'words' takes a list like `[report, status]`")
        return ()
    words: list[str] = []
    for word in value:
        if isinstance(word, bool):
            ctx.error(
                mark,
                "E013",
                "YAML reads no, yes, on, off, true and false as true/false, not as words; "
                "quote them: ['no', 'yes']",
            )
            continue
        if not isinstance(word, str | int) or not WORD_PATTERN.match(str(word).lower()):
            ctx.error(
                mark, "E013", f"typed words are single lower-case words; {_show(word)} is not"
            )
            continue
        words.append(str(word).lower())
    return tuple(words)


def _orders(ctx: _Context, items: Any, where: Mark, in_engagement: bool) -> tuple[Order, ...]:
    items = _list(ctx, items, where, "'orders'")
    orders: list[Order] = []
    for index, data in enumerate(items):
        if not _check_keys(ctx, data, "order", _item_mark(items, index), "an order"):
            continue
        say = sanitise(_text(ctx, data, "say", "an order"))
        _interpolations(ctx, say, _key_mark(data, "say"))
        condition = _condition(ctx, data["if"], _key_mark(data, "if")) if "if" in data else None
        disabled = None
        if "disabled" in data:
            disabled = sanitise(_text(ctx, data, "disabled", "an order"))
            if condition is None:
                ctx.error(
                    _key_mark(data, "disabled"),
                    "E013",
                    "'disabled' gives the reason an order's 'if' fails; add an 'if'",
                )
        branches: tuple[Branch, ...] = ()
        if "goto" in data:
            branches = _branches(ctx, data["goto"], _key_mark(data, "goto"), "'goto'")
        elif not in_engagement:
            ctx.error(data.mark, "E051", "this order has no 'goto'; say which scene it leads to")
        if not in_engagement:
            for key in ("heeds", "risk"):
                if key in data:
                    ctx.error(
                        _key_mark(data, key),
                        "E013",
                        f"'{key}' only means something in an engagement's orders",
                    )
        orders.append(
            Order(
                say,
                _words(ctx, data),
                condition,
                disabled,
                _effects(ctx, data.get("effects"), _key_mark(data, "effects")),
                _lines(ctx, data.get("radio"), _key_mark(data, "radio"), "an order's 'radio'"),
                branches,
                _bool(ctx, data, "heeds", "an order"),
                _int(ctx, data, "risk", "an order"),
                data.mark,
            )
        )
    return tuple(orders)


def _engagement(ctx: _Context, data: Any, where: Mark) -> Engagement | None:
    if not _check_keys(ctx, data, "engagement", where, "an engagement"):
        return None
    danger = _condition(
        ctx, data.get("danger", ENGAGEMENT_DEFAULT_DANGER), _key_mark(data, "danger"), "int"
    )
    if "at_risk" in data:
        at_risk = _refs(ctx, data["at_risk"], _key_mark(data, "at_risk"), "pilot", ctx.pilots)
    else:
        at_risk = tuple(p for p in ctx.pilots if p != "shin")
    hit = sanitise(_text(ctx, data, "hit", "an engagement", ENGAGEMENT_DEFAULT_HIT))
    _interpolations(ctx, hit, _key_mark(data, "hit"), ("pilot",))
    kill = sanitise(_text(ctx, data, "kill", "an engagement", ENGAGEMENT_DEFAULT_KILL))
    _interpolations(ctx, kill, _key_mark(data, "kill"), ("pilot",))
    rounds: list[Round] = []
    items = _list(ctx, data.get("rounds"), _key_mark(data, "rounds"), "'rounds'")
    for index, rdata in enumerate(items):
        if not _check_keys(ctx, rdata, "round", _item_mark(items, index), "a round"):
            continue
        warning = sanitise(_text(ctx, rdata, "warning", "a round")) if "warning" in rdata else None
        if warning:
            _interpolations(ctx, warning, _key_mark(rdata, "warning"))
        rounds.append(
            Round(
                _lines(ctx, rdata.get("radio"), _key_mark(rdata, "radio"), "a round's 'radio'"),
                warning,
                _orders(ctx, rdata.get("orders"), _key_mark(rdata, "orders"), True),
                rdata.mark,
            )
        )
    if not rounds and "rounds" in data:
        ctx.error(_key_mark(data, "rounds"), "E013", "an engagement needs at least one round")
    orders = _orders(ctx, data.get("orders"), _key_mark(data, "orders"), True)
    if "orders" in data and not orders:
        ctx.error(_key_mark(data, "orders"), "E013", "an engagement needs at least one order")
    after = (
        _branches(ctx, data.get("after"), _key_mark(data, "after"), "'after'")
        if "after" in data
        else ()
    )
    if danger is None or not rounds or not orders or not after:
        return None
    return Engagement(
        danger,
        _int(ctx, data, "ignore_cost", "an engagement", ENGAGEMENT_DEFAULT_IGNORE_COST),
        at_risk,
        hit,
        kill,
        tuple(rounds),
        orders,
        after,
        data.mark,
    )


def _markers(ctx: _Context, items: Any, where: Mark) -> tuple[Marker, ...]:
    items = _list(ctx, items, where, "'markers'")
    markers: list[Marker] = []
    for index, data in enumerate(items):
        if not _check_keys(ctx, data, "marker", _item_mark(items, index), "a marker"):
            continue
        at = data.get("at")
        kind = data.get("kind")
        if (
            not isinstance(at, list)
            or len(at) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in at)
        ):
            ctx.error(
                _key_mark(data, "at"), "E012", "'at' is [column, row], two whole numbers from 0"
            )
            continue
        if kind not in MARKER_KINDS:
            ctx.error(
                _key_mark(data, "kind"),
                "E013",
                f"marker kind must be one of {', '.join(MARKER_KINDS)}",
            )
            continue
        markers.append(Marker(at[0], at[1], kind, sanitise(_text(ctx, data, "label", "a marker"))))
    return tuple(markers)


def _load_map(ctx: _Context, name: Any, mark: Mark) -> str | None:
    if not isinstance(name, str) or not ID_PATTERN.match(name):
        ctx.error(mark, "E012", f"'map' must be a map name like sector_4 (got {_show(name)})")
        return None
    if name in ctx.maps:
        return name
    for folder in ctx.map_dirs:
        candidate = folder / f"{name}.txt"
        if candidate.is_file():
            try:
                ctx.maps[name] = sanitise(candidate.read_text(encoding="utf-8")[:20_000]).rstrip(
                    "\n"
                )
            except (OSError, UnicodeDecodeError) as exc:
                ctx.error(mark, "E036", f"map '{name}' cannot be read: {exc}")
                return None
            return name
    known = sorted({p.stem for d in ctx.map_dirs if d.is_dir() for p in d.glob("*.txt")})
    ctx.error(
        mark,
        "E036",
        f"no map '{name}' in {', '.join(map(str, ctx.map_dirs)) or 'the maps folder'}{did_you_mean(name, known)}",
    )
    return None


def _scene(ctx: _Context, data: MarkedDict, chapter: int) -> Scene | None:
    sid = data["id"]
    if "chapter" in data:
        chapter = _int(ctx, data, "chapter", "a scene", chapter)
    title = sanitise(_text(ctx, data, "title", "a scene"))
    _interpolations(ctx, title, _key_mark(data, "title"))
    radio = _lines(ctx, data.get("radio"), _key_mark(data, "radio"), "'radio'")
    enter = _effects(ctx, data.get("enter"), _key_mark(data, "enter"))
    ending = None
    if "ending" in data:
        ending = _ref(ctx, data["ending"], _key_mark(data, "ending"), "ending", ctx.endings)
    engagement = None
    if "engagement" in data:
        engagement = _engagement(ctx, data["engagement"], _key_mark(data, "engagement"))
    orders = _orders(ctx, data.get("orders"), _key_mark(data, "orders"), False)
    kinds = [k for k in ("orders", "ending", "engagement") if k in data]
    if len(kinds) > 1:
        ctx.error(
            data.mark,
            "E013",
            f"scene '{sid}' has {' and '.join(kinds)}; a scene is one of: orders, an ending, or an engagement",
        )
    elif not kinds:
        ctx.error(
            data.mark,
            "E050",
            f"scene '{sid}' has no orders, ending or engagement: the player would be stuck",
        )
    map_name = _load_map(ctx, data["map"], _key_mark(data, "map")) if "map" in data else None
    markers = _markers(ctx, data.get("markers"), _key_mark(data, "markers"))
    if chapter not in ctx.chapters and ctx.chapters:
        ctx.warning(data.mark, "W001", f"chapter {chapter} has no title in story.yaml's 'chapters'")
    return Scene(
        sid, title, chapter, radio, orders, enter, ending, engagement, map_name, markers, data.mark
    )


# --- the whole folder ---------------------------------------------------------------------------


def load_story(root: Path | str, map_dirs: Iterable[Path] | None = None) -> Story:
    """Load and compile the story in `root`; raises `StoryError` listing every problem.

    Warnings (which do not stop loading) are kept on `Story.warnings`.
    """
    story, diagnostics = check_story(root, map_dirs)
    if story is None:
        raise StoryError(diagnostics)
    return story


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a story is built.

    A large story is a million new containers, none of them in a reference cycle; the collector
    would walk the growing heap again and again while they are made (about a third of the load
    time of a 2,000-scene story). Freed memory is unaffected: reference counting still frees
    everything at once, and the collector resumes (if it was running) when the load ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def check_story(
    root: Path | str, map_dirs: Iterable[Path] | None = None
) -> tuple[Story | None, list[Diagnostic]]:
    """Load `root` and return the story (None if there were errors) with every diagnostic."""
    with _collector_paused():
        return _check_story(Path(root), map_dirs)


def _check_story(
    root: Path, map_dirs: Iterable[Path] | None
) -> tuple[Story | None, list[Diagnostic]]:
    ctx = _Context(root)
    ctx.map_dirs = tuple(map_dirs) if map_dirs is not None else default_map_dirs(root)
    show = display_path
    manifest_path = root / MANIFEST
    if not root.is_dir():
        ctx.error(
            Mark(str(root)), "E002", "no story folder here; pass the folder that holds story.yaml"
        )
        return None, ctx.diagnostics
    if not manifest_path.is_file():
        ctx.error(
            Mark(show(manifest_path)),
            "E002",
            "story.yaml is missing; every story folder needs one (see scenes/README.md)",
        )
        return None, ctx.diagnostics
    paths = story_files(root)
    if len(paths) > MAX_FILES:
        ctx.error(Mark(str(root)), "E002", f"more than {MAX_FILES} YAML files under this folder")
        return None, ctx.diagnostics
    digest = hashlib.sha256()
    files: list[_File] = []
    for path in paths:
        display = show(path)
        try:
            data = load_yaml(path, display)
        except YamlProblem as exc:
            ctx.error(exc.mark, "E001", exc.message)
            continue
        with contextlib.suppress(OSError):
            # Keyed by the path inside the story, so the hash is the same from any directory.
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
        files.append(_File(path, display, data))

    manifest = next((f for f in files if f.path == manifest_path), None)
    if manifest is None or ctx.failed:
        # A file that does not parse hides its declarations; errors about missing ids would
        # only mislead, so stop at the syntax errors as a compiler does.
        return None, ctx.diagnostics
    pending_deductions: list[tuple[MarkedDict, str]] = []
    scene_data: list[tuple[MarkedDict, int]] = []
    for file in files:
        is_manifest = file is manifest
        kind = "manifest" if is_manifest else "scene_file"
        where = Mark(file.display)
        if file.data is None:
            ctx.warning(where, "W002", "this file is empty")
            continue
        if not is_manifest and isinstance(file.data, MarkedList):
            ctx.error(
                where,
                "E002",
                "a scene file is a mapping with 'chapter' and 'scenes' (see scenes/README.md)",
            )
            continue
        if not _check_keys(
            ctx, file.data, kind, where, "story.yaml" if is_manifest else "a scene file"
        ):
            continue
        data: MarkedDict = file.data
        _read_variables(ctx, data.get("variables"), _key_mark(data, "variables"))
        if is_manifest:
            _read_pilots(ctx, data.get("pilots"), _key_mark(data, "pilots"))
            _read_chapters(ctx, data.get("chapters"), _key_mark(data, "chapters"))
        _read_evidence(ctx, data.get("evidence"), _key_mark(data, "evidence"))
        pending_deductions += _read_deductions(
            ctx, data.get("deductions"), _key_mark(data, "deductions")
        )
        _read_endings(ctx, data.get("endings"), _key_mark(data, "endings"))
        if not is_manifest:
            chapter = _int(ctx, data, "chapter", "a scene file", 1) if "chapter" in data else 1
            scenes = _list(ctx, data.get("scenes"), _key_mark(data, "scenes"), "'scenes'")
            for index, sdata in enumerate(scenes):
                if not _check_keys(ctx, sdata, "scene", _item_mark(scenes, index), "a scene"):
                    continue
                sid = _id(ctx, sdata, "id", "a scene")
                if sid is None:
                    continue
                if sid in ctx.scene_marks:
                    ctx.error(
                        sdata.mark,
                        "E020",
                        f"duplicate scene id '{sid}' (first declared at {ctx.scene_marks[sid]})",
                    )
                    continue
                ctx.scene_marks[sid] = sdata.mark
                scene_data.append((sdata, chapter))

    for data, did in pending_deductions:
        requires = _refs(
            ctx, data.get("requires"), _key_mark(data, "requires"), "evidence", ctx.evidence
        )
        if len(requires) < 2 and "requires" in data and not ctx.failed:
            ctx.warning(
                _key_mark(data, "requires"),
                "W003",
                "a deduction usually joins two or more pieces of evidence",
            )
        old = ctx.deductions[did]
        ctx.deductions[did] = Deduction(old.id, old.title, old.text, requires, old.hint, old.mark)

    ctx.scope = Scope(
        {name: v.type for name, v in ctx.variables.items()},
        {
            "scene": frozenset(ctx.scene_marks),
            "evidence": frozenset(ctx.evidence),
            "deduction": frozenset(ctx.deductions),
            "pilot": frozenset(ctx.pilots),
        },
    )
    header: MarkedDict = manifest.data if isinstance(manifest.data, MarkedDict) else MarkedDict()
    story_id = None
    if "id" in header:
        value = header["id"]
        if isinstance(value, str) and STORY_ID_PATTERN.match(value):
            story_id = value
        else:
            ctx.error(
                _key_mark(header, "id"),
                "E012",
                f"the story id is lower case letters, digits, '_' and '-' (got {_show(value)})",
            )
    title = _text(ctx, header, "title", "story.yaml") if "title" in header else ""
    start = (
        _ref(ctx, header.get("start"), _key_mark(header, "start"), "scene", ctx.scene_marks)
        if "start" in header
        else None
    )

    scenes: dict[str, Scene] = {}
    for sdata, chapter in scene_data:
        scene = _scene(ctx, sdata, chapter)
        if scene:
            scenes[scene.id] = scene

    if ctx.failed or story_id is None or start is None:
        return None, ctx.diagnostics
    story = Story(
        id=story_id,
        title=sanitise(title),
        start=start,
        chapters=MappingProxyType(dict(sorted(ctx.chapters.items()))),
        variables=MappingProxyType(ctx.variables),
        pilots=MappingProxyType(ctx.pilots),
        evidence=MappingProxyType(ctx.evidence),
        deductions=MappingProxyType(ctx.deductions),
        endings=MappingProxyType(ctx.endings),
        scenes=MappingProxyType(scenes),
        maps=MappingProxyType(ctx.maps),
        content_hash=digest.hexdigest()[:16],
        root=str(root),
        warnings=tuple(d for d in ctx.diagnostics if d.severity == "warning"),
        state_names=tuple(
            state_name(s.id, r) for s in scenes.values() for r in range(1, s.rounds + 1)
        ),
    )
    return story, ctx.diagnostics
