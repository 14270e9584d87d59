"""The boxes judge a long branch list in one enumeration (`box._routes_at_once`): the same
boxes, branch for branch, as judging each branch with every one before it failing."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.engine.loader import load_story
from game.engine.runtime import Engine
from game.engine.verify import box
from game.engine.verify.live import Liveness
from tests.conftest import write

MANIFEST = """
id: r
title: R
start: a
chapters: [{number: 1, title: One}]
variables:
  - {name: flag, type: bool, default: false}
  - {name: x, type: int, default: 0, min: 0, max: 3}
pilots:
  - {id: shin, callsign: Undertaker, name: Shinei Nouzen}
  - {id: kestrel, callsign: Kestrel, name: Ada Vey}
endings:
  - {id: end_one, title: One}
"""

CONDITIONS = [
    "flag",
    "not flag",
    "x >= 2",
    "x == 1",
    "knows(kestrel)",
    "alive(kestrel) and x > 0",
    "status(kestrel) == 'killed'",
    "flag or knows(kestrel)",
    "fallen_count() > 0",
]


@st.composite
def branch_lists(draw: st.DrawFn) -> str:
    """Scene 'a' loops on orders that change what the branches read; "Decide." has 8-14
    branches, some weighted, some without `if`, each to an ending scene of its own."""
    count = draw(st.integers(box.ROUTES_AT_ONCE, box.ROUTES_AT_ONCE + 6))
    lines = [
        "chapter: 1",
        "scenes:",
        "  - id: a",
        "    title: A",
        "    orders:",
        '      - {say: "Up.", if: x < 3, effects: {add: {x: 1}}, goto: a}',
        '      - {say: "Flag.", effects: {set: {flag: true}}, goto: a}',
        '      - {say: "Name.", effects: {learn: kestrel}, goto: a}',
        '      - {say: "Lose.", effects: {status: {kestrel: killed}}, goto: a}',
        '      - say: "Decide."',
        "        goto:",
    ]
    for k in range(count):
        condition = draw(st.sampled_from([None, *CONDITIONS]))
        weight = draw(st.sampled_from([None, None, None, 1, 2]))
        parts = [f"goto: e{k}"]
        if condition is not None:
            parts.insert(0, f'if: "{condition}"')
        if weight is not None:
            parts.append(f"weight: {weight}")
        lines.append(f"          - {{{', '.join(parts)}}}")
    for k in range(count):
        lines += [f"  - id: e{k}", f"    title: E{k}", "    ending: end_one"]
    return "\n".join(lines) + "\n"


def boxes_of(root: Path) -> box.Boxes:
    story = load_story(root)
    space = box.box_space(story, Liveness(story, ()), {})
    engine = Engine.new(story, 0)
    return box.analyse(
        story,
        space,
        engine.state.scene,
        space.encode(engine.state),
        deadline=time.monotonic() + 60,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(branch_lists())
def test_fuzz_a_long_branch_list_judged_at_once_gives_the_same_boxes(chapter: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write(root / "story.yaml", MANIFEST)
        write(root / "ch1.yaml", chapter)
        at_once = boxes_of(root)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(box, "ROUTES_AT_ONCE", 10**9)
            one_by_one = boxes_of(root)
    for table in ("at", "pre", "post", "branch", "offered", "taken", "no_orders", "no_branch"):
        assert getattr(at_once, table) == getattr(one_by_one, table), table
