"""Compiling scenes: every scene's radio, orders, effects, branches, engagement and map, checked
against the declarations and compiled into the model's frozen objects.

Runs once every file has been declared and the scope is built, so a scene may name anything
declared anywhere in the story, later files included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from game.engine.conditions import Value
from game.engine.diagnostics import Mark, did_you_mean
from game.engine.files import MAX_MAP_BYTES
from game.engine.format import LINE_KEYS, MAX_SIGNAL, MIN_SIGNAL, WORD, WORDS_TEXT, whole
from game.engine.loader.context import Context
from game.engine.loader.fields import (
    ID_PATTERN,
    as_list,
    check_keys,
    check_placeholders,
    item_mark,
    key_mark,
    read_bool,
    read_condition,
    read_int,
    read_ref,
    read_refs,
    read_text,
    show,
)
from game.engine.model import (
    FIXED_SPEAKERS,
    MARKER_KINDS,
    NO_EFFECTS,
    PILOT_STATUSES,
    Branch,
    Effects,
    Engagement,
    Line,
    Marker,
    Order,
    Round,
    Scene,
)
from game.engine.regular import FileRefused, read_regular
from game.engine.text import sanitise
from game.engine.yamlsafe import MarkedDict, MarkedList

WORD_PATTERN = re.compile(rf"(?:{WORD})\Z")  # with .match: the whole word, as the schema's ^...$
ENGAGEMENT_DEFAULT_DANGER = 1
ENGAGEMENT_DEFAULT_IGNORE_COST = 3
ENGAGEMENT_DEFAULT_HIT = "{pilot}'s signal breaks up and comes back ragged: hit, still moving."
ENGAGEMENT_DEFAULT_KILL = "{pilot}'s marker goes dark on your board and stays dark."


def compile_scenes(ctx: Context, entries: Iterable[tuple[MarkedDict, int]]) -> dict[str, Scene]:
    """Compile pass. Takes each scene's entry (declared, so its id is unique) with its file's
    chapter; gives the scenes by id, in the order they were written. Needs `ctx.scope`. Ends by
    warning (W004) of each declared tone no order carries."""
    scenes: dict[str, Scene] = {}
    for data, chapter in entries:
        scene = _scene(ctx, data, chapter)
        if scene:
            scenes[scene.id] = scene
    _unused_tones(ctx, scenes.values())
    return scenes


def _condition(ctx: Context, data: MarkedDict, key: str, owner: Mark) -> Any:
    """`data[key]` read as a condition, its key's place kept for the warnings about it (W018
    points at the `if`, not at the line or order holding it): by the holder's mark and key."""
    where = key_mark(data, key)
    ctx.condition_marks[(owner, key)] = where
    return read_condition(ctx, data[key], where)


def _lines(
    ctx: Context, items: Any, where: Mark, what: str, extra: Iterable[str] = ()
) -> tuple[Line, ...]:
    items = as_list(ctx, items, where, what)
    lines: list[Line] = []
    speakers = (*FIXED_SPEAKERS, *ctx.speakers, *ctx.pilots)
    for index, data in enumerate(items):
        mark = item_mark(items, index)
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
                    "a radio line needs a speaker: hq, narration, lena, a declared speaker "
                    "or a pilot id",
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
                key_mark(data, speaker),
                "E031",
                f"unknown speaker '{speaker}'{did_you_mean(speaker, speakers)}",
            )
            continue
        text = read_text(ctx, data, speaker, "a radio line")
        check_placeholders(ctx, text, key_mark(data, speaker), extra)
        condition = _condition(ctx, data, "if", key_mark(data, speaker)) if "if" in data else None
        signal = read_int(ctx, data, "signal", "a radio line", MAX_SIGNAL)
        if not MIN_SIGNAL <= signal <= MAX_SIGNAL:
            ctx.error(
                key_mark(data, "signal"),
                "E013",
                f"signal must be {MIN_SIGNAL} to {MAX_SIGNAL} (got {signal})",
            )
            signal = MAX_SIGNAL
        once = read_bool(ctx, data, "once", "a radio line")
        lines.append(Line(speaker, text, condition, signal, key_mark(data, speaker), once))
    return tuple(lines)


def _effects(ctx: Context, data: Any, where: Mark) -> Effects:
    if data is None:
        return NO_EFFECTS
    if not check_keys(ctx, data, "effects", where, "effects"):
        return NO_EFFECTS
    sets: list[tuple[str, Value]] = []
    adds: list[tuple[str, int]] = []
    statuses: list[tuple[str, Any]] = []
    for key, target in (("set", sets), ("add", adds)):
        values = data.get(key)
        if values is None:
            continue
        if not isinstance(values, MarkedDict):
            ctx.error(key_mark(data, key), "E012", f"'{key}' takes a mapping like `{{trust: 1}}`")
            continue
        for name, value in values.items():
            mark = key_mark(values, name)
            variable = ctx.variables.get(name)
            if variable is None:
                ctx.error(
                    mark, "E035", f"no variable '{name}'{did_you_mean(str(name), ctx.variables)}"
                )
                continue
            if name in ctx.broken:
                continue  # its declaration failed, which is the one error to report
            if key == "add":
                if variable.type != "int":
                    ctx.error(
                        mark, "E012", f"'add' needs an int variable; '{name}' is {variable.type}"
                    )
                elif whole(value) is None:
                    ctx.error(
                        mark, "E012", f"'add' takes a whole number for '{name}', got {show(value)}"
                    )
                else:
                    target.append((name, whole(value)))
                continue
            if variable.type == "int" and whole(value) is not None:
                value = whole(value)
            ok = {
                "bool": isinstance(value, bool),
                "int": isinstance(value, int) and not isinstance(value, bool),
                "text": isinstance(value, str),
            }[variable.type]
            if not ok:
                ctx.error(
                    mark, "E012", f"'{name}' is {variable.type}; cannot set it to {show(value)}"
                )
            else:
                target.append((name, value))
    reveal = (
        read_refs(ctx, data["reveal"], key_mark(data, "reveal"), "evidence", ctx.evidence)
        if "reveal" in data
        else ()
    )
    learn = (
        read_refs(ctx, data["learn"], key_mark(data, "learn"), "pilot", ctx.pilots)
        if "learn" in data
        else ()
    )
    asked = (
        read_refs(ctx, data["asked"], key_mark(data, "asked"), "pilot", ctx.pilots)
        if "asked" in data
        else ()
    )
    if "status" in data:
        values = data["status"]
        if not isinstance(values, MarkedDict):
            ctx.error(
                key_mark(data, "status"), "E012", "'status' takes a mapping like `{nell: wounded}`"
            )
        else:
            for pid, status in values.items():
                mark = key_mark(values, pid)
                if read_ref(ctx, pid, mark, "pilot", ctx.pilots) and status in PILOT_STATUSES:
                    statuses.append((pid, status))
                elif status not in PILOT_STATUSES:
                    ctx.error(mark, "E013", f"status must be one of {', '.join(PILOT_STATUSES)}")
    return Effects(tuple(sets), tuple(adds), reveal, learn, tuple(statuses), data.mark, asked)


def _branches(ctx: Context, value: Any, mark: Mark, what: str) -> tuple[Branch, ...]:
    if isinstance(value, str):
        ref = read_ref(ctx, value, mark, "scene", ctx.scene_marks)
        return (Branch(ref, mark=mark),) if ref else ()
    if not isinstance(value, MarkedList) or not value:
        ctx.error(mark, "E012", f"{what} must be a scene id or a non-empty list of branches")
        return ()
    branches: list[Branch] = []
    for index, data in enumerate(value):
        if not check_keys(ctx, data, "branch", item_mark(value, index), "a branch"):
            continue
        target = (
            read_ref(ctx, data.get("goto"), key_mark(data, "goto"), "scene", ctx.scene_marks)
            if "goto" in data
            else None
        )
        condition = _condition(ctx, data, "if", data.mark) if "if" in data else None
        weight = None
        if "weight" in data:
            weight = read_int(ctx, data, "weight", "a branch", 1)
            if weight < 1:
                ctx.error(key_mark(data, "weight"), "E013", "weight must be 1 or more")
                weight = 1
        effects = _effects(ctx, data.get("effects"), key_mark(data, "effects"))
        radio = _lines(ctx, data.get("radio"), key_mark(data, "radio"), "a branch's 'radio'")
        if target:
            branches.append(Branch(target, condition, weight, effects, radio, data.mark))
    return tuple(branches)


def _words(ctx: Context, data: MarkedDict) -> tuple[str, ...]:
    """An order's typed words, as `format.WORD` and `format.WORDS_TEXT` say (the schema reads
    the same two): a list of words (a whole number from 0 is a word), or one text of words
    separated by spaces; kept lower-case."""
    if "words" not in data:
        return ()
    value = data["words"]
    mark = key_mark(data, "words")
    if isinstance(value, str):
        if not re.fullmatch(WORDS_TEXT, value):
            ctx.error(
                mark,
                "E013",
                f"typed words are single words (letters, digits, ' and -) separated by spaces; "
                f"{show(value)} is not",
            )
            return ()
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
        number = whole(word)
        if number is not None and number >= 0:
            word = str(number)
        if not isinstance(word, str) or not WORD_PATTERN.match(word):
            ctx.error(
                mark,
                "E013",
                f"typed words are single words: letters, digits, ' and -, starting with a "
                f"letter or digit; {show(word)} is not",
            )
            continue
        words.append(word.lower())
    return tuple(words)


def _orders(ctx: Context, items: Any, where: Mark, in_engagement: bool) -> tuple[Order, ...]:
    items = as_list(ctx, items, where, "'orders'")
    orders: list[Order] = []
    for index, data in enumerate(items):
        if not check_keys(ctx, data, "order", item_mark(items, index), "an order"):
            continue
        say = sanitise(read_text(ctx, data, "say", "an order"))
        check_placeholders(ctx, say, key_mark(data, "say"))
        condition = _condition(ctx, data, "if", data.mark) if "if" in data else None
        disabled = None
        if "disabled" in data:
            disabled = sanitise(read_text(ctx, data, "disabled", "an order"))
            if condition is None:
                ctx.error(
                    key_mark(data, "disabled"),
                    "E013",
                    "'disabled' gives the reason an order's 'if' fails; add an 'if'",
                )
        hint_if = None
        if "hint_if" in data:
            hint_if = _condition(ctx, data, "hint_if", data.mark)
            if disabled is None:
                ctx.error(
                    key_mark(data, "hint_if"),
                    "E013",
                    "'hint_if' says when the 'disabled' reason shows; add a 'disabled'",
                )
        branches: tuple[Branch, ...] = ()
        if "goto" in data:
            branches = _branches(ctx, data["goto"], key_mark(data, "goto"), "'goto'")
        elif not in_engagement:
            ctx.error(data.mark, "E051", "this order has no 'goto'; say which scene it leads to")
        if not in_engagement:
            for key in ("heeds", "risk"):
                if key in data:
                    ctx.error(
                        key_mark(data, key),
                        "E013",
                        f"'{key}' only means something in an engagement's orders",
                    )
        orders.append(
            Order(
                say,
                _words(ctx, data),
                condition,
                disabled,
                _effects(ctx, data.get("effects"), key_mark(data, "effects")),
                _lines(ctx, data.get("radio"), key_mark(data, "radio"), "an order's 'radio'"),
                branches,
                read_bool(ctx, data, "heeds", "an order"),
                read_int(ctx, data, "risk", "an order"),
                data.mark,
                read_ref(ctx, data["tone"], key_mark(data, "tone"), "tone", ctx.tones)
                if "tone" in data
                else None,
                hint_if,
            )
        )
    return tuple(orders)


def _engagement(ctx: Context, data: Any, where: Mark) -> Engagement | None:
    if not check_keys(ctx, data, "engagement", where, "an engagement"):
        return None
    danger = read_condition(
        ctx, data.get("danger", ENGAGEMENT_DEFAULT_DANGER), key_mark(data, "danger"), "int"
    )
    if "at_risk" in data:
        at_risk = read_refs(ctx, data["at_risk"], key_mark(data, "at_risk"), "pilot", ctx.pilots)
    else:
        at_risk = tuple(p for p in ctx.pilots if p != "shin")
    hit = sanitise(read_text(ctx, data, "hit", "an engagement", ENGAGEMENT_DEFAULT_HIT))
    check_placeholders(ctx, hit, key_mark(data, "hit"), ("pilot",))
    kill = sanitise(read_text(ctx, data, "kill", "an engagement", ENGAGEMENT_DEFAULT_KILL))
    check_placeholders(ctx, kill, key_mark(data, "kill"), ("pilot",))
    rounds: list[Round] = []
    items = as_list(ctx, data.get("rounds"), key_mark(data, "rounds"), "'rounds'")
    for index, rdata in enumerate(items):
        if not check_keys(ctx, rdata, "round", item_mark(items, index), "a round"):
            continue
        warning = (
            sanitise(read_text(ctx, rdata, "warning", "a round")) if "warning" in rdata else None
        )
        if warning:
            check_placeholders(ctx, warning, key_mark(rdata, "warning"))
        rounds.append(
            Round(
                _lines(ctx, rdata.get("radio"), key_mark(rdata, "radio"), "a round's 'radio'"),
                warning,
                _orders(ctx, rdata.get("orders"), key_mark(rdata, "orders"), True),
                rdata.mark,
                _markers(ctx, rdata["markers"], key_mark(rdata, "markers"))
                if "markers" in rdata
                else None,
            )
        )
    if not rounds and "rounds" in data:
        ctx.error(key_mark(data, "rounds"), "E013", "an engagement needs at least one round")
    orders = _orders(ctx, data.get("orders"), key_mark(data, "orders"), True)
    if "orders" in data and not orders:
        ctx.error(key_mark(data, "orders"), "E013", "an engagement needs at least one order")
    after = (
        _branches(ctx, data.get("after"), key_mark(data, "after"), "'after'")
        if "after" in data
        else ()
    )
    if danger is None or not rounds or not orders or not after:
        return None
    return Engagement(
        danger,
        read_int(ctx, data, "ignore_cost", "an engagement", ENGAGEMENT_DEFAULT_IGNORE_COST),
        at_risk,
        hit,
        kill,
        tuple(rounds),
        orders,
        after,
        data.mark,
    )


def _markers(ctx: Context, items: Any, where: Mark) -> tuple[Marker, ...]:
    items = as_list(ctx, items, where, "'markers'")
    markers: list[Marker] = []
    for index, data in enumerate(items):
        if not check_keys(ctx, data, "marker", item_mark(items, index), "a marker"):
            continue
        at = data.get("at")
        kind = data.get("kind")
        cells = [whole(v) for v in at] if isinstance(at, list) else []
        if len(cells) != 2 or any(v is None or v < 0 for v in cells):
            ctx.error(
                key_mark(data, "at"), "E012", "'at' is [column, row], two whole numbers from 0"
            )
            continue
        at = cells
        if kind not in MARKER_KINDS:
            ctx.error(
                key_mark(data, "kind"),
                "E013",
                f"marker kind must be one of {', '.join(MARKER_KINDS)}",
            )
            continue
        markers.append(
            Marker(at[0], at[1], kind, sanitise(read_text(ctx, data, "label", "a marker")))
        )
    return tuple(markers)


def _load_map(ctx: Context, name: Any, mark: Mark) -> str | None:
    if not isinstance(name, str) or not ID_PATTERN.match(name):
        ctx.error(mark, "E012", f"'map' must be a map name like sector_4 (got {show(name)})")
        return None
    if name in ctx.maps:
        return name
    for folder in ctx.map_dirs:
        candidate = folder / f"{name}.txt"
        try:
            found = candidate.exists()
        except OSError as exc:  # a name too long for the file system, say
            ctx.error(mark, "E036", f"map '{name[:40]}' cannot be looked for: {exc.strerror}")
            return None
        if found:
            try:
                text = read_regular(candidate, MAX_MAP_BYTES).decode("utf-8")
            except FileRefused as exc:
                ctx.error(mark, "E036", f"map '{name}' cannot be read: {exc.reason}")
                return None
            except UnicodeDecodeError:
                ctx.error(mark, "E036", f"map '{name}' cannot be read: it is not UTF-8 text")
                return None
            ctx.maps[name] = sanitise(text).rstrip("\n")
            return name
    known = sorted({p.stem for d in ctx.map_dirs if d.is_dir() for p in d.glob("*.txt")})
    ctx.error(
        mark,
        "E036",
        f"no map '{name}' in {', '.join(map(str, ctx.map_dirs)) or 'the maps folder'}{did_you_mean(name, known)}",
    )
    return None


def _scene(ctx: Context, data: MarkedDict, chapter: int) -> Scene | None:
    sid = data["id"]
    if "chapter" in data:
        chapter = read_int(ctx, data, "chapter", "a scene", chapter)
    title = sanitise(read_text(ctx, data, "title", "a scene"))
    check_placeholders(ctx, title, key_mark(data, "title"))
    radio = _lines(ctx, data.get("radio"), key_mark(data, "radio"), "'radio'")
    enter = _effects(ctx, data.get("enter"), key_mark(data, "enter"))
    ending = None
    if "ending" in data:
        ending = read_ref(ctx, data["ending"], key_mark(data, "ending"), "ending", ctx.endings)
    engagement = None
    if "engagement" in data:
        engagement = _engagement(ctx, data["engagement"], key_mark(data, "engagement"))
    orders = _orders(ctx, data.get("orders"), key_mark(data, "orders"), False)
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
    map_name = _load_map(ctx, data["map"], key_mark(data, "map")) if "map" in data else None
    markers = _markers(ctx, data.get("markers"), key_mark(data, "markers"))
    if chapter not in ctx.chapters and ctx.chapters:
        ctx.warning(data.mark, "W001", f"chapter {chapter} has no title in story.yaml's 'chapters'")
    return Scene(
        sid, title, chapter, radio, orders, enter, ending, engagement, map_name, markers, data.mark
    )


def _unused_tones(ctx: Context, scenes: Iterable[Scene]) -> None:
    """W004: a declared tone no order carries (a persona preferring it would never find one)."""
    if not ctx.tones:
        return
    used: set[str] = set()
    for scene in scenes:
        orders = list(scene.orders)
        if scene.engagement is not None:
            orders += scene.engagement.orders
            orders += [o for r in scene.engagement.rounds for o in r.orders]
        used.update(o.tone for o in orders if o.tone is not None)
    for tone in ctx.tones.values():
        if tone.id not in used:
            ctx.warning(
                tone.mark,
                "W004",
                f"tone '{tone.id}' is declared but no order has it; tag orders with "
                f"'tone: {tone.id}', or remove it",
            )
