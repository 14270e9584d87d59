"""Save (ctrl+s) and Load (l): slots with chapter, scene, date, play time and squad summary.

Overwriting or deleting a save asks first. Every call goes to the `Session`'s public methods;
their failures (`SaveFailed`) show as one-line notifications. The load screen closes with the
slot chosen, which the app then loads.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from game.session import SaveFailed
from game.tui.screens.confirm import ConfirmScreen
from game.tui.store import format_duration, format_when, notify_failed

if TYPE_CHECKING:
    from game.engine.savefile import SaveKind
    from game.engine.saves import SaveInfo
    from game.session import Session

KIND_LABEL: dict[SaveKind, str] = {"named": "", "auto": "autosave", "quick": "quicksave"}


def slot_content(info: SaveInfo) -> Content:
    """Two lines about a save; every field shown literally."""
    kind = KIND_LABEL[info.kind]
    first: list[str | tuple[str, str]] = [(info.slot, "bold")]
    if kind:
        first += ["  ", (f"[{kind}]", "dim")]
    first += ["  ", (format_when(info.saved_at), "dim")]
    second: list[str | tuple[str, str]] = [
        "  ",
        f"Ch {info.chapter} {info.chapter_title} · {info.scene_title}",
        " · ",
        format_duration(info.play_seconds),
    ]
    if info.squad_summary:
        second += [" · ", info.squad_summary]
    if info.ending is not None:
        second += [" · ", (f"ended: {info.ending}", "italic")]
    if info.story_changed:
        second += ["  ", ("⚠ story changed since", "italic")]
    return Content.assemble(*first, "\n", *second)


def suggest_slot(title: str) -> str:
    """A slot name from the scene title: 'First Contact' -> 'first-contact'."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:40] or "save"


class _SlotScreen(ModalScreen[str | None]):
    """What the save and load screens share: the list of slots and deleting one."""

    CSS_PATH = "screens.tcss"

    BINDINGS = [
        Binding("escape", "dismiss", "close"),
        Binding("delete,x", "delete", "delete"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.infos: list[SaveInfo] = []

    def _list(self) -> list[SaveInfo]:
        try:
            return self.session.list_saves()
        except SaveFailed as exc:
            notify_failed(self, exc)
            return []

    def _wanted(self, info: SaveInfo) -> bool:
        return True

    def refresh_slots(self) -> None:
        self.infos = [i for i in self._list() if self._wanted(i)]
        slots = self.query_one(".slots", OptionList)
        slots.set_options(Option(slot_content(i), id=f"slot-{n}") for n, i in enumerate(self.infos))
        empty = self.query_one(".slots-empty", Static)
        empty.display = not self.infos
        slots.display = bool(self.infos)
        if self.infos:
            slots.highlighted = 0

    def _highlighted(self) -> SaveInfo | None:
        slots = self.query_one(".slots", OptionList)
        if slots.highlighted is None or not 0 <= slots.highlighted < len(self.infos):
            return None
        return self.infos[slots.highlighted]

    def action_delete(self) -> None:
        info = self._highlighted()
        if info is None:
            return

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.session.delete_save(info.slot)
            except SaveFailed as exc:
                notify_failed(self, exc)
                return
            self.notify(f"Deleted '{info.slot}'.", markup=False)
            self.refresh_slots()

        self.app.push_screen(
            ConfirmScreen(f"Delete the save '{info.slot}'? This cannot be undone.", "Delete"),
            answer,
        )


class SaveScreen(_SlotScreen):
    """Type a name (or pick a slot to overwrite) and press Enter."""

    AUTO_FOCUS = "#save-name"

    def compose(self):  # noqa: ANN201
        session = self.session
        title = session.engine.scene.title if session.playing else "save"
        with Vertical(id="save-box", classes="dialog"):
            yield Static(Content("SAVE GAME"), classes="dialog-title")
            yield Input(suggest_slot(title), placeholder="slot name", id="save-name")
            yield Static(Content("No named saves yet."), classes="slots-empty")
            yield OptionList(classes="slots", id="save-slots")
            yield Static(
                Content("Enter saves · pick a slot to overwrite it · Del deletes · Esc closes"),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.refresh_slots()

    def _wanted(self, info: SaveInfo) -> bool:
        return info.kind == "named"

    @on(Input.Submitted, "#save-name")
    def _submitted(self, event: Input.Submitted) -> None:
        self.save_as(event.value.strip())

    @on(OptionList.OptionSelected, "#save-slots")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        info = self.infos[event.option_index]
        self.query_one("#save-name", Input).value = info.slot
        self.save_as(info.slot)

    def save_as(self, slot: str) -> None:
        """Save to `slot` (asking first when that would replace a save); close when saved."""
        if not slot:
            self.notify("Give the save a name.", severity="warning", markup=False)
            return
        try:
            exists = self.session.has_save(slot)
        except SaveFailed as exc:
            notify_failed(self, exc)
            return

        def write(yes: bool | None = True) -> None:
            if not yes:
                return
            try:
                info = self.session.save(slot)
            except SaveFailed as exc:
                notify_failed(self, exc)
                return
            self.notify(f"Saved to '{info.slot}'.", title="Saved", markup=False)
            self.dismiss()

        if exists:
            self.app.push_screen(ConfirmScreen(f"Overwrite the save '{slot}'?", "Overwrite"), write)
        else:
            write()


class LoadScreen(_SlotScreen):
    """Pick a save and press Enter (or click it)."""

    AUTO_FOCUS = "#load-slots"

    def compose(self):  # noqa: ANN201
        with Vertical(id="load-box", classes="dialog"):
            yield Static(Content("LOAD GAME"), classes="dialog-title")
            yield Static(Content("No saves yet."), classes="slots-empty")
            yield OptionList(classes="slots", id="load-slots")
            yield Static(Content("Enter loads · Del deletes · Esc closes"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.refresh_slots()

    @on(OptionList.OptionSelected, "#load-slots")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.infos[event.option_index].slot)
