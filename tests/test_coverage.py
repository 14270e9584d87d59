"""Line coverage: the hit counts agree with what the engine shows, and `playtest --coverage`
names what no game heard, gave or took, at FILE:LINE:COL."""

from __future__ import annotations

import io
import json
import random
from argparse import Namespace
from collections import Counter
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from game.engine.coverage import Coverage
from game.engine.loader import load_story
from game.engine.playtest import enabled_orders, explore, random_playtest
from game.engine.runtime import DeadEnd, Engine
from tests.conftest import write

CONDITIONS = ("a >= 1", "a == 0", "f", "not f", "a > 9", "alive(kestrel)", "not alive(kestrel)")


def lines_story(root: Path, seed: int) -> Path:
    """A small random story where every radio line says its own text (`L<n>`), most with an
    `if` or `once`: on arriving, on orders, on branches, in an engagement round."""
    rnd = random.Random(seed)
    write(
        root / "story.yaml",
        f"""
        id: lines{seed}
        title: Lines
        start: s0
        chapters:
          - {{number: 1, title: One}}
        variables:
          - {{name: a, type: int, default: 0, min: 0, max: 3}}
          - {{name: f, type: bool, default: false}}
        pilots:
          - {{id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}}
          - {{id: kestrel, callsign: Kestrel, name: Petra Valcu, role: Scout}}
        endings:
          - {{id: end_a, title: A}}
        """,
    )
    counter = iter(range(10_000))

    def line() -> str:
        guard = rnd.random()
        extra = f", if: '{rnd.choice(CONDITIONS)}'" if guard < 0.6 else ""
        extra += ", once: true" if 0.5 < guard < 0.8 else ""
        return f"{{{rnd.choice(['shin', 'kestrel'])}: 'L{next(counter)}'{extra}}}"

    count = 5
    body = ["chapter: 1", "scenes:"]
    for n in range(count):
        onward = [f"s{m}" for m in range(1, count) if m != n] + ["end"]
        body += [f"  - id: s{n}", f"    title: Scene {n}"]
        body += ["    radio:", *(f"      - {line()}" for _ in range(rnd.randint(1, 3)))]
        if n == 2:
            body += [
                "    engagement:",
                "      danger: 1",
                "      at_risk: [kestrel]",
                "      hit: '{pilot} is hit.'",
                "      kill: '{pilot} goes dark.'",
                "      rounds:",
                f"        - radio: [{line()}, {line()}]",
                f"        - radio: [{line()}]",
                "      orders:",
                f"        - {{say: 'Hold.', words: [hold], radio: [{line()}]}}",
                f"      after: [{{if: f, goto: s3, radio: [{line()}]}}, {{goto: s4}}]",
            ]
            continue
        body.append("    orders:")
        for k in range(2):
            effect = rnd.choice(["{add: {a: 1}}", "{set: {f: true}}", "{add: {a: -1}}"])
            if rnd.random() < 0.5:
                target = rnd.choice(onward)
                body.append(
                    f"      - {{say: 'O{n}.{k}', effects: {effect}, radio: [{line()}], "
                    f"goto: {target}}}"
                )
            else:
                first, second = rnd.choice(onward), rnd.choice(onward)
                body.append(
                    f"      - {{say: 'O{n}.{k}', effects: {effect}, goto: ["
                    f"{{weight: 1, goto: {first}, radio: [{line()}]}}, "
                    f"{{weight: 2, goto: {second}, radio: [{line()}]}}]}}"
                )
        body.append(f"      - {{say: 'Leave {n}', goto: end}}")
    body += ["  - {id: end, title: End, ending: end_a}"]
    (root / "ch1.yaml").write_text("\n".join(body) + "\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("seed", range(8))
def test_the_counts_agree_with_the_lines_the_engine_shows(tmp_path: Path, seed: int) -> None:
    story = load_story(lines_story(tmp_path / "story", seed))
    coverage = Coverage(story)
    shown: Counter[str] = Counter()
    given: Counter[str] = Counter()
    for game in range(40):
        engine = Engine.new(story, game)
        chooser = random.Random(game)
        for _ in range(60):
            coverage.arrived(engine)
            shown.update(line.text for line in engine.radio() if line.text.startswith("L"))
            views = enabled_orders(engine)
            if engine.state.ending is not None or not views:
                break
            index = chooser.choice(views)[0]
            given[str(story.orders_at(engine.state.scene)[index].mark)] += 1
            coverage.giving(engine, index)
            try:
                engine.choose(index)
            except DeadEnd:
                break
    counted = {
        item.text.split(": ", 1)[1]: coverage.hits[key]
        for key, item in coverage.items.items()
        if item.kind == "line"
    }
    # every line of these stories has an `if` or `once`, or is heard whenever its place is
    for text, hits in counted.items():
        assert hits == shown[text], (text, hits, shown[text])
    orders = {i.mark: coverage.hits[k] for k, i in coverage.items.items() if i.kind == "order"}
    for mark, n in given.items():
        assert orders[mark] == n
    assert coverage.to_json()["lines"]["hit"] == sum(1 for n in counted.values() if n)


def test_a_line_no_game_can_hear_is_named_at_its_place(tmp_path: Path) -> None:
    root = lines_story(tmp_path / "story", 3)
    text = (root / "ch1.yaml").read_text(encoding="utf-8")
    # a line nobody hears: a > 9 never holds (a stops at 3)
    text = text.replace("    radio:\n", "    radio:\n      - {shin: 'Never', if: 'a > 9'}\n", 1)
    (root / "ch1.yaml").write_text(text, encoding="utf-8")
    story = load_story(root)
    coverage = Coverage(story)
    random_playtest(story, runs=50, seed=0, coverage=coverage)
    [number] = [n for n, t in enumerate(text.splitlines(), 1) if "'Never'" in t]
    [missed] = [i for i in coverage.never() if i.text == "shin: Never"]
    assert missed.mark.startswith(f"{root / 'ch1.yaml'}:{number}:")
    exhaustive = Coverage(story)
    explore(story, seed=0, coverage=exhaustive)
    assert any(i.text == "shin: Never" for i in exhaustive.never())


def test_playtest_coverage_prints_places_and_json_counts(tmp_path: Path) -> None:
    from game.tools.playtest import run

    root = lines_story(tmp_path / "story", 1)
    base = {
        "story": str(root),
        "runs": 30,
        "seed": 0,
        "exhaustive": False,
        "max_states": None,
        "transcripts": None,
        "warp": None,
        "set": [],
        "persona": [],
        "coverage": True,
    }
    out = io.StringIO()
    with redirect_stdout(out):
        run(Namespace(**base, json=True))
    data = json.loads(out.getvalue())
    lines = data["coverage"]["lines"]
    assert lines["total"] > 0 and all({"at", "text", "hits"} <= set(i) for i in lines["items"])
    out = io.StringIO()
    with redirect_stdout(out):
        run(Namespace(**base, json=False))
    text = out.getvalue()
    assert "Coverage over 30 games:" in text and ": never heard: " in text
