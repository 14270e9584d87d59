"""The complete search (`handler-one verify`): what it proves, the witnesses it replays, and
that it says so when it stops early."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from game.engine.loader import load_story
from game.engine.playtest import enabled_orders, explore, write_transcript
from game.engine.runtime import DeadEnd, Engine
from game.engine.verify import run_search, verify
from game.engine.verify.mdd import FALSE, TRUE, Mdd
from tests.conftest import MINI, write

ROOT = Path(__file__).resolve().parents[1]
COUNTERS = ("ash", "birch", "cedar", "dune", "elm")


def counter_story(root: Path, scenes: int = 16) -> Path:
    """A long corridor where every scene lets five counters grow (tens of thousands of distinct
    game states, all read at the end), then a four-way draw of which one way is stuck."""
    variables = "\n".join(
        f"  - {{name: {c}, type: int, default: 0, min: 0, max: {scenes}}}" for c in COUNTERS
    )
    write(
        root / "story.yaml",
        f"""
        id: corridor
        title: Corridor
        start: c00
        chapters:
          - {{number: 1, title: One}}
        variables:
        {variables}
        pilots:
          - {{id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}}
        endings:
          - {{id: end_out, title: Out}}
        """.replace("\n        ", "\n"),
    )
    body = ["chapter: 1", "scenes:"]
    for n in range(scenes):
        nxt = f"c{n + 1:02d}" if n + 1 < scenes else "draw"
        body += [f"  - id: c{n:02d}", f"    title: Corridor {n}", "    orders:"]
        for c in COUNTERS:
            body += [f"      - {{say: 'More {c}.', effects: {{add: {{{c}: 1}}}}, goto: {nxt}}}"]
        body += [f"      - {{say: 'On.', goto: {nxt}}}"]
    body += [
        "  - id: draw",
        "    title: The Draw",
        "    orders:",
        "      - say: 'Draw.'",
        "        goto:",
        "          - {weight: 1, goto: out}",
        "          - {weight: 1, goto: out}",
        "          - {weight: 1, goto: stuck}",
        "          - {weight: 1, goto: out}",
        "  - id: stuck",
        "    title: Stuck",
        "    orders:",
        f"      - {{say: 'Only if.', if: {' + '.join(COUNTERS)} > 100, goto: out}}",
        "  - id: out",
        "    title: Out",
        "    ending: end_out",
    ]
    (root / "ch1.yaml").write_text("\n".join(body) + "\n", encoding="utf-8")
    return root


def fight_story(root: Path) -> Path:
    """Kestrel is at risk in a one-round fight, and speaks afterwards with no `if`."""
    write(
        root / "story.yaml",
        """
        id: fight
        title: Fight
        start: brief
        chapters:
          - {number: 1, title: One}
        pilots:
          - {id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}
          - {id: kestrel, callsign: Kestrel, name: Petra Valcu, role: Scout}
        endings:
          - {id: end_done, title: Done}
        """,
    )
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: brief
            title: Brief
            orders:
              - {say: "Go.", goto: fight}
          - id: fight
            title: Fight
            engagement:
              danger: 2
              at_risk: [kestrel]
              hit: "{pilot} is hit."
              kill: "{pilot} goes dark."
              rounds:
                - radio: [{shin: "Contact."}]
              orders:
                - {say: "Hold.", words: [hold]}
              after: debrief
          - id: debrief
            title: Debrief
            radio:
              - kestrel: "That was close."
              - shin: "Noted."
            orders:
              - {say: "Close the link.", goto: done}
          - id: done
            title: Done
            ending: end_done
        """,
    )
    return root


def test_a_deep_dead_end_behind_one_draw_in_four_is_found_and_replays(tmp_path: Path) -> None:
    story = load_story(counter_story(tmp_path / "story"))
    bounded = explore(story, seed=0)
    assert not bounded.complete and not bounded.dead_ends  # the budget stops short of it
    verdict = verify(story, seconds=60)
    assert verdict.complete
    [dead] = verdict.dead_ends
    assert dead.kind == "no_orders" and dead.state == "stuck"
    witness = dead.witness
    assert witness is not None and witness.seed is not None
    assert len(witness.orders) == 17  # sixteen corridor scenes and the draw
    engine, applied = Engine.replay(story, witness.seed, witness.orders)
    assert applied == len(witness.orders)
    assert engine.state.scene == "stuck" and not enabled_orders(engine)
    assert verdict.endings["end_out"] is not None
    assert not verdict.dead_voices


def test_the_replayed_transcript_shows_the_dead_end(tmp_path: Path) -> None:
    root = counter_story(tmp_path / "story", scenes=3)
    verdict = verify(load_story(root), seconds=30)
    [dead] = verdict.dead_ends
    transcript = verdict.transcript(dead)
    assert transcript is not None
    path = tmp_path / "dead.json"
    write_transcript(path, transcript)
    result = subprocess.run(
        [sys.executable, "-m", "game", "play", "--plain", "--replay", str(path), str(root)],
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert "dead end: no order is available" in result.stdout


def test_a_pilot_who_speaks_after_a_possible_death_is_found_dead_in_the_witness(
    tmp_path: Path,
) -> None:
    story = load_story(fight_story(tmp_path / "story"))
    verdict = verify(story, seconds=30)
    assert verdict.complete
    [voice] = verdict.dead_voices
    assert voice.pilot == "kestrel" and voice.state == "debrief"
    witness = voice.witness
    assert witness is not None and witness.seed is not None
    engine, applied = Engine.replay(story, witness.seed, witness.orders)
    assert applied == len(witness.orders)
    assert engine.state.scene == "debrief"
    assert engine.state.status["kestrel"] == "killed"
    assert any(line.speaker == "kestrel" for line in engine.radio())


def test_a_line_guarded_by_alive_is_never_a_dead_voice(tmp_path: Path) -> None:
    root = fight_story(tmp_path / "story")
    text = (root / "ch1.yaml").read_text()
    (root / "ch1.yaml").write_text(
        text.replace(
            '- kestrel: "That was close."',
            '- kestrel: "That was close."\n        if: alive(kestrel)',
        )
    )
    verdict = verify(load_story(root), seconds=30)
    assert verdict.complete and not verdict.dead_voices


def test_a_search_that_stops_says_what_is_incomplete(tmp_path: Path) -> None:
    story = load_story(counter_story(tmp_path / "story"))
    verdict = verify(story, seconds=0.0, witness_seconds=0.0)
    assert not verdict.complete and verdict.stopped == "time"
    assert verdict.pending  # the machine states it had not expanded
    assert verdict.unreached == "not reached before the search stopped"
    data = verdict.to_json()
    assert data["complete"] is False
    assert data["scenes"]["verdict_for_not_reached"] == "not reached before the search stopped"
    out = io.StringIO()
    from contextlib import redirect_stdout

    from game.tools.verify import print_verdict

    with redirect_stdout(out):
        print_verdict(verdict, "story", {}, None)
    text = out.getvalue()
    assert "INCOMPLETE" in text and "not searched from:" in text
    assert "unreachable" not in text and "proved" not in text


@pytest.mark.parametrize("where", ["mini", "fight", "corridor"])
def test_every_state_a_real_game_reaches_is_in_the_search(tmp_path: Path, where: str) -> None:
    """Soundness, measured: random games on the real engine never leave the searched sets."""
    if where == "mini":
        root = MINI
    elif where == "fight":
        root = fight_story(tmp_path / "story")
    else:
        root = counter_story(tmp_path / "story", scenes=4)
    story = load_story(root)
    search = run_search(story, seconds=30)
    assert search.complete
    space, mdd = search.space, search.mdd
    for seed in range(60):
        engine = Engine.new(story, seed)
        chooser = random.Random(seed)
        for _ in range(200):
            state = engine.state
            assert mdd.contains(search.reach[state.scene], space.encode(state)), (seed, state.scene)
            views = enabled_orders(engine)
            if state.ending is not None or not views:
                break
            try:
                engine.choose(chooser.choice(views)[0])
            except DeadEnd:
                break


def test_the_decision_diagrams_count_and_pick() -> None:
    mdd = Mdd([3, 2, 4])
    a = mdd.cube({0: 1, 2: 3})
    b = mdd.literal(1, (0,))
    both = mdd.conj(a, b)
    assert mdd.count(both, frozenset({0, 1, 2})) == 1
    assert mdd.count(a, frozenset({0, 1, 2})) == 2
    assert mdd.count(mdd.disj(a, b), frozenset({0, 1, 2})) == 12 + 2 - 1
    assert mdd.diff(a, a) == FALSE and mdd.disj(b, mdd.negate(b)) == TRUE
    assert mdd.pick(both, [[0, 0, 0], [0, 0], [0, 0, 0, 0]]) == [1, 0, 3]
    moved = mdd.image(a, 2, ((0,), (0,), (0,), (1, 2)), 0)
    assert mdd.count(moved, frozenset({0, 1, 2})) == 4
    assert mdd.preimage(moved, 2, ((0,), (0,), (0,), (1, 2)), 0) != FALSE
    assert mdd.smear(a, frozenset({0, 2})) == TRUE


def test_cli_verify_exit_codes(tmp_path: Path) -> None:
    from game.tools.verify import run

    ok = run(
        Namespace(
            story=str(MINI),
            seconds=30.0,
            seed_tries=100,
            json=False,
            transcripts=None,
            warp=None,
            set=[],
        )
    )
    assert ok == 0
    root = fight_story(tmp_path / "story")
    folder = tmp_path / "out"
    found = run(
        Namespace(
            story=str(root),
            seconds=30.0,
            seed_tries=100,
            json=True,
            transcripts=str(folder),
            warp=None,
            set=[],
        )
    )
    assert found == 1
    assert (folder / "dead_voice_1.json").exists() and (folder / "ending_end_done.json").exists()


@pytest.mark.skipif(
    not os.environ.get("HANDLER_ONE_SLOW"),
    reason="the whole campaign takes about a minute: `make bench` measures it; "
    "set HANDLER_ONE_SLOW=1 to run it here",
)
def test_the_shipped_story() -> None:
    """The whole campaign answered completely, without a dead end or a dead voice."""
    verdict = verify(load_story(ROOT / "scenes"), seconds=120)
    assert verdict.complete, verdict.undecided
    assert not verdict.dead_ends and not verdict.dead_voices
    assert all(w is not None for w in verdict.endings.values())
