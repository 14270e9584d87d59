"""What a YAML syntax error means for a scene file, in an author's words: the parser names the
token it choked on; the author needs the cause (a tab, a line out of step with its neighbours,
a quote never closed, a ': ' inside unquoted text) and the fix, at the place to make it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hint:
    """A syntax error explained: the line and column (1-based) to point at, and the message."""

    line: int
    column: int
    message: str


def explain(
    text: str,
    problem: str,
    context: str,
    problem_at: tuple[int, int] | None,
    context_at: tuple[int, int] | None,
) -> Hint | None:
    """The author's version of the parser's `problem` (with its `context`), at 0-based
    (line, column) places as PyYAML gives them; None when there is nothing better to say than
    the parser's words."""
    lines = text.split("\n")
    at = problem_at or context_at
    if at is None:
        return None
    line_no, column = at
    line = lines[line_no] if line_no < len(lines) else ""

    tab = _tab_in_indentation(lines, line_no, context_at)
    if tab is not None or "tab" in problem or line[column : column + 1] == "\t":
        where = tab or (line_no, column)
        return Hint(
            where[0] + 1,
            where[1] + 1,
            "a tab: YAML indents with spaces only; replace the tab with spaces "
            "(set your editor to insert spaces)",
        )
    if "quoted scalar" in context and context_at is not None:
        quote = _char(lines, context_at)
        if "end of stream" in problem or "end of document" in problem:
            other = "write '' for an apostrophe" if quote == "'" else 'write \\" for a quote mark'
            return Hint(
                context_at[0] + 1,
                context_at[1] + 1,
                f"this quote ({quote}) is never closed: end the text with {quote} "
                f"(inside it, {other})",
            )
        if "escape" in problem:
            return Hint(
                line_no + 1,
                column + 1,
                "inside double quotes a backslash starts an escape: write \\\\ for a "
                "backslash, or put the text in single quotes",
            )
    if problem.startswith("mapping values are not allowed"):
        before = line[:column]
        if ": " in before.lstrip(" -") or before.rstrip().endswith(("'", '"')):
            return Hint(
                line_no + 1,
                column + 1,
                "a ': ' inside unquoted text: put the whole text in quotes "
                '(title: "Shin: a name")',
            )
        return Hint(
            line_no + 1,
            column + 1,
            "this key is not lined up with the keys around it (or the line above has no ':'): "
            "indent it exactly like the other keys of its mapping",
        )
    if "undefined alias" in problem:
        return Hint(
            line_no + 1,
            column + 1,
            "text that starts with '*' reads as a YAML alias: put it in quotes "
            '(say: "*Now*, Undertaker.")',
        )
    if "cannot start any token" in problem:
        char = line[column : column + 1]
        return Hint(
            line_no + 1,
            column + 1,
            f"text cannot start with '{char}' in YAML unless it is quoted: put it in quotes",
        )
    if "block sequence entries are not allowed" in problem:
        return Hint(
            line_no + 1,
            column + 1,
            "a list item ('- ') cannot follow a key on the same line: start it on the next "
            "line, indented under the key",
        )
    if "',' or '}'" in problem or "',' or ']'" in problem:
        closing = "}" if "}" in problem else "]"
        opened = context_at if context_at is not None else at
        return Hint(
            opened[0] + 1,
            opened[1] + 1,
            f"this {'{' if closing == '}' else '['} is not closed before line {line_no + 1}: "
            f"add '{closing}' (and ', ' between items)",
        )
    if (
        "expected key" in problem
        or "<block end>" in problem
        or "'-' indicator" in problem
        or "could not find expected ':'" in problem
    ):
        runaway = _runaway_quote(lines, line_no, column)
        if runaway is not None:
            (opened_line, opened_column), quote = runaway
            return Hint(
                opened_line + 1,
                opened_column + 1,
                f"this quote ({quote}) is never closed on its line, so the text runs on to "
                f"line {line_no + 1}: end it with {quote}",
            )
        stripped = line.lstrip(" ")
        after_quote = column > 0 and line[:column].rstrip().endswith(("'", '"'))
        if after_quote and not stripped.startswith("-"):
            return Hint(
                line_no + 1,
                column + 1,
                "text after a closing quote: put all of the text inside the quotes",
            )
        if stripped.startswith("- ") or stripped == "-":
            return Hint(
                line_no + 1,
                column + 1,
                "this list item is not lined up with the items before it: indent its '- ' "
                "exactly like theirs",
            )
        opened = f" (the one at line {context_at[0] + 1})" if context_at else ""
        if "could not find expected ':'" in problem:
            return Hint(
                line_no + 1,
                column + 1,
                f"a key without ':' or a line out of step with its mapping{opened}: write "
                "'key: value', and indent it like the keys around it",
            )
        return Hint(
            line_no + 1,
            column + 1,
            f"this line is not indented like the keys of its mapping{opened}: line it up "
            "with them (or, for a list, with the other '- ' items)",
        )
    return None


def _runaway_quote(
    lines: list[str], line_no: int, column: int
) -> tuple[tuple[int, int], str] | None:
    """Where a quote opens that is closed only on the problem's line (an odd number of quote
    marks before the problem there, and on the opening line), with the quote mark."""
    if line_no >= len(lines):
        return None
    for quote in ('"', "'"):
        if lines[line_no][:column].count(quote) % 2 == 0:
            continue
        for number in range(line_no - 1, -1, -1):
            if lines[number].count(quote) % 2 == 1:
                return (number, lines[number].rindex(quote)), quote
    return None


def _char(lines: list[str], at: tuple[int, int]) -> str:
    line = lines[at[0]] if at[0] < len(lines) else ""
    return line[at[1] : at[1] + 1] or '"'


def _tab_in_indentation(
    lines: list[str], line_no: int, context_at: tuple[int, int] | None
) -> tuple[int, int] | None:
    """The first tab in the indentation of the problem's line, or of the lines between the
    context's start and it (the parser often notices a tab a line late)."""
    first = context_at[0] if context_at is not None and context_at[0] <= line_no else line_no
    for number in range(first, min(line_no, len(lines) - 1) + 1):
        line = lines[number]
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            return number, indent.index("\t")
    return None
