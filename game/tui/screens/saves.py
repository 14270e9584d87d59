"""Save (ctrl+s) and Load (l): slots with chapter, scene, date, play time and squad summary.

Overwriting or deleting a save asks first. Every call goes to the `Session`'s public methods;
their failures (`SaveFailed`) show as one-line notifications. The load screen closes with the
slot chosen, which the app then loads. Saves that cannot be loaded are listed there too, dimmed,
after the others, each with its one-line reason; they can be deleted, not loaded.
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
    from game.engine.saves import SaveInfo, Unreadable
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


def unreadable_content(save: Unreadable) -> Content:
    """Two dimmed lines about a save that cannot be loaded: its slot, then why."""
    faint = "$foreground-disabled"  # faint in colour, and dim without colour (NO_COLOR)
    return Content.assemble(
        (save.slot, f"bold {faint}"),
        "  ",
        ("[cannot be loaded]", faint),
        "\n",
        ("  " + save.reason, f"italic {faint}"),
    )


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
        self.unreadable: list[Unreadable] = []  # listed after `infos` (the load screen's)

    def _list(self) -> list[SaveInfo]:
        try:
            return self.session.list_saves()
        except SaveFailed as exc:
            notify_failed(self, exc)
            return []

    def _wanted(self, info: SaveInfo) -> bool:
        return True

    def _unreadable(self, infos: list[SaveInfo]) -> list[Unreadable]:
        """The saves to show dimmed, as unloadable (none but in the load screen)."""
        return []

    def refresh_slots(self) -> None:
        infos = [i for i in self._list() if self._wanted(i)]
        self.unreadable = self._unreadable(infos)
        bad = {save.slot for save in self.unreadable}
        self.infos = [i for i in infos if i.slot not in bad]
        slots = self.query_one(".slots", OptionList)
        options = [Option(slot_content(i), id=f"slot-{n}") for n, i in enumerate(self.infos)]
        options += [
            Option(unreadable_content(save), id=f"bad-{n}")
            for n, save in enumerate(self.unreadable)
        ]
        slots.set_options(options)
        empty = self.query_one(".slots-empty", Static)
        empty.display = not options
        slots.display = bool(options)
        if options:
            slots.highlighted = 0

    def _highlighted(self) -> SaveInfo | Unreadable | None:
        slots = self.query_one(".slots", OptionList)
        rows = [*self.infos, *self.unreadable]
        if slots.highlighted is None or not 0 <= slots.highlighted < len(rows):
            return None
        return rows[slots.highlighted]

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

    def _unreadable(self, infos: list[SaveInfo]) -> list[Unreadable]:
        session = self.session
        checked = [problem for info in infos if (problem := session.check_save(info))]
        return [*checked, *sorted(session.unreadable_saves(), key=lambda save: save.slot)]

    @on(OptionList.OptionSelected, "#load-slots")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        if index < len(self.infos):
            self.dismiss(self.infos[index].slot)
            return
        save = self.unreadable[index - len(self.infos)]
        self.notify(
            f"'{save.slot}' cannot be loaded: {save.reason}",
            title="Damaged save",
            severity="warning",
            markup=False,
        )
