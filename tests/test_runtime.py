"""The story machine: guards, effects, branches, engagements, undo and replay."""

from __future__ import annotations

from pathlib import Path

import pytest
from transitions import Machine

from game.engine.loader import load_story
from game.engine.runtime import DeadEnd, Engine, GameOver
from tests.conftest import MINI, write


@pytest.fixture(scope="module")
def story():
    return load_story(MINI)


def test_the_machine_is_a_transitions_machine_without_auto_transitions(story) -> None:
    engine = Engine.new(story, 1)
    assert isinstance(engine.machine, Machine)
    assert engine.machine.auto_transitions is False
    assert set(engine.machine.states) == set(story.states())
    # Orders are triggers; the machine itself says which are valid here.
    assert set(engine.machine.get_triggers("first_contact")) == {
        "order_0",
        "order_1",
        "order_2",
        "order_3",
    }


def test_new_game_enters_the_start_scene_and_applies_enter_effects(story) -> None:
    engine = Engine.new(story, 1)
    assert engine.state.scene == "first_contact"
    assert engine.has("ev_bulletin")
    assert engine.visits("first_contact") == 1
    assert [line.text for line in engine.radio()][0] == "Dossier: Bulletin"


def test_hidden_and_disabled_orders(story) -> None:
    engine = Engine.new(story, 1)
    views = engine.orders()
    assert [v.number for v in views] == [1, 2, None, 3]
    disabled = views[2]
    assert not disabled.enabled and disabled.reason == "Nothing to connect yet."
    with pytest.raises(ValueError, match="Nothing to connect"):
        engine.choose(disabled.index)


def test_the_guard_blocks_an_order_even_when_triggered_directly(story) -> None:
    engine = Engine.new(story, 1)
    before = engine.state.to_dict()
    # Trigger 'order_2' (the ledger) on the machine itself: its condition is the guard.
    assert engine.machine.events["order_2"].trigger(engine) is False
    assert engine.state.to_dict() == before
    # The same trigger for an available order moves the game, as choose() would.
    assert engine.machine.events["order_0"].trigger(engine) is True
    assert engine.state.scene == "fight" and engine.state.log == [("first_contact", 0)]


def test_effects_learn_reveal_deduce_and_clamp(story) -> None:
    engine = Engine.new(story, 1, sets={"trust": 4})
    assert engine.choose_text("name").ok
    assert engine.knows("shin")
    assert engine.var("trust") == 5  # 4 + 2, clamped to max 5
    assert engine.var("standing") == 2
    assert engine.deduced("de_people")
    said = [line.text for line in engine.radio()]
    assert "Deduction: People" in said
    assert engine.state.evidence == {"ev_bulletin": "first_contact", "ev_voices": "first_contact"}
    # The deduction now opens the ledger order... but we have moved on to the fight.
    assert engine.state.scene == "fight"


def test_typed_words_prefixes_and_hints(story) -> None:
    engine = Engine.new(story, 1)
    assert not engine.choose_text("zzz").ok
    assert "Words here" in engine.choose_text("zzz").message
    outcome = engine.choose_text("ledger")
    assert not outcome.ok and "Nothing to connect yet" in outcome.message
    assert engine.completions("si") == ["sitrep"]
    assert engine.choose_text("SIT").ok
    assert engine.state.scene == "fight"


def test_number_out_of_range(story) -> None:
    engine = Engine.new(story, 1)
    outcome = engine.choose_number(9)
    assert not outcome.ok and "1 to 3" in outcome.message


def test_engagement_rounds_and_ignoring_shin_costs_lives(story) -> None:
    def fallen(seed: int, word: str) -> int:
        engine = Engine.new(story, seed)
        engine.choose_text("report")
        for _ in range(3):
            assert engine.round is not None
            engine.choose_text(word)
        return sum(1 for s in engine.state.status.values() if s in ("killed", "wounded"))

    careful = sum(fallen(seed, "follow") for seed in range(60))
    reckless = sum(fallen(seed, "push") for seed in range(60))
    assert reckless > careful * 2


def test_engagement_warning_is_shins_line(story) -> None:
    engine = Engine.new(story, 1)
    engine.choose_text("report")
    engine.choose_text("follow")
    assert engine.round == (2, 3)
    warning = [line for line in engine.radio() if line.kind == "warning"]
    assert warning and warning[0].tag == "UNDERTAKER" and warning[0].text == "Pull left."


def test_endings_and_game_over(story) -> None:
    engine = Engine.new(story, 1)
    engine.choose_text("close")
    assert engine.ending is not None and engine.ending.id == "end_bad"
    assert engine.orders() == []
    with pytest.raises(GameOver):
        engine.choose(0)


def test_weighted_branches_are_seeded(story) -> None:
    def branch(seed: int) -> str:
        engine = Engine.new(story, seed)
        engine.choose_text("close")
        return "|".join(line.text for line in engine.radio())

    outcomes = {branch(seed) for seed in range(40)}
    assert len(outcomes) == 2  # both weighted branches happen
    assert all(branch(seed) == branch(seed) for seed in range(5))


def test_undo_restores_everything(story) -> None:
    engine = Engine.new(story, 2)
    before = engine.state.to_dict()
    engine.choose_text("name")
    assert engine.undo()
    assert engine.state.to_dict() == before
    assert (
        engine.state.scene == "first_contact"
        and engine.machine.get_model_state(engine).name == "first_contact"
    )
    assert not engine.undo()


def test_replay_reproduces_a_game_exactly(story) -> None:
    engine = Engine.new(story, 9)
    for word in ("report", "push", "push", "push"):
        engine.choose_text(word)
    replayed, applied = Engine.replay(story, 9, engine.state.log)
    assert applied == 4
    assert replayed.state.to_dict() == engine.state.to_dict()


def test_dead_end_when_no_branch_applies(tmp_path: Path) -> None:
    write(
        tmp_path / "story.yaml",
        """
        id: d
        title: D
        start: a
        variables: [{name: flag, type: bool, default: false}]
        endings: [{id: e, title: E}]
    """,
    )
    write(
        tmp_path / "s.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - say: Go
                goto: [{if: flag, goto: b}]
          - {id: b, title: B, ending: e}
    """,
    )
    engine = Engine.new(load_story(tmp_path), 1)
    with pytest.raises(DeadEnd):
        engine.choose(0)
    assert engine.state.scene == "a" and engine.state.log == []


def test_state_round_trips_through_json(story) -> None:
    import json

    from game.engine.state import GameState

    engine = Engine.new(story, 4)
    engine.choose_text("name")
    data = json.loads(json.dumps(engine.state.to_dict()))
    restored = Engine(story, GameState.from_dict(data))
    assert restored.radio() == engine.radio()
    assert restored.orders() == engine.orders()
    with pytest.raises(ValueError):
        GameState.from_dict({"seed": "x"})


def test_text_from_yaml_is_inert(tmp_path: Path) -> None:
    write(
        tmp_path / "story.yaml",
        """
        id: d
        title: D
        start: a
        endings: [{id: e, title: E}]
    """,
    )
    write(
        tmp_path / "s.yaml",
        r"""
        chapter: 1
        scenes:
          - id: a
            title: A
            radio:
              - narration: "[@click=app.quit]x[/] [bold]b\e[31m *em* \\*lit"
            ending: e
    """,
    )
    engine = Engine.new(load_story(tmp_path), 1)
    [line] = engine.radio()
    assert line.text == "[@click=app.quit]x[/] [bold]b\u241b[31m em *lit"
    assert [s.style for s in line.segments] == ["plain", "em", "plain"]


SEMANTICS_MANIFEST = """
id: sem
title: Sem
start: a
variables:
  - {name: trust, type: int, default: 0, min: 0, max: 9}
pilots:
  - {id: shin, callsign: Undertaker, name: Shin}
  - {id: kit, callsign: Kit, name: Kit}
endings: [{id: e1, title: One}, {id: e2, title: Two}]
"""


def test_branches_see_the_orders_own_effects(tmp_path: Path) -> None:
    write(tmp_path / "story.yaml", SEMANTICS_MANIFEST)
    write(tmp_path / "s.yaml", """
        chapter: 1
        scenes:
          - id: a
            title: A
            radio: [{narration: "Once only.", once: true}, {narration: "Every time."}]
            orders:
              - say: Raise trust and see
                if: trust == 0
                effects: {add: {trust: 1}}
                goto:
                  - {if: trust == 1, goto: one}
                  - goto: two
              - say: Loop
                goto: a
          - {id: one, title: One, ending: e1}
          - {id: two, title: Two, ending: e2}
    """)
    story = load_story(tmp_path)
    engine = Engine.new(story, 1)
    assert [line.text for line in engine.radio()] == ["Once only.", "Every time."]
    engine.choose(1)
    assert [line.text for line in engine.radio()] == ["Every time."]
    # The order's condition (trust == 0) is judged before its effect; the branch after it.
    engine.choose(0)
    assert engine.ending is not None and engine.ending.id == "e1"


def test_engagement_after_sees_the_last_rounds_losses(tmp_path: Path) -> None:
    write(tmp_path / "story.yaml", SEMANTICS_MANIFEST)
    write(tmp_path / "s.yaml", """
        chapter: 1
        scenes:
          - id: a
            title: A
            engagement:
              danger: 40
              at_risk: [kit]
              rounds: [{radio: [{shin: "Now."}]}]
              orders: [{say: Go}]
              after:
                - {if: losses(a) >= 1, goto: one}
                - goto: two
          - {id: one, title: One, ending: e1}
          - {id: two, title: Two, ending: e2}
    """)
    story = load_story(tmp_path)
    deaths = 0
    for seed in range(20):
        engine = Engine.new(story, seed)
        engine.choose(0)
        # The only round is also the last: `after` must route on the deaths it just caused.
        killed = engine.state.status["kit"] == "killed"
        deaths += killed
        assert engine.losses("a") == int(killed)
        assert engine.ending is not None and engine.ending.id == ("e1" if killed else "e2")
    assert deaths >= 15  # 40 points of danger: a death nearly every time


def test_a_dead_end_leaves_the_game_exactly_as_it_was(tmp_path: Path) -> None:
    write(tmp_path / "story.yaml", SEMANTICS_MANIFEST)
    write(tmp_path / "s.yaml", """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - say: Go
                effects: {add: {trust: 3}}
                goto: [{if: trust > 5, goto: one}]
          - {id: one, title: One, ending: e1}
    """)
    engine = Engine.new(load_story(tmp_path), 1)
    before = engine.state.to_dict()
    with pytest.raises(DeadEnd):
        engine.choose(0)
    assert engine.state.to_dict() == before
    assert not engine.can_undo


def test_what_front_ends_ask_after_a_load(story) -> None:
    from game.engine.state import GameState

    engine = Engine.new(story, 4)
    outcome = engine.choose_text("name")
    assert outcome.ok and outcome.index == 1
    loaded = Engine(story, GameState.from_dict(engine.state.to_dict()))
    assert loaded.can_undo  # undo replays the log when no snapshot is held
    assert loaded.undo() and loaded.state.scene == "first_contact"
    assert loaded.heading() == "First Contact"
    assert engine.heading() == "Riverbed (round 1 of 3)"
    assert engine.header() == "Chapter 1 · Test Chapter · Riverbed (round 1 of 3)"
    signals = [line.signal for line in loaded.radio() if line.speaker == "shin"]
    assert signals == [2]
    calls: list[str] = []
    listener = calls.append
    loaded.add_listener(listener)
    loaded.add_listener(listener)
    assert loaded.listeners == (listener,)
