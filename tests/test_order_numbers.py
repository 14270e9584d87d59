"""Order numbers: a scene that loops back to itself keeps each order's number while it is offered.

Both front ends show `OrderView.number` and give orders by it, so the rule lives in the engine:
entering a scene numbers its open orders from 1; each pass of a loop keeps the numbers of the
orders still offered, leaves the numbers of those no longer offered unused, and gives an order
newly offered the next number after the highest. A number pressed twice never gives two
different orders.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.engine.loader import load_story
from game.engine.model import Story
from game.engine.runtime import Engine
from game.engine.saves import SaveStore
from game.paths import scenes_dir
from tests.conftest import write

STORY = """
id: loops
title: Loops
start: names
chapters: [{number: 1, title: One}]
variables:
  - {name: asked, type: int, default: 0}
  - {name: trust, type: int, default: 0, min: 0, max: 9}
pilots:
  - {id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}
  - {id: ringside, callsign: Ringside, name: Mateo Lindqvist, role: Pilot}
  - {id: kestrel, callsign: Kestrel, name: Petra Valcu, role: Pilot}
  - {id: quarrel, callsign: Quarrel, name: Ruslan Mendes, role: Pilot}
endings:
  - {id: end, title: End}
"""

SCENES = """
chapter: 1
scenes:
  - id: names
    title: Who They Were
    radio: [{shin: "Ask."}]
    orders:
      - say: "Ringside. Who was he?"
        words: [ringside]
        if: not knows(ringside)
        effects: {learn: ringside, add: {asked: 1}}
        goto: names
      - say: "Kestrel. Who was she?"
        words: [kestrel]
        if: not knows(kestrel)
        effects: {learn: kestrel, add: {asked: 1}}
        goto: names
      - say: "Quarrel. Who was he?"
        words: [quarrel]
        if: not knows(quarrel)
        effects: {learn: quarrel, add: {asked: 1}}
        goto: names
      - say: "And you, Undertaker?"
        words: [you]
        if: asked >= 2 and not knows(shin)
        effects: {learn: shin}
        goto: names
      - say: "Wait."
        words: [wait]
        if: trust < 2
        disabled: "Not while they are talking."
        hint_if: asked == 0
        effects: {add: {trust: 1}}
        goto: names
      - say: "That's all of them."
        words: [all, done]
        goto: after
  - id: after
    title: After
    radio: [{narration: "Quiet."}]
    orders:
      - say: "Back to the names."
        words: [back]
        goto: names
      - say: "Sign off."
        words: [sign]
        goto: end
  - id: end
    title: End
    radio: [{narration: "End."}]
    ending: end
"""


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    root = tmp_path_factory.mktemp("loops")
    write(root / "story.yaml", STORY)
    write(root / "ch1.yaml", SCENES)
    return load_story(root)


def shown(engine: Engine) -> dict[int, str]:
    """Number -> the order's first word, for the orders open now."""
    return {v.number: v.words[0] for v in engine.orders() if v.number is not None}


def test_entering_a_scene_numbers_its_open_orders_from_one(story: Story) -> None:
    engine = Engine.new(story, 1)
    assert shown(engine) == {1: "ringside", 2: "kestrel", 3: "quarrel", 4: "wait", 5: "all"}


def test_pressing_the_same_number_twice_never_gives_two_different_orders(story: Story) -> None:
    engine = Engine.new(story, 1)
    assert engine.choose_number(2).ok  # Kestrel
    assert engine.knows("kestrel")
    # The scene looped: the orders still offered keep their numbers; 2 is not reused.
    assert shown(engine) == {1: "ringside", 3: "quarrel", 4: "wait", 5: "all"}
    again = engine.choose_number(2)
    assert not again.ok and not engine.knows("quarrel")
    assert again.message == "Order 2 is no longer offered; choose 1, 3, 4 or 5."
    assert engine.choose_number(3).ok and engine.knows("quarrel")
    # An order newly offered (two asked) takes the next number after the highest.
    assert shown(engine) == {1: "ringside", 4: "wait", 5: "all", 6: "you"}
    assert engine.choose_number(6).ok and engine.knows("shin")
    assert shown(engine) == {1: "ringside", 4: "wait", 5: "all"}


def test_orders_show_in_number_order_and_a_dimmed_one_keeps_its_place(story: Story) -> None:
    engine = Engine.new(story, 1)
    assert engine.choose_text("wait").ok and engine.choose_text("wait").ok
    # Trust is 2: "Wait." dims (its hint holds while nobody was asked) and frees no number.
    views = engine.orders()
    assert [(v.number, v.words[0]) for v in views] == [
        (1, "ringside"),
        (2, "kestrel"),
        (3, "quarrel"),
        (None, "wait"),
        (5, "all"),
    ]
    assert views[3].reason == "Not while they are talking."
    assert not engine.choose_number(4).ok
    assert engine.choose_number(2).ok and engine.choose_number(3).ok
    # "And you, Undertaker?" opens: authored before "That's all", it shows after it, as 6.
    assert [(v.number, v.words[0]) for v in engine.orders()] == [
        (1, "ringside"),
        (5, "all"),
        (6, "you"),
    ]


def test_leaving_and_coming_back_numbers_afresh(story: Story) -> None:
    engine = Engine.new(story, 1)
    assert engine.choose_number(2).ok
    assert engine.choose_text("all").ok and engine.choose_text("back").ok
    assert shown(engine) == {1: "ringside", 2: "quarrel", 3: "wait", 4: "all"}


def test_undo_and_a_save_bring_the_numbers_back_as_they_were(story: Story, tmp_path: Path) -> None:
    engine = Engine.new(story, 1)
    assert engine.choose_number(2).ok
    before = shown(engine)
    store = SaveStore(tmp_path)
    store.save("loop", engine)
    saved = json.loads(store.path("loop").read_text(encoding="utf-8"))["state"]
    assert saved["numbers"] == [0, 1, 2, 4, 5]
    assert shown(store.load("loop", story).engine) == before
    assert engine.choose_number(3).ok and engine.undo()
    assert shown(engine) == before
    assert engine.undo() and shown(engine) == shown(Engine.new(story, 1))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31))
def test_in_any_game_a_number_given_again_is_the_same_order_or_refused(seed: int) -> None:
    """Random games of the shipped story: whenever an order loops back to its own scene, its
    number (and every number still shown) means the same order as before."""
    story = _shipped()
    rng = random.Random(seed)
    engine = Engine.new(story, seed)
    for _ in range(400):
        if engine.ending is not None:
            break
        before = {v.number: v.index for v in engine.orders() if v.number is not None}
        if not before:
            break
        number = rng.choice(sorted(before))
        place = engine.state.scene
        assert engine.choose_number(number).ok
        if engine.state.scene == place:
            after = {v.number: v.index for v in engine.orders() if v.number is not None}
            for kept in set(after) & set(before):
                assert after[kept] == before[kept], (place, kept)


_STORY: list[Story] = []


def _shipped() -> Story:
    if not _STORY:
        _STORY.append(load_story(scenes_dir()))
    return _STORY[0]
