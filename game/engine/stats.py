"""Counts for a story: chapters, scenes, orders, endings, evidence, deductions, pilots, and the
words a player can read (total, per chapter, per speaker, per kind of text, per ending), and
how many of them one playthrough reads (`playthrough_words`); the same counts per file or per
chapter (`stats_by`).

Words are counted in the text as written: `*emphasis*` marks and `{name}` braces are not words
of their own, a `{name}` counts as one word. Orders are Lena's (`lena`), engagement warnings are
Shin's, hit and kill narration is `narration`; dossier and ending text has no speaker.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from game.engine.model import Line, Scene, Story
from game.engine.playtest import all_orders

_WORD = re.compile(r"\S+")


def count_words(text: str) -> int:
    """Words in a text as the player reads it."""
    return len(_WORD.findall(text.replace("\\*", "").replace("*", "")))


@dataclass(frozen=True, slots=True)
class Text:
    """A piece of text a player can read, and where it belongs: the scene it is said in (None
    for dossier and ending text), the file it is written in, who says it and what kind it is."""

    scene: Scene | None
    path: str
    speaker: str | None
    kind: str
    text: str


def texts(story: Story) -> Iterator[Text]:
    """Every text a player can read, once each, in story order (scenes, then the dossier and
    the endings): what every word count is made of."""
    for scene in story.scenes.values():
        yield from _scene_texts(story, scene)
    for evidence in story.evidence.values():
        yield Text(None, evidence.mark.path, None, "evidence", f"{evidence.title} {evidence.text}")
    for deduction in story.deductions.values():
        yield Text(
            None,
            deduction.mark.path,
            None,
            "deductions",
            f"{deduction.title} {deduction.text} {deduction.hint}",
        )
    for ending in story.endings.values():
        yield Text(None, ending.mark.path, None, "endings", f"{ending.title} {ending.text}")


def _scene_texts(story: Story, scene: Scene) -> Iterator[Text]:
    path = scene.mark.path

    def lines(items: tuple[Line, ...]) -> Iterator[Text]:
        for line in items:
            yield Text(scene, path, line.speaker, "radio", line.text)

    yield Text(scene, path, None, "titles", scene.title)  # first: `stats_by` counts it
    yield from lines(scene.radio)
    for order in all_orders(story, scene.id):
        yield Text(scene, path, "lena", "orders", order.say)
        if order.disabled:
            yield Text(scene, path, None, "orders", order.disabled)
        yield from lines(order.radio)
        for branch in order.branches:
            yield from lines(branch.radio)
    if scene.engagement is not None:
        eng = scene.engagement
        for rnd in eng.rounds:
            yield from lines(rnd.radio)
            if rnd.warning:
                yield Text(scene, path, "shin", "warnings", rnd.warning)
        for branch in eng.after:
            yield from lines(branch.radio)
        yield Text(scene, path, "narration", "hits", f"{eng.hit} {eng.kill}")


def story_stats(story: Story) -> dict[str, Any]:
    """Every count, as a JSON-ready dict (keys in a fixed order)."""
    per_chapter: Counter[int] = Counter()
    per_speaker: Counter[str] = Counter()
    per_kind: Counter[str] = Counter()
    for said in texts(story):
        n = count_words(said.text)
        if said.scene is not None:
            per_chapter[said.scene.chapter] += n
        if said.speaker is not None:
            per_speaker[said.speaker] += n
        per_kind[said.kind] += n
    orders = sum(len(all_orders(story, scene_id)) for scene_id in story.scenes)
    engagements = sum(1 for scene in story.scenes.values() if scene.engagement is not None)
    # An ending as a player reads it: its scene's radio (every line, whatever its condition)
    # and the ending's closing text.
    per_ending = {
        scene.id: {
            "ending": scene.ending,
            "words": sum(count_words(line.text) for line in scene.radio)
            + count_words(
                f"{story.endings[scene.ending].title} {story.endings[scene.ending].text}"
            ),
        }
        for scene in story.scenes.values()
        if scene.ending is not None
    }
    chapters = sorted({s.chapter for s in story.scenes.values()} | set(story.chapters))
    total = sum(per_kind.values())
    return {
        "story": story.id,
        "chapters": len(chapters),
        "scenes": len(story.scenes),
        "engagements": engagements,
        "orders": orders,
        "endings": len(story.endings),
        "evidence": len(story.evidence),
        "deductions": len(story.deductions),
        "pilots": len(story.pilots),
        "variables": len(story.variables),
        "words_total": total,
        "words": {
            "total": total,
            "per_chapter": {str(c): per_chapter.get(c, 0) for c in chapters},
            "per_speaker": dict(sorted(per_speaker.items(), key=lambda kv: (-kv[1], kv[0]))),
            "per_kind": dict(sorted(per_kind.items(), key=lambda kv: (-kv[1], kv[0]))),
        },
        "per_ending": per_ending,
        "per_chapter": {
            str(c): {
                "title": story.chapter_title(c),
                "scenes": sum(1 for s in story.scenes.values() if s.chapter == c),
                "words": per_chapter.get(c, 0),
            }
            for c in chapters
        },
    }


Grouping = Literal["file", "chapter"]
GROUPINGS: tuple[Grouping, ...] = ("file", "chapter")
NO_CHAPTER = "none"  # the row of text outside every chapter: the dossier and the endings


@dataclass(slots=True)
class Share:
    """One file's or chapter's part of a story: its scenes, orders, endings and words."""

    key: str  # the file (relative to the story folder), or the chapter's number as text
    chapter: int | None = None  # by chapter: its number (None: text outside every chapter)
    title: str = ""  # by chapter: the chapter's title
    scenes: int = 0
    engagements: int = 0
    orders: int = 0
    endings: int = 0  # scenes that end the game
    words: int = 0
    chapters: set[int] = field(default_factory=set)  # by file: the chapters of its scenes

    def to_json(self, by: Grouping) -> dict[str, Any]:
        """The row as JSON (`stats --by ... --json`)."""
        row: dict[str, Any] = (
            {"chapter": self.chapter, "title": self.title}
            if by == "chapter"
            else {"file": self.key, "chapters": sorted(self.chapters)}
        )
        row.update(
            scenes=self.scenes,
            engagements=self.engagements,
            orders=self.orders,
            endings=self.endings,
            words=self.words,
        )
        return row


def stats_by(story: Story, by: Grouping, root: str | None = None) -> list[Share]:
    """The story's counts per file (each scene where it is written; dossier and ending text
    where it is declared) or per chapter (every chapter declared or used, in order; then the
    dossier and ending text, which belong to none, as a last row). Rows add up to
    `story_stats`' totals. `root` is the story folder: files are named relative to it."""
    shares: dict[str, Share] = {}
    if by == "chapter":
        numbers = sorted({s.chapter for s in story.scenes.values()} | set(story.chapters))
        for number in numbers:
            shares[str(number)] = Share(str(number), number, story.chapter_title(number))

    def share(said: Text) -> Share:
        if by == "file":
            key = _relative(said.path, root)
        elif said.scene is None:
            key = NO_CHAPTER
        else:
            key = str(said.scene.chapter)
        found = shares.get(key)
        if found is None:
            title = "dossier and endings" if key == NO_CHAPTER and by == "chapter" else ""
            found = shares[key] = Share(key, title=title)
        return found

    for said in texts(story):
        row = share(said)
        row.words += count_words(said.text)
        scene = said.scene
        if scene is not None and said.kind == "titles":  # once per scene: its title comes first
            row.scenes += 1
            row.chapters.add(scene.chapter)
            row.orders += len(all_orders(story, scene.id))
            row.engagements += scene.engagement is not None
            row.endings += scene.ending is not None
    return list(shares.values())


def _relative(path: str, root: str | None) -> str:
    if root is None:
        return path
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return path if relative.startswith("..") else relative


def playthrough_words(story: Story, runs: int = 100, seed: int = 1) -> dict[str, dict[str, int]]:
    """How many words one playthrough reads: every line heard (the radio of each scene and
    round, the aftermath of each order, the ending's text) and every order given, over `runs`
    games from the start. Games are played as each persona the story declares (and at random,
    as `random`); gives, per way of playing, the fewest, the median and the most."""
    import random as _random
    import statistics

    from game.engine.personas import choose_as
    from game.engine.playtest import enabled_orders
    from game.engine.runtime import Engine

    ways: list[str] = [*story.personas, "random"]
    engine = Engine.new(story, seed)
    limit = max(1000, 2 * len(story.states()))
    result: dict[str, dict[str, int]] = {}
    for way in ways:
        counts: list[int] = []
        for run in range(runs):
            engine.reset(seed + run)
            chooser = _random.Random(f"words:{way}:{seed + run}")
            words = 0
            for _ in range(limit):
                words += sum(count_words(line.text) for line in engine.radio())
                if engine.state.ending is not None:
                    ending = story.endings[engine.state.ending]
                    words += count_words(f"{ending.title} {ending.text}")
                    break
                views = enabled_orders(engine)
                if not views:
                    break
                written = story.orders_at(engine.state.scene)
                if way == "random":
                    index = chooser.choice(views)[0]
                else:
                    offered = [written[i] for i, _ in views]
                    index = views[choose_as(story.personas[way], offered, chooser)][0]
                words += count_words(written[index].say)
                engine.choose(index)
            counts.append(words)
        result[way] = {
            "min": min(counts),
            "median": int(statistics.median_low(counts)),
            "max": max(counts),
        }
    return result
