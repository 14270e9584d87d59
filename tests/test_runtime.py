"""The story machine: guards, effects, branches, engagements, undo and replay."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transitions import Machine
from transitions.core import EventData

from game.engine.loader import load_story
from game.engine.runtime import DeadEnd, Engine, GameOver
from game.engine.state import GameState
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
    assert "Type a number from 1 to 3, or words from an order" in engine.choose_text("zzz").message
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
    write(
        tmp_path / "s.yaml",
        """
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
    """,
    )
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
    write(
        tmp_path / "s.yaml",
        """
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
    """,
    )
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
    write(
        tmp_path / "s.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - say: Go
                effects: {add: {trust: 3}}
                goto: [{if: trust > 5, goto: one}]
          - {id: one, title: One, ending: e1}
    """,
    )
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


# --- the machine decides ------------------------------------------------------------------------

FORK_MANIFEST = """
id: fork
title: Fork
start: a
variables:
  - {name: x, type: int, default: 0, min: 0, max: 9}
  - {name: armed, type: bool, default: false}
pilots:
  - {id: longshot, callsign: Longshot, name: Tamsin Oare}
endings:
  - {id: e_w1, title: W1}
  - {id: e_u1, title: U1}
  - {id: e_w2, title: W2}
  - {id: e_w3, title: W3}
  - {id: e_u2, title: U2}
"""

FORK_SCENES = """
chapter: 1
scenes:
  - id: a
    title: A
    orders:
      - say: Fork
        if: x < 9
        effects: {add: {x: 1}}
        goto:
          - {if: x >= 2, weight: 2, goto: w1}
          - {if: x >= 4, goto: u1}
          - {if: x >= 3, weight: 3, goto: w2}
          - {if: x == 5, weight: 1, goto: w3}
          - goto: u2
      - say: Nowhere
        goto: [{if: x > 100, goto: u1}]
      - say: Hidden
        if: armed
        goto: u1
      - say: Straight
        goto: u2
  - {id: w1, title: W1, ending: e_w1}
  - {id: u1, title: U1, ending: e_u1}
  - {id: w2, title: W2, ending: e_w2}
  - {id: w3, title: W3, ending: e_w3}
  - {id: u2, title: U2, ending: e_u2}
"""

# The fork's branches as the story writes them: (condition on x after the order, weight, goto).
FORK_BRANCHES = (
    (lambda x: x >= 2, 2, "w1"),
    (lambda x: x >= 4, None, "u1"),
    (lambda x: x >= 3, 3, "w2"),
    (lambda x: x == 5, 1, "w3"),
    (lambda x: True, None, "u2"),
)


@pytest.fixture(scope="module")
def fork(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("fork")
    write(root / "story.yaml", FORK_MANIFEST)
    write(root / "s.yaml", FORK_SCENES)
    return load_story(root)


def reference_pick(x: int, draw: float) -> tuple[str, bool]:
    """The story's rule, written out plainly: drop branches whose condition fails; among the
    weighted ones left, the draw picks by weight; with none left, the first eligible one.
    Returns where it goes and whether chance was drawn."""
    eligible = [(weight, goto) for holds, weight, goto in FORK_BRANCHES if holds(x)]
    weighted = [(weight, goto) for weight, goto in eligible if weight is not None]
    if not weighted:
        return eligible[0][1], False
    roll = draw * sum(weight for weight, _ in weighted)
    for weight, goto in weighted:
        roll -= weight
        if roll < 0:
            return goto, True
    return weighted[-1][1], True


def test_each_branch_is_a_transition_guarded_by_the_storys_conditions(fork) -> None:
    engine = Engine.new(fork, 1)
    transitions = engine.machine.get_transitions("order_0", source="a")
    assert [t.dest for t in transitions] == ["w1", "u1", "w2", "w3", "u2"]
    guards = [[c.func for c in t.conditions] for t in transitions]
    kinds = [[type(g).__name__ for g in gs] for gs in guards]
    assert kinds == [
        ["OrderHolds", "BranchHolds", "RollFalls"],
        ["OrderHolds", "BranchHolds", "NoRoll"],
        ["OrderHolds", "BranchHolds", "RollFalls"],
        ["OrderHolds", "BranchHolds", "RollFalls"],
        ["OrderHolds", "NoRoll"],
    ]
    assert {gs[0].condition.source for gs in guards} == {"x < 9"}
    assert [gs[1].condition.source for gs in guards[:4]] == ["x >= 2", "x >= 4", "x >= 3", "x == 5"]
    [nowhere] = engine.machine.get_transitions("order_1", source="a")
    assert [repr(c.func) for c in nowhere.conditions] == ["BranchHolds('x > 100')"]
    [hidden] = engine.machine.get_transitions("order_2", source="a")
    assert [repr(c.func) for c in hidden.conditions] == ["OrderHolds('armed')"]
    # A plain goto carries no guard at all; every transition's callback takes its branch.
    [straight] = engine.machine.get_transitions("order_3", source="a")
    assert straight.conditions == [] and straight.dest == "u2"
    assert [type(t.before[0]).__name__ for t in transitions] == ["TakeBranch"] * 5


@settings(max_examples=300, deadline=None)
@given(x=st.integers(0, 8), seed=st.integers(0, 10_000))
def test_the_machine_takes_the_branch_the_storys_rule_picks(fork, x: int, seed: int) -> None:
    engine = Engine.new(fork, seed, sets={"x": x})
    draw = engine.state.copy().draw()  # the draw the order would make, if chance is asked
    draws = engine.state.draws
    goto, drew = reference_pick(x + 1, draw)  # branches see the order's own effect (x + 1)
    # Each transition's guards decide on their own: asked one by one after `prepare`, at most
    # one weighted branch passes, and the first that passes is the rule's pick.
    machine = engine.machine
    event = EventData(machine.get_state("a"), machine.events["order_0"], machine, engine, (), {})
    for callback in machine.prepare_event:
        callback(event)
    passing = [
        t.dest
        for t in machine.get_transitions("order_0", source="a")
        if all(c.check(event) for c in t.conditions)
    ]
    assert passing[0] == goto
    assert len([d for d in passing if d.startswith("w")]) <= 1
    assert engine.state.draws == draws  # asking changed nothing
    engine.choose(0)
    assert engine.state.scene == goto
    assert engine.state.draws == draws + drew


def test_chance_reaches_every_weighted_branch_and_never_the_unweighted_beside_them(fork) -> None:
    # x = 4 after the order: w1 (2) and w2 (3) are eligible and weighted; u1 holds but waits.
    reached = {}
    for seed in range(200):
        engine = Engine.new(fork, seed, sets={"x": 3})
        engine.choose(0)
        reached[engine.state.scene] = reached.get(engine.state.scene, 0) + 1
    assert set(reached) == {"w1", "w2"}
    assert 40 <= reached["w1"] <= 120  # 2 in 5


def test_with_no_weighted_branch_eligible_the_first_eligible_one_is_taken(fork) -> None:
    for seed in range(20):
        engine = Engine.new(fork, seed, sets={"x": 0})  # x = 1: only the last branch holds
        engine.choose(0)
        assert engine.state.scene == "u2" and engine.state.draws == 0


def test_an_unavailable_order_and_a_dead_end_leave_the_game_as_it_was(fork) -> None:
    engine = Engine.new(fork, 3, sets={"x": 9})
    before = engine.state.to_dict()
    assert not engine.may_choose(0) and not engine.may_choose(1) and not engine.may_choose(2)
    with pytest.raises(ValueError):
        engine.choose(0)  # x < 9 fails
    with pytest.raises(DeadEnd):
        engine.choose(1)  # no branch holds
    with pytest.raises(ValueError):
        engine.choose(2)  # hidden
    with pytest.raises(ValueError):
        engine.choose(4)  # no such order
    assert not engine.may_choose(4) and engine.may_choose(3)
    assert engine.state.to_dict() == before and not engine.can_undo


def test_may_choose_asks_the_machine_and_changes_nothing_not_even_the_draws(story) -> None:
    engine = Engine.new(story, 5)
    engine.choose_text("report")  # into the engagement: every order there draws for hits
    before = engine.state.to_dict()
    assert all(engine.may_choose(i) for i in range(len(story.orders_at(engine.state.scene))))
    assert engine.state.to_dict() == before
    engine.choose(0)
    assert engine.state.draws > before["draws"]  # the real order did draw


def test_may_choose_agrees_with_choose_through_whole_games() -> None:
    from game.paths import scenes_dir

    shipped = load_story(scenes_dir())
    for seed in range(8):
        engine = Engine.new(shipped, seed)
        chooser = random.Random(seed)
        while engine.ending is None and len(engine.state.log) < 200:
            before = engine.state.to_dict()
            count = len(shipped.orders_at(engine.state.scene))
            for index in range(count + 1):
                probe = Engine(shipped, engine.state.copy())
                try:
                    probe.choose(index)
                    moved = True
                except (ValueError, DeadEnd):
                    moved = False
                assert engine.may_choose(index) is moved
            assert engine.state.to_dict() == before
            engine.choose(chooser.choice([v for v in engine.orders() if v.enabled]).index)


def test_where_the_game_stands_is_stored_once(fork) -> None:
    engine = Engine.new(fork, 1, sets={"x": 3})
    # No side channel carries an order's arguments between calls; the machine holds no game.
    assert not set(vars(engine)) & {"_pending", "_order", "_before", "_cursor"}
    assert engine.machine.models == []
    assert engine.position == engine.state.scene == "a"
    elsewhere = Engine.new(fork, 2, sets={"x": 3})
    elsewhere.choose(0)
    # Putting a state in place moves the machine: no copy of the position to keep in step.
    engine.state = GameState.from_dict(elsewhere.state.to_dict())
    assert engine.machine.get_model_state(engine).name == elsewhere.state.scene
    engine.position = "u2"
    assert engine.state.scene == "u2"


def test_one_machine_per_story_and_it_keeps_no_game_alive(fork) -> None:
    import gc
    import weakref

    first, second = Engine.new(fork, 1), Engine.new(fork, 2)
    assert first.machine is second.machine
    gone = weakref.ref(first)
    del first
    gc.collect()
    assert gone() is None


def test_hint_if_shows_a_disabled_reason_only_while_it_holds(tmp_path) -> None:
    """An order whose `if` fails shows dimmed with its reason while `hint_if` holds, and is
    hidden once it does not (a name already learned is not offered again as locked)."""
    from tests.conftest import write

    write(
        tmp_path / "s" / "story.yaml",
        """
        id: hint
        title: Hint
        start: night
        variables:
          - {name: trust, type: int, default: 1, min: 0, max: 10}
        pilots:
          - {id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}
        endings:
          - {id: end, title: End}
        """,
    )
    write(
        tmp_path / "s" / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: night
            title: Night
            radio: [{narration: "Night."}]
            orders:
              - say: "Your name?"
                if: not knows(shin) and trust >= 2
                disabled: "He said earn it."
                hint_if: not knows(shin)
                effects: {learn: shin}
                goto: night
              - say: "Earn it."
                effects: {add: {trust: 1}}
                goto: night
              - say: "Go."
                goto: done
          - id: done
            title: Done
            radio: [{narration: "Done."}]
            ending: end
        """,
    )
    story = load_story(tmp_path / "s")
    engine = Engine.new(story, 1)
    first = engine.orders()[0]
    assert (first.enabled, first.reason) == (False, "He said earn it.")
    engine.choose(1)
    # The scene looped: "Earn it." and "Go." keep 1 and 2; the order now open takes 3.
    name = next(view for view in engine.orders() if view.index == 0)
    assert name.enabled and name.number == 3
    engine.choose(0)
    assert [view.say for view in engine.orders()] == ["Earn it.", "Go."]
