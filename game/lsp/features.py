"""What the editor is told, as plain data: which ids fit where the cursor is, what a hover says,
and whether a new name is a good id. The server turns these into the protocol's types.

Completion reads the line being typed (and the keys above it), not the index: the line may not
parse yet. It asks which field the cursor is in, and the field says which kind of id goes there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from game.engine.conditions import FUNCTIONS
from game.engine.loader import ID_PATTERN
from game.engine.model import FIXED_SPEAKERS
from game.lsp.index import KINDS, Declared, StoryIndex

FIXED_VOICES = {
    "hq": "command: orders, bulletins, HQ's register",
    "narration": "what Lena notices; shown without a tag",
    "lena": "Lena's own words",
}

_SCALAR_KEYS = {
    "goto": "scene",
    "after": "scene",
    "start": "scene",
    "ending": "ending",
    "tone": "tone",
}
_LIST_KEYS = {
    "reveal": "evidence",
    "requires": "evidence",
    "learn": "pilot",
    "asked": "pilot",
    "at_risk": "pilot",
    "prefers": "tone",
    "avoids": "tone",
}
_MAP_KEYS = {"set": "variable", "add": "variable", "status": "pilot"}
_CONDITION_KEY = re.compile(r"""(?:^|[\s{,])(?:if|hint_if|danger):\s*(['"]?)(.*)$""")
_WORD = re.compile(r"[A-Za-z0-9_]*$")
_KEY_LINE = re.compile(r"^(\s*)(?:-\s+)?([a-z_]+):\s*(?:#.*)?$")


@dataclass(frozen=True, slots=True)
class Want:
    """What may be written at the cursor: ids of these kinds (`voice` for a radio speaker:
    pilots, declared speakers and the fixed voices), condition functions, and where the word
    being typed starts."""

    kinds: tuple[str, ...]
    start: int
    functions: bool = False


def wanted(lines: list[str], line: int, column: int) -> Want | None:
    """What fits at (line, column) of a file, or None when no id goes there."""
    if line >= len(lines):
        return None
    before = lines[line][:column]
    word = _WORD.search(before)
    start = word.start() if word else column
    head = before[:start]
    condition = _CONDITION_KEY.search(head)
    if condition and not _ended(condition.group(2), flow="{" in head[: condition.start() + 1]):
        return _in_condition(condition.group(2), start)
    if re.search(r"\{$", head) and re.search(r"""['"]""", head):
        return Want(("variable",), start)
    names = "|".join(_MAP_KEYS)
    mapping = re.search(rf"(?:^|[\s{{,])({names}):\s*\{{(?:[^{{}}]*,)?\s*$", head)
    if mapping:
        return Want((_MAP_KEYS[mapping.group(1)],), start)
    names = "|".join(_LIST_KEYS)
    listed = re.search(rf"(?:^|[\s{{,])({names}):\s*(?:\[[\w\s,]*)?$", head)
    if listed:
        return Want((_LIST_KEYS[listed.group(1)],), start)
    names = "|".join(_SCALAR_KEYS)
    scalar = re.search(rf"(?:^|[\s{{,-])({names}):\s*$", head)
    if scalar:
        return Want((_SCALAR_KEYS[scalar.group(1)],), start)
    if re.search(r"(?:^|\s)radio:\s*\[\s*\{\s*$", head):
        return Want(("voice",), start)
    stripped = head.strip()
    if stripped in ("", "-", "- {", "{") or re.fullmatch(r"-\s*\{?\s*", stripped):
        parent = _parent_key(lines, line, len(head) - len(head.lstrip()), dash="-" in stripped)
        if parent in _LIST_KEYS and "-" in stripped:
            return Want((_LIST_KEYS[parent],), start)
        if parent in _MAP_KEYS and "-" not in stripped:
            return Want((_MAP_KEYS[parent],), start)
        if parent == "radio" and "-" in stripped:
            return Want(("voice",), start)
    return None


def _ended(condition: str, *, flow: bool) -> bool:
    """Whether a condition inside a flow mapping (`{if: ..., goto: `) has ended at a comma."""
    if not flow:
        return False
    depth = 0
    for char in condition:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char in ",}":
            return True
    return False


def _in_condition(text: str, start: int) -> Want:
    """In a condition: the ids a function takes inside its parentheses, else variables and
    functions."""
    owners: list[str | None] = []
    for match in re.finditer(r"[A-Za-z_][A-Za-z0-9_]*\s*\(|[()]", text):
        token = match.group()
        if token == ")":
            if owners:
                owners.pop()
        elif token == "(":
            owners.append(None)
        else:
            owners.append(token.rstrip(" (\t"))
    owner = owners[-1] if owners else None
    if owner in FUNCTIONS and FUNCTIONS[owner].args:
        return Want((FUNCTIONS[owner].args[0],), start)
    return Want(("variable",), start, functions=True)


def _parent_key(lines: list[str], line: int, indent: int, *, dash: bool) -> str | None:
    """The key of the nearest line above whose value holds this one."""
    for number in range(line - 1, -1, -1):
        text = lines[number]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        own = len(text) - len(text.lstrip())
        if own < indent or (dash and own == indent and not text.lstrip().startswith("-")):
            match = _KEY_LINE.match(text)
            return match.group(2) if match else None
    return None


@dataclass(frozen=True, slots=True)
class Item:
    """One completion: the text, what it is, and a line about it."""

    label: str
    kind: str
    detail: str
    documentation: str = ""


def completions(index: StoryIndex, want: Want) -> list[Item]:
    """Every id (and function) that fits `want`."""
    items: list[Item] = []
    kinds = ("pilot", "speaker") if want.kinds == ("voice",) else want.kinds
    for kind in kinds:
        for declared in index.names(kind):
            items.append(Item(declared.name, kind, summary(declared), describe(declared)))
    if want.kinds == ("voice",):
        items.extend(Item(name, "voice", f"voice: {what}") for name, what in FIXED_VOICES.items())
    if want.functions:
        items.extend(Item(name, "function", signature(name)) for name in sorted(FUNCTIONS))
    return items


def signature(function: str) -> str:
    """A condition function as authors write it: `has(evidence) -> bool`."""
    spec = FUNCTIONS[function]
    return f"{function}({', '.join(spec.args)}) -> {spec.result}"


def summary(declared: Declared) -> str:
    """One line: the kind and what the author called it."""
    title = declared.fact("title") or declared.fact("callsign") or declared.fact("tag")
    if declared.kind == "variable":
        title = declared.fact("type")
    return f"{declared.kind}: {title}" if title else declared.kind


def describe(declared: Declared) -> str:
    """What a hover shows of a declaration (Markdown)."""
    fact = declared.fact
    head = f"**{declared.kind}** `{declared.name}`"
    if declared.kind == "scene":
        lines = [f"{head}: {fact('title') or ''}"]
        if fact("first_line"):
            lines.append(f"> {fact('first_line')}")
        if fact("ending"):
            lines.append(f"ending: `{fact('ending')}`")
        return "\n\n".join(lines)
    if declared.kind == "variable":
        bounds = ""
        if fact("min") is not None or fact("max") is not None:
            bounds = f", {fact('min') or '…'}..{fact('max') or '…'}"
        return f"{head}: {fact('type') or '?'}{bounds}, default {fact('default')}"
    if declared.kind == "pilot":
        role = f", {fact('role')}" if fact("role") else ""
        status = fact("status") or "active"
        return f"{head}: callsign {fact('callsign')}, {fact('name')}{role} ({status})"
    if declared.kind in ("evidence", "deduction", "ending"):
        source = f" ({fact('source')})" if fact("source") else ""
        lines = [f"{head}: {fact('title') or ''}{source}"]
        if fact("text"):
            lines.append(fact("text") or "")
        if fact("requires"):
            lines.append(f"requires: {fact('requires')}")
        return "\n\n".join(lines)
    if declared.kind == "speaker":
        return f"{head}: tag {fact('tag')}, voice {fact('voice') or 'hq'}"
    return f"{head}: {fact('title') or ''}"


def hover(index: StoryIndex, kind: str, name: str) -> str:
    """The hover of an id: its declaration, or that nothing declares it."""
    found = index.definitions(kind, name)
    if not found:
        return f"no {kind} `{name}` is declared"
    text = describe(found[0][1])
    if len(found) > 1:
        text += f"\n\ndeclared {len(found)} times"
    return text


def rename_problem(index: StoryIndex, kind: str, old: str, new: str) -> str | None:
    """Why `old` cannot be renamed to `new`, or None when it can."""
    if kind not in KINDS:
        return f"a {kind} cannot be renamed"
    if not ID_PATTERN.match(new):
        return f"'{new}' is not an id: lower-case letters, digits and _, starting with a letter"
    if kind in ("pilot", "speaker") and new in FIXED_SPEAKERS:
        return f"'{new}' is a fixed voice"
    if new != old and index.definitions(kind, new):
        return f"a {kind} '{new}' is already declared"
    return None
