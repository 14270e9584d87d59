"""The dossier (d): what the Republic says beside what the radio says, records, deductions."""

from __future__ import annotations

from collections.abc import Sequence

from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from game.engine.runtime import DeductionView, DossierEntry, Engine

COLUMNS = (
    ("official", "THE OFFICIAL LINE"),
    ("radio", "WHAT THE RADIO SAID"),
)


def evidence_content(entries: Sequence[DossierEntry]) -> Content:
    """Evidence as title, text and where it was found; all literal text."""
    if not entries:
        return Content.styled("Nothing yet.", "italic")
    parts: list[str | tuple[str, str]] = []
    for n, entry in enumerate(entries):
        if n:
            parts.append("\n\n")
        parts += [
            (entry.evidence.title, "bold"),
            "\n",
            entry.evidence.text,
            "\n",
            (f"from: {entry.found_in}", "dim italic"),
        ]
    return Content.assemble(*parts)


def deductions_content(views: Sequence[DeductionView]) -> Content:
    """Deductions made, then threads: hints that two pieces may connect."""
    if not views:
        return Content.styled("No threads yet. Evidence that disagrees will show here.", "italic")
    parts: list[str | tuple[str, str]] = []
    for n, view in enumerate(views):
        if n:
            parts.append("\n\n")
        deduction = view.deduction
        if view.made:
            parts += [("◆ ", "bold"), (deduction.title, "bold"), "\n  ", deduction.text]
        else:
            need = len(deduction.requires)
            hint = deduction.hint or "Something here connects to something you have not found."
            parts += [("◇ a thread", "italic"), f" ({view.held} of {need} pieces)", "\n  ", hint]
    return Content.assemble(*parts)


class DossierScreen(ModalScreen[None]):
    """Evidence and deductions, side by side."""

    CSS_PATH = "screens.tcss"

    BINDINGS = [
        Binding("escape,d,q", "dismiss", "close"),
        Binding("down,j", "scroll(1)", show=False),
        Binding("up,k", "scroll(-1)", show=False),
    ]

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def compose(self):  # noqa: ANN201
        entries = self.engine.dossier()
        with Vertical(id="dossier-box", classes="dialog"):
            yield Static(
                Content(f"DOSSIER — {len(entries)} piece(s) of evidence"), classes="dialog-title"
            )
            with VerticalScroll(id="dossier-scroll"):
                with Horizontal(id="dossier-columns"):
                    for source, heading in COLUMNS:
                        with Vertical(classes="dossier-column", id=f"dossier-{source}"):
                            yield Static(Content(heading), classes="dossier-heading")
                            chosen = [e for e in entries if e.evidence.source == source]
                            yield Static(evidence_content(chosen), classes="dossier-text")
                records = [e for e in entries if e.evidence.source not in dict(COLUMNS)]
                if records:
                    yield Static(Content("RECORDS"), classes="dossier-heading")
                    yield Static(evidence_content(records), id="dossier-records")
                yield Static(Content("DEDUCTIONS"), classes="dossier-heading")
                yield Static(deductions_content(self.engine.deductions()), id="dossier-deductions")
            yield Static(Content("Esc closes"), classes="dialog-hint")

    def action_scroll(self, lines: int) -> None:
        self.query_one("#dossier-scroll", VerticalScroll).scroll_relative(y=lines, animate=False)
