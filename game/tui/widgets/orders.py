"""The orders panel: numbered orders (click or press 1-9), dimmed disabled ones with their
reason, and a command line that takes typed orders with Tab completion."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.widgets import Input, Static

from game.engine.runtime import OrderView


class OrderItem(Horizontal):
    """One order: its number (or a dash) in a column, the order beside it with a hanging indent.
    `view` is None for the 'continue' item shown when the story has ended."""

    class Chosen(Message):
        """The player clicked an order."""

        def __init__(self, item: OrderItem) -> None:
            super().__init__()
            self.item = item

    def __init__(self, view: OrderView | None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.view: OrderView | None = None
        self._number = Static("", classes="order-number", markup=False)
        self._text = Static("", classes="order-text", markup=False)

    def compose(self):  # noqa: ANN201
        yield self._number
        yield self._text

    def show_view(self, view: OrderView | None, label: str = "") -> None:
        """Draw an order (or the 'continue' prompt with `label`)."""
        self.view = view
        self.set_class(view is not None and not view.enabled, "-disabled")
        self.set_class(view is None, "-continue")
        if view is None:
            number, text = Content("▸"), Content(label or "Continue")
        elif view.enabled:
            number, text = Content(str(view.number)), Content(view.say)
        else:
            reason = f"  ({view.reason})" if view.reason else ""
            number, text = Content("–"), Content.assemble(view.say, (reason, "italic"))
        self._number.update(number)
        self._text.update(text)

    @property
    def text(self) -> str:
        """The order as shown, number and words."""
        return f"{self._number.content} {self._text.content}"

    def on_click(self, event: Click) -> None:
        event.stop()
        if self.view is None or self.view.enabled:
            self.post_message(self.Chosen(self))


class CommandInput(Input):
    """The typed command line. Tab completes the word being typed with `completer`, which
    gives the order words that start with a prefix (the console passes `Session.completions`,
    which always asks the game being played)."""

    BINDINGS = [
        Binding("tab", "complete", "Complete", show=False),
        Binding("escape", "leave", "Back to orders", show=False),
    ]

    def __init__(self, completer: Callable[[str], list[str]], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.completer = completer

    class Hint(Message):
        """Something to tell the player under the command line."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def action_complete(self) -> None:
        value = self.value
        head, _, word = value.rpartition(" ")
        prefix = f"{head} " if head else ""
        words = self.completer(word)
        if not words:
            shown = f"no order word starts with '{word}'" if word else "no orders take words here"
            self.post_message(self.Hint(shown))
            return
        if len(words) == 1:
            self.value = f"{prefix}{words[0]} "
            self.post_message(self.Hint(""))
        else:
            common = _common_prefix(words)
            if len(common) > len(word):
                self.value = f"{prefix}{common}"
            self.post_message(self.Hint("words: " + ", ".join(words)))
        self.cursor_position = len(self.value)

    def action_leave(self) -> None:
        self.screen.set_focus(None)


def _common_prefix(words: Sequence[str]) -> str:
    first, last = min(words), max(words)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


class OrdersPanel(VerticalScroll):
    """The orders and the command line beneath them; `completer` goes to the command line.

    When they do not fit (many orders, a small terminal), the panel scrolls: its top shows the
    first orders, its border says there are more, and the command line scrolls into view when it
    is focused (/ or Tab)."""

    MORE = "more below ▾"

    def __init__(self, completer: Callable[[str], list[str]], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.completer = completer

    def compose(self):  # noqa: ANN201
        yield Vertical(id="order-list")
        yield CommandInput(
            self.completer,
            placeholder="type an order · Tab completes",
            id="command",
            select_on_focus=False,
        )
        yield Static("", id="command-hint", markup=False)

    def show(self, views: Sequence[OrderView], ending_label: str | None = None) -> None:
        """Show these orders (or, at an ending, a single 'continue' item)."""
        holder = self.query_one("#order-list", Vertical)
        wanted: list[tuple[OrderView | None, str]] = (
            [(None, ending_label)] if ending_label is not None else [(v, "") for v in views]
        )
        # Items are kept and hidden rather than removed: a removal lands a frame later, and so
        # would the repaint it causes.
        items = list(holder.query(OrderItem))
        for item, (view, label) in zip(items, wanted, strict=False):
            item.show_view(view, label)
            item.display = True
        for item in items[len(wanted) :]:
            item.display = False
            item.view = None
        extra = [OrderItem(view) for view, _ in wanted[len(items) :]]
        if extra:
            holder.mount_all(extra)
        for item, (view, label) in zip(extra, wanted[len(items) :], strict=True):
            item.show_view(view, label)
        self.hint("")
        if self.scroll_y:
            self.scroll_home(animate=False, immediate=False)
        self.call_after_refresh(self._say_more)

    def _say_more(self) -> None:
        """Say in the border when orders are below the fold."""
        more = self.MORE if self.scroll_y < self.max_scroll_y else ""
        if (self.border_subtitle or "") != more:
            self.border_subtitle = more

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._say_more()

    def on_resize(self) -> None:
        self.call_after_refresh(self._say_more)

    @property
    def items(self) -> list[OrderItem]:
        """The order items shown (hidden ones are kept for the next scene)."""
        return [
            item
            for item in self.query_one("#order-list", Vertical).query(OrderItem)
            if item.display
        ]

    def hint(self, text: str) -> None:
        """A line under the command line: why an order was not given, or completions."""
        self.query_one("#command-hint", Static).update(Content(text))
        self.query_one("#command-hint", Static).display = bool(text)
