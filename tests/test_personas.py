"""Tones and personas: the format, the choice rule, the persona playtest and its command."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.engine.cache import decode_story, encode_story
from game.engine.loader import check_story, load_story
from game.engine.model import Order, Persona
from game.engine.personas import choose_as, persona_playtest
from tests.conftest import write

MANIFEST = """
    id: tones
    title: Tones
    start: desk
    chapters:
      - {number: 1, title: "One"}
      - {number: 2, title: "Two"}
    variables:
      - {name: trust, type: int, default: 2, min: 0, max: 10}
      - {name: standing, type: int, default: 2, min: 0, max: 10}
    pilots:
      - {id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}
    endings:
      - {id: end_recalled, title: "Recalled"}
      - {id: end_home, title: "Home"}
    tones:
      - {id: warm, title: "Kindness on the link"}
      - {id: dutiful, title: "By the book"}
      - {id: defiant, title: "Against command, on the record"}
    personas:
      - {id: kind, title: "A warm Handler", prefers: [warm], consistency: 100}
      - {id: clerk, title: "A dutiful Handler", prefers: dutiful, avoids: [defiant]}
      - {id: rebel, title: "A defiant Handler", prefers: [defiant], consistency: 100}
"""

SCENES = """
    chapter: 1
    scenes:
      - id: desk
        title: The Desk
        radio: [{narration: "The console hums."}]
        orders:
          - say: "Ask his name."
            tone: warm
            effects: {add: {trust: 1}}
            goto: review
          - say: "Log per protocol."
            tone: dutiful
            effects: {add: {standing: 1}}
            goto: review
          - say: "Tear up the bulletin."
            tone: defiant
            effects: {add: {standing: -2}}
            goto: review
          - say: "Wait."
            goto: review
      - id: review
        title: Review
        radio: [{hq: "Review."}]
        orders:
          - say: "Go on."
            if: standing >= 1
            goto: next_day
          - say: "Accept the recall."
            if: standing < 1
            goto: recalled
      - id: recalled
        title: Recalled
        radio: [{hq: "You are relieved."}]
        ending: end_recalled
      - id: next_day
        chapter: 2
        title: Next Day
        radio: [{shin: "Morning."}]
        orders:
          - say: "Good morning."
            tone: warm
            goto: home
          - say: "Report."
            tone: dutiful
            goto: home
      - id: home
        chapter: 2
        title: Home
        radio: [{narration: "Quiet."}]
        ending: end_home
"""


@pytest.fixture
def story_dir(tmp_path: Path) -> Path:
    root = tmp_path / "tones"
    write(root / "story.yaml", MANIFEST)
    write(root / "ch1.yaml", SCENES)
    return root


def test_tones_and_personas_load(story_dir: Path) -> None:
    story = load_story(story_dir)
    assert list(story.tones) == ["warm", "dutiful", "defiant"]
    assert story.tones["warm"].title == "Kindness on the link"
    clerk = story.personas["clerk"]
    assert (clerk.prefers, clerk.avoids, clerk.consistency) == (("dutiful",), ("defiant",), 85)
    assert [o.tone for o in story.scenes["desk"].orders] == ["warm", "dutiful", "defiant", None]


def test_the_cache_keeps_tones_personas_and_order_tones(story_dir: Path) -> None:
    story = load_story(story_dir)
    again = decode_story(encode_story(story, "key"), story_dir)
    assert dict(again.tones) == dict(story.tones)
    assert dict(again.personas) == dict(story.personas)
    assert [o.tone for o in again.scenes["desk"].orders] == ["warm", "dutiful", "defiant", None]


@pytest.mark.parametrize(
    ("old", "new", "code", "needle"),
    [
        ("tone: warm\n", "tone: wram\n", "E037", "no tone 'wram'; did you mean 'warm'?"),
        ("prefers: dutiful", "prefers: dutyful", "E037", "no tone 'dutyful'"),
        ("avoids: [defiant]", "avoids: [dutiful]", "E013", "both prefer and avoid dutiful"),
        (
            "consistency: 100}\n  - {id: clerk",
            "consistency: 140}\n  - {id: clerk",
            "E013",
            "consistency is a percent",
        ),
    ],
)
def test_bad_tones_and_personas_are_errors_with_their_place(
    story_dir: Path, old: str, new: str, code: str, needle: str
) -> None:
    for name in ("story.yaml", "ch1.yaml"):
        path = story_dir / name
        text = path.read_text()
        if old in text:
            path.write_text(text.replace(old, new, 1))
            line = text[: text.index(old)].count("\n") + 1
            break
    story, diagnostics = check_story(story_dir)
    assert story is None
    found = [d for d in diagnostics if d.code == code]
    assert found, diagnostics
    assert needle in found[0].message
    assert found[0].mark.path.endswith(name)
    assert found[0].mark.line == line


def test_a_tone_no_order_has_is_a_warning_at_its_declaration(story_dir: Path) -> None:
    manifest = story_dir / "story.yaml"
    manifest.write_text(
        manifest.read_text().replace(
            '  - {id: defiant, title: "Against command, on the record"}\n',
            '  - {id: defiant, title: "Against command, on the record"}\n  - {id: wistful}\n',
        )
    )
    story, diagnostics = check_story(story_dir)
    assert story is not None
    (warning,) = [d for d in diagnostics if d.code == "W004"]
    assert "tone 'wistful'" in warning.message
    assert warning.mark.line == manifest.read_text().splitlines().index("  - {id: wistful}") + 1


# --- the choice rule -----------------------------------------------------------------------------

TONES = [None, "warm", "dutiful", "defiant"]


def _orders(tones: list[str | None]) -> list[Order]:
    return [Order(f"order {i}", tone=t) for i, t in enumerate(tones)]


@settings(max_examples=300, deadline=None)
@given(
    tones=st.lists(st.sampled_from(TONES), min_size=1, max_size=6),
    prefers=st.sets(st.sampled_from(TONES[1:]), max_size=2),
    avoid=st.sets(st.sampled_from(TONES[1:]), max_size=2),
    consistency=st.sampled_from([0, 50, 85, 100]),
    seed=st.integers(0, 10_000),
)
def test_choose_as_follows_the_rule(
    tones: list[str | None],
    prefers: set[str],
    avoid: set[str],
    consistency: int,
    seed: int,
) -> None:
    avoids = avoid - prefers
    persona = Persona("p", "P", tuple(sorted(prefers)), tuple(sorted(avoids)), consistency)
    pick = choose_as(persona, _orders(tones), random.Random(seed))
    assert 0 <= pick < len(tones)
    chosen = tones[pick]
    preferred_offered = any(t in prefers for t in tones if t)
    if consistency == 100 and preferred_offered:
        assert chosen in prefers
    if chosen is not None and chosen in avoids:
        # An avoided order only when every order offered is avoided.
        assert all(t is not None and t in avoids for t in tones)


def test_consistency_is_the_share_of_preferred_choices_when_one_is_offered() -> None:
    persona = Persona("p", "P", ("warm",), (), 85)
    orders = _orders(["warm", "dutiful", "defiant", None])
    chooser = random.Random(5)
    picks = [choose_as(persona, orders, chooser) for _ in range(4000)]
    warm = picks.count(0) / len(picks)
    # 85% by preference, plus a quarter of the other 15% by chance.
    assert 0.86 < warm < 0.93


# --- playing as a persona ------------------------------------------------------------------------


def test_each_persona_plays_as_its_tones_say(story_dir: Path) -> None:
    story = load_story(story_dir)
    kind = persona_playtest(story, "kind", runs=40, seed=1)
    rebel = persona_playtest(story, "rebel", runs=40, seed=1)
    assert kind.runs == rebel.runs == 40
    # The warm Handler always asks and always reaches chapter 2; the defiant one never does.
    assert kind.chapters == {2: 40}
    assert kind.reached(2) == 1.0
    assert kind.report.endings == {"end_home": 40}
    assert not kind.cut_offs
    assert rebel.chapters == {1: 40}
    assert rebel.reached(2) == 0.0
    assert rebel.report.endings == {"end_recalled": 40}
    (place,) = rebel.places()
    assert (place.scene, place.ending, place.count) == ("review", "end_recalled", 40)
    assert place.spread("standing") == (0, 0, 0)
    assert place.spread("trust") == (2, 2, 2)


def test_persona_games_are_reproducible_and_differ_by_persona(story_dir: Path) -> None:
    story = load_story(story_dir)
    first = persona_playtest(story, "clerk", runs=30, seed=3).to_json()
    again = persona_playtest(story, "clerk", runs=30, seed=3).to_json()
    assert first == again
    assert first["persona"]["id"] == "clerk"
    assert first["chapters"] == {"1": first["chapters"]["1"], "2": first["chapters"]["2"]}
    assert sum(first["chapters"].values()) == 30
    assert first["final_chapter"] == 2


def handler_one(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "game", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_command_reports_every_persona(story_dir: Path) -> None:
    done = handler_one("playtest", str(story_dir), "--persona", "all", "--runs", "20", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)["personas"]
    assert list(data) == ["kind", "clerk", "rebel"]
    rebel = data["rebel"]
    assert rebel["reached_final"] == 0.0
    assert rebel["cut_off"] == [
        {
            "scene": "review",
            "ending": "end_recalled",
            "count": 20,
            "meters": {
                "trust": {"min": 2, "median": 2, "max": 2},
                "standing": {"min": 0, "median": 0, "max": 0},
            },
        }
    ]
    text = handler_one("playtest", str(story_dir), "--persona", "kind", "--persona", "rebel")
    assert text.returncode == 0, text.stderr
    assert "Chapter reached" in text.stdout
    assert "review -> Recalled: 20" not in text.stdout  # 100 games by default
    assert "review -> Recalled: 100  (trust 2, standing 0)" in text.stdout


def test_an_unknown_persona_is_a_one_line_usage_error(story_dir: Path) -> None:
    done = handler_one("playtest", str(story_dir), "--persona", "nobody")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "no persona 'nobody'" in done.stderr and "kind, clerk, rebel, all" in done.stderr


def test_a_persona_can_start_at_a_scene_with_variables_preset(story_dir: Path) -> None:
    story = load_story(story_dir)
    # The warm Handler never lowers standing; preset to 0 at the review she is recalled.
    report = persona_playtest(story, "kind", runs=10, seed=1, warp="review", sets={"standing": 0})
    assert report.report.endings == {"end_recalled": 10}
    assert report.places()[0].scene == "review"
    done = handler_one(
        "playtest",
        str(story_dir),
        "--persona",
        "kind",
        "--runs",
        "5",
        "--warp",
        "next_day",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["personas"]["kind"]["endings"]["end_home"] == 5
