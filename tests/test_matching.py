"""Which order a typed line means (game/engine/matching.py): the rule on small cases, then every
order of the shipped story typed as a player reads it, whenever it is offered."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.engine import matching
from game.engine.matching import match, parse_number, typed_words
from game.engine.model import Story, split_state
from game.engine.runtime import Engine, OrderView
from game.engine.text import plain_text, render
from tests.conftest import shipped


def views(
    *orders: tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], str],
) -> list[OrderView]:
    """Orders as shown: (text, command words) enabled, numbered in turn; with a third item, the
    reason it is dimmed."""
    shown: list[OrderView] = []
    number = 0
    for index, order in enumerate(orders):
        if len(order) == 3:
            shown.append(OrderView(index, None, order[0], order[1], False, order[2]))
        else:
            number += 1
            shown.append(OrderView(index, number, order[0], order[1], True))
    return shown


POSTING = views(
    ("Open the link.", ("open", "link")),
    ("Search the desk before you open the link.", ("search", "desk")),
    ("Read section one of the manual again before you begin, as advised.", ("read", "manual")),
    ("Colonel, why has Spearhead had so many Handlers?", ("colonel", "why", "handlers")),
)


def meant(shown: list[OrderView], text: str) -> int | None:
    """The number of the one order `text` gives, or None."""
    found = match(shown, text)
    if found.kind == "number":
        return found.number
    return found.orders[0].number if found.kind == "order" else None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("open the link", 1),  # the whole text, with its article
        ("Open the link.", 1),
        ("OPEN THE LINK", 1),
        ("open link", 1),  # command words
        ("link", 1),  # a command word beats a word the other order only shows
        ("op", 1),  # the beginning of a command word
        ("search the desk", 2),
        ("desk", 2),  # a word only this order has
        ("before you open", 2),  # a part only this order's text has
        ("Search the desk before you open the link.", 2),
        ("colonel why", 4),
        ("why so many handlers", 4),
        ("spear", 4),  # the beginning (three letters or more) of a word of the text
        ("1.", 1),
        ("#3", 3),
        ("(2)", 2),
        ("4)", 4),
        ("order 2", 2),
        ("  #1  ", 1),
    ],
)
def test_what_a_player_types_picks_the_order_they_read(text: str, number: int) -> None:
    assert meant(POSTING, text) == number


def test_contractions_apostrophes_and_accents() -> None:
    shown = views(
        ("Before anything else: what's your name, Undertaker?", ("name", "ask")),
        ("Undertaker, report your squadron's status.", ("report", "sitrep")),
        ("Ask Émile Sarrazin.", ("sarrazin",)),
    )
    for text in (
        "what's your name",
        "whats your name",
        "what is your name",
        "What\u2019s your name?",
    ):
        assert meant(shown, text) == 1, text
    assert meant(shown, "squadron status") == 2  # "squadron's" is "squadron" too (a beginning)
    assert meant(shown, "emile") == 3 and meant(shown, "ÉMILE") == 3


def test_several_orders_fitting_are_listed_and_dimmed_ones_are_not_given() -> None:
    shown = views(
        ("Ringside. Who was he?", ("ringside",)),
        ("Kestrel. Who was she?", ("kestrel",)),
        ("Quarrel. Who was he?", ("quarrel",)),
        ("Tinker. Who was he?", ("tinker",), "Not yet."),
    )
    found = match(shown, "who was he")
    assert found.kind == "ambiguous" and [v.number for v in found.orders] == [1, 3]
    dimmed = match(shown, "tinker")
    assert dimmed.kind == "unavailable" and dimmed.orders[0].reason == "Not yet."
    assert match(shown, "the").kind == "empty" and match(shown, "?!").kind == "empty"


def test_typos_are_offered_never_given() -> None:
    for typo in ("opne the link", "serch desk", "colonle why", "oepn"):
        found = match(POSTING, typo)
        assert found.kind == "unknown" and found.suggestion is not None, typo
    assert match(POSTING, "opne the link").suggestion.number == 1  # type: ignore[union-attr]
    # Alone, "opne" is one typo from "open" (order 1) and from "one" (order 3): no guess.
    assert match(POSTING, "opne").suggestion is None
    assert match(POSTING, "xyzzy").suggestion is None
    assert match(POSTING, "ope link zzzzzz").suggestion is None  # one word fits nothing


def test_typo_distance_counts_wrong_missing_extra_and_swapped_letters() -> None:
    distance = matching.typo_distance
    assert distance("open", "open", 2) == 0
    assert distance("opne", "open", 2) == 1  # swapped
    assert distance("opn", "open", 2) == 1  # missing
    assert distance("oppen", "open", 2) == 1  # extra
    assert distance("upen", "open", 2) == 1  # wrong
    assert distance("xxxxxxxx", "open", 2) == 3  # more than the limit
    assert matching.closest("stauts", ["status", "squad", "save"]) == ["status"]
    assert matching.closest("zz", ["status"]) == []


@given(st.text(max_size=40))
def test_any_line_reads_as_a_number_or_words_never_both(text: str) -> None:
    number = parse_number(text)
    if number is not None:
        assert 0 <= number < 10**6
    found = match(POSTING, text)
    assert found.kind in ("number", "order", "ambiguous", "unavailable", "unknown", "empty")
    assert (found.kind == "number") == (number is not None)


def test_completions_prefer_command_words_then_words_of_the_text() -> None:
    assert matching.completions(POSTING, "o") == ["open"]
    assert matching.completions(POSTING, "sp") == ["spearhead"]  # no command word begins so
    assert matching.completions(POSTING, "") == sorted(
        {"open", "link", "search", "desk", "read", "manual", "colonel", "why", "handlers"}
    )


# --- every order of the shipped story ---------------------------------------------------------------


def variants(say: str) -> list[str]:
    """An order as a player might type it having read it."""
    bare = " ".join(re.sub(r"[^\w\s']", " ", say).lower().split())
    no_articles = " ".join(w for w in bare.split() if w not in ("a", "an", "the"))
    return [say, say.rstrip(".!?"), bare, no_articles, say.upper(), say.replace("'", "\u2019")]


def _states(story: Story) -> list[str]:
    states = []
    for scene in story.scenes.values():
        rounds = len(scene.engagement.rounds) if scene.engagement else 1
        states += [scene.id] + [f"{scene.id}#{n}" for n in range(2, rounds + 1)]
    return states


def test_every_orders_text_picks_it_among_all_the_orders_of_its_scene() -> None:
    """Every order of the shipped story, its text typed as shown, without punctuation, without
    articles or shouted, picks it even were every order of its scene offered at once (and so
    whenever it is offered), and a word only it has picks it too."""
    story = shipped()

    def default(name: str) -> object:
        return story.variables[name].default

    checked = 0
    for state in _states(story):
        assert split_state(state)[0] in story.scenes
        orders = story.orders_at(state)
        says = [" ".join(plain_text(render(o.say, default)).split()) for o in orders]
        shown = [
            OrderView(i, i + 1, say, o.words, True)
            for i, (o, say) in enumerate(zip(orders, says, strict=True))
        ]
        for view in shown:
            for text in variants(view.say):
                assert meant(shown, text) == view.number, (state, text)
            others = [matching.terms(v.say, v.words) for v in shown if v is not view]
            own = [
                w
                for w in matching.terms(view.say, view.words).text
                if not any(w in t.said or w in t.words or w in t.text for t in others)
            ]
            if own:
                assert meant(shown, own[0]) == view.number, (state, own[0])
            checked += 1
    assert checked >= 400


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_games_typing_each_order_as_shown_reach_an_ending(seed: int) -> None:
    """Whole games through `Engine.choose_text`: at each step every order offered is picked by
    each way of typing it, and the one chosen is given by its text."""
    rng = random.Random(seed)
    engine = Engine.new(shipped(), seed)
    for _ in range(2000):
        if engine.ending is not None:
            return
        shown = engine.orders()
        enabled = [v for v in shown if v.enabled]
        for view in enabled:
            for text in variants(view.say):
                assert meant(shown, text) == view.number, (engine.state.scene, text)
        choice = rng.choice(enabled)
        outcome = engine.choose_text(rng.choice(variants(choice.say)))
        assert outcome.ok and outcome.index == choice.index
    raise AssertionError("no ending")


def test_typed_words_drop_fillers_and_punctuation() -> None:
    assert typed_words("Please, open the link!") == ["open", "link"]
    assert typed_words("A name; an order.") == ["name", "order"]
