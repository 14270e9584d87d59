"""The condition language: a small, safe expression language checked when the story loads.

    trust >= 4 and not link_closed
    has(ev_ledger) and (alive(nell) or standing - trust > 2)

Expressions are tokenised, parsed into an immutable tree, type-checked against the declared
variables and the story's ids, then compiled into closures. Nothing is ever passed to `eval`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

Type = Literal["bool", "int", "text"]
Value = bool | int | str


class ConditionError(Exception):
    """A condition that does not parse or type-check; `column` is 0-based within the text."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


class Facts(Protocol):
    """What a condition may ask of a game in progress."""

    def var(self, name: str) -> Value: ...
    def visits(self, scene: str) -> int: ...
    def has(self, evidence: str) -> bool: ...
    def deduced(self, deduction: str) -> bool: ...
    def status(self, pilot: str) -> str: ...
    def knows(self, pilot: str) -> bool: ...
    def alive_count(self) -> int: ...
    def fallen_count(self) -> int: ...
    def known_count(self) -> int: ...
    def evidence_count(self) -> int: ...
    def losses(self, scene: str) -> int: ...


# Each function: the kind of id each argument names, its result type, and its implementation.
IdKind = Literal["scene", "evidence", "deduction", "pilot"]


@dataclass(frozen=True, slots=True)
class Function:
    """A function conditions may call: the kinds of id it takes, what it returns, and its body."""

    args: tuple[IdKind, ...]
    result: Type
    impl: Callable[..., Value]


FUNCTIONS: Mapping[str, Function] = {
    "seen": Function(("scene",), "bool", lambda f, s: f.visits(s) > 0),
    "visits": Function(("scene",), "int", lambda f, s: f.visits(s)),
    "has": Function(("evidence",), "bool", lambda f, e: f.has(e)),
    "deduced": Function(("deduction",), "bool", lambda f, d: f.deduced(d)),
    "alive": Function(("pilot",), "bool", lambda f, p: f.status(p) in ("active", "wounded")),
    "knows": Function(("pilot",), "bool", lambda f, p: f.knows(p)),
    "status": Function(("pilot",), "text", lambda f, p: f.status(p)),
    "alive_count": Function((), "int", lambda f: f.alive_count()),
    "fallen_count": Function((), "int", lambda f: f.fallen_count()),
    "known_count": Function((), "int", lambda f: f.known_count()),
    "evidence_count": Function((), "int", lambda f: f.evidence_count()),
    "losses": Function(("scene",), "int", lambda f, s: f.losses(s)),
}

KEYWORDS = {"and", "or", "not", "true", "false"}

# A condition's size, bounded well below what Python's recursion can take: every pass over a
# tree (checking, compiling, evaluating, the analyses) recurses once per level, and a left-deep
# chain of 1,000 'and' or a sum of 20,000 terms is 1,000 or 20,000 levels. The longest shipped
# condition is about 400 characters and 14 levels deep.
MAX_CONDITION_CHARS = 4000
MAX_CONDITION_DEPTH = 64
"""Levels of nesting a condition may have: parentheses, 'not', and each part joined by 'and',
'or', '+' or '-' (a chain of ten 'and' is ten levels)."""

# --- tree -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal_:
    """A number, true/false or quoted text written in a condition."""

    value: Value
    column: int


@dataclass(frozen=True, slots=True)
class Name:
    """A variable named in a condition."""

    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Call:
    """A function call in a condition, with the ids it is given."""

    function: str
    args: tuple[str, ...]
    column: int
    # Where each argument starts, so that an unknown id is pointed at, not its function.
    arg_columns: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Not:
    """`not` applied to a condition."""

    operand: Node
    column: int


@dataclass(frozen=True, slots=True)
class Binary:
    """Two parts of a condition joined by a comparison, arithmetic, `and` or `or`."""

    op: str
    left: Node
    right: Node
    column: int


Node = Literal_ | Name | Call | Not | Binary

# --- tokens ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<int>\d+)
      | (?P<str>'[^']*'|"[^"]*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|<|>|\+|-|\(|\)|,)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class _Token:
    """One token of a condition's text, with the column it starts at."""

    kind: str
    text: str
    column: int


_BLANK_TAIL = re.compile(r"\s*\Z")


def _tokenise(text: str) -> list[_Token]:
    if len(text) > MAX_CONDITION_CHARS:
        raise ConditionError(
            f"condition too long ({len(text)} characters; the limit is {MAX_CONDITION_CHARS}): "
            "split it over several orders or branches",
            MAX_CONDITION_CHARS,
        )
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        if _BLANK_TAIL.match(text, pos):
            break
        match = _TOKEN.match(text, pos)
        if not match:
            column = pos + (len(text) - pos - len(text[pos:].lstrip()))
            bad = text[column]
            hint = " (use 'and', 'or', 'not')" if bad in "&|!" else ""
            if bad == "=":
                hint = " (use '==' to compare)"
            raise ConditionError(f"unexpected character '{bad}'{hint}", column)
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


# --- parser (precedence: or < and < not < comparison < + - < atom) ----------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenise(text)
        self.i = 0
        self.depth = 0  # parentheses and 'not' open around the token being read

    def nest(self, token: _Token) -> None:
        """Enter one more level (a parenthesis, a 'not'), refusing past the limit before the
        parser's own recursion could."""
        self.depth += 1
        if self.depth > MAX_CONDITION_DEPTH:
            raise _too_deep(token.column)

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, text: str) -> _Token:
        token = self.take()
        if token.text != text:
            found = f"'{token.text}'" if token.text else "the end"
            raise ConditionError(f"expected '{text}' but found {found}", token.column)
        return token

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ConditionError("empty condition", 0)
        node = self.parse_or()
        token = self.peek()
        if token.kind != "end":
            raise ConditionError(f"unexpected '{token.text}'", token.column)
        _check_depth(node)
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.peek().text == "or":
            token = self.take()
            node = Binary("or", node, self.parse_and(), token.column)
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.peek().text == "and":
            token = self.take()
            node = Binary("and", node, self.parse_not(), token.column)
        return node

    def parse_not(self) -> Node:
        if self.peek().text == "not":
            token = self.take()
            self.nest(token)
            node = Not(self.parse_not(), token.column)
            self.depth -= 1
            return node
        return self.parse_comparison()

    def parse_comparison(self) -> Node:
        node = self.parse_sum()
        if self.peek().text in ("==", "!=", "<", "<=", ">", ">="):
            token = self.take()
            node = Binary(token.text, node, self.parse_sum(), token.column)
            if self.peek().text in ("==", "!=", "<", "<=", ">", ">="):
                raise ConditionError(
                    "comparisons do not chain; join them with 'and'", self.peek().column
                )
        return node

    def parse_sum(self) -> Node:
        node = self.parse_atom()
        while self.peek().text in ("+", "-"):
            token = self.take()
            node = Binary(token.text, node, self.parse_atom(), token.column)
        return node

    def parse_atom(self) -> Node:
        token = self.take()
        if token.kind == "int":
            return Literal_(_number(token.text, token.column), token.column)
        if token.kind == "str":
            return Literal_(token.text[1:-1], token.column)
        if token.text == "-" and self.peek().kind == "int":
            return Literal_(_number("-" + self.take().text, token.column), token.column)
        if token.text == "(":
            self.nest(token)
            node = self.parse_or()
            self.expect(")")
            self.depth -= 1
            return node
        if token.kind == "name":
            if token.text in ("true", "false"):
                return Literal_(token.text == "true", token.column)
            if token.text in KEYWORDS:
                raise ConditionError(f"'{token.text}' needs something before it", token.column)
            if self.peek().text == "(":
                if token.text not in FUNCTIONS:
                    from game.engine.diagnostics import did_you_mean

                    hint = did_you_mean(token.text, FUNCTIONS)
                    raise ConditionError(f"unknown function '{token.text}'{hint}", token.column)
                self.take()
                args: list[str] = []
                columns: list[int] = []
                while self.peek().text != ")":
                    arg = self.take()
                    if arg.kind != "name":
                        raise ConditionError(
                            f"'{token.text}(...)' takes ids, not '{arg.text or 'the end'}'",
                            arg.column,
                        )
                    args.append(arg.text)
                    columns.append(arg.column)
                    if self.peek().text == ",":
                        self.take()
                    elif self.peek().text != ")":
                        raise ConditionError("expected ',' or ')'", self.peek().column)
                self.expect(")")
                return Call(token.text, tuple(args), token.column, tuple(columns))
            return Name(token.text, token.column)
        found = f"'{token.text}'" if token.text else "the end"
        raise ConditionError(f"expected a value but found {found}", token.column)


def _number(text: str, column: int) -> int:
    from game.engine.format import INT_RANGE_TEXT, parse_int

    value = parse_int(text)
    if value is None:
        raise ConditionError(f"number too large: whole numbers are {INT_RANGE_TEXT}", column)
    return value


def _too_deep(column: int) -> ConditionError:
    return ConditionError(
        f"condition nested too deeply (more than {MAX_CONDITION_DEPTH} levels of parentheses, "
        "'not' and joined parts): split it over several orders or branches",
        column,
    )


def _check_depth(root: Node) -> None:
    """Refuse a tree deeper than `MAX_CONDITION_DEPTH`, walking it without recursion (the
    parser builds 'and', 'or', '+' and '-' chains in loops, so a long chain is deep although
    parsing it was not)."""
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_CONDITION_DEPTH:
            raise _too_deep(node.column)
        if isinstance(node, Not):
            stack.append((node.operand, depth + 1))
        elif isinstance(node, Binary):
            stack.append((node.left, depth + 1))
            stack.append((node.right, depth + 1))


def parse(text: str) -> Node:
    """Parse a condition into its tree; raises `ConditionError` with a column."""
    return _Parser(text).parse()


# --- type checking --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a condition may name: variable types and, per id kind, the known ids."""

    variables: Mapping[str, Type]
    ids: Mapping[IdKind, frozenset[str]]


def check(node: Node, scope: Scope) -> Type:
    """Return the type of `node`, or raise `ConditionError` naming the first problem."""
    from game.engine.diagnostics import did_you_mean

    match node:
        case Literal_(value=value):
            if isinstance(value, bool):
                return "bool"
            return "int" if isinstance(value, int) else "text"
        case Name(name=name, column=column):
            if name not in scope.variables:
                hint = did_you_mean(name, [*scope.variables, *FUNCTIONS])
                raise ConditionError(f"'{name}' is not a declared variable{hint}", column)
            return scope.variables[name]
        case Call(function=function, args=args, column=column, arg_columns=arg_columns):
            spec = FUNCTIONS.get(function)
            if spec is None:
                hint = did_you_mean(function, FUNCTIONS)
                raise ConditionError(f"unknown function '{function}'{hint}", column)
            if len(args) != len(spec.args):
                raise ConditionError(
                    f"'{function}' takes {len(spec.args)} argument(s), got {len(args)}", column
                )
            for index, (arg, kind) in enumerate(zip(args, spec.args, strict=True)):
                known = scope.ids.get(kind, frozenset())
                if arg not in known:
                    hint = did_you_mean(arg, known)
                    raise ConditionError(
                        f"'{function}' needs {_article(kind)} {kind} id; no {kind} '{arg}'{hint}",
                        arg_columns[index] if index < len(arg_columns) else column,
                    )
            return spec.result
        case Not(operand=operand, column=column):
            if check(operand, scope) != "bool":
                raise ConditionError("'not' needs a true/false value", column)
            return "bool"
        case Binary(op=op, left=left, right=right, column=column):
            lt, rt = check(left, scope), check(right, scope)
            if op in ("and", "or"):
                if lt != "bool" or rt != "bool":
                    raise ConditionError(
                        f"'{op}' joins true/false values, not {lt} and {rt}", column
                    )
                return "bool"
            if op in ("+", "-"):
                if lt != "int" or rt != "int":
                    raise ConditionError(f"'{op}' works on integers, not {lt} and {rt}", column)
                return "int"
            if op in ("==", "!="):
                if lt != rt:
                    raise ConditionError(f"cannot compare {lt} with {rt}", column)
                return "bool"
            if lt != "int" or rt != "int":
                raise ConditionError(f"'{op}' compares integers, not {lt} and {rt}", column)
            return "bool"
    raise ConditionError("unknown expression", 0)  # pragma: no cover


# --- compilation ----------------------------------------------------------------------------

Evaluator = Callable[[Facts], Value]

_COMPARE: Mapping[str, Callable[[Value, Value], Value]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
    "+": lambda a, b: a + b,  # type: ignore[operator]
    "-": lambda a, b: a - b,  # type: ignore[operator]
}


def compile_node(node: Node) -> Evaluator:
    """Turn a checked tree into a closure over `Facts`."""
    match node:
        case Literal_(value=value):
            return lambda facts: value
        case Name(name=name):
            return lambda facts: facts.var(name)
        case Call(function=function, args=args):
            impl = FUNCTIONS[function].impl
            return lambda facts: impl(facts, *args)
        case Not(operand=operand):
            inner = compile_node(operand)
            return lambda facts: not inner(facts)
        case Binary(op="and", left=left, right=right):
            a, b = compile_node(left), compile_node(right)
            return lambda facts: bool(a(facts)) and bool(b(facts))
        case Binary(op="or", left=left, right=right):
            a, b = compile_node(left), compile_node(right)
            return lambda facts: bool(a(facts)) or bool(b(facts))
        case Binary(op=op, left=left, right=right):
            a, b, fn = compile_node(left), compile_node(right), _COMPARE[op]
            return lambda facts: fn(a(facts), b(facts))
    raise TypeError(node)  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed, checked and compiled expression, with its source text."""

    source: str
    tree: Node
    type: Type
    evaluate: Evaluator

    def __call__(self, facts: Facts) -> Value:
        return self.evaluate(facts)


def compile_expression(text: str, scope: Scope, want: Type | None = "bool") -> Expression:
    """Parse, type-check and compile `text`; raises `ConditionError` when it is not a `want`."""
    tree = parse(text)
    kind = check(tree, scope)
    if want is not None and kind != want:
        raise ConditionError(f"this must be a {_describe(want)}, but it is a {_describe(kind)}", 0)
    return Expression(text, tree, kind, compile_node(tree))


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _describe(kind: Type) -> str:
    return {"bool": "true/false condition", "int": "number", "text": "text"}[kind]


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, the root first."""
    yield node
    if isinstance(node, Not):
        yield from walk(node.operand)
    elif isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)


def names_in(node: Node) -> tuple[set[str], set[tuple[str, str]]]:
    """The variables a tree reads and the (function, id) pairs it asks about."""
    variables = {n.name for n in walk(node) if isinstance(n, Name)}
    calls = {(n.function, a) for n in walk(node) if isinstance(n, Call) for a in n.args}
    return variables, calls
