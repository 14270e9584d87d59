"""Which order a typed line means: the forgiving matching both front ends use.

A player types an order as they read it: `open the link`, `Open the link.`, `search desk`,
`what's your name`, `1.` or `#1`. `match(views, text)` says which of the orders shown it means,
by this rule:

1. A number is the order shown with that number: `2`, `2.`, `2)`, `(2)`, `#2`, `order 2`.
2. Otherwise the line is reduced to its words: case, accents and punctuation go, an apostrophe
   joins (`what's` is `whats`), and the fillers `a`, `an`, `the` and `please` are left out.
3. Five tests follow, strictest first. The first test that some shown order passes decides:
   one enabled order passing it is the order meant; several are listed by number for the player
   to choose; only dimmed ones mean "not now", with the reason.

   a. the words are the order's whole text;
   b. every word is one of the order's command words (its `words:` in the scene);
   c. every word is in the order's text (a contraction counts as its parts too: `what's` gives
      `what` and `is`) or among its command words;
   d. every word begins one of its command words (`sit` for `sitrep`);
   e. every word begins one of its command words, or, three letters or more, a word of its text.

   So a part of an order's text that no other order's text has picks that order, and a word the
   order shows and lists picks it over an order that only shows it.
4. When nothing passes, each word that no order has is replaced by the words an order does have
   that are fewest typos away (a letter wrong, missing, extra, or swapped with its neighbour;
   one typo, two in words of eight letters or more: `opne` is `open`). If the corrected line then
   gives exactly one enabled order, that order is offered as a suggestion, never given.

An order's command words stay what the scene lists (the validator reasons about them); the text
is the order as shown. Nothing here changes a game: `Engine.choose_text` acts on the answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from game.engine.runtime import OrderView

FILLERS = frozenset({"a", "an", "the", "please"})
"""Words left out of what is typed and of the orders' text before they are compared."""

MIN_TEXT_PREFIX = 3
"""How long the beginning of a word of an order's text must be to count (test e)."""

_MAX_WORDS = 24  # a line longer than this many words is no order anyone typed
_MAX_NUMBER_DIGITS = 6
_MAX_TYPO_LENGTH = 40  # a longer word is not a typo of an order's word
_MAX_CORRECTIONS = 16  # corrected readings of one line tried at most
_APOSTROPHES = str.maketrans({c: "'" for c in "\u2019\u2018`\u00b4\u02bc\u2032"})
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_NUMBER = re.compile(r"^(?:#|order\s+|number\s+)?\(?\s*([^\s.)]+)\s*[.)]?$", re.IGNORECASE)
# What the second part of a contraction stands for ("what's" is also "what is").
_CONTRACTED = {
    "s": ("is",),
    "re": ("are",),
    "ll": ("will",),
    "m": ("am",),
    "ve": ("have",),
    "d": ("would", "had"),
    "t": ("not",),
}

MatchKind = Literal["number", "order", "ambiguous", "unavailable", "unknown", "empty"]


@dataclass(frozen=True, slots=True)
class Match:
    """What a typed line means.

    `kind` is `number` (`number` holds it), `order` (`orders` holds the one meant), `ambiguous`
    (`orders` holds the enabled candidates), `unavailable` (`orders` holds the dimmed orders it
    fits), `unknown` (no order fits; `suggestion` may hold the one a corrected typo would
    give), or `empty` (nothing but fillers and punctuation was typed).
    """

    kind: MatchKind
    orders: tuple[OrderView, ...] = ()
    number: int | None = None
    suggestion: OrderView | None = None


@dataclass(frozen=True, slots=True)
class Terms:
    """An order's text and command words as the tests compare them."""

    text: tuple[str, ...]  # the text's words in order, joined at apostrophes, fillers left out
    said: frozenset[str]  # every word of the text, contractions also as their parts
    words: frozenset[str]  # the command words


def fold(text: str) -> str:
    """Text as it is compared: accents dropped, case folded, every apostrophe the same."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.casefold().translate(_APOSTROPHES)


def typed_words(text: str) -> list[str]:
    """The words of a typed line, as the tests read them (rule 2)."""
    words = [w.replace("'", "") for w in _WORD.findall(fold(text))]
    return [w for w in words if w not in FILLERS]


@lru_cache(maxsize=4096)
def terms(say: str, words: tuple[str, ...]) -> Terms:
    """An order's text (`say`, as shown) and command words, ready for the tests."""
    raw = _WORD.findall(fold(say))
    text = tuple(w.replace("'", "") for w in raw if w.replace("'", "") not in FILLERS)
    said = set(text)
    for word in raw:
        if "'" not in word:
            continue
        head, *tails = word.split("'")
        said.add(head)
        for tail in tails:
            said.update(_CONTRACTED.get(tail, (tail,) if len(tail) > 1 else ()))
        if tails[-1] == "t" and head.endswith("n"):
            said.add(head[:-1])  # "don't" is "do not"
    commands = frozenset(w.replace("'", "") for w in (fold(c) for c in words) if w)
    return Terms(text, frozenset(said - {""}), commands)


def _begins(word: str, candidates: Iterable[str]) -> bool:
    return any(c.startswith(word) for c in candidates)


Test = Callable[[Sequence[str], Terms], bool]

TESTS: tuple[tuple[str, Test], ...] = (
    ("the order's whole text", lambda typed, t: tuple(typed) == t.text),
    ("its command words", lambda typed, t: all(w in t.words for w in typed)),
    ("words of its text", lambda typed, t: all(w in t.words or w in t.said for w in typed)),
    (
        "the beginnings of its command words",
        lambda typed, t: all(_begins(w, t.words) for w in typed),
    ),
    (
        "the beginnings of its words",
        lambda typed, t: all(
            _begins(w, t.words) or (len(w) >= MIN_TEXT_PREFIX and _begins(w, t.said)) for w in typed
        ),
    ),
)
"""The tests of rule 3, strictest first, each with what it compares."""


def _terms_of(view: OrderView) -> Terms:
    return terms(view.say, view.words)


def parse_number(text: str) -> int | None:
    """The order number a line asks for (`2`, `2.`, `2)`, `#2`, `order 2`), or None."""
    found = _NUMBER.match(text.strip())
    if found is None:
        return None
    digits = found.group(1)
    if not digits.isdecimal() or len(digits) > _MAX_NUMBER_DIGITS:
        return None
    return int(digits)


def _decide(views: Sequence[OrderView], typed: Sequence[str]) -> Match | None:
    for _, test in TESTS:
        passing = [v for v in views if test(typed, _terms_of(v))]
        if not passing:
            continue
        enabled = tuple(v for v in passing if v.enabled)
        if len(enabled) == 1:
            return Match("order", enabled)
        if enabled:
            return Match("ambiguous", enabled)
        return Match("unavailable", tuple(passing))
    return None


def typo_distance(a: str, b: str, limit: int) -> int:
    """Letters wrong, missing, extra or swapped with a neighbour to turn `a` into `b` (the
    optimal string alignment distance), or `limit + 1` as soon as it is more than `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, row = row, current
    return row[-1]


def allowed_typos(word: str) -> int:
    """How many typos a word may hold and still be corrected: one, two from eight letters."""
    return 1 if len(word) < 8 else 2


def closest(word: str, choices: Iterable[str]) -> list[str]:
    """The `choices` fewest typos away from `word` (within `allowed_typos`), sorted."""
    limit = allowed_typos(word)
    best, found = limit + 1, []
    for choice in choices:
        distance = typo_distance(word, choice, limit)
        if distance < best:
            best, found = distance, [choice]
        elif distance == best and distance <= limit:
            found.append(choice)
    return sorted(found) if best <= limit else []


def _suggest(views: Sequence[OrderView], typed: Sequence[str]) -> OrderView | None:
    """The one enabled order the line would give with its typos corrected (rule 4), or None."""
    enabled = [v for v in views if v.enabled]
    vocabulary: set[str] = set()
    for view in enabled:
        t = _terms_of(view)
        vocabulary |= t.said | t.words
    lines: list[list[str]] = [[]]
    for word in typed:
        if word in vocabulary or _begins(word, vocabulary) or len(word) > _MAX_TYPO_LENGTH:
            options = [word]
        else:
            options = closest(word, vocabulary)
        lines = [line + [option] for line in lines for option in options]
        if not lines or len(lines) > _MAX_CORRECTIONS:
            return None
    meant = set()
    for line in lines:
        found = _decide(enabled, line) if line != list(typed) else None
        if found is not None and found.kind == "order":
            meant.add(found.orders[0].index)
    if len(meant) != 1:
        return None
    (index,) = meant
    return next(v for v in enabled if v.index == index)


def match(views: Sequence[OrderView], text: str) -> Match:
    """Which of the orders shown (`Engine.orders()`) the typed `text` means (see the module's
    docstring for the rule). Changes nothing."""
    number = parse_number(text)
    if number is not None:
        return Match("number", number=number)
    typed = typed_words(text)
    if not typed:
        return Match("empty")
    if len(typed) > _MAX_WORDS:
        return Match("unknown")
    found = _decide(views, typed)
    if found is not None:
        return found
    return Match("unknown", suggestion=_suggest(views, typed))


def whole_text(views: Sequence[OrderView], text: str) -> OrderView | None:
    """The enabled order whose whole text `text` is (test a), or None. A front end asks this
    before reading a line as one of its own commands: an order typed as shown is that order."""
    typed = typed_words(text)
    if not typed or len(typed) > _MAX_WORDS:
        return None
    found = [v for v in views if v.enabled and tuple(typed) == _terms_of(v).text]
    return found[0] if len(found) == 1 else None


def completions(views: Sequence[OrderView], prefix: str) -> list[str]:
    """Words of the enabled orders that begin with `prefix`: their command words, or when none
    does, the words of their text."""
    start = fold(prefix.strip()).replace("'", "")
    enabled = [_terms_of(v) for v in views if v.enabled]
    commands = sorted({w for t in enabled for w in t.words if w.startswith(start)})
    if commands or not start:
        return commands
    return sorted({w for t in enabled for w in t.text if w.startswith(start)})
