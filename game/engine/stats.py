"""Counts for a story: chapters, scenes, orders, endings, evidence, deductions, pilots, and the
words a player can read (total, per chapter, per speaker, per kind of text, per ending), and
how many of them one playthrough reads (`playthrough_words`).

Words are counted in the text as written: `*emphasis*` marks and `{name}` braces are not words
of their own, a `{name}` counts as one word. Orders are Lena's (`lena`), engagement warnings are
Shin's, hit and kill narration is `narration`; dossier and ending text has no speaker.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from game.engine.model import Line, Story
from game.engine.playtest import all_orders

_WORD = re.compile(r"\S+")


def count_words(text: str) -> int:
    """Words in a text as the player reads it."""
    return len(_WORD.findall(text.replace("\\*", "").replace("*", "")))


def story_stats(story: Story) -> dict[str, Any]:
    """Every count, as a JSON-ready dict (keys in a fixed order)."""
    per_chapter: Counter[int] = Counter()
    per_speaker: Counter[str] = Counter()
    per_kind: Counter[str] = Counter()

    def said(chapter: int | None, speaker: str | None, kind: str, text: str) -> None:
        n = count_words(text)
        if chapter is not None:
            per_chapter[chapter] += n
        if speaker is not None:
            per_speaker[speaker] += n
        per_kind[kind] += n

    def lines(chapter: int, items: tuple[Line, ...]) -> None:
        for line in items:
            said(chapter, line.speaker, "radio", line.text)

    orders = 0
    engagements = 0
    for scene in story.scenes.values():
        chapter = scene.chapter
        said(chapter, None, "titles", scene.title)
        lines(chapter, scene.radio)
        for order in all_orders(story, scene.id):
            orders += 1
            said(chapter, "lena", "orders", order.say)
            if order.disabled:
                said(chapter, None, "orders", order.disabled)
            lines(chapter, order.radio)
            for branch in order.branches:
                lines(chapter, branch.radio)
        if scene.engagement is not None:
            engagements += 1
            eng = scene.engagement
            for rnd in eng.rounds:
                lines(chapter, rnd.radio)
                if rnd.warning:
                    said(chapter, "shin", "warnings", rnd.warning)
            for branch in eng.after:
                lines(chapter, branch.radio)
            said(chapter, "narration", "hits", f"{eng.hit} {eng.kill}")
    for evidence in story.evidence.values():
        said(None, None, "evidence", f"{evidence.title} {evidence.text}")
    for deduction in story.deductions.values():
        said(None, None, "deductions", f"{deduction.title} {deduction.text} {deduction.hint}")
    for ending in story.endings.values():
        said(None, None, "endings", f"{ending.title} {ending.text}")
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
