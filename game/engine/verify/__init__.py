"""`handler-one verify`: a complete search of a whole story, with every outcome of chance.

It answers, for the story it is given: which scenes, orders and endings can be reached (with a
witness for each ending) and which cannot; every dead end that can be reached (no order offered
outside an ending, or an order none of whose branches can be taken), with a witness, or that there
is none; and every pilot line (or Shin's warning) that can be said while its speaker is dead, with
a witness in which they are dead and it is said: the concrete counterpart of W022.

How (the modules of this package):

- `live`: per machine state, the atoms (a variable, a piece of evidence, a deduction, a visit
  count, an engagement's losses, a pilot's status or name) that some later condition can still
  read. Everything else is dropped from the game state there: exact, not an approximation.
- `mdd`, `space`: the game states reached in each machine state are kept as one set, a
  multi-valued decision diagram over those atoms (shared graphs: a set of a billion game states
  can take a few thousand nodes), and the story's conditions and effects become operations on
  such sets.
- `search`: the story's rules applied to whole sets. Chance is every outcome, not one seed: each
  of a round's `danger` draws misses or wounds or kills any one at-risk pilot still alive (the
  number of draws is kept exactly: two draws hit at most two pilots), and every eligible weighted
  branch is taken. The machine states are expanded once each, in the order of the story's graph
  (a loop is repeated until nothing new arrives).
- `witness`: a finding is traced back to the start through the sets that led to it, then replayed
  on the real engine (`runtime.Engine`) with seed after seed until one gives the outcomes of
  chance the path needs (so `handler-one play --plain --replay FILE` shows it).

That exact search finishes on generated stories of 2,000 scenes, not on the shipped campaign
(its chapter 1 alone holds ~2.5e9 game states on what later conditions read). `verify` tries it
for `EXACT_TRY_SECONDS`, then answers by proving, witnessing and refining (`pipeline`):

- `box`: an over-approximation (abstract interpretation: per machine state, each atom's set of
  possible values, every outcome of chance); what it leaves no game state for is proved
  impossible;
- `concrete`: real games on the engine (breadth-first, seeded random, personas, best-first
  towards a target) show what is possible, the shortest game kept per question;
- `refine`: an alarm neither settles is searched exactly on the atoms its conditions read (the
  rest taken from the boxes), refined where a replay leaves the path, until refuted or shown.

Each scene, order and ending is then "reachable", "unreachable" or "undecided" (`Verdict.answer`),
never "unreachable" without a proof.

What is exact and what is not:

- Exact: every variable, evidence, deduction, name and status a later condition reads; visit
  counts up to one more than the largest number they are compared with; an engagement's losses;
  the number of draws in a round. Lines said only to the player (their text) never matter.
- Sound, not exact: a visit count used in arithmetic is tracked up to `space.VISITS_CAP`, and an
  int variable without `min`/`max` within `space.OPEN_MARGIN` of the values the story names; if a
  game can leave those ranges the report says the answer is incomplete. Weighted branches are
  taken as possible whatever their weight (the loader requires weights of at least 1).
- Limits: the search has a time budget and a node budget; when it stops early the report says
  which machine states still had work, and nothing is called unreachable: scenes not reached are
  "not reached before the search stopped". A seed is searched for each witness among the first
  `seed_tries`; if none gives the outcomes the path needs, the report prints the path and the
  outcomes instead of a command.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from game.engine.conditions import Value
from game.engine.model import Story, split_state
from game.engine.playtest import Transcript, order_key, order_keys

if TYPE_CHECKING:
    from game.engine.verify.search import Search

DEFAULT_SECONDS = 120.0
DEFAULT_MAX_NODES = 2_500_000  # nodes and cached results (~1.3 GB measured at 5M: ~2.9 GB)
DEFAULT_SEED_TRIES = 5_000
# `verify` tries the exact search first for this long (and this many nodes and cached results,
# ~400 MB): the generated 2,000-scene story needs 2.7 s and 0.6M; the shipped campaign's
# chapter 1 alone passes 1M in 2.4 s and would not finish in memory.
EXACT_TRY_SECONDS = 10.0
EXACT_TRY_SHARE = 0.25
EXACT_TRY_NODES = 1_500_000


@dataclass
class Witness:
    """A path to a finding or an ending: the orders (state, index) and the branch each took,
    the seed that replays it on the real engine (None if none was found), and what chance must
    do along it."""

    orders: list[tuple[str, int]]
    branches: list[int]
    seed: int | None
    tried: int
    outcomes: list[str] = field(default_factory=list)
    traced: bool = True  # False: reached, but the witness budget ran out before tracing it

    def to_json(self) -> dict[str, Any]:
        if not self.traced:
            return {"traced": False}
        return {
            "orders": [list(o) for o in self.orders],
            "branches": list(self.branches),
            "seed": self.seed,
            "seeds_tried": self.tried,
            "outcomes": list(self.outcomes),
        }


@dataclass
class Problem:
    """A dead end or a dead voice, with the witness that reaches it."""

    kind: str  # "no_orders", "no_branch", "dead_voice"
    state: str
    order: int | None
    message: str
    witness: Witness | None
    pilot: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "state": self.state,
            "order": self.order,
            "pilot": self.pilot,
            "message": self.message,
            "witness": self.witness.to_json() if self.witness else None,
        }


@dataclass
class Verdict:
    """What `verify` found, and whether the answer is complete."""

    story: Story
    complete: bool
    stopped: str | None  # "time" or "memory" when the search stopped early
    seconds: float
    states: int  # game states reached, counted on the atoms kept (the reduced state space)
    raw_states: int | None  # the same without the dead-variable reduction, when measured
    nodes: int
    expansions: int
    scenes: dict[str, int | None]  # scene -> orders to get there on the path found (None: not)
    orders: dict[str, bool]
    endings: dict[str, Witness | None]
    dead_ends: list[Problem]
    dead_voices: list[Problem]
    open: list[str]  # what left the range the search tracks
    pending: list[str]  # machine states with work left when the search stopped
    warp: str | None = None
    sets: dict[str, Value] = field(default_factory=dict)
    method: str = "exact"  # "exact" (the set search) or "abstract" (boxes, games, refinement)
    # per kind ("scenes", "orders", "endings"), each item's answer: "reachable",
    # "unreachable" (proved) or "undecided"
    status: dict[str, dict[str, str]] = field(default_factory=dict)
    undecided: list[str] = field(default_factory=list)  # every question left open, by name
    witnesses: dict[str, Witness] = field(default_factory=dict)  # "scene:ID", "order:KEY"
    figures: dict[str, Any] = field(default_factory=dict)  # what the method measured
    questions: str = "all"  # "all", "dead_ends" or "validate" (see `verify`)
    boxes: Any = None  # the over-approximation (`box.Boxes`) the answer's proofs come from

    @property
    def failed(self) -> bool:
        """True when a dead end or a dead voice was found (the command exits 1)."""
        return bool(self.dead_ends or self.dead_voices)

    def settled(self, kind: str) -> bool:
        """Whether every question of one kind has its answer: "scenes", "orders", "endings" or
        "dead_ends" (a reachable one with its witness, an impossible one proved)."""
        if self.questions == "dead_ends" and kind != "dead_ends":
            return False  # not asked
        if self.complete:
            return True
        if kind == "dead_ends":
            return not any(u.startswith("dead end") for u in self.undecided)
        if self.method != "abstract":
            return False
        prefix = {"scenes": "scene ", "orders": "order ", "endings": "ending "}[kind]
        return not any(u.startswith(prefix) for u in self.undecided)

    @property
    def unreached(self) -> str:
        """How to call what was not reached: "unreachable" only when the search is complete."""
        return "unreachable" if self.complete else "not reached before the search stopped"

    def transcript(self, problem_or_ending: Problem | str) -> Transcript | None:
        """The transcript that replays a problem (or an ending, by id), if a seed was found."""
        if isinstance(problem_or_ending, str):
            witness = self.endings.get(problem_or_ending)
            note = f"reaches the ending {problem_or_ending}"
            extra: list[tuple[str, int]] = []
        else:
            witness = problem_or_ending.witness
            note = problem_or_ending.message
            extra = []
            if problem_or_ending.order is not None:
                extra = [(problem_or_ending.state, problem_or_ending.order)]
        if witness is None or witness.seed is None:
            return None
        return Transcript(
            self.story.id,
            witness.seed,
            tuple([*witness.orders, *extra]),
            self.warp,
            dict(self.sets),
            note,
        )

    def answer(self, kind: str, item: str) -> str:
        """One item's answer: "reachable", "unreachable" (proved) or "undecided". `kind` is
        "scenes", "orders" or "endings"."""
        found = self.status.get(kind, {}).get(item)
        if found is not None:
            return found
        if self.questions == "dead_ends":
            return "undecided"  # not asked
        if kind == "scenes":
            reached = self.scenes.get(item) is not None
        elif kind == "orders":
            reached = bool(self.orders.get(item))
        else:
            reached = self.endings.get(item) is not None
        if reached:
            return "reachable"
        return "unreachable" if self.complete else "undecided"

    def to_json(self) -> dict[str, Any]:
        story = self.story

        def listing(kind: str, items: list[str], tag: str) -> dict[str, Any]:
            answers = {i: self.answer(kind, i) for i in items}
            out: dict[str, Any] = {
                "reachable": sum(1 for a in answers.values() if a == "reachable"),
                "unreachable": [i for i, a in answers.items() if a == "unreachable"],
                "undecided": [i for i, a in answers.items() if a == "undecided"],
                "items": {},
            }
            for item, answer in answers.items():
                entry: dict[str, Any] = {"answer": answer}
                witness = self.witnesses.get(f"{tag}:{item}")
                if witness is not None:
                    entry["witness"] = witness.to_json()
                out["items"][item] = entry
            return out

        scenes = listing("scenes", list(story.scenes), "scene")
        orders = listing("orders", list(self.orders), "order")
        return {
            "story": story.id,
            "complete": self.complete,
            "method": self.method,
            "questions": self.questions,
            "stopped": self.stopped,
            "seconds": round(self.seconds, 2),
            "states": self.states,
            "raw_states": self.raw_states,
            "nodes": self.nodes,
            "open": list(self.open),
            "pending": list(self.pending),
            "undecided": list(self.undecided),
            "figures": dict(self.figures),
            "scenes": {
                "total": len(story.scenes),
                "reached": sum(1 for d in self.scenes.values() if d is not None),
                "not_reached": [s for s, d in self.scenes.items() if d is None],
                "verdict_for_not_reached": self.unreached,
                **scenes,
            },
            "orders": {
                "total": len(self.orders),
                "can_be_given": sum(1 for v in self.orders.values() if v),
                "never": [k for k in self.orders if self.answer("orders", k) == "unreachable"],
                **orders,
            },
            "endings": {
                e: (w.to_json() if w is not None else None) for e, w in self.endings.items()
            },
            "ending_answers": {e: self.answer("endings", e) for e in story.endings},
            "dead_ends": [p.to_json() for p in self.dead_ends],
            "dead_voices": [p.to_json() for p in self.dead_voices],
        }


def verify(
    story: Story,
    *,
    seconds: float = DEFAULT_SECONDS,
    max_nodes: int = DEFAULT_MAX_NODES,
    warp: str | None = None,
    sets: Mapping[str, Value] | None = None,
    seed_tries: int = DEFAULT_SEED_TRIES,
    witnesses: bool = True,
    witness_seconds: float = 60.0,
    raw: bool = False,
    progress: Callable[[int, int], None] | None = None,
    method: str = "auto",
    questions: str = "all",
) -> Verdict:
    """Answer for the whole story (see the module docstring) within `seconds`.

    `method="auto"` tries the exact set search first, within `EXACT_TRY_SECONDS` and
    `EXACT_TRY_NODES`, and answers by the over-approximation (`pipeline`) when it does not
    finish; "exact" and "abstract" use one alone. `max_nodes` bounds the exact search;
    `witnesses=False` skips tracing and replaying its witnesses; `raw=True` also counts the
    state space without the dead-variable reduction. `questions="dead_ends"` answers only
    whether a dead end can be reached, and `questions="validate"` also which scenes, orders and
    endings can be (not the dead voices), both by the over-approximation."""
    began = time.monotonic()
    presets = dict(sets or {})
    if questions != "all":
        method = "abstract"
    if method in ("auto", "exact"):
        budget, nodes = seconds, max_nodes
        if method == "auto":
            budget = min(seconds * EXACT_TRY_SHARE, EXACT_TRY_SECONDS)
            nodes = min(max_nodes, EXACT_TRY_NODES)
        search = run_search(
            story, seconds=budget, max_nodes=nodes, warp=warp, sets=presets, progress=progress
        )
        if search.complete or method == "exact":
            return _exact_verdict(
                story,
                search,
                began,
                seconds=seconds,
                warp=warp,
                presets=presets,
                seed_tries=seed_tries,
                witnesses=witnesses,
                witness_seconds=witness_seconds,
                raw=raw,
            )
        del search
    from game.engine.verify.pipeline import abstract_verdict

    tried = time.monotonic() - began
    verdict = abstract_verdict(
        story,
        seconds=seconds - (time.monotonic() - began),
        warp=warp,
        presets=presets,
        seed_tries=seed_tries,
        witnesses=witnesses,
        questions=questions,
        progress=progress,
        raw=raw,
    )
    verdict.figures["seconds_exact_try"] = round(tried, 2)
    verdict.seconds = time.monotonic() - began
    return verdict


def _exact_verdict(
    story: Story,
    search: Search,
    began: float,
    *,
    seconds: float,
    warp: str | None,
    presets: dict[str, Value],
    seed_tries: int,
    witnesses: bool,
    witness_seconds: float,
    raw: bool,
) -> Verdict:
    """The verdict of the exact set search, with its witnesses traced and replayed."""
    from game.engine.verify.witness import describe_outcomes, find_seed, trace

    space = search.space
    mdd = space.mdd
    states = sum(mdd.count(m, space.live_levels[s]) for s, m in search.reach.items())
    scenes: dict[str, int | None] = dict.fromkeys(story.scenes)
    for state, delta_id in search.first.items():
        scene_id, number = split_state(state)
        if number == 1:
            scenes[scene_id] = search.deltas[delta_id].depth
    orders = dict.fromkeys(order_keys(story), False)
    for state, index in search.offered:
        orders[order_key(story, state, index)] = True

    seed_seconds = max(1.0, min(5.0, seconds / 40))
    # Tracing and replaying witnesses has a budget of its own: a story where many lines can be
    # said by the dead has thousands of findings. Dead ends come first, then endings, then the
    # first dead voice of each pilot, then the rest; those past the budget are listed without.
    witness_deadline = time.monotonic() + max(10.0, witness_seconds)

    def witness_for(delta_id: int, found_states: int, found: Any, final: tuple) -> Witness | None:
        if not witnesses or time.monotonic() > witness_deadline:
            return None
        path = trace(search, delta_id, found_states)
        path.final_order, path.final_branch = final
        find_seed(
            search, path, found, warp=warp, sets=presets, tries=seed_tries, seconds=seed_seconds
        )
        return Witness(
            path.log,
            [b for _, _, b in path.steps],
            path.seed,
            path.tried,
            describe_outcomes(search, path),
        )

    endings: dict[str, Witness | None] = dict.fromkeys(story.endings)
    ending_reached: dict[str, bool] = dict.fromkeys(story.endings, False)
    for state, delta_id in search.first.items():
        scene = story.scenes[split_state(state)[0]]
        if scene.ending is not None and not ending_reached[scene.ending]:
            ending_reached[scene.ending] = True
            endings[scene.ending] = witness_for(
                delta_id, search.deltas[delta_id].states, None, (None, None)
            ) or Witness([], [], None, 0, traced=False)
    dead_ends: list[Problem] = []
    dead_voices: list[Problem] = []
    firsts: set[str] = set()

    def urgency(found: Any) -> int:
        if found.kind != "dead_voice":
            return 0
        pilot = found.watched.pilot
        if pilot not in firsts:
            firsts.add(pilot)
            return 1
        return 2

    ranked = sorted(search.found.values(), key=urgency)  # stable: search order within a rank
    for found in ranked:
        witness = witness_for(found.delta, found.states, found, (found.order, found.branch))
        problem = Problem(
            found.kind,
            found.state,
            found.order,
            _message(story, found),
            witness,
            found.watched.pilot if found.watched else None,
        )
        (dead_voices if found.kind == "dead_voice" else dead_ends).append(problem)
    complete = search.complete and not search.open
    verdict = Verdict(
        story,
        complete,
        search.stopped,
        time.monotonic() - began,
        states,
        _raw_states(story, presets, warp, seconds) if raw else None,
        mdd.nodes,
        search.layers,
        scenes,
        orders,
        {e: (w if ending_reached[e] else None) for e, w in endings.items()},
        dead_ends,
        dead_voices,
        sorted(search.open),
        sorted(search.pending),
        warp,
        presets,
        figures={"diagram_nodes": mdd.nodes, "reduced_states": states},
    )
    if not complete:
        verdict.undecided = [
            *(f"scene {s}" for s, d in scenes.items() if d is None),
            *(f"order {k}" for k, v in orders.items() if not v),
            *(f"ending {e}" for e, w in verdict.endings.items() if w is None),
            "dead ends and dead voices beyond the part searched",
        ]
    return verdict


def run_search(
    story: Story,
    *,
    seconds: float = DEFAULT_SECONDS,
    max_nodes: int = DEFAULT_MAX_NODES,
    warp: str | None = None,
    sets: Mapping[str, Value] | None = None,
    progress: Callable[[int, int], None] | None = None,
    reduce: bool = True,
) -> Search:
    """Run the search alone (no witnesses): the `Search`, with the sets it reached. With
    `reduce=False` every atom any condition or effect names is kept everywhere."""
    from game.engine.runtime import Engine
    from game.engine.verify.live import Liveness, watched_lines
    from game.engine.verify.search import Search
    from game.engine.verify.space import Space

    presets = dict(sets or {})
    liveness = Liveness(story, watched_lines(story))
    if not reduce:
        everything = frozenset().union(*liveness.live_in.values())
        liveness.live_in = dict.fromkeys(liveness.live_in, everything)
    space = Space(story, liveness, presets)
    engine = Engine.new(story, 0, warp=warp, sets=presets)
    search = Search(
        story,
        space,
        engine.state.scene,
        space.encode(engine.state),
        deadline=time.monotonic() + seconds,
        max_nodes=max_nodes,
        progress=progress,
    )
    search.run()
    return search


def _raw_states(
    story: Story, presets: dict[str, Value], warp: str | None, seconds: float
) -> int | None:
    """The reachable game states counted on every atom any condition or effect names (what
    the state would hold without the dead-variable reduction), or None if that search does not
    finish in time."""
    search = run_search(story, seconds=seconds, warp=warp, sets=presets, reduce=False)
    space = search.space
    if not search.complete:
        return None
    return sum(space.mdd.count(m, space.live_levels[s]) for s, m in search.reach.items())


def _message(story: Story, found: Any) -> str:
    if found.kind == "no_orders":
        return f"no order is available in '{found.state}' and it is not an ending"
    if found.kind == "no_branch":
        say = story.orders_at(found.state)[found.order].say
        return f"no branch of order \"{_short(say)}\" in '{found.state}' can be taken"
    watched = found.watched
    callsign = story.pilots[watched.pilot].callsign
    what = "Shin's warning" if watched.line is None else f'"{_short(watched.line.text)}"'
    if watched.where == "arrive":
        where = f"on arriving in '{found.state}'"
    else:
        say = _short(story.orders_at(found.state)[found.order].say)
        verb = "giving" if watched.where == "order" else "after"
        where = f"{verb} \"{say}\" in '{found.state}'"
    return f"{callsign} ({watched.pilot}) is dead and says {what} {where}"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
