"""What the engine keeps between calls to be fast, and that it never serves a stale answer.

- `radio()` is rendered once per moment of a game: asked again it answers from its cache, and
  an order, an undo, a restore (a load) or a new game makes it render afresh.
- `orders()` reuses its views for the same scene and the same orders enabled.
- Engines of one story share its machine: games on one story never see each other's state.
- Undo snapshots keep only the length of the order log; undoing restores the game exactly.
- Static (garble) is computed faster but exactly as the rule says.
"""

from __future__ import annotations

import random
import re
import zlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from game.engine import text
from game.engine.loader import load_story
from game.engine.runtime import Engine
from game.engine.state import GameState
from game.paths import scenes_dir
from tests.conftest import MINI

_STORIES: dict[str, object] = {}


def story(path: Path = MINI):  # noqa: ANN201
    key = str(path)
    if key not in _STORIES:
        _STORIES[key] = load_story(path)
    return _STORIES[key]


def texts(engine: Engine) -> list[str]:
    return [f"{line.tag}|{line.kind}|{line.text}" for line in engine.radio()]


def fresh_texts(engine: Engine) -> list[str]:
    """The radio rendered from scratch, bypassing every cache."""
    return [f"{line.tag}|{line.kind}|{line.text}" for line in engine._radio_now()]


def count_renders(engine: Engine) -> list[int]:
    calls = [0]
    original = engine._radio_now

    def counted():  # noqa: ANN202
        calls[0] += 1
        return original()

    engine._radio_now = counted  # type: ignore[method-assign]
    return calls


# --- the radio cache ----------------------------------------------------------------------------


def test_radio_asked_twice_renders_once() -> None:
    engine = Engine.new(story(), 1)
    calls = count_renders(engine)
    first = engine.radio()
    second = engine.radio()
    assert first == second and calls[0] == 1
    first.clear()  # the caller's list is its own
    assert engine.radio() == second


def test_an_order_makes_the_radio_render_afresh() -> None:
    engine = Engine.new(story(), 1)
    calls = count_renders(engine)
    before = texts(engine)
    engine.choose_text("report")
    after = texts(engine)
    assert calls[0] == 2 and after != before
    assert after == fresh_texts(engine)


def test_undo_brings_back_the_radio_of_the_moment_before() -> None:
    engine = Engine.new(story(), 3)
    before = texts(engine)
    engine.choose_text("report")
    assert texts(engine) != before
    assert engine.undo()
    assert texts(engine) == before == fresh_texts(engine)


def test_a_restore_shows_the_loaded_games_radio() -> None:
    engine = Engine.new(story(), 4)
    engine.choose_text("report")
    saved = GameState.from_dict(engine.state.to_dict())
    heard_then = texts(engine)
    engine.undo()
    assert texts(engine) != heard_then
    engine.restore(saved)
    assert texts(engine) == heard_then == fresh_texts(engine)


def test_a_new_game_on_the_same_engine_renders_afresh() -> None:
    engine = Engine.new(story(), 5)
    engine.choose_text("report")
    engine.radio()
    engine.reset(5)
    assert texts(engine) == texts(Engine.new(story(), 5))


def test_the_radio_cache_notices_a_state_swapped_or_changed_behind_its_back() -> None:
    engine = Engine.new(story(), 6)
    engine.radio()
    other = Engine.new(story(), 6)
    other.choose_text("report")
    engine.state = other.state.copy()  # not through restore(): still not stale
    assert texts(engine) == fresh_texts(engine)
    engine.state.aftermath.clear()  # a change the engine did not make
    assert texts(engine) == fresh_texts(engine)


def test_static_depends_on_the_seed_and_visit_even_with_shared_caches() -> None:
    # Shin's line in the first scene has signal 2; two seeds garble it differently, and each
    # engine keeps its own answer although both share the story's caches.
    a, b = Engine.new(story(), 1), Engine.new(story(), 2)
    for engine in (a, b, a, b):
        assert texts(engine) == fresh_texts(engine)
    shin = [t for t in texts(a) if t.startswith("UNDERTAKER")]
    assert shin


# --- orders -------------------------------------------------------------------------------------


def reference_orders(engine: Engine) -> list[tuple]:
    """`orders()` as it was written before any caching: every text rendered, every condition
    (and `hint_if`) evaluated, now. Numbers kept by a looping scene (`state.numbers`) stay;
    other open orders are numbered after them; shown in number order, a dimmed order after the
    open one authored before it."""
    if engine.state.ending is not None:
        return []
    kept = {index: n for n, index in enumerate(engine.state.numbers, 1)}
    views, number, after = [], len(engine.state.numbers), 0
    for index, order in enumerate(engine.story.orders_at(engine.state.scene)):
        say = text.plain_text(text.render(order.say, engine.var))
        if order.condition is None or order.condition(engine):
            given = kept.get(index)
            if given is None:
                number += 1
                given = number
            after = given
            views.append(((given, index), (index, given, say, order.words, True, None)))
        elif order.disabled is not None and (order.hint_if is None or order.hint_if(engine)):
            views.append(((after, index), (index, None, say, order.words, False, order.disabled)))
    return [view for _, view in sorted(views)]


def as_tuples(engine: Engine) -> list[tuple]:
    return [(v.index, v.number, v.say, v.words, v.enabled, v.reason) for v in engine.orders()]


def test_orders_match_an_uncached_reading_through_whole_games() -> None:
    shipped = story(scenes_dir())
    for seed in range(25):
        engine = Engine.new(shipped, seed)
        chooser = random.Random(seed)
        while engine.ending is None and len(engine.state.log) < 400:
            assert as_tuples(engine) == reference_orders(engine)
            engine.choose(chooser.choice([v for v in engine.orders() if v.enabled]).index)
        assert engine.orders() == []


def test_orders_returns_a_list_the_caller_may_change() -> None:
    engine = Engine.new(story(), 1)
    engine.orders().clear()
    assert engine.orders()


# --- shared machines, cheap undo ------------------------------------------------------------------


def play(engine: Engine, chooser: random.Random) -> None:
    engine.choose(chooser.choice([v for v in engine.orders() if v.enabled]).index)


def test_games_on_one_story_never_see_each_others_state() -> None:
    shipped = story(scenes_dir())
    alone = []
    for seed in (11, 12):
        engine, chooser = Engine.new(shipped, seed), random.Random(seed)
        for _ in range(60):
            if engine.ending is None:
                play(engine, chooser)
        alone.append(engine.state.to_dict())
    engines = [Engine.new(shipped, 11), Engine.new(shipped, 12)]
    choosers = [random.Random(11), random.Random(12)]
    for _ in range(60):
        for engine, chooser in zip(engines, choosers, strict=True):
            if engine.ending is None:
                play(engine, chooser)
    assert [e.state.to_dict() for e in engines] == alone


def test_undo_walks_back_through_every_snapshot_exactly() -> None:
    shipped = story(scenes_dir())
    for seed in range(6):
        engine, chooser = Engine.new(shipped, seed), random.Random(seed)
        history = [engine.state.to_dict()]
        for step in range(45):
            if engine.ending is not None:
                break
            play(engine, chooser)
            history.append(engine.state.to_dict())
            if step % 7 == 3:  # take some back on the way, then go on
                assert engine.undo()
                history.pop()
                assert engine.state.to_dict() == history[-1]
        while len(history) > 1:
            assert engine.undo()
            history.pop()
            assert engine.state.to_dict() == history[-1]
            assert engine.machine.get_model_state(engine).name == engine.state.scene


def test_undo_snapshots_do_not_copy_the_log() -> None:
    engine = Engine.new(story(), 1)
    engine.choose_text("report")
    snapshot, length = engine._undo[-1]
    assert snapshot.log == [] and length == 0
    assert engine.undo() and engine.state.log == []


# --- static ---------------------------------------------------------------------------------------


def reference_garble(segments: list[text.Segment], signal: int, key: str) -> list[text.Segment]:
    """The rule as first written: each word rolls crc32(f"{key}:{i}") / 0xFFFFFFFF."""
    rate = text.GARBLE_RATE.get(max(0, min(4, signal)), 0.0)
    if rate <= 0:
        return segments
    out: list[text.Segment] = []
    index = 0
    for segment in segments:
        for piece in re.split(r"(\s+)", segment.text):
            if not piece:
                continue
            if piece.isspace():
                out.append(text.Segment(piece, segment.style))
                continue
            roll = zlib.crc32(f"{key}:{index}".encode()) / 0xFFFFFFFF
            index += 1
            if roll >= rate:
                out.append(text.Segment(piece, segment.style))
            elif len(out) >= 2 and out[-1].text.isspace() and out[-2].style == "static":
                gap = out.pop().text
                out[-1] = text.Segment(out[-1].text + "~" * len(gap + piece), "static")
            else:
                out.append(text.Segment("~" * len(piece), "static"))
    merged: list[text.Segment] = []
    for segment in out:
        if merged and merged[-1].style == segment.style:
            merged[-1] = text.Segment(merged[-1].text + segment.text, segment.style)
        else:
            merged.append(segment)
    return merged


pieces = st.lists(
    st.sampled_from(["a", "bb", "word", " ", "  ", "\t", "\n", "*", "\\*", "\u00a0", ".", "é"]),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(pieces, st.integers(-1, 5), st.text(max_size=12))
def test_garble_matches_the_rule_as_written(parts: list[str], signal: int, key: str) -> None:
    line = "".join(parts)
    segments = text.emphasis(text.sanitise(line))
    assert text.garble(list(segments), signal, key) == reference_garble(segments, signal, key)
    expected = tuple(reference_garble(text.emphasis(text.sanitise(line)), signal, key))
    assert text.render(line, None, signal, key) == expected


def test_garble_thresholds_agree_with_the_float_rule_at_their_edges() -> None:
    for signal, rate in text.GARBLE_RATE.items():
        threshold = text._THRESHOLD[signal]
        if threshold:
            assert (threshold - 1) / 0xFFFFFFFF < rate
        assert threshold / 0xFFFFFFFF >= rate


def test_long_lines_garble_past_the_precomputed_word_indices() -> None:
    line = " ".join(f"w{i}" for i in range(1500))
    segments = [text.Segment(line)]
    assert text.garble(segments, 1, "k") == reference_garble(segments, 1, "k")


def test_the_prepared_text_cache_stays_bounded(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(text, "PREPARED_CAP", 10)
    monkeypatch.setattr(text, "_PREPARED", {})
    for n in range(50):
        text.render(f"line {n} *em*", None)
    assert len(text._PREPARED) <= 10
    assert text.render("line 3 *em*", None) == (
        text.Segment("line 3 "),
        text.Segment("em", "em"),
    )
