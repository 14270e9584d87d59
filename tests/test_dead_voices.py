"""W022, the dead stay dead: small stories where a pilot who may be dead speaks, is addressed or
is named as present trip it (code, file, line, column, witness); stories that rule it out do
not. The reasoning about conditions is checked against brute force on generated conditions."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.engine.analysis import STATUSES, Ranges, implied_statuses
from game.engine.conditions import Scope, compile_expression
from game.engine.deadvoices import DeadVoice, Step, dead_voices, fates
from game.engine.loader import load_story
from game.engine.model import Line, Variable, split_state
from game.engine.runtime import DeadEnd, Engine
from game.engine.state import GameState, SaidLine
from game.engine.validate import validate
from tests.conftest import write

# The statuses a pilot can have once with the squad (`reserve`, not with it yet, is never dead).
PILOT_STATUSES = tuple(sorted(STATUSES))

MANIFEST = """
id: t
title: T
start: a
chapters: [{number: 1, title: One}]
variables:
  - {name: trust, type: int, default: 1, min: 0, max: 5}
pilots:
  - {id: shin, callsign: Undertaker, name: Shinei Nouzen}
  - {id: ringside, callsign: Ringside, name: Teo Vance}
  - {id: longshot, callsign: Longshot, name: Ilse Marrow}
  - {id: plumbline, callsign: Plumbline, name: Nell Okafor, status: killed}
endings:
  - {id: end_one, title: One}
"""

# A scene `a` that leads into an engagement where Ringside is at risk, then scene `b`.
# {ROUND2}, {AFTER_SCENE} and {ORDERS_B} are filled in by each test.
FIGHT = """
chapter: 1
scenes:
  - id: a
    title: A
    radio:
      - ringside: "Ringside on the line."
    orders:
      - {say: "Ringside, go in.", goto: fight}
  - id: fight
    title: Fight
    engagement:
      danger: "3"
      at_risk: [ringside]
      rounds:
        - radio:
            - ringside: "Contact."
        - radio:
{ROUND2}
      orders:
        - {say: "Hold.", words: [hold]}
      after:
        - goto: b
  - id: b
    title: B
    radio:
{AFTER_SCENE}
    orders:
{ORDERS_B}
  - id: end
    title: End
    ending: end_one
"""


def fight(
    tmp_path: Path,
    round2: str = '- hq: "Round two."',
    after_scene: str = '- hq: "Quiet."',
    orders_b: str = '- {say: "Done.", goto: end}',
) -> Path:
    """The fight story with the given lines (YAML list items, any indentation)."""

    def indent(block: str, spaces: int) -> str:
        lines = [line.strip() for line in block.strip().splitlines()]
        # keep a line's own continuation ("if: ...") under its item
        out = []
        for line in lines:
            pad = spaces if line.startswith("- ") else spaces + 2
            out.append(" " * pad + line)
        return "\n".join(out)

    write(tmp_path / "story.yaml", MANIFEST)
    text = (
        FIGHT.replace("{ROUND2}", indent(round2, 12))
        .replace("{AFTER_SCENE}", indent(after_scene, 6))
        .replace("{ORDERS_B}", indent(orders_b, 6))
    )
    write(tmp_path / "ch1.yaml", text)
    return tmp_path


def found(root: Path) -> list[tuple[str, int, int]]:
    """(file name, line, column) of each W022."""
    return [
        (Path(d.mark.path).name, d.mark.line, d.mark.column)
        for d in validate(root)
        if d.code == "W022"
    ]


def findings(root: Path) -> list[DeadVoice]:
    """Each W022 that validate gives, checked to be a warning carrying its witness."""
    out = [d for d in validate(root) if d.code == "W022"]
    assert all(isinstance(d, DeadVoice) and d.severity == "warning" for d in out)
    return out  # type: ignore[return-value]


def place(root: Path, needle: str, file: str = "ch1.yaml") -> tuple[str, int, int]:
    """Where the radio line or order holding `needle` starts: its first key (after `- ` or
    `{`), as marks count."""
    for number, line in enumerate((root / file).read_text().splitlines(), 1):
        if needle in line:
            before = line[: line.index(needle)]
            return (file, number, max(before.rfind("- ") + 2, before.rfind("{") + 1) + 1)
    raise AssertionError(needle)


# --- it trips ---------------------------------------------------------------------------------


def test_a_pilot_speaking_in_the_round_after_one_where_they_can_die(tmp_path: Path) -> None:
    root = fight(tmp_path, round2='- ringside: "Still here."')
    assert found(root) == [("ch1.yaml", 18, 15)]
    (finding,) = findings(root)
    assert finding.pilot == "ringside"
    assert finding.dies_in == "fight"
    assert "Ringside (ringside) speaks this line, but may be dead here" in finding.message
    assert "may be killed in round 1 of fight's fighting" in finding.message
    assert "a > fight > fight#2" in finding.message
    assert "add `if: alive(ringside)` to the line" in finding.message
    assert finding.states() == ("a", "fight", "fight#2")
    assert [(s.state, s.order, s.say) for s in finding.steps()] == [
        ("a", 0, "Ringside, go in."),
        ("fight", 0, "Hold."),
    ]


def test_a_line_in_a_scene_after_an_engagement(tmp_path: Path) -> None:
    root = fight(tmp_path, after_scene='- ringside: "Made it back."')
    assert found(root) == [place(root, "Made it back.")]
    (finding,) = findings(root)
    assert finding.states() == ("a", "fight", "fight#2", "b")


def test_an_order_addressing_a_pilot_who_may_be_dead(tmp_path: Path) -> None:
    root = fight(tmp_path, orders_b='- {say: "Ringside, report.", goto: end}')
    assert found(root) == [("ch1.yaml", 28, 9)]  # an order's place is its mapping's
    (finding,) = findings(root)
    assert 'the order "Ringside, report." addresses Ringside (ringside)' in finding.message
    assert "`if: not alive(ringside)`" in finding.message


@pytest.mark.parametrize("named", ["Ringside", "Teo Vance", "Teo", "Ringside's"])
def test_narration_naming_a_pilot_who_may_be_dead(tmp_path: Path, named: str) -> None:
    root = fight(tmp_path, after_scene=f'- narration: "{named} parks the machine."')
    assert found(root) == [place(root, "parks the machine")]
    (finding,) = findings(root)
    assert "this narration line names Ringside (ringside) as if alive" in finding.message


@pytest.mark.parametrize("text", ["ringside parks.", "Ringsides park.", "The Teoria."])
def test_a_name_counts_only_as_a_whole_word_with_its_capitals(tmp_path: Path, text: str) -> None:
    root = fight(tmp_path, after_scene=f'- narration: "{text}"')
    assert found(root) == []


def test_a_line_after_a_status_effect_path(tmp_path: Path) -> None:
    write(tmp_path / "story.yaml", MANIFEST)
    write(
        tmp_path / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - {say: "Wait.", goto: b}
              - say: "Send Longshot out alone."
                effects: {status: {longshot: missing}}
                radio: [{longshot: "Going."}]
                goto: b
          - id: b
            title: B
            radio:
              - longshot: "Longshot here."
              - hq: "Longshot is on the roster."
            orders:
              - {say: "Done.", goto: end}
          - id: end
            title: End
            ending: end_one
        """,
    )
    # the order's radio is said after its effects
    assert found(tmp_path) == [("ch1.yaml", 9, 18), ("ch1.yaml", 14, 9), ("ch1.yaml", 15, 9)]
    going, speaks, named = findings(tmp_path)
    assert going.states() == ("a",) and going.steps() == (Step("a", 1, "Send Longshot out alone."),)
    assert 'longshot is made missing by the order "Send Longshot out alone." in a' in speaks.message
    assert speaks.steps()[0].order == 1
    assert "this hq line names Longshot (longshot)" in named.message


def test_a_status_effect_on_arrival_and_a_pilot_who_starts_dead(tmp_path: Path) -> None:
    write(tmp_path / "story.yaml", MANIFEST)
    write(
        tmp_path / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            radio:
              - plumbline: "Plumbline, checking in."
            orders:
              - {say: "On.", goto: b}
          - id: b
            title: B
            enter: {status: {ringside: killed}}
            radio:
              - ringside: "Still here."
            orders:
              - {say: "Done.", goto: end}
          - id: end
            title: End
            ending: end_one
        """,
    )
    dead = findings(tmp_path)
    assert [(d.mark.line, d.pilot) for d in dead] == [(6, "plumbline"), (13, "ringside")]
    assert "plumbline starts killed" in dead[0].message
    assert "ringside is made killed on arriving in b" in dead[1].message


def test_a_branch_line_after_the_round_s_hits(tmp_path: Path) -> None:
    # the order's radio is said before the round's hits; the branch's after them
    root = fight(tmp_path)
    text = (
        (root / "ch1.yaml")
        .read_text()
        .replace(
            "        - goto: b\n",
            '        - goto: b\n          radio: [{ringside: "Out of the fight."}]\n',
        )
    )
    text = text.replace(
        '{say: "Hold.", words: [hold]}',
        '{say: "Hold.", words: [hold], radio: [{ringside: "Holding."}]}',
    )
    (root / "ch1.yaml").write_text(text)
    dead = findings(root)
    holding = place(root, "Holding.")
    assert found(root) == sorted([holding, place(root, "Out of the fight.")])
    # "Holding." is said before round 2's hits but after round 1's: the shortest witness
    # gives the order in round 2
    first = next(d for d in dead if d.mark.line == holding[1])
    assert first.states() == ("a", "fight", "fight#2")
    assert first.steps()[-1] == Step("fight#2", 0, "Hold.")
    last = next(d for d in dead if d.mark.line != holding[1])
    # the 'after' is taken from the last round; the pilot may already have died in the first
    assert last.states() == ("a", "fight", "fight#2") and last.dies_in == "fight"


def test_a_warning_naming_a_pilot_and_an_ending_naming_one(tmp_path: Path) -> None:
    root = fight(tmp_path)
    text = (
        (root / "ch1.yaml")
        .read_text()
        .replace(
            '        - radio:\n            - hq: "Round two."',
            '        - warning: "Ringside, get down."\n          radio:\n            - hq: "Round two."',
        )
    )
    (root / "ch1.yaml").write_text(text)
    write(
        root / "story.yaml",
        MANIFEST.replace(
            "{id: end_one, title: One}", "{id: end_one, title: One, text: 'Teo waves.'}"
        ),
    )
    assert found(root) == [
        place(root, "Ringside, get down."),
        ("story.yaml", 13, 5),
    ]


# --- it does not trip --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        "alive(ringside)",
        "trust > 1 and alive(ringside)",
        "alive(ringside) and (trust > 1 or trust < 1)",
        "status(ringside) == 'active'",
        "status(ringside) == 'wounded'",
        "'active' == status(ringside)",
        "status(ringside) != 'killed' and status(ringside) != 'missing'",
        "not (not alive(ringside))",
        "not (status(ringside) == 'killed' or status(ringside) == 'missing')",
        "alive(ringside) or (alive(ringside) and trust > 2)",
        "fallen_count() == 0",
        "fallen_count() < 1 or alive(ringside)",
        "alive_count() == 4",
        "trust > 9",  # never true: never said (W018 reports it)
    ],
)
def test_a_condition_that_proves_the_speaker_alive(tmp_path: Path, condition: str) -> None:
    root = fight(tmp_path, round2=f'- ringside: "Still here."\n  if: "{condition}"')
    assert found(root) == []


@pytest.mark.parametrize(
    "condition",
    [
        "trust > 1",
        "alive(longshot)",
        "alive(ringside) or trust > 1",
        "status(ringside) != 'killed'",
        "not alive(ringside)",
        "fallen_count() <= 1",
        "knows(ringside)",
        "status(ringside) == status(longshot)",
        "alive(ringside) == true or trust == 2",
    ],
)
def test_a_condition_that_leaves_the_speaker_maybe_dead(tmp_path: Path, condition: str) -> None:
    root = fight(tmp_path, round2=f'- ringside: "Still here."\n  if: "{condition}"')
    assert found(root) == [("ch1.yaml", 18, 15)]


@pytest.mark.parametrize(
    ("condition", "trips"),
    [
        ("trust > 1", True),
        ("alive(longshot)", True),
        ("alive(ringside)", False),
        ("not alive(ringside)", False),  # said only of the dead: a eulogy
        ("status(ringside) == 'wounded'", False),
        ("status(ringside) == 'killed' or trust > 2", False),  # the author asked after them
    ],
)
def test_a_line_naming_a_pilot_is_fine_once_it_asks_after_them(
    tmp_path: Path, condition: str, trips: bool
) -> None:
    root = fight(tmp_path, after_scene=f'- hq: "Ringside\'s lamp."\n  if: "{condition}"')
    assert bool(found(root)) is trips


@pytest.mark.parametrize(
    ("condition", "trips"),
    [("alive(ringside)", False), ("not alive(ringside)", False), ("trust > 1", True)],
)
def test_an_order_is_fine_offered_only_while_alive_or_only_once_dead(
    tmp_path: Path, condition: str, trips: bool
) -> None:
    orders = (
        f'- {{say: "Ringside, report.", if: "{condition}", goto: end}}\n- {{say: "On.", goto: end}}'
    )
    root = fight(tmp_path, orders_b=orders)
    assert bool(found(root)) is trips


def test_not_in_the_radio_of_an_order_offered_only_while_the_pilot_lives(tmp_path: Path) -> None:
    orders = (
        '- say: "Ringside, report."\n  if: "trust >= 0 and alive(ringside)"\n'
        '  radio: [{ringside: "Reporting."}]\n  goto: end\n- {say: "On.", goto: end}'
    )
    assert found(fight(tmp_path, orders_b=orders)) == []


def test_not_before_any_danger_nor_for_a_pilot_never_at_risk(tmp_path: Path) -> None:
    # Ringside speaks in `a` and in round 1 (before any hit lands); Longshot and Shin speak and
    # are named everywhere, but are never at risk
    root = fight(
        tmp_path,
        round2='- longshot: "Longshot, still here. Undertaker?"\n- shin: "Longshot, hold."',
        after_scene='- longshot: "Ilse Marrow, back at the Pen."',
        orders_b='- {say: "Longshot, Undertaker: report.", goto: end}',
    )
    assert found(root) == []


def test_not_where_no_danger_can_land(tmp_path: Path) -> None:
    root = fight(tmp_path, round2='- ringside: "Still here."')
    text = (root / "ch1.yaml").read_text().replace('danger: "3"', 'danger: "trust - 5"')
    (root / "ch1.yaml").write_text(text)
    assert found(root) == []  # trust is at most 5: the danger is never above 0


def test_not_where_a_branch_proves_the_pilot_alive(tmp_path: Path) -> None:
    # the 'after' sends the fallen one way: the scene the other way only hears the living
    root = fight(tmp_path, after_scene='- ringside: "Made it back."')
    text = (
        (root / "ch1.yaml")
        .read_text()
        .replace(
            "      after:\n        - goto: b\n",
            "      after:\n        - {if: not alive(ringside), goto: lost}\n        - goto: b\n",
        )
    )
    text += (
        "  - id: lost\n    title: Lost\n    radio:\n"
        '      - hq: "Ringside is off the board."\n'
        '    orders:\n      - {say: "On.", goto: end}\n'
    )
    (root / "ch1.yaml").write_text(text)
    assert found(root) == []  # and the line in `lost` names a pilot surely dead there


def test_a_roll_call_names_the_pilot_then_asks_after_them(tmp_path: Path) -> None:
    root = fight(
        tmp_path,
        after_scene=(
            '- shin: "Ringside."\n'
            '- ringside: "Here."\n  if: "alive(ringside)"\n'
            '- narration: "Nothing on that channel."\n  if: "not alive(ringside)"'
        ),
    )
    assert found(root) == []


def test_a_line_followed_by_one_about_the_pilot_is_not_a_roll_call(tmp_path: Path) -> None:
    # the next line asks after Ringside, but nothing answers for Ringside being dead
    root = fight(
        tmp_path,
        after_scene=(
            '- longshot: "Tell Ringside my hatch is stuck."\n'
            '- ringside: "On my way."\n  if: "alive(ringside)"'
        ),
    )
    assert found(root) == [place(root, "Tell Ringside")]


def test_revived_by_a_status_effect(tmp_path: Path) -> None:
    root = fight(tmp_path, after_scene='- ringside: "Made it back."')
    text = (
        (root / "ch1.yaml")
        .read_text()
        .replace(
            "      after:\n        - goto: b\n",
            "      after:\n        - {goto: b, effects: {status: {ringside: wounded}}}\n",
        )
    )
    (root / "ch1.yaml").write_text(text)
    assert found(root) == []


def test_the_base_fight_has_none(tmp_path: Path) -> None:
    assert found(fight(tmp_path)) == []


# --- the witness ---------------------------------------------------------------------------------


def test_the_witness_is_confirmed_by_the_engine(tmp_path: Path) -> None:
    """Some seed, playing the witness's orders, kills Ringside and then reaches the line with
    its condition holding: the finding is real, not only possible."""
    root = fight(tmp_path, after_scene='- ringside: "Made it back."\n  if: "trust >= 1"')
    (finding,) = findings(root)
    story = load_story(root)
    line = story.scenes["b"].radio[0]
    confirmed = []
    for seed in range(200):
        engine = Engine.new(story, seed)
        try:
            for step in finding.steps():
                assert engine.state.scene == step.state
                engine.choose(step.order)
        except (DeadEnd, ValueError):  # pragma: no cover - the story has no such order
            continue
        assert engine.state.scene == finding.states()[-1]
        if engine.state.status["ringside"] == "killed" and line.condition(engine):
            confirmed.append(seed)
    assert confirmed


def test_json_carries_the_whole_witness(tmp_path: Path) -> None:
    root = fight(tmp_path, after_scene='- ringside: "Made it back."')
    (finding,) = findings(root)
    data = json.loads(json.dumps(finding.to_json()))
    assert {k: data[k] for k in ("line", "column", "code", "severity", "pilot")} == {
        "line": finding.mark.line,
        "column": finding.mark.column,
        "code": "W022",
        "severity": "warning",
        "pilot": "ringside",
    }
    assert data["path"].endswith("ch1.yaml")
    assert data["states"] == ["a", "fight", "fight#2", "b"]
    assert [o["say"] for o in data["orders"]] == ["Ringside, go in.", "Hold.", "Hold."]
    assert data["cause"] == "ringside may be killed in round 1 of fight's fighting"


def test_a_long_path_is_shortened_in_the_message(tmp_path: Path) -> None:
    root = fight(tmp_path, after_scene='- hq: "Quiet."')
    text = (
        (root / "ch1.yaml")
        .read_text()
        .replace('{say: "Done.", goto: end}', '{say: "Done.", goto: c0}')
    )
    for n in range(8):
        nxt = f"c{n + 1}" if n < 7 else "c_last"
        text += f'  - id: c{n}\n    title: C{n}\n    orders:\n      - {{say: "On.", goto: {nxt}}}\n'
    text += '  - id: c_last\n    title: Last\n    radio:\n      - ringside: "Still here."\n'
    text += '    orders:\n      - {say: "Done.", goto: end}\n'
    (root / "ch1.yaml").write_text(text)
    (finding,) = findings(root)
    assert "a > fight > … 10 more … > c_last" in finding.message
    assert len(finding.states()) == 13


# --- conditions: what `implied_statuses` proves, against brute force -----------------------------

PILOTS = ("ringside", "longshot")
SCOPE = Scope(
    {"trust": "int", "flag": "bool"},
    {"pilot": frozenset(PILOTS), "scene": frozenset(), "evidence": frozenset()},
)
RANGES = Ranges(
    SimpleNamespace(  # type: ignore[arg-type]
        pilots=dict.fromkeys(PILOTS),
        variables={
            "trust": Variable("trust", "int", 0, 0, 3),
            "flag": Variable("flag", "bool", False),
        },
        evidence={},
    )
)


class _World:
    def __init__(self, status: dict[str, str], trust: int, flag: bool, known: set[str]) -> None:
        self.statuses, self.values, self.known = status, {"trust": trust, "flag": flag}, known

    def var(self, name: str) -> object:
        return self.values[name]

    def status(self, pilot: str) -> str:
        return self.statuses[pilot]

    def knows(self, pilot: str) -> bool:
        return pilot in self.known

    def alive_count(self) -> int:
        return sum(s in ("active", "wounded") for s in self.statuses.values())

    def fallen_count(self) -> int:
        return len(self.statuses) - self.alive_count()


WORLDS = [
    _World(dict(zip(PILOTS, statuses, strict=True)), trust, flag, known)
    for statuses in itertools.product(PILOT_STATUSES, repeat=2)
    for trust in range(4)
    for flag in (False, True)
    for known in (set(), {"ringside"})
]

pilot = st.sampled_from(PILOTS)
status = st.sampled_from([*PILOT_STATUSES, "dead"])
compare = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
atoms = st.one_of(
    pilot.map(lambda p: f"alive({p})"),
    st.builds(
        lambda p, s, o: f"status({p}) {o} '{s}'", pilot, status, st.sampled_from(["==", "!="])
    ),
    st.builds(lambda p, s: f"'{s}' == status({p})", pilot, status),
    st.just("status(ringside) == status(longshot)"),
    st.builds(
        lambda f, o, n: f"{f}() {o} {n}",
        st.sampled_from(["alive_count", "fallen_count"]),
        compare,
        st.integers(-1, 3),
    ),
    st.builds(lambda o, n: f"trust {o} {n}", compare, st.integers(-1, 4)),
    pilot.map(lambda p: f"knows({p})"),
    st.sampled_from(["flag", "true", "false"]),
)
conditions = st.recursive(
    atoms,
    lambda inner: st.one_of(
        inner.map(lambda c: f"not ({c})"),
        st.builds(lambda a, b, op: f"({a}) {op} ({b})", inner, inner, st.sampled_from(["and", "or", "==", "!="])),
    ),
    max_leaves=6,
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(conditions)
def test_implied_statuses_never_claims_more_than_is_true(text: str) -> None:
    expression = compile_expression(text, SCOPE)
    holds = [w for w in WORLDS if expression(w)]  # type: ignore[arg-type]
    implied = implied_statuses(expression.tree, RANGES, PILOTS)
    if implied is None:
        assert holds == [], f"{text} can be true"
        return
    alive, fallen = implied
    for world in holds:
        for p in alive:
            assert world.status(p) in ("active", "wounded"), (text, p, world.statuses)
        for p in fallen:
            assert world.status(p) in ("killed", "missing"), (text, p, world.statuses)


# --- soundness against the real engine, on generated stories ------------------------------------

CONDITIONS = [
    None,
    "alive(P)",
    "not alive(P)",
    "trust > 1",
    "status(P) == 'wounded'",
    "alive(P) and trust > 0",
    "alive(P) or trust > 2",
    "fallen_count() == 0",
    "status(P) != 'killed'",
    "not (status(P) == 'killed' or status(P) == 'missing')",
]
SPEAKERS = ("ringside", "longshot", "plumbline", "hq")


def random_story(rng: random.Random) -> tuple[str, str]:
    """A small valid story (manifest, chapter) with engagements, status effects, conditioned
    lines, branches (weighted and not) and loops."""
    count = rng.randint(3, 6)
    ids = ["a"] + [f"s{i}" for i in range(1, count)] + ["end"]
    serial = itertools.count()

    def cond(indent: str) -> list[str]:
        chosen = rng.choice(CONDITIONS)
        if chosen is None:
            return []
        return [f'{indent}if: "{chosen.replace("P", rng.choice(SPEAKERS[:3]))}"']

    def lines(indent: str, most: int) -> list[str]:
        out: list[str] = []
        for _ in range(rng.randint(0, most)):
            out.append(f'{indent}- {rng.choice(SPEAKERS)}: "Line {next(serial)}."')
            out += cond(indent + "  ")
        return out

    def effects(indent: str) -> list[str]:
        if rng.random() < 0.35:
            pilot, fate = rng.choice(SPEAKERS[:3]), rng.choice(PILOT_STATUSES)
            return [f"{indent}effects: {{status: {{{pilot}: {fate}}}, add: {{trust: 1}}}}"]
        return []

    def target(i: int) -> str:
        return rng.choice(ids[max(0, i - 1) :])  # forward, or a step back (a loop)

    def branches(indent: str, i: int) -> list[str]:
        out: list[str] = []
        weighted = rng.random() < 0.3
        for _ in range(rng.randint(0, 2)):
            out.append(f"{indent}- goto: {target(i)}")
            out += [f"{indent}  weight: {rng.randint(1, 3)}"] if weighted else cond(indent + "  ")
            out += effects(indent + "  ")
            radio = lines(indent + "    ", 2)
            out += [f"{indent}  radio:", *radio] if radio else []
        out.append(f"{indent}- goto: {target(i)}")  # the last branch always holds
        out += [f"{indent}  weight: 1"] if weighted else []
        return out

    def orders(indent: str, i: int, engaged: bool) -> list[str]:
        out: list[str] = []
        for n in range(rng.randint(1, 3)):
            out.append(f'{indent}- say: "Order {next(serial)}."')
            out += cond(indent + "  ") if n else []  # the first order is always offered
            out += effects(indent + "  ")
            radio = lines(indent + "    ", 2)
            out += [f"{indent}  radio:", *radio] if radio else []
            if not engaged:
                out += [f"{indent}  goto:", *branches(indent + "    ", i)]
        return out

    body = ["chapter: 1", "scenes:"]
    for i, sid in enumerate(ids[:-1]):
        body += [f"  - id: {sid}", f"    title: {sid}"]
        if rng.random() < 0.2:
            pilot, fate = rng.choice(SPEAKERS[:3]), rng.choice(PILOT_STATUSES)
            body.append(f"    enter: {{status: {{{pilot}: {fate}}}}}")
        radio = lines("      ", 3)
        body += ["    radio:", *radio] if radio else []
        if rng.random() < 0.35:
            at_risk = rng.sample(SPEAKERS[:3], rng.randint(1, 3))
            body += [
                "    engagement:",
                '      danger: "4"',
                f"      at_risk: [{', '.join(at_risk)}]",
            ]
            body.append("      rounds:")
            for _ in range(rng.randint(1, 3)):
                body.append("        - radio:")
                body += lines("            ", 2) or ['            - hq: "Quiet."']
            body += ["      orders:", *orders("        ", i, True)]
            body += ["      after:", *branches("        ", i)]
        else:
            body += ["    orders:", *orders("      ", i, False)]
    body += ["  - id: end", "    title: End", "    ending: end_one"]
    starts = rng.choice(["active", "active", "killed"])
    manifest = MANIFEST.replace("status: killed", f"status: {starts}")
    return manifest, "\n".join(body) + "\n"


class Listener(Engine):
    """An engine that notes every radio line said (or due to be said on arrival) with the
    statuses at that moment."""

    heard: list[tuple[Line, dict[str, str]]]

    def _say(self, lines: Iterable[Line], said: list[SaidLine]) -> None:
        for line in lines:
            if line.condition is None or line.condition(self):
                self.heard.append((line, dict(self.state.status)))
        super()._say(lines, said)

    def arrived(self) -> None:
        scene_id, number = split_state(self.state.scene)
        scene = self.story.scenes[scene_id]
        written = scene.radio if number == 1 else ()
        if scene.engagement is not None:
            written += scene.engagement.rounds[number - 1].radio
        for line in written:
            if line.condition is None or line.condition(self):
                self.heard.append((line, dict(self.state.status)))


@pytest.mark.parametrize("seed", range(60))
def test_generated_stories_no_dead_voice_goes_unreported(tmp_path: Path, seed: int) -> None:
    """Random games of a random story: every pilot heard while killed or missing is reported,
    and the dead on arriving anywhere are among those the may-analysis allows (and include
    those the must-analysis insists on)."""
    rng = random.Random(seed)
    manifest, chapter = random_story(rng)
    write(tmp_path / "story.yaml", manifest)
    write(tmp_path / "ch1.yaml", chapter)
    story = load_story(tmp_path)
    known = fates(story)
    reported = {(d.mark, d.pilot) for d in dead_voices(story) if isinstance(d, DeadVoice)}
    missed: set[tuple[str, int]] = set()
    for game in range(40):
        engine = Listener(story, GameState.new(story, game))
        engine.heard = []
        engine._entered()
        play = random.Random(game)
        for _ in range(25):
            fate = known[engine.state.scene]
            fallen = {p for p, s in engine.state.status.items() if s in ("killed", "missing")}
            assert fallen <= fate.may, (engine.state.scene, fallen, fate)
            assert fate.must <= fallen, (engine.state.scene, fallen, fate)
            engine.arrived()
            offered = [v.index for v in engine.orders() if v.enabled]
            if engine.state.ending is not None or not offered:
                break
            try:
                engine.choose(play.choice(offered))
            except DeadEnd:
                break
        for line, status in engine.heard:
            fallen = status.get(line.speaker) in ("killed", "missing")
            if fallen and (line.mark, line.speaker) not in reported:
                missed.add((line.speaker, line.mark.line))
    assert not missed, f"{missed} in\n{chapter}"
