"""The generated story's ink translation, which `make bench` plays on inkjs beside our engine.

It compiles in inkjs without a message; it has our story's scenes (knots), engagement rounds
(stitches) and orders (choices); games play to its ending there; and a game that always takes
the first (or the last) order offered goes through the same scenes and rounds, offered the same
orders at each, in both. Skipped, saying why, only where node or inkjs is missing (`make test`
installs inkjs with npm).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from game.engine.loader import load_story
from game.engine.model import Story, split_state
from game.engine.runtime import Engine
from tests.perf.generate import generate
from tests.perf.ink_peer import InkPlayer, unavailable
from tests.perf.ink_translation import text

# 50 scenes hold one engagement (scene 24) and the weighted branch of every close order.
SCENES = 50


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Story, Path]:
    folder = tmp_path_factory.mktemp("generated")
    ink = folder / "story.ink"
    generate(folder / "story", scenes=SCENES, words=6000, ink=ink)
    return load_story(folder / "story"), ink


@pytest.fixture(scope="module")
def player(generated: tuple[Story, Path]):  # noqa: ANN201 - a generator fixture
    reason = unavailable()
    if reason is not None:
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    with InkPlayer(generated[1]) as ink:
        yield ink


def test_the_translation_compiles_with_our_scenes_rounds_and_orders(
    generated: tuple[Story, Path], player: InkPlayer
) -> None:
    story, _ = generated
    compiled = player.compiled
    assert compiled.errors == [] and compiled.warnings == []
    assert compiled.stats is not None
    engagements = [s for s in story.scenes.values() if s.engagement is not None]
    assert engagements, "the story must hold an engagement for this test to mean anything"
    assert compiled.stats["knots"] - compiled.stats["functions"] == len(story.scenes)
    assert set(story.scenes) <= set(compiled.names)
    assert compiled.stats["stitches"] == sum(s.rounds for s in engagements)
    orders = sum(len(story.orders_at(state)) for state in story.states())
    assert compiled.stats["choices"] == orders


def test_random_games_reach_the_ending_in_inkjs(player: InkPlayer) -> None:
    result = player.play(runs=5, seed=1, max_steps=10 * SCENES)
    assert (result["runs"], result["ended"], result["errors"]) == (5, 5, 0)
    # Every order moves forward, by one scene or (a rarer branch) two: a game is about as long
    # as the story.
    assert SCENES / 2 <= result["choices"] / 5 <= 2 * SCENES


@pytest.mark.parametrize("policy", ["first", "last"])
def test_a_game_of_first_or_last_orders_goes_the_same_way_in_both(
    generated: tuple[Story, Path], player: InkPlayer, policy: str
) -> None:
    story, _ = generated
    ink = player.trace(policy, seed=1)
    assert ink["ended"] and ink["errors"] == []
    assert "Ending A. It ends one way." in ink["text"]
    assert [tuple(step[:2]) + (step[2],) for step in ink["steps"]] == _our_steps(story, policy)


def _our_steps(story: Story, policy: str) -> list[tuple[str, int, list[str]]]:
    """Our engine's game taking the first (last) order offered: at each step the scene, the
    round and the orders offered (the ones a player can give; ink hides the rest)."""
    engine = Engine.new(story, 1)
    steps: list[tuple[str, int, list[str]]] = []
    while engine.ending is None:
        views = [v for v in engine.orders() if v.enabled]
        scene, round_number = split_state(engine.state.scene)
        orders = story.orders_at(engine.state.scene)
        steps.append((scene, round_number, [orders[v.index].say for v in views]))
        engine.choose(views[0 if policy == "first" else -1].index)
    return steps


def test_text_with_inks_special_characters_is_shown_literally(tmp_path: Path) -> None:
    reason = unavailable()
    if reason is not None:
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    awkward = "HQ: {trust} [a] | b # c // d /* e */ <> -> f ~ g * h + i = j - k \\ l"
    source = tmp_path / "awkward.ink"
    source.write_text(f"{text(awkward)}\n+ {text(awkward)}\n    -> END\n", encoding="utf-8")
    with InkPlayer(source) as ink:
        assert ink.compiled.errors == []
        game = ink.trace("first", seed=1)
    assert game["steps"][0][2] == [awkward]
    assert game["text"].splitlines()[:2] == [awkward, awkward]
