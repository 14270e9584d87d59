"""verify by over-approximation, real games and refinement (`verify(method="abstract")`):
what it proves agrees with the exact search, what it finds replays on the real engine, and it
never calls "unreachable" what it has not proved."""

from __future__ import annotations

import io
import random
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from game.engine.loader import load_story
from game.engine.model import Story, split_state
from game.engine.runtime import DeadEnd, Engine
from game.engine.verify import Verdict, Witness, verify
from game.tools.verify import print_verdict
from tests.conftest import MINI, write
from tests.test_verify import counter_story, fight_story

CONDITIONS = (
    "a >= 2",
    "b < 1",
    "f",
    "not f",
    "a + b > 4",
    "a == b",
    "a != b",
    "seen(s2)",
    "visits(s1) >= 2",
    "a > 7",  # never: a stops at 3
    "alive(kestrel)",
    "not alive(kestrel)",
)
EFFECTS = (
    "{add: {a: 1}}",
    "{add: {a: -1}}",
    "{add: {a: 1, b: 1}}",
    "{set: {f: true}}",
    "{set: {b: 3}}",
    "{set: {f: false}, add: {b: 1}}",
)


def generated_story(root: Path, seed: int) -> Path:
    """A small random story: two counters and a flag, orders with and without `if`, plain,
    weighted and conditional branches, loops, one engagement, and two endings. Some have dead
    ends, unreachable scenes and orders never offered, by chance of the generator."""
    rnd = random.Random(seed)
    write(
        root / "story.yaml",
        f"""
        id: gen{seed}
        title: Generated
        start: s0
        chapters:
          - {{number: 1, title: One}}
        variables:
          - {{name: a, type: int, default: 0, min: 0, max: 3}}
          - {{name: b, type: int, default: 0, min: 0, max: 3}}
          - {{name: f, type: bool, default: false}}
        pilots:
          - {{id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}}
          - {{id: kestrel, callsign: Kestrel, name: Petra Valcu, role: Scout}}
        endings:
          - {{id: end_a, title: A}}
          - {{id: end_b, title: B}}
        """,
    )
    count = rnd.randint(5, 8)
    names = [f"s{n}" for n in range(count)]
    ends = ["ea", "eb"]

    def goto(n: int) -> str:
        # mostly onwards, sometimes back (a loop), an ending from the last scenes
        if n >= count - 2 and rnd.random() < 0.6 or rnd.random() < 0.08:
            return rnd.choice(ends)
        if rnd.random() < 0.2:
            return rnd.choice(names[1 : n + 1] or names[1:])
        return rnd.choice(names[n + 1 : n + 3] or ends)

    body = ["chapter: 1", "scenes:"]
    for n, name in enumerate(names):
        body += [f"  - id: {name}", f"    title: Scene {n}"]
        if n > 2 and rnd.random() < 0.5:
            guard = f", if: '{rnd.choice(CONDITIONS)}'" if rnd.random() < 0.5 else ""
            body += ["    radio:", f"      - {{kestrel: 'Still here.'{guard}}}"]
        if n == 2:
            after = goto(n)
            body += [
                "    engagement:",
                "      danger: 1",
                "      at_risk: [kestrel]",
                "      hit: '{pilot} is hit.'",
                "      kill: '{pilot} goes dark.'",
                "      rounds:",
                "        - radio: [{shin: 'Contact.'}]",
                "      orders:",
                "        - {say: 'Hold.', words: [hold]}",
                f"      after: {after}",
            ]
            continue
        body.append("    orders:")
        for k in range(rnd.randint(1, 3)):
            line = [f"say: 'Order {n}.{k}.'"]
            if rnd.random() < 0.5:
                line.append(f"if: {rnd.choice(CONDITIONS)}")
            if rnd.random() < 0.6:
                line.append(f"effects: {rnd.choice(EFFECTS)}")
            shape = rnd.random()
            if shape < 0.6:
                body.append(f"      - {{{', '.join(line)}, goto: {goto(n)}}}")
                continue
            body.append(f"      - {{{', '.join(line)}, goto: [")
            if shape < 0.8:
                for _ in range(2):
                    cond = f", if: {rnd.choice(CONDITIONS)}" if rnd.random() < 0.3 else ""
                    body.append(f"          {{weight: 1{cond}, goto: {goto(n)}}},")
            else:
                body.append(f"          {{if: {rnd.choice(CONDITIONS)}, goto: {goto(n)}}},")
                last = f"if: {rnd.choice(CONDITIONS)}, " if rnd.random() < 0.5 else ""
                body.append(f"          {{{last}goto: {goto(n)}}},")
            body.append("        ]}")
    body += [
        "  - {id: ea, title: End A, ending: end_a}",
        "  - {id: eb, title: End B, ending: end_b}",
    ]
    (root / "ch1.yaml").write_text("\n".join(body) + "\n", encoding="utf-8")
    return root


def replays(story: Story, witness: Witness, final: tuple[str, int] | None = None) -> Engine:
    """The witness replayed on the real engine from its seed; returns the engine where it
    stopped (every order must be offered on the way)."""
    assert witness.seed is not None
    engine = Engine.new(story, witness.seed)
    for state, index in witness.orders:
        assert engine.state.scene == state
        offered = {v.index for v in engine.orders() if v.enabled}
        assert index in offered
        engine.choose(index)
    return engine


def assert_sound(story: Story, abstract: Verdict, exact: Verdict) -> None:
    """Every answer of the abstract verdict agrees with the exact (complete) one, and every
    reachable item's witness replays."""
    assert exact.complete
    for kind, items in (
        ("scenes", list(story.scenes)),
        ("orders", list(exact.orders)),
        ("endings", list(story.endings)),
    ):
        for item in items:
            got, truth = abstract.answer(kind, item), exact.answer(kind, item)
            assert got in (truth, "undecided"), (kind, item, got, truth)
    for key, witness in abstract.witnesses.items():
        tag, item = key.split(":", 1)
        engine = replays(story, witness)
        if tag == "scene":
            assert split_state(engine.state.scene)[0] == item
    for ending, witness in abstract.endings.items():
        if witness is not None:
            assert replays(story, witness).state.ending == ending
    truth_dead = {(p.kind, p.state, p.order) for p in exact.dead_ends}
    found_dead = {(p.kind, p.state, p.order) for p in abstract.dead_ends}
    if abstract.complete:
        assert found_dead == truth_dead
    else:
        assert found_dead <= truth_dead
    for problem in abstract.dead_ends:
        assert problem.witness is not None and problem.witness.seed is not None
        engine = replays(story, problem.witness)
        assert engine.state.scene == problem.state
        if problem.kind == "no_orders":
            assert not [v for v in engine.orders() if v.enabled]
        else:
            assert problem.order is not None
            with pytest.raises(DeadEnd):
                engine.choose(problem.order)
    truth_voices = {(p.state, p.pilot) for p in exact.dead_voices}
    found_voices = {(p.state, p.pilot) for p in abstract.dead_voices}
    assert found_voices <= truth_voices
    if abstract.complete:
        assert found_voices == truth_voices


@pytest.mark.parametrize("seed", range(24))
def test_generated_stories_agree_with_the_exact_search(tmp_path: Path, seed: int) -> None:
    story = load_story(generated_story(tmp_path / "story", seed))
    exact = verify(story, seconds=30, method="exact", seed_tries=200)
    abstract = verify(story, seconds=20, method="abstract", seed_tries=200)
    assert_sound(story, abstract, exact)


@pytest.mark.parametrize("where", ["mini", "fight", "corridor"])
def test_known_stories_agree_with_the_exact_search(tmp_path: Path, where: str) -> None:
    if where == "mini":
        root = MINI
    elif where == "fight":
        root = fight_story(tmp_path / "story")
    else:
        root = counter_story(tmp_path / "story", scenes=6)
    story = load_story(root)
    exact = verify(story, seconds=30, method="exact", seed_tries=200)
    abstract = verify(story, seconds=20, method="abstract", seed_tries=200)
    assert_sound(story, abstract, exact)
    assert abstract.complete and abstract.method == "abstract"


def test_the_dead_end_behind_one_draw_in_four_is_witnessed(tmp_path: Path) -> None:
    story = load_story(counter_story(tmp_path / "story"))
    verdict = verify(story, seconds=30, method="abstract")
    assert verdict.complete
    [problem] = verdict.dead_ends
    assert problem.kind == "no_orders" and problem.state == "stuck"
    assert problem.witness is not None
    engine = replays(story, problem.witness)
    assert engine.state.scene == "stuck"
    # the order it never offers is proved never offered, not merely unseen
    assert verdict.answer("orders", "stuck/0") == "unreachable"


def test_a_dead_voice_is_witnessed_with_the_pilot_dead(tmp_path: Path) -> None:
    story = load_story(fight_story(tmp_path / "story"))
    verdict = verify(story, seconds=30, method="abstract")
    [problem] = verdict.dead_voices
    assert problem.pilot == "kestrel" and problem.witness is not None
    engine = replays(story, problem.witness)
    assert engine.state.status["kestrel"] in ("killed", "missing")


def correlated_story(root: Path) -> Path:
    """`a` and `b` always move together, so `a != b` never holds: a box (each on its own) cannot
    see it, a search that tracks both can."""
    write(
        root / "story.yaml",
        """
        id: twins
        title: Twins
        start: s0
        chapters:
          - {number: 1, title: One}
        variables:
          - {name: a, type: int, default: 0, min: 0, max: 3}
          - {name: b, type: int, default: 0, min: 0, max: 3}
        pilots:
          - {id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}
        endings:
          - {id: end_out, title: Out}
          - {id: end_odd, title: Odd}
        """,
    )
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: s0
            title: Start
            orders:
              - {say: "Both up.", effects: {add: {a: 1, b: 1}}, goto: s1}
              - {say: "Neither.", goto: s1}
          - id: s1
            title: Choice
            orders:
              - {say: "Out.", goto: out}
              - {say: "Odd.", if: a != b, goto: odd}
          - {id: out, title: Out, ending: end_out}
          - {id: odd, title: Odd, ending: end_odd}
        """,
    )
    return root


def test_an_alarm_the_boxes_leave_open_is_refuted_by_refinement(tmp_path: Path) -> None:
    story = load_story(correlated_story(tmp_path / "story"))
    verdict = verify(story, seconds=20, method="abstract")
    assert verdict.complete
    assert verdict.answer("endings", "end_odd") == "unreachable"
    assert verdict.answer("scenes", "odd") == "unreachable"
    assert verdict.answer("orders", "s1/1") == "unreachable"
    assert verdict.figures["refuted"] >= 1  # the boxes alone could not say


def test_an_abstract_verdict_without_time_says_undecided_never_unreachable(
    tmp_path: Path,
) -> None:
    story = load_story(correlated_story(tmp_path / "story"))
    verdict = verify(story, seconds=0.0, method="abstract")
    assert not verdict.complete
    answers = {verdict.answer("endings", e) for e in story.endings}
    assert "unreachable" not in answers
    data = verdict.to_json()
    assert data["complete"] is False and data["undecided"]
    assert data["orders"]["never"] == [] and data["scenes"]["unreachable"] == []
    out = io.StringIO()
    with redirect_stdout(out):
        print_verdict(verdict, "story", {}, None)
    text = out.getvalue()
    assert text.startswith("verify story: INCOMPLETE") and "undecided: odd" in text
    assert "unreachable" not in text and "never" not in text and "proved" not in text


def test_validate_answers_dead_ends_by_the_complete_answer(tmp_path: Path) -> None:
    from game.engine.analysis import last_search
    from game.engine.validate import validate

    found = validate(counter_story(tmp_path / "corridor"))
    assert last_search().dead_ends == "complete"
    [dead_end] = [d for d in found if d.code == "E060"]
    assert "'stuck'" in dead_end.message
    assert not [
        d
        for d in validate(correlated_story(tmp_path / "twins"))
        if d.code in ("E060", "E061", "W020")
    ]
    assert last_search().dead_ends == "complete"


def unbounded_story(root: Path) -> Path:
    """`n`, declared without `max`, grows by one each time round a loop; a scene opens past
    5000 (further than any game the tools play goes)."""
    write(
        root / "story.yaml",
        """
        id: loop
        title: Loop
        start: s0
        chapters:
          - {number: 1, title: One}
        variables:
          - {name: n, type: int, default: 0}
        pilots:
          - {id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}
        endings:
          - {id: end_out, title: Out}
          - {id: end_far, title: Far}
        """,
    )
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: s0
            title: Round
            orders:
              - {say: "Again.", effects: {add: {n: 1}}, goto: s0}
              - {say: "Out.", goto: out}
              - {say: "Far.", if: n > 5000, goto: far}
          - {id: out, title: Out, ending: end_out}
          - {id: far, title: Far, ending: end_far}
        """,
    )
    return root


@pytest.mark.parametrize("method", ["exact", "abstract"])
def test_a_value_past_the_tracked_range_is_never_called_unreachable(
    tmp_path: Path, method: str
) -> None:
    story = load_story(unbounded_story(tmp_path / "story"))
    verdict = verify(story, seconds=20, method=method, seed_tries=200)
    assert verdict.answer("endings", "end_far") in ("reachable", "undecided")
    assert verdict.answer("scenes", "far") in ("reachable", "undecided")
    if verdict.answer("endings", "end_far") == "undecided":
        assert not verdict.complete
