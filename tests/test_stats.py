"""handler-one stats: counts and player-visible words."""

from __future__ import annotations

import json
import subprocess
import sys

from game.engine.loader import load_story
from game.engine.stats import count_words, story_stats
from tests.conftest import MINI


def test_counts_of_the_fixture_story() -> None:
    data = story_stats(load_story(MINI))
    assert {
        k: data[k]
        for k in ("chapters", "scenes", "orders", "endings", "evidence", "deductions", "pilots")
    } == {
        "chapters": 1,
        "scenes": 4,
        "orders": 6,
        "endings": 2,
        "evidence": 2,
        "deductions": 1,
        "pilots": 3,
    }
    assert data["engagements"] == 1


def test_words_add_up() -> None:
    data = story_stats(load_story(MINI))
    words = data["words"]
    assert words["total"] == data["words_total"] == sum(words["per_kind"].values())
    assert sum(words["per_chapter"].values()) <= words["total"]
    # the orders are Lena's words: "Report status." "What's your name?" "Read the ledger."
    # "Close the link." "Follow Undertaker." "Push."
    assert words["per_speaker"]["lena"] == 2 + 3 + 3 + 3 + 2 + 1
    assert words["per_speaker"]["nell"] == len("She sounds *young*. Contacts.".split())
    assert words["per_kind"]["warnings"] == 2  # "Pull left."
    assert data["per_chapter"]["1"]["scenes"] == 4


def test_count_words_ignores_markup() -> None:
    assert count_words("She sounds *young*.") == 3
    assert count_words("Units deployed, {callsign_of_lena}.") == 3
    assert count_words("  * lone \\* star *  ") == 2
    assert count_words("") == 0


def test_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "game", "stats", "--json", str(MINI)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    data = json.loads(result.stdout)
    for key in ("chapters", "scenes", "orders", "endings", "evidence", "deductions", "pilots"):
        assert isinstance(data[key], int)
    assert data["words"]["total"] > 0
    text = subprocess.run(
        [sys.executable, "-m", "game", "stats", str(MINI)], capture_output=True, text=True
    )
    assert "Words per speaker:" in text.stdout
    assert "scenes" in text.stdout
