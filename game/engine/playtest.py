"""Automated playtesting: random seeded games and a breadth-first search of the state space.

Both drive the real `Engine` (one engine reused across games: `Engine.reset`), so what they find
is what a player would meet. Every dead end and error carries the seed and the order log that
reproduce it; `write_transcript` saves one and `handler-one play --plain --replay FILE` replays it.

Two game states count as the same (`StateKey`) when everything that can change what happens next
is equal: the machine state (scene and round), the ending, every variable, every pilot's status,
the names known, the evidence and deductions held, and the visit counts that conditions can tell
apart. Left out: the order log, the last order's aftermath, where evidence was found, and the
random draw counter. Leaving the draws out means the search follows one chance outcome per state
(the seed's); run it with other seeds to see others.
"""

from __future__ import annotations

import json
import random
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from game.engine.conditions import Call, Literal_, Name, Node, Value, walk
from game.engine.model import Branch, Order, Story, split_state
from game.engine.runtime import DeadEnd, Engine
from game.engine.state import GameState

if TYPE_CHECKING:
    from game.engine.coverage import Coverage

TRANSCRIPT_FORMAT = "handler-one-transcript"
TRANSCRIPT_VERSION = 1
MAX_STEPS = 1000
DEFAULT_MAX_STATES = 20_000
MAX_TRANSCRIPT_BYTES = 16 * 1024 * 1024  # a transcript is a seed and a few thousand orders

Progress = Callable[[int, int], None]
LogEntry = tuple[str, int]


# --- what a story's conditions can tell apart ---------------------------------------------------


def story_conditions(story: Story) -> Iterator[tuple[Node, str]]:
    """Every condition tree that can change what happens next, with its kind: an order's `if`,
    a branch's `if`, or an engagement's `danger` (radio-line conditions only change the words)."""
    for scene in story.scenes.values():
        for order in all_orders(story, scene.id):
            if order.condition is not None:
                yield order.condition.tree, "order"
        if scene.engagement is not None:
            yield scene.engagement.danger.tree, "danger"
    for branch, _ in all_branches(story):
        if branch.condition is not None:
            yield branch.condition.tree, "branch"


def all_branches(story: Story) -> Iterator[tuple[Branch, str]]:
    """Every branch written in the story (orders' and engagements' `after`), with its scene."""
    for scene in story.scenes.values():
        for order in all_orders(story, scene.id):
            for branch in order.branches:
                yield branch, scene.id
        if scene.engagement is not None:
            for branch in scene.engagement.after:
                yield branch, scene.id


def all_orders(story: Story, scene_id: str) -> list[Order]:
    """Every order a scene has written, once each (an engagement's shared ones, then each
    round's own)."""
    scene = story.scenes[scene_id]
    if scene.engagement is None:
        return list(scene.orders)
    return [*scene.engagement.orders, *(o for r in scene.engagement.rounds for o in r.orders)]


class StateKey:
    """Builds the canonical key of a game state for one story (see the module docstring).

    Only what the story's order and branch conditions and engagement dangers can read is kept:
    variables they never read cannot change where the game goes, so states differing only there
    are one state for the search.
    """

    def __init__(self, story: Story) -> None:
        seen: set[str] = set()
        counted: set[str] = set()
        read: set[str] = set()
        lost: set[str] = set()
        cap = 1
        for tree, _ in story_conditions(story):
            for node in walk(tree):
                if isinstance(node, Call) and node.function == "seen":
                    seen.update(node.args)
                elif isinstance(node, Call) and node.function == "visits":
                    counted.update(node.args)
                elif isinstance(node, Call) and node.function == "losses":
                    lost.update(node.args)
                elif isinstance(node, Name):
                    read.add(node.name)
                elif isinstance(node, Literal_) and type(node.value) is int:
                    cap = max(cap, abs(node.value) + 1)
        self.variables = tuple(name for name in story.variables if name in read)
        self.seen = tuple(sorted(seen - counted))
        self.counted = tuple(sorted(counted))
        self.cap = cap
        self.lost = tuple(sorted(lost))

    def __call__(self, state: GameState) -> tuple[Any, ...]:
        visits = state.visits
        variables = state.variables
        return (
            state.scene,
            state.ending,
            tuple(variables[name] for name in self.variables),
            tuple(state.status.values()),
            frozenset(state.known),
            frozenset(state.evidence),
            frozenset(state.deductions),
            tuple(visits.get(s, 0) > 0 for s in self.seen),
            tuple(min(visits.get(s, 0), self.cap) for s in self.counted),
            tuple(len(state.losses.get(s, ())) for s in self.lost),
        )


def enabled_orders(engine: Engine) -> list[tuple[int, int]]:
    """(index, number) of each order the player can give now; like `Engine.orders` without
    rendering any text."""
    if engine.state.ending is not None:
        return []
    found: list[tuple[int, int]] = []
    for index, order in enumerate(engine.story.orders_at(engine.state.scene)):
        if order.condition is None or order.condition(engine):
            found.append((index, len(found) + 1))
    return found


# --- findings and the report ---------------------------------------------------------------------


@dataclass
class Finding:
    """A dead end or an error, with what reproduces it: the seed and the orders given.

    `kind` is `no_orders` (a state offering no order), `no_branch` (an order whose every branch
    is dropped), `too_long` (no ending after `MAX_STEPS` orders) or `error` (the engine failed).
    `numbers` are the order numbers as the player typed them.
    """

    kind: str
    state: str
    order: int | None
    message: str
    seed: int
    log: list[LogEntry]
    numbers: list[int]
    warp: str | None = None
    sets: dict[str, Value] = field(default_factory=dict)
    count: int = 1

    @property
    def key(self) -> tuple[str, str, int | None]:
        return (self.kind, self.state, self.order)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "state": self.state,
            "order": self.order,
            "message": self.message,
            "count": self.count,
            "seed": self.seed,
            "warp": self.warp,
            "sets": dict(self.sets),
            "log": [list(entry) for entry in self.log],
            "numbers": list(self.numbers),
        }


def order_key(story: Story, state: str, index: int) -> str:
    """A stable name for an authored order: `scene/index`, or `scene#round/index` for an order
    that belongs to one engagement round (indices as in the order log, from 0)."""
    scene_id, number = split_state(state)
    scene = story.scenes[scene_id]
    if scene.engagement is not None and index >= len(scene.engagement.orders):
        return f"{scene_id}#{number}/{index}"
    return f"{scene_id}/{index}"


def order_keys(story: Story) -> dict[str, str]:
    """Every authored order's key and its `say`, in story order."""
    keys: dict[str, str] = {}
    for state in story.states():
        for index, order in enumerate(story.orders_at(state)):
            keys.setdefault(order_key(story, state, index), order.say)
    return keys


@dataclass
class Report:
    """What a playtest found. `to_json` is deterministic: same story and options, same JSON."""

    story: Story
    mode: str
    seed: int
    runs: int = 0
    endings: Counter[str] = field(default_factory=Counter)
    visited: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=set)
    dead_ends: list[Finding] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)
    histograms: dict[str, Counter[int]] = field(default_factory=dict)
    first_endings: dict[str, Finding] = field(default_factory=dict)
    states: int = 0
    max_states: int | None = None
    complete: bool = True
    warp: str | None = None
    _seen_findings: dict[tuple[str, str, int | None], Finding] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True when a dead end or an error was found (the command exits 1)."""
        return bool(self.dead_ends or self.errors)

    def add_finding(self, finding: Finding) -> None:
        """Record a dead end or error once per place, keeping the first (shortest) witness."""
        known = self._seen_findings.get(finding.key)
        if known is not None:
            known.count += 1
            return
        self._seen_findings[finding.key] = finding
        (self.errors if finding.kind in ("error", "too_long") else self.dead_ends).append(finding)

    def add_ending(self, engine: Engine, finding: Finding) -> None:
        """Count an ending and the trust/standing/survivor values it was reached with."""
        ending = engine.state.ending
        assert ending is not None
        self.endings[ending] += 1
        self.first_endings.setdefault(ending, finding)
        for name, variable in self.story.variables.items():
            if variable.type == "int":
                value = engine.state.variables[name]
                assert isinstance(value, int)
                self.histograms.setdefault(name, Counter())[value] += 1
        self.histograms.setdefault("survivors", Counter())[engine.alive_count()] += 1

    def to_json(self) -> dict[str, Any]:
        story = self.story
        all_orders = order_keys(story)
        reachable = list(story.scenes)
        data: dict[str, Any] = {
            "story": story.id,
            "mode": self.mode,
            "seed": self.seed,
            "runs": self.runs,
        }
        if self.mode == "exhaustive":
            data["states"] = self.states
            data["max_states"] = self.max_states
            data["complete"] = self.complete
            # what "unreached" below means: the search follows one seed's chance, and may stop
            data["unreached_means"] = (
                "not reached with this seed's chance (handler-one verify tries every outcome)"
                if self.complete
                else "not reached within the budget"
            )
        data["endings"] = {e: self.endings.get(e, 0) for e in story.endings}
        data["endings_unreached"] = [e for e in story.endings if not self.endings.get(e)]
        data["scenes"] = {
            "total": len(reachable),
            "visited": sum(1 for s in reachable if s in self.visited),
            "unvisited": [s for s in reachable if s not in self.visited],
        }
        data["orders"] = {
            "total": len(all_orders),
            "taken": sum(1 for k in all_orders if k in self.taken),
            "untaken": [
                {"order": k, "say": say} for k, say in all_orders.items() if k not in self.taken
            ],
        }
        data["dead_ends"] = [f.to_json() for f in self.dead_ends]
        data["errors"] = [f.to_json() for f in self.errors]
        data["histograms"] = {
            name: {str(v): counts[v] for v in sorted(counts)}
            for name, counts in sorted(self.histograms.items(), key=lambda kv: _hist_order(kv[0]))
        }
        return data


def _hist_order(name: str) -> tuple[int, str]:
    return ({"trust": 0, "standing": 1, "survivors": 2}.get(name, 3), name)


# --- random games ---------------------------------------------------------------------------------


def random_playtest(
    story: Story,
    runs: int = 100,
    seed: int = 0,
    *,
    warp: str | None = None,
    sets: Mapping[str, Value] | None = None,
    max_steps: int = MAX_STEPS,
    progress: Progress | None = None,
    coverage: Coverage | None = None,
) -> Report:
    """Play `runs` games. Game i uses seed `seed + i` for the engine's chance and a generator of
    its own for the choices, which prefer orders no earlier game (or step) has taken.
    `coverage`, when given, counts the lines heard, orders given and branches taken."""
    report = Report(story, "random", seed, warp=warp)
    presets = dict(sets or {})
    engine = Engine.new(story, seed, warp=warp, sets=presets)
    taken_states: set[LogEntry] = set()
    arrivals: Counter[str] = Counter()
    for run in range(runs):
        run_seed = seed + run
        engine.reset(run_seed, warp=warp, sets=presets)
        chooser = random.Random(f"playtest:{run_seed}")
        numbers: list[int] = []
        report.runs += 1
        for _ in range(max_steps + 1):
            state = engine.state
            report.visited.update(state.visits)
            if coverage is not None:
                coverage.arrived(engine)
            if state.ending is not None:
                report.add_ending(engine, _finding(engine, "ending", None, "", numbers, presets))
                break
            if len(state.log) >= max_steps:
                report.add_finding(
                    _finding(
                        engine,
                        "too_long",
                        None,
                        f"no ending after {max_steps} orders: is there a loop with no way out?",
                        numbers,
                        presets,
                    )
                )
                break
            views = enabled_orders(engine)
            if not views:
                report.add_finding(_no_orders(engine, numbers, presets))
                break
            fresh = [v for v in views if (state.scene, v[0]) not in taken_states]
            if fresh:
                index, number = chooser.choice(fresh)
            else:
                weights = [_novelty(engine, state.scene, v[0], arrivals) for v in views]
                index, number = chooser.choices(views, weights)[0]
            taken_states.add((state.scene, index))
            report.taken.add(order_key(story, state.scene, index))
            if coverage is not None:
                coverage.giving(engine, index)
            outcome = _step(engine, index, number, numbers, presets)
            if outcome is not None:
                report.add_finding(outcome)
                break
            numbers.append(number)
            arrivals[split_state(engine.state.scene)[0]] += 1
        if progress:
            progress(run + 1, runs)
    return report


def _finding(
    engine: Engine,
    kind: str,
    order: int | None,
    message: str,
    numbers: list[int],
    sets: Mapping[str, Value],
) -> Finding:
    state = engine.state
    return Finding(
        kind,
        state.scene,
        order,
        message,
        state.seed,
        list(state.log),
        list(numbers),
        state.origin,
        dict(sets),
    )


def _no_orders(engine: Engine, numbers: list[int], sets: Mapping[str, Value]) -> Finding:
    hidden = len(engine.story.orders_at(engine.state.scene))
    return _finding(
        engine,
        "no_orders",
        None,
        f"no order is available in '{engine.state.scene}' (all {hidden} have conditions that "
        "fail here) and it is not an ending",
        numbers,
        sets,
    )


def _novelty(engine: Engine, state: str, index: int, arrivals: Counter[str]) -> float:
    """How much an order promises that earlier games have not seen.

    Once every order here has been taken, a uniform pick keeps replaying the commonest paths
    (an early exit offered at every scene wins again and again). Orders leading where games
    have rarely arrived weigh more, orders that can only end the game in a way already seen
    weigh almost nothing, and orders that add something new to this game (evidence not yet
    held, a flag not yet set) weigh more: those are the chains that open late scenes.
    """
    story = engine.story
    order = story.orders_at(state)[index]
    routes = branch_targets(story, state, order)
    targets = [split_state(b.goto)[0] for b in routes]
    arrived = min((arrivals[t] for t in targets), default=0)
    weight = 1.0 / (1.0 + arrived)
    if targets and all(story.scenes[t].ending is not None and arrivals[t] for t in targets):
        # An ending already seen teaches nothing more and ends the game: almost never again.
        weight *= 0.02
    if any(e not in engine.state.evidence for e in order.effects.reveal):
        weight *= 4
    if any(
        value is True and engine.state.variables.get(name) is not True
        for name, value in order.effects.set
    ):
        weight *= 2
    return weight


def _step(
    engine: Engine, index: int, number: int, numbers: list[int], sets: Mapping[str, Value]
) -> Finding | None:
    """Give one order; a Finding if it hit a dead end or broke the engine. A finding's log is
    the orders before the one that failed; `order` is the one that failed."""
    scene, log = engine.state.scene, list(engine.state.log)
    try:
        engine.choose(index)
    except Exception as exc:  # noqa: BLE001 - an engine failure is a finding, not a crash
        say = engine.story.orders_at(scene)[index].say
        if isinstance(exc, DeadEnd):
            kind = "no_branch"
            message = (
                f"order {number} in '{scene}' (\"{_short(say)}\") has no branch whose "
                "condition holds"
            )
        else:
            kind, message = "error", f"{type(exc).__name__}: {exc}"
        state = engine.state
        return Finding(
            kind,
            scene,
            index,
            message,
            state.seed,
            log,
            numbers + [number],
            state.origin,
            dict(sets),
        )
    return None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the exhaustive search -----------------------------------------------------------------------


def explore(
    story: Story,
    seed: int = 0,
    *,
    max_states: int = DEFAULT_MAX_STATES,
    warp: str | None = None,
    sets: Mapping[str, Value] | None = None,
    progress: Progress | None = None,
    coverage: Coverage | None = None,
) -> Report:
    """Breadth-first search over the distinct game states reachable from the start, within a
    budget of `max_states`. Each finding's log is a shortest way to it (for this seed).
    `coverage`, when given, counts in each distinct game state (see `game.engine.coverage`)."""
    report = Report(story, "exhaustive", seed, runs=1, max_states=max_states, warp=warp)
    presets = dict(sets or {})
    key = StateKey(story)
    engine = Engine.new(story, seed, warp=warp, sets=presets)
    start = engine.state.copy()
    seen = {key(start)}
    queue: deque[tuple[GameState, tuple[int, ...]]] = deque([(start, ())])
    while queue:
        state, path = queue.popleft()
        numbers = list(path)
        engine.restore(state)
        report.visited.update(state.visits)
        if coverage is not None:
            coverage.arrived(engine)
        if state.ending is not None:
            report.add_ending(engine, _finding(engine, "ending", None, "", numbers, presets))
            continue
        views = enabled_orders(engine)
        if not views:
            report.add_finding(_no_orders(engine, numbers, presets))
            continue
        for index, number in views:
            engine.restore(state.copy())
            report.taken.add(order_key(story, state.scene, index))
            if coverage is not None:
                coverage.giving(engine, index)
            outcome = _step(engine, index, number, numbers, presets)
            if outcome is not None:
                report.add_finding(outcome)
                continue
            after = engine.state
            k = key(after)
            if k in seen:
                continue
            if len(seen) >= max_states:
                report.complete = False
                continue
            seen.add(k)
            queue.append((after, (*path, number)))
        if progress:
            progress(len(seen), max_states)
    report.states = len(seen)
    return report


# --- transcripts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transcript:
    """Enough to replay a game exactly: the story, the seed, where it started, the orders."""

    story_id: str
    seed: int
    orders: tuple[LogEntry, ...]
    warp: str | None = None
    sets: Mapping[str, Value] = field(default_factory=dict)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": TRANSCRIPT_FORMAT,
            "version": TRANSCRIPT_VERSION,
            "story": self.story_id,
            "seed": self.seed,
            "warp": self.warp,
            "sets": dict(self.sets),
            "orders": [list(entry) for entry in self.orders],
            "note": self.note,
        }


def transcript_of(story: Story, finding: Finding) -> Transcript:
    """The transcript that reproduces a finding."""
    orders = list(finding.log)
    if finding.order is not None:
        orders.append((finding.state, finding.order))
    return Transcript(
        story.id,
        finding.seed,
        tuple(orders),
        finding.warp,
        dict(finding.sets),
        finding.message,
    )


def write_transcript(path: Path, transcript: Transcript) -> None:
    """Write a transcript as JSON."""
    path.write_text(json.dumps(transcript.to_json(), indent=2) + "\n", encoding="utf-8")


def read_transcript(path: Path | str) -> Transcript:
    """Read a transcript file; raises `ValueError` with a one-line reason when it is not one."""
    from game.engine.diagnostics import one_line
    from game.engine.regular import FileRefused, read_regular

    path = Path(path)
    try:
        data = json.loads(read_regular(path, MAX_TRANSCRIPT_BYTES).decode("utf-8"))
    except FileRefused as exc:
        raise ValueError(f"cannot read {one_line(str(path))}: {exc.reason}") from None
    except RecursionError:
        raise ValueError(f"{one_line(str(path))} is not a transcript (nested too deeply)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a transcript (not JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != TRANSCRIPT_FORMAT:
        raise ValueError(f"{path} is not a transcript (write one with 'playtest --transcripts')")
    if data.get("version") != TRANSCRIPT_VERSION:
        raise ValueError(f"{path}: transcript version {data.get('version')!r} is not supported")
    try:
        orders = tuple((str(s), int(i)) for s, i in data.get("orders", []))
        seed = data["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError("seed must be a whole number")
        warp = data.get("warp")
        sets = data.get("sets") or {}
        if warp is not None and not isinstance(warp, str):
            raise TypeError("warp must be a scene id")
        if not isinstance(sets, dict) or not all(
            isinstance(v, bool | int | str) for v in sets.values()
        ):
            raise TypeError("sets must map variable names to values")
        return Transcript(
            str(data["story"]), seed, orders, warp, dict(sets), str(data.get("note", ""))
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: malformed transcript ({exc})") from None


def branch_targets(story: Story, state: str, order: Order) -> tuple[Branch, ...]:
    """Where an order given in a machine state can go (as the engine routes it)."""
    scene_id, number = split_state(state)
    return Engine._routes_for(story.scenes[scene_id], number, order)
