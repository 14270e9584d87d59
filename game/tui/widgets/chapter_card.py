"""The chapter title card: when a chapter begins, its number and title over the console until
the player presses a key or clicks (`Engine.chapter_opening` says when)."""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from game.engine.model import Chapter

HINT = "any key to go on"


def card_text(chapter: Chapter) -> Content:
    """`CHAPTER 2`, the title, and how to go on; a chapter without a title of its own shows its
    number once."""
    number = f"CHAPTER {chapter.number}"
    parts: list[str | tuple[str, str]] = [(number, "bold")]
    if chapter.title and chapter.title != f"Chapter {chapter.number}":
        parts += ["\n\n", (chapter.title, "bold italic")]
    parts += ["\n\n\n", (HINT, "dim")]
    return Content.assemble(*parts)


class ChapterCard(Static):
    """Covers the console while shown; the console sends it the key or click that dismisses it
    (see `ConsoleScreen.on_key`), so that key gives no order the player has not read."""

    class Dismissed(Message):
        """The player has seen the card."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self.chapter: Chapter | None = None

    def show(self, chapter: Chapter) -> None:
        """Cover the console with this chapter's card."""
        self.chapter = chapter
        self.update(card_text(chapter))
        self.display = True

    @property
    def showing(self) -> bool:
        """Whether the card covers the console now."""
        return bool(self.display) and self.chapter is not None

    def dismiss(self) -> None:
        """Take the card away and say so."""
        if not self.showing:
            return
        self.chapter = None
        self.display = False
        self.post_message(self.Dismissed())

    def on_click(self) -> None:
        self.dismiss()
