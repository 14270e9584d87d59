"""validate's "never" from verify's proofs: scenes no game reaches though orders lead there
(W023), orders no game offers (W024), endings no game reaches (W025), each at its place; and a
story verify cannot answer within the budget gets no "never" it has not proved, and says so."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.engine import analysis
from game.engine.analysis import ProvedDiagnostic, last_search, searched_in_words
from game.engine.loader import load_story
from game.engine.playtest import explore, order_key
from game.engine.validate import validate
from tests.conftest import write

MANIFEST = """
id: t
title: T
start: a
chapters: [{number: 1, title: One}]
variables:
  - {name: warned, type: bool, default: false}
  - {name: trust, type: int, default: 1, min: 0, max: 5}
pilots:
  - {id: shin, callsign: Undertaker, name: Shinei Nouzen}
endings:
  - {id: end_one, title: One}
  - {id: end_lost, title: Lost}
"""

# `warned` is set only on the way out to the ending: in 'a' it is always false, so "Check." is
# never offered, 'hidden' (where only it leads) is never reached, and neither is 'lost' nor
# the ending only 'lost' holds. The story's graph sees a way to each (W010 and W011 stay quiet).
STORY = """
chapter: 1
scenes:
  - id: a
    title: A
    radio:
      - shin: "Handler One."
    orders:
      - say: "Warn them."
        effects: {set: {warned: true}, add: {trust: 1}}
        goto: b
      - say: "Check."
        if: warned and trust > 0
        goto: hidden
  - id: hidden
    title: Hidden
    orders:
      - {say: "Give up.", goto: lost}
      - {say: "Back.", goto: b}
  - id: lost
    title: Lost
    ending: end_lost
  - id: b
    title: B
    ending: end_one
"""


def proved_story(root: Path) -> Path:
    write(root / "story.yaml", MANIFEST)
    write(root / "ch1.yaml", STORY)
    return root


def marks(diagnostics: list, code: str) -> list[tuple[str, int, int]]:
    return [
        (Path(d.mark.path).name, d.mark.line, d.mark.column)
        for d in diagnostics
        if d.code == code
    ]


def test_what_no_game_reaches_is_reported_at_its_place_with_the_reason(tmp_path: Path) -> None:
    found = validate(proved_story(tmp_path))
    assert marks(found, "W010") == [] and marks(found, "W011") == []
    # the scenes 'hidden' and 'lost', each with how its ways in are closed
    assert marks(found, "W023") == [("ch1.yaml", 14, 5), ("ch1.yaml", 19, 5)]
    assert marks(found, "W024") == [("ch1.yaml", 11, 9)]  # the order "Check."
    assert marks(found, "W025") == [("story.yaml", 12, 5)]  # the ending end_lost
    hidden, lost = [d.message for d in found if d.code == "W023"]
    assert '"Check." in \'a\' is never offered' in hidden
    assert "'hidden' is never reached" in lost
    [order] = [d.message for d in found if d.code == "W024"]
    assert "warned and trust > 0" in order and "warned is always false" in order
    assert "'handler-one verify'" in order
    [ending] = [d.message for d in found if d.code == "W025"]
    assert "end_lost" in ending and "(lost)" in ending
    assert all(d.severity == "warning" for d in found if d.code.startswith("W02"))
    assert {d.search for d in found if isinstance(d, ProvedDiagnostic)} == {"complete"}
    assert last_search().reach == "complete" and last_search().dead_ends == "complete"
    assert searched_in_words()[0].startswith("reachability: verify's complete answer")


def test_the_json_says_which_answer_each_never_came_from(tmp_path: Path) -> None:
    found = validate(proved_story(tmp_path))
    [data] = [d.to_json() for d in found if d.code == "W024"]
    assert data["search"] == "complete" and data["line"] == 11 and data["column"] == 9


def test_no_never_without_a_proof_when_the_budget_is_spent(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A story verify cannot answer in the budget (here a budget of nothing) keeps W010 from
    the graph, claims no W023-W025, and says which searches it used."""
    monkeypatch.setattr(analysis, "VALIDATE_VERIFY_SECONDS", 0.0)
    root = proved_story(tmp_path)
    write(
        root / "side.yaml",
        """
        scenes:
          - id: orphan
            title: Nobody Comes Here
            orders:
              - {say: "Back.", goto: b}
        """,
    )
    found = validate(root)
    assert marks(found, "W010") == [("side.yaml", 2, 5)]
    assert not [d for d in found if d.code in ("W023", "W024", "W025")]
    searched = last_search()
    assert searched.reach == "proofs" and searched.dead_ends == "bounded"
    # every scene, order and ending undecided: 5 scenes, 5 orders, 2 endings
    assert searched.undecided == 12
    lines = searched_in_words()
    assert "12 scene(s), order(s) and ending(s)" in lines[0] and "not reported" in lines[0]
    assert lines[1].startswith("dead ends: looked for by a bounded search")


# --- generated stories: "never" is true of every game, and complete when it says so ---------

CONDITIONS = [None, "flag", "not flag", "x >= 2", "x == 0", "x < 3", "flag and x > 1"]
EFFECTS = [None, "{add: {x: 1}}", "{add: {x: -1}}", "{set: {flag: true}}", "{set: {x: 3}}"]


@st.composite
def stories(draw: st.DrawFn) -> str:
    """A chapter of 2-6 scenes, each with 1-3 orders (a condition and an effect from small sets,
    a goto to any scene or the ending), and no chance: one seed's exhaustive search is then
    every game."""
    count = draw(st.integers(2, 6))
    names = [f"s{i}" for i in range(count)]
    lines = ["chapter: 1", "scenes:"]
    for name in names:
        lines += [f"  - id: {name}", f"    title: {name.upper()}", "    orders:"]
        for n in range(draw(st.integers(1, 3))):
            condition = draw(st.sampled_from(CONDITIONS))
            effect = draw(st.sampled_from(EFFECTS))
            goto = draw(st.sampled_from([*names, "end"]))
            lines.append(f'      - say: "{name} order {n}."')
            if condition is not None:
                lines.append(f"        if: {condition}")
            if effect is not None:
                lines.append(f"        effects: {effect}")
            lines.append(f"        goto: {goto}")
    lines += ["  - id: end", "    title: End", "    ending: end_one"]
    return "\n".join(lines) + "\n"


GENERATED_MANIFEST = """
id: g
title: G
start: s0
chapters: [{number: 1, title: One}]
variables:
  - {name: flag, type: bool, default: false}
  - {name: x, type: int, default: 1, min: 0, max: 3}
endings:
  - {id: end_one, title: One}
"""


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stories(), st.sampled_from([0.0, 0.001, 0.01, 0.05]))
def test_fuzz_never_is_true_of_every_game_and_complete_when_it_says_so(
    chapter: str, budget: float
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write(root / "story.yaml", GENERATED_MANIFEST)
        write(root / "ch1.yaml", chapter)
        found = validate(root)
        story = load_story(root)
    games = explore(story, 0, max_states=100_000)
    assert games.complete
    reached_scenes = set(games.visited) | {story.start}
    line_of = {
        order_key(story, state, index): order.mark.line
        for state in story.states()
        for index, order in enumerate(story.orders_at(state))
    }
    offered = {line_of[key] for key in games.taken}
    never_scenes = {d.message.split("'")[1] for d in found if d.code in ("W010", "W023")}
    never_orders = {d.mark.line for d in found if d.code == "W024"}
    # sound: nothing said never is reached by a game
    assert not never_scenes & reached_scenes
    assert not never_orders & offered
    # complete: on a story this small verify answers everything, and then every scene and
    # order no game reaches is reported (the orders of a scene reported go with it)
    complete = last_search().reach == "complete"
    if complete:
        assert set(story.scenes) - reached_scenes == never_scenes
        silent = {line for key, line in line_of.items() if key.split("/")[0] not in never_scenes}
        assert silent - offered == never_orders
    # whatever the budget, what a shorter one says never is said by the full answer too
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        root = Path(folder)
        write(root / "story.yaml", GENERATED_MANIFEST)
        write(root / "ch1.yaml", chapter)
        patch.setattr(analysis, "VALIDATE_VERIFY_SECONDS", budget)
        hurried = validate(root)
    proved = {"W023", "W024", "W025"}
    full = {(d.code, d.mark.line) for d in found if d.code in proved}
    assert {(d.code, d.mark.line) for d in hurried if d.code in proved} <= full


def test_verify_asked_only_about_dead_ends_leaves_the_rest_undecided(tmp_path: Path) -> None:
    from game.engine.verify import verify

    story = load_story(proved_story(tmp_path))
    verdict = verify(story, seconds=5, questions="dead_ends")
    assert verdict.complete and verdict.settled("dead_ends")
    assert {verdict.answer("scenes", s) for s in story.scenes} == {"undecided"}
    assert not verdict.settled("scenes")


ENGAGEMENT = """
chapter: 1
scenes:
  - id: a
    title: A
    orders:
      - {say: "Deploy.", goto: fight}
      - {say: "Warn them.", effects: {set: {warned: true}}, goto: b}
  - id: fight
    title: Riverbed
    engagement:
      at_risk: [shin]
      rounds:
        - radio: [{shin: "Contacts."}]
        - orders:
            - {say: "Fall back.", goto: b}
            - {say: "Signal the warning.", if: warned, goto: b}
      orders:
        - {say: "Hold.", heeds: true}
        - {say: "Flare.", if: warned}
      after:
        - goto: b
  - id: b
    title: B
    ending: end_one
"""


def test_an_engagement_order_is_said_once_and_a_round_order_at_its_own_place(
    tmp_path: Path,
) -> None:
    """An order offered every round is one order (said once, at its place), and an order of
    one round is said at its own place."""
    manifest = MANIFEST.replace("  - {id: end_lost, title: Lost}\n", "")
    write(tmp_path / "story.yaml", manifest)
    write(tmp_path / "ch1.yaml", ENGAGEMENT)
    found = validate(tmp_path)
    assert marks(found, "W024") == [("ch1.yaml", 16, 15), ("ch1.yaml", 19, 11)]
    assert all("warned is always false" in d.message for d in found if d.code == "W024")
    assert not [d for d in found if d.code in ("W010", "W011", "W023", "W025")]


def test_a_dead_end_verify_showed_is_kept_when_the_bounded_search_answers(
    tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    """When verify does not settle every dead-end question, the bounded search answers; a dead
    end verify's real games showed meanwhile is still reported, with its witness."""
    from game.engine.verify import Verdict

    write(tmp_path / "story.yaml", MANIFEST)
    write(
        tmp_path / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - {say: "On.", goto: c}
              - {say: "Warn them.", effects: {set: {warned: true}}, goto: b}
          - id: c
            title: C
            orders:
              - {say: "Only with trust.", if: trust >= 4, goto: b}
          - id: b
            title: B
            ending: end_one
        """,
    )
    monkeypatch.setattr(Verdict, "settled", lambda self, kind: False)
    monkeypatch.setattr(analysis, "VALIDATE_MAX_STATES", 1)
    found = validate(tmp_path)
    [dead] = [d for d in found if d.code == "E060"]
    assert marks([dead], "E060") == [("ch1.yaml", 8, 5)]
    assert dead.search == "bounded" and dead.witness == (("a", 0),) and dead.numbers == (1,)
    assert last_search().dead_ends == "bounded"
    assert not [d for d in found if d.code == "W020"]  # the dead end itself is said
