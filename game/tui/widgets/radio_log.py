"""The radio log: lines arrive one at a time, typed out, with scrollback that reflows.

A line is a callsign tag and a body. Where the log is wide enough, bodies wrap beside a column of
tags (a hanging indent); where that column would take more than a quarter of the width (80
columns and less), the tag starts the line and the body follows it, its later lines indented by
two. The log is re-wrapped whenever its width changes rather than keeping the width of the
moment it was written. Finished lines are kept in a bounded deque; a timer reveals the line
being typed a few characters at a time, so nothing here ever blocks input. Text arrives as
`Content` built from literal strings: no markup is parsed here.

Scrolling follows new lines, except that lines written whole at once (instant text, a skipped
typewriter) never scroll past the first of them: after `mark()` the view stops with the start
of the new passage (the order given, the scene's heading) at the top, so a long scene is read
from its beginning, not from its end. Once the player scrolls back (PgUp, the wheel), nothing
arriving or a resize moves the view until they are back at the bottom or give an order.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from rich.segment import Segment
from textual.content import Content
from textual.events import Resize
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from game.engine.runtime import RadioLine

TICK = 1 / 30
HANGING_INDENT = 2  # where the tag starts the line: how far its later lines are indented


@dataclass
class Entry:
    """One line of the log: tag, body, and how much of the body is revealed so far."""

    tag: Content
    body: Content
    line: RadioLine | None = None
    shown: int = 0


class RadioLog(ScrollView, can_focus=False):
    """The scrolling radio log with its typewriter."""

    COMPONENT_CLASSES = {
        "radio--hq",
        "radio--hq-text",
        "radio--lena",
        "radio--lena-text",
        "radio--narration",
        "radio--warning",
        "radio--warning-tag",
        "radio--dossier",
        "radio--hit",
        "radio--static",
        "radio--em",
        "radio--order",
        "radio--order-tag",
        "radio--divider",
        "radio--note",
        *(f"radio--voice-{n}" for n in range(6)),
        *(f"radio--register-{n}" for n in range(4)),
        *(f"radio--register-{n}-text" for n in range(4)),
    }

    DEFAULT_CSS = """
    RadioLog {
        overflow-y: scroll;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    """

    class LineStarted(Message):
        """A line began to be typed out (the status line reads its signal). Lines written
        whole post no such message: `last_line` is the last one, read on `Drained`."""

        def __init__(self, line: RadioLine) -> None:
            super().__init__()
            self.line = line

    class Drained(Message):
        """Every queued line has been written."""

    def __init__(
        self,
        *,
        max_entries: int = 5000,
        tag_width: int = 12,
        chars_per_second: float = 0.0,
        line_gap: float = 0.0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_entries = max_entries
        self.tag_width = tag_width
        self.chars_per_second = chars_per_second
        self.line_gap = line_gap
        self._done: deque[Entry] = deque()
        self._counts: deque[int] = deque()
        self._strips: list[Strip] = []
        self._typing: Entry | None = None
        self._typing_strips: list[Strip] = []
        self._queue: deque[Entry] = deque()
        self._width = 0
        self._started = 0.0
        self._next_at = 0.0
        self._drain_posted = True
        self._timer = None
        self._style_key: tuple[str, str] | None = None
        self._anchor: Entry | None = None  # the first line of the passage being written whole
        self._mark_next = False  # the next line written becomes the anchor
        self.last_line: RadioLine | None = None  # the last radio line written or begun
        self.held = False  # True while something covers the log: the typewriter waits
        # False once the player scrolls back (PgUp, the wheel): nothing arriving moves the view
        # until they are back at the bottom, or give an order (`mark`).
        self.following = True
        self._settling = False  # the log itself is scrolling (not the player)

    # --- what the console calls ----------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a line is being typed or waiting to be."""
        return self._typing is not None or bool(self._queue)

    @property
    def instant(self) -> bool:
        return self.chars_per_second <= 0

    @property
    def entries(self) -> list[Entry]:
        """Every line written so far (oldest first), then the one being typed."""
        return [*self._done, *([self._typing] if self._typing else [])]

    @property
    def plain_lines(self) -> list[str]:
        """The finished lines as plain text, tag and body: what a test reads."""
        return [
            f"{e.tag.plain} {e.body.plain}".strip() if e.tag.plain else e.body.plain
            for e in self._done
        ]

    def set_speed(self, chars_per_second: float, line_gap: float) -> None:
        """Change the typewriter; going instant writes whatever is waiting."""
        self.chars_per_second = chars_per_second
        self.line_gap = line_gap
        if self.instant:
            self.flush()

    def say(self, tag: Content, body: Content, line: RadioLine | None = None) -> None:
        """Queue a line; it is typed out in turn (or written at once when instant)."""
        entry = Entry(tag, body, line)
        self._drain_posted = False
        if self.instant and not self.busy:
            self._write(entry)
            self._post_drained()
            return
        self._queue.append(entry)
        if self._timer is not None:
            self._timer.resume()

    def note(self, body: Content, tag: Content | None = None) -> None:
        """Write a line at once (a divider, a note, the order given), after anything pending."""
        self.flush()
        self._write(Entry(tag or Content(""), body))

    def mark(self) -> None:
        """The next line written starts a new passage: lines written whole from here on do not
        scroll the log past it (see the module docstring)."""
        self.flush()
        self._anchor = None
        self._mark_next = True
        self.following = True

    @property
    def passage_offset(self) -> int | None:
        """The first row of the passage begun by the last `mark()`, while it holds the view."""
        anchor = self._anchor
        if anchor is None:
            return None
        row = 0
        for entry, count in zip(self._done, self._counts, strict=True):
            if entry is anchor:
                return row
            row += count
        return None

    def complete_line(self) -> None:
        """Finish the line being typed at once; the next one follows without its pause."""
        if self._typing is not None:
            self._finish_typing()
        self._next_at = 0.0

    def flush(self) -> None:
        """Write everything pending at once."""
        if self._typing is not None:
            self._finish_typing()
        while self._queue:
            self._write(self._queue.popleft())
        self._post_drained()

    def clear(self) -> None:
        """Forget every line."""
        self._done.clear()
        self._counts.clear()
        self._strips.clear()
        self._queue.clear()
        self._typing = None
        self._typing_strips = []
        self._update_size(scroll=False)

    # --- the typewriter ------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._timer = self.set_interval(TICK, self._tick, pause=not self._queue)

    def hold(self, held: bool) -> None:
        """Stop typing while something covers the log (a chapter's title card); resume after."""
        self.held = held
        if not held and self._timer is not None and self.busy:
            self._timer.resume()

    def _tick(self) -> None:
        if self.held:
            return
        now = time.monotonic()
        if self._typing is None:
            if not self._queue:
                if self._timer is not None:
                    self._timer.pause()
                self._post_drained()
                return
            if now < self._next_at:
                return
            if self.instant:
                self.flush()
                return
            self._typing = self._queue.popleft()
            self._anchor = None  # lines typed out are followed as they arrive
            self._mark_next = False
            if self._typing.line is not None:
                self.last_line = self._typing.line
            self._started = now
            if self._typing.line is not None:
                self.post_message(self.LineStarted(self._typing.line))
        entry = self._typing
        total = len(entry.body)
        shown = min(total, int((now - self._started) * self.chars_per_second) + 1)
        if shown >= total:
            self._finish_typing()
            return
        if shown != entry.shown:
            entry.shown = shown
            self._typing_strips = self._render(entry, shown)
            self._update_size()

    def _finish_typing(self) -> None:
        entry = self._typing
        assert entry is not None
        self._typing = None
        self._typing_strips = []
        self._write(entry)
        self._next_at = time.monotonic() + self.line_gap

    def _post_drained(self) -> None:
        if not self.busy and not self._drain_posted:
            self._drain_posted = True
            self.post_message(self.Drained())

    # --- layout and drawing --------------------------------------------------------------------

    def _write(self, entry: Entry) -> None:
        if entry.line is not None:
            self.last_line = entry.line
        if self._mark_next:
            self._mark_next = False
            self._anchor = entry
        entry.shown = len(entry.body)
        strips = self._render(entry)
        self._done.append(entry)
        self._counts.append(len(strips))
        self._strips.extend(strips)
        removed = 0
        while len(self._done) > self.max_entries:
            self._done.popleft()
            removed += self._counts.popleft()
        if removed:
            del self._strips[:removed]
            if self.scroll_y > 0:
                self._scroll_itself(y=max(0, self.scroll_y - removed))
        self._update_size()

    def _scroll_itself(self, y: float | None = None) -> None:
        """Scroll to `y` (None: the end) as the log, not as the player."""
        self._settling = True
        try:
            if y is None:
                self.scroll_end(animate=False, immediate=True, x_axis=False)
            else:
                self.scroll_to(y=y, animate=False, immediate=True)
        finally:
            self._settling = False

    def _update_size(self, scroll: bool = True) -> None:
        at_end = self.scroll_y >= self.max_scroll_y - 1
        follow = self.following and (at_end or self._anchor is not None)
        height = len(self._strips) + len(self._typing_strips)
        self.virtual_size = Size(self._width, height)
        if scroll and follow:
            if self.scrollable_content_region.height:
                self._settle()  # the view's size is known: scroll in this same frame
            else:
                self.call_after_refresh(self._settle)
        self.refresh()

    def _settle(self) -> None:
        """Scroll to the end, or, while a passage written whole holds the view, no further than
        its first line."""
        if not self.following:
            self._say_more()
            return
        start = self.passage_offset
        self._scroll_itself(None if start is None else min(start, self.max_scroll_y))
        self._say_more()

    MORE = "more below ▾ PgDn"

    def _say_more(self) -> None:
        """Say in the border when lines are below the view."""
        more = self.MORE if self.scroll_y < self.max_scroll_y else ""
        if (self.border_subtitle or "") != more:
            self.border_subtitle = more

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if not self._settling:
            # The player scrolled: back at the bottom the log follows again; away from it,
            # nothing arriving moves the view.
            if new >= self.max_scroll_y:
                self.following = True
            elif new < old:
                self.following = False
        self._say_more()

    def _text_width(self) -> int:
        # One column is left blank before the scrollbar, so that text never runs into it.
        return max(1, self.scrollable_content_region.width - 1)

    def tag_columns(self, width: int) -> int:
        """The width of the tag column at this text width; 0 when tags start their lines (the
        column would take more than a quarter of the width)."""
        return self.tag_width if self.tag_width * 4 <= width else 0

    def _render(self, entry: Entry, shown: int | None = None) -> list[Strip]:
        width = self._width or self._text_width()
        tag_cols = self.tag_columns(width)
        body = entry.body if shown is None else entry.body[:shown]
        tag = entry.tag
        if tag_cols:
            lines = body.wrap(max(1, width - tag_cols)) if body.plain else [Content("")]
            if tag.cell_length >= tag_cols:
                tag = tag.truncate(max(0, tag_cols - 1))
            first = tag.pad_right(max(0, tag_cols - tag.cell_length))
            indent = Content(" " * tag_cols)
        else:  # narrow: the tag starts the line; a tagged line's later lines are indented
            if tag.plain:
                body = tag + Content(" ") + body
            hang = HANGING_INDENT if tag.plain else 0
            lines = _wrap_hanging(body, width, hang) if body.plain else [Content("")]
            first, indent = Content(""), Content(" " * hang)
        base = self.visual_style
        strips: list[Strip] = []
        for number, text in enumerate(lines):
            content = (first if number == 0 else indent) + text.rstrip()
            segments = [
                Segment(chunk, style.rich_style)
                for chunk, style in content.render(base, end="", parse_style=self._get_style)
            ]
            strips.append(Strip(segments, content.cell_length))
        return strips

    def _rewrap(self) -> None:
        self._width = self._text_width()
        self._strips = []
        self._counts = deque()
        for entry in self._done:
            strips = self._render(entry)
            self._counts.append(len(strips))
            self._strips.extend(strips)
        if self._typing is not None:
            self._typing_strips = self._render(self._typing, self._typing.shown)
        self._update_size()
        self.call_after_refresh(self._settle)

    def on_resize(self, event: Resize) -> None:
        if self._text_width() != self._width:
            self._rewrap()
        else:
            self.call_after_refresh(self._say_more)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if not self.is_mounted or not self._width:
            return
        # Re-render only when the colours can have changed (a theme or the log's own style),
        # not on every hover.
        key = (self.app.theme, repr(self.visual_style))
        if key != self._style_key:
            self._style_key = key
            self._rewrap()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        done = len(self._strips)
        if index < done:
            strip = self._strips[index]
        elif index - done < len(self._typing_strips):
            strip = self._typing_strips[index - done]
        else:
            return Strip.blank(width, self.rich_style)
        return strip.crop_extend(0, width, self.rich_style)


def _wrap_hanging(body: Content, width: int, hang: int) -> list[Content]:
    """`body` wrapped to `width`, its lines after the first to `width - hang`."""
    first = body.wrap(max(1, width))[0]
    rest = body[len(first.plain) :]
    rest = rest[len(rest.plain) - len(rest.plain.lstrip(" ")) :]
    if not rest.plain:
        return [first]
    return [first, *rest.wrap(max(1, width - hang))]
