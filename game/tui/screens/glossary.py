"""The glossary (g): the world's people, factions, places and terms, from seeds/world.yaml.

The file is `entries: [{term, kind: person|faction|place|term, text}]`. It is read with the
engine's bounded safe YAML loader; a missing or malformed file shows a message, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from game.engine.text import sanitise
from game.paths import seeds_dir

KINDS = ("person", "faction", "place", "term")
KIND_MARK = {"person": "☺", "faction": "⚑", "place": "⌖", "term": "§"}
KIND_LABEL = {"person": "person", "faction": "faction", "place": "place", "term": "term"}
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


def entry_content(entry: GlossaryEntry) -> Content:
    return Content.assemble(
        (entry.term, "bold"),
        "\n",
        (f"{KIND_MARK[entry.kind]} {KIND_LABEL[entry.kind]}", "dim italic"),
        "\n\n",
        entry.text,
    )


class GlossaryScreen(ModalScreen[None]):
    """Terms on the left (type to filter), the chosen one's text on the right."""

    CSS_PATH = "screens.tcss"

    AUTO_FOCUS = "#glossary-filter"
    BINDINGS = [
        Binding("escape", "dismiss", "close"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.entries, self.message = load_glossary(path)
        self.shown: list[GlossaryEntry] = []

    def compose(self):  # noqa: ANN201
        with Vertical(id="glossary-box", classes="dialog"):
            yield Static(Content("GLOSSARY"), classes="dialog-title")
            yield Input(placeholder="filter…", id="glossary-filter")
            with Horizontal(id="glossary-body"):
                yield OptionList(id="glossary-terms")
                with VerticalScroll(id="glossary-scroll"):
                    yield Static(Content(self.message), id="glossary-text")
            yield Static(Content("type to filter · ↑↓ choose · Esc closes"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#glossary-terms", OptionList).display = bool(self.entries)
        self.query_one("#glossary-filter", Input).display = bool(self.entries)
        self._filter("")

    @on(Input.Changed, "#glossary-filter")
    def _changed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        self.shown = [
            e for e in self.entries if needle in e.term.lower() or needle in e.text.lower()
        ]
        terms = self.query_one("#glossary-terms", OptionList)
        terms.set_options(
            Option(Content.assemble((KIND_MARK[e.kind] + " ", "dim"), e.term)) for e in self.shown
        )
        if self.shown:
            terms.highlighted = 0
        else:
            text_widget = self.query_one("#glossary-text", Static)
            text_widget.update(Content(self.message or "Nothing matches."))

    @on(OptionList.OptionHighlighted, "#glossary-terms")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if 0 <= event.option_index < len(self.shown):
            entry = self.shown[event.option_index]
            self.query_one("#glossary-text", Static).update(entry_content(entry))

    def action_move(self, step: int) -> None:
        terms = self.query_one("#glossary-terms", OptionList)
        if step > 0:
            terms.action_cursor_down()
        else:
            terms.action_cursor_up()
