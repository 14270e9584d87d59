"""The glossary's entries: the world's people, factions, places and terms, from seeds/world.yaml.

The file is `entries: [{term, kind: person|faction|place|term, text}]`, read with the engine's
bounded safe YAML loader; a missing or malformed file gives a message, never an error. Line mode
reads it here (`glossary`, `glossary TERM`); nothing here imports a front end or Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from game.paths import seeds_dir

KINDS = ("person", "faction", "place", "term")
KIND_PLURAL = {"person": "People", "faction": "Factions", "place": "Places", "term": "Terms"}
MAX_ENTRIES = 2000


@dataclass(frozen=True)
class GlossaryEntry:
    """One term of the glossary: the term, its kind (person, faction, place or term) and the
    text that explains it."""

    term: str
    kind: str
    text: str


def load_glossary(path: Path | None = None) -> tuple[list[GlossaryEntry], str]:
    """The entries, sorted by kind then term, and a message when there are none to show."""
    from game.engine.text import sanitise
    from game.engine.yamlsafe import YamlProblem, load_yaml

    path = path or seeds_dir() / "world.yaml"
    if not path.is_file():
        return [], "The glossary has not been written yet."
    try:
        data = load_yaml(path)
    except YamlProblem as exc:
        return [], f"The glossary could not be read: {exc.message}"
    except OSError as exc:
        return [], f"The glossary could not be read: {exc.strerror or exc}"
    items = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return [], "The glossary file has no 'entries' list."
    entries: list[GlossaryEntry] = []
    for item in items[:MAX_ENTRIES]:
        if not isinstance(item, dict):
            continue
        term, text, kind = item.get("term"), item.get("text"), item.get("kind", "term")
        if not isinstance(term, str) or not term.strip() or not isinstance(text, str):
            continue
        kind = kind if kind in KINDS else "term"
        entries.append(GlossaryEntry(sanitise(term.strip()), kind, sanitise(text.strip())))
    entries.sort(key=lambda e: (KINDS.index(e.kind), e.term.lower()))
    return entries, "" if entries else "The glossary is empty."


def named(entries: list[GlossaryEntry], query: str) -> list[GlossaryEntry]:
    """The entries `query` names (case, accents, apostrophes, punctuation and articles aside):
    the one whose term it is, else those whose term contains it as words, else those with a
    word of the term beginning with it."""
    phrase = _phrase(query)
    if not phrase:
        return []
    terms = [(_phrase(e.term), e) for e in entries]
    for fits in (
        lambda term: term == phrase,
        lambda term: f" {phrase} " in f" {term} ",
        lambda term: any(word.startswith(phrase) for word in term.split()),
    ):
        found = [e for term, e in terms if fits(term)]
        if found:
            return found
    return []


def mentioning(entries: list[GlossaryEntry], query: str) -> list[GlossaryEntry]:
    """The entries whose text mentions `query` as words."""
    phrase = _phrase(query)
    if not phrase:
        return []
    return [e for e in entries if f" {phrase} " in f" {_phrase(e.text)} "]


def _phrase(text: str) -> str:
    from game.engine.matching import typed_words

    return " ".join(typed_words(text))
