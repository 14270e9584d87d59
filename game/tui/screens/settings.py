"""Settings: text speed (instant included), reduced motion, theme. Saved on every change."""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from game.tui.config import SPEED_LABELS, TEXT_SPEEDS, Settings
from game.tui.messages import SettingsChanged

ROWS = ("speed", "motion", "theme", "done")
LABELS = {"speed": "Text speed", "motion": "Reduced motion", "theme": "Theme", "done": "Done"}


class SettingsScreen(ModalScreen[None]):
    """Up/down picks a setting; left/right (or Enter, or a click) changes it. Each change is
    posted as `SettingsChanged`; `theme_names` are the themes to cycle through."""

    CSS_PATH = "screens.tcss"

    AUTO_FOCUS = "#settings-list"
    BINDINGS = [
        Binding("escape", "dismiss", "close"),
        Binding("left", "change(-1)", "previous", show=False),
        Binding("right", "change(1)", "next", show=False),
    ]

    def __init__(
        self, settings: Settings, theme_names: list[str], motion_forced_off: bool = False
    ) -> None:
        """`motion_forced_off`: the environment keeps reduced motion on (TEXTUAL_ANIMATIONS)."""
        super().__init__()
        self.settings = settings
        self.theme_names = theme_names
        self.motion_forced_off = motion_forced_off

    def compose(self):  # noqa: ANN201
        with Vertical(id="settings-box", classes="dialog"):
            yield Static(Content("SETTINGS"), classes="dialog-title")
            yield OptionList(*self._options(), id="settings-list")
            yield Static(self._explain(), id="settings-explain")
            yield Static(
                Content("↑↓ choose · ←→ or Enter change · Esc closes"), classes="dialog-hint"
            )

    def _value(self, row: str) -> str:
        settings = self.settings
        if row == "speed":
            return SPEED_LABELS[settings.text_speed]
        if row == "motion":
            if self.motion_forced_off:
                return "on (TEXTUAL_ANIMATIONS=none)"
            return "on" if settings.reduced_motion else "off"
        if row == "theme":
            return settings.theme
        return ""

    def _options(self) -> list[Option]:
        options = []
        for row in ROWS:
            if row == "done":
                options.append(Option(Content("Done"), id=row))
            else:
                prompt = Content.assemble(
                    LABELS[row].ljust(16), ("◂ ", "dim"), (self._value(row), "bold"), (" ▸", "dim")
                )
                options.append(Option(prompt, id=row))
        return options

    def _explain(self) -> Content:
        return Content.assemble(
            ("Instant", "bold"),
            " shows each line whole. ",
            ("Reduced motion", "bold"),
            " also stops the typewriter, the cursor blink and animations",
            (
                "; TEXTUAL_ANIMATIONS=none in the environment keeps it on. "
                if self.motion_forced_off
                else ". "
            ),
            ("Changes are kept for next time.", "dim"),
        )

    def _redraw(self) -> None:
        options = self.query_one("#settings-list", OptionList)
        highlighted = options.highlighted
        options.set_options(self._options())
        options.highlighted = highlighted if highlighted is not None else 0

    def action_change(self, step: int) -> None:
        options = self.query_one("#settings-list", OptionList)
        if options.highlighted is None:
            return
        row = ROWS[options.highlighted]
        settings = self.settings
        if row == "speed":
            speeds = list(TEXT_SPEEDS)
            speed = speeds[(speeds.index(settings.text_speed) + step) % len(speeds)]
            settings = settings.with_changes(text_speed=speed)
        elif row == "motion":
            settings = settings.with_changes(reduced_motion=not settings.reduced_motion)
        elif row == "theme":
            names = self.theme_names
            current = names.index(settings.theme) if settings.theme in names else 0
            settings = settings.with_changes(theme=names[(current + step) % len(names)])
        else:
            return
        self.settings = settings
        self.post_message(SettingsChanged(settings))
        self._redraw()

    @on(OptionList.OptionSelected, "#settings-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == "done":
            self.dismiss()
        else:
            self.action_change(1)
