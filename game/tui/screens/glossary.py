"""The glossary (g): the world's people, factions, places and terms, from seeds/world.yaml.

The entries are read by `game.glossary` (described there), as line mode reads them; a missing or
malformed file shows its message, never an error.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from game.glossary import GlossaryEntry, load_glossary

KIND_MARK = {"person": "☺", "faction": "⚑", "place": "⌖", "term": "§"}
KIND_LABEL = {"person": "person", "faction": "faction", "place": "place", "term": "term"}


def entry_content(entry: GlossaryEntry) -> Content:
    """An entry as the glossary shows it: the term, its kind, its text."""
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
