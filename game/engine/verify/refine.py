"""Settling an alarm: a finer search on a few atoms, refined until it is proved or shown.

An alarm is a target (`concrete.Target`) the boxes leave possible and no real game has shown yet.
It is settled by predicate abstraction with refinement (CEGAR):

1. Track exactly a small set of atoms: at first those the alarm's own conditions read. The set
   search (`search.Search`) runs on those atoms alone; every other atom takes, at each point of
   the story, every value the box there allows (`space.Space` with `tracked` and `boxes`), so a
   condition reading it may go both ways. This is still an over-approximation of every game, and
   it only searches the machine states from which the alarm's place can be reached.
2. If that search completes without reaching the alarm, the alarm is refuted: no game reaches it
   (the search is sound whatever atoms it tracks).
3. If it reaches it, the path it found (`witness.trace`) is replayed on the real engine, seed
   after seed. A replay that shows the target is a witness: confirmed. A replay that leaves the
   path shows where the abstraction was too coarse: an order not offered, or a game gone another
   way or with other values after an order. The atoms of the conditions judged there (the
   order's `if`, the branches' `if`s, the danger, the evidence a deduction needs) that are not
   yet tracked are added, and the search runs again.
4. When every condition along the path is judged exactly (its atoms tracked, or the box leaves
   them one value) the path is real and only chance stands between it and a replay; if no seed
   within the budget gives the outcomes it needs, it is reported as found, with those outcomes.
   When the budget runs out first, the alarm is undecided, and the report says so by name.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from game.engine.conditions import Value
from game.engine.model import Story, split_state
from game.engine.playtest import branch_targets
from game.engine.runtime import Engine
from game.engine.verify.box import Boxes, watched_point
from game.engine.verify.concrete import Sighting, Target, Tracker, distances, place_of
from game.engine.verify.live import Atom, Liveness, Watched, reads_of
from game.engine.verify.mdd import FALSE
from game.engine.verify.search import Search
from game.engine.verify.space import Space
from game.engine.verify.witness import Path, describe_outcomes, trace

MAX_ROUNDS = 12


@dataclass
class Settled:
    """How an alarm ended: "confirmed" (a real game shows it), "refuted" (no game can), "found"
    (a path that is real but needs chance no seed tried gave), or "undecided"."""

    status: str
    tracked: tuple[Atom, ...] = ()
    rounds: int = 0
    sighting: Sighting | None = None
    path: Path | None = None
    outcomes: list[str] = field(default_factory=list)
    tried: int = 0
    states: int = 0  # game states the last search reached, counted on the atoms it tracked


class Refiner:
    """Settles alarms of one story (see the module docstring)."""

    def __init__(
        self,
        story: Story,
        boxes: Boxes,
        tracker: Tracker,
        *,
        warp: str | None = None,
        sets: Mapping[str, Value] | None = None,
    ) -> None:
        self.story = story
        self.boxes = boxes
        self.tracker = tracker
        self.warp = warp
        self.sets = dict(sets or {})
        self._plain = Liveness(story, ())
        self._voices: dict[int, Liveness] = {}
        self.searches = 0
        self.replays = 0

    def liveness(self, target: Target) -> Liveness:
        """What the search keeps per machine state: with the alarm's line watched, if any."""
        if target.kind != "dead_voice":
            return self._plain
        assert target.voice is not None
        found = self._voices.get(target.voice)
        if found is None:
            found = self._voices[target.voice] = Liveness(
                self.story, (self.tracker.watched[target.voice],)
            )
        return found

    def first_atoms(self, target: Target) -> set[Atom]:
        """The atoms the alarm's own conditions read."""
        story = self.story
        if target.kind == "order":
            assert target.state is not None and target.order is not None
            order = story.orders_at(target.state)[target.order]
            return reads_of(order.condition.tree if order.condition else None, story)
        if target.kind == "no_orders":
            assert target.state is not None
            found: set[Atom] = set()
            for order in story.orders_at(target.state):
                found |= reads_of(order.condition.tree if order.condition else None, story)
            return found
        if target.kind == "no_branch":
            assert target.state is not None and target.order is not None
            order = story.orders_at(target.state)[target.order]
            found = set()
            for branch in branch_targets(story, target.state, order):
                found |= reads_of(branch.condition.tree if branch.condition else None, story)
            return found
        if target.kind == "dead_voice":
            assert target.voice is not None
            return set(self.tracker.watched[target.voice].reads(story))
        return set()

    # --- one alarm --------------------------------------------------------------------------------

    def settle(
        self, target: Target, *, deadline: float, seed_seconds: float = 2.0, seed_tries: int = 5_000
    ) -> Settled:
        """Settle one alarm, within `deadline`."""
        story = self.story
        tracked = self.first_atoms(target)
        goals = place_of(story, target)
        within: set[str] = set()
        for goal in goals:
            within |= set(distances(story, goal))
        liveness = self.liveness(target)
        engine = Engine.new(story, 0, warp=self.warp, sets=self.sets)
        result = Settled("undecided")
        for round_number in range(1, MAX_ROUNDS + 1):
            result.rounds = round_number
            result.tracked = tuple(sorted(tracked))
            if time.monotonic() > deadline:
                return result
            space = Space(story, liveness, self.sets, tracked=frozenset(tracked), boxes=self.boxes)
            search = Search(
                story,
                space,
                engine.state.scene,
                space.encode(engine.state),
                deadline=deadline,
                within=frozenset(within),
                goal=lambda s: self.where(s, target) is not None,
            )
            search.run()
            self.searches += 1
            found = self.where(search, target)
            result.states = sum(
                space.mdd.count(m, space.live_levels[s]) for s, m in search.reach.items()
            )
            if found is None:
                if search.complete and not search.open:
                    result.status = "refuted"
                return result
            delta_id, states, final = found
            path = trace(search, delta_id, states)
            path.final_order, path.final_branch = final
            result.path = path
            if self.tracker.seen(target):
                result.status = "confirmed"
                result.sighting = self.tracker.best[target]
                return result
            blamed = self.replay(search, path, target, deadline, seed_seconds, seed_tries, result)
            if self.tracker.seen(target):
                result.status = "confirmed"
                result.sighting = self.tracker.best[target]
                return result
            fresh = blamed - tracked
            if not fresh:
                if self.exact_along(search, path, target):
                    result.status = "found"
                    result.outcomes = describe_outcomes(search, path)
                else:
                    fresh = self.untracked_along(search, path, target)
            if not fresh:
                return result
            tracked |= fresh
        return result

    def where(self, search: Search, target: Target) -> tuple[int, int, tuple] | None:
        """The delta and set where the search meets the target, and the last order and branch
        a path to it takes there (None when it has not met it)."""
        mdd = search.mdd
        kind = target.kind
        if kind in ("state", "ending"):
            for state in place_of(self.story, target):
                delta_id = search.first.get(state)
                if delta_id is not None:
                    return delta_id, search.deltas[delta_id].states, (None, None)
            return None
        if kind == "order":
            key = (target.state, target.order)
            delta_id = search.offered.get(key)  # type: ignore[arg-type]
            if delta_id is None:
                return None
            assert target.state is not None and target.order is not None
            given = search.compiled(target.state)[target.order]
            states = mdd.conj(search.deltas[delta_id].states, given.offered)
            return delta_id, states, (None, None)
        for found in search.found.values():
            if found.kind != kind or found.state != target.state:
                continue
            if kind == "no_branch" and found.order != target.order:
                continue
            voice = self.tracker.watched[target.voice] if kind == "dead_voice" else None  # type: ignore[index]
            if voice is not None and found.watched is not voice:
                continue
            if found.states == FALSE:
                continue
            return found.delta, found.states, (found.order, found.branch)
        return None

    # --- replaying a path on the real engine -----------------------------------------------------

    def replay(
        self,
        search: Search,
        path: Path,
        target: Target,
        deadline: float,
        seconds: float,
        tries: int,
        result: Settled,
    ) -> set[Atom]:
        """Replay `path` with seed after seed until a game shows the target (the tracker then
        has it); returns the atoms blamed where replays left the path most often."""
        story, space, mdd = self.story, search.space, search.mdd
        tracker = self.tracker
        stop = min(deadline, time.monotonic() + seconds)
        engine = Engine.new(story, 0, warp=self.warp, sets=self.sets)
        blame: Counter[tuple[int, str]] = Counter()
        steps = path.steps
        for seed in range(tries):
            if seed and time.monotonic() > stop:
                break
            result.tried = seed + 1
            self.replays += 1
            if seed:
                engine.reset(seed, warp=self.warp, sets=self.sets)
            left: tuple[int, str] | None = None
            for j, (state, order, _branch) in enumerate(steps):
                if engine.state.scene != state or not mdd.contains(
                    path.accept[j], space.encode(engine.state)
                ):
                    left = (j - 1, "after")
                    break
                views = tracker.arrived(engine)
                if all(index != order for index, _ in views):
                    left = (j, "offered")
                    break
                if not tracker.give(engine, order):
                    left = (j, "dead end")
                    break
            else:
                views = tracker.arrived(engine)
                if path.final_order is not None and any(i == path.final_order for i, _ in views):
                    tracker.give(engine, path.final_order)
                if tracker.seen(target):
                    return set()
                left = (len(steps), "final")
            if left is not None and left[0] >= 0:
                blame[left] += 1
        tracked = set(space.atoms)
        for (j, how), _ in blame.most_common():
            blamed = self._blamed(path, j, how, target) - tracked
            if blamed:
                return blamed
        return set()

    def _blamed(self, path: Path, j: int, how: str, target: Target) -> set[Atom]:
        """The atoms judged where a replay left the path: before step j's order (its `if`),
        or while it was given (its branches, the danger, deductions)."""
        story = self.story
        if j >= len(path.steps):
            return self.first_atoms(target)
        state, index, _ = path.steps[j]
        order = story.orders_at(state)[index]
        if how == "offered":
            return reads_of(order.condition.tree if order.condition else None, story)
        return self._judged_giving(state, index)

    def _judged_giving(self, state: str, index: int) -> set[Atom]:
        story = self.story
        order = story.orders_at(state)[index]
        found: set[Atom] = set()
        routes = branch_targets(story, state, order)
        for branch in routes:
            found |= reads_of(branch.condition.tree if branch.condition else None, story)
        scene = story.scenes[split_state(state)[0]]
        if scene.engagement is not None:
            found |= reads_of(scene.engagement.danger.tree, story)
            found |= {("status", p) for p in scene.engagement.at_risk}
        revealed = set(order.effects.reveal)
        for branch in routes:
            revealed |= set(branch.effects.reveal)
            target_scene, number = split_state(branch.goto)
            if number == 1:
                revealed |= set(story.scenes[target_scene].enter.reveal)
        if revealed:
            for deduction in story.deductions.values():
                if revealed & set(deduction.requires):
                    found |= {("ev", e) for e in deduction.requires}
        return found

    # --- is the path real? -------------------------------------------------------------------------

    def _reads_along(self, path: Path, target: Target) -> list[tuple[tuple, set[Atom]]]:
        """Every point of the path where a condition is judged, with the atoms judged there."""
        story = self.story
        out: list[tuple[tuple, set[Atom]]] = []
        for state, index, _ in path.steps:
            order = story.orders_at(state)[index]
            out.append(
                (("at", state), reads_of(order.condition.tree if order.condition else None, story))
            )
            out.append((("post", state, index), self._judged_giving(state, index)))
        last = place_of(story, target)[0]
        out.append((("at", last), self.first_atoms(target)))
        if target.kind == "dead_voice":
            watched: Watched = self.tracker.watched[target.voice]  # type: ignore[index]
            out.append((watched_point(watched), set(watched.reads(story))))
        return out

    def untracked_along(self, search: Search, path: Path, target: Target) -> set[Atom]:
        """Atoms judged along the path that have no level and more than one value in the box
        there, nearest the end first (the next ones to track)."""
        space = search.space
        judge = self.boxes.judge
        for point, atoms in reversed(self._reads_along(path, target)):
            box = self.boxes.point(point) or self.boxes.point(("at", point[1]))
            loose = {
                a
                for a in atoms
                if space.level_of(*a) is None and (box is None or len(judge.values(box, a)) > 1)
            }
            if loose:
                return loose
        return set()

    def exact_along(self, search: Search, path: Path, target: Target) -> bool:
        """Whether every condition judged along the path is judged exactly (so the path is a
        real game, given the outcomes of chance it needs)."""
        return not self.untracked_along(search, path, target)


def settle_all(
    refiner: Refiner,
    targets: Sequence[Target],
    *,
    deadline: float,
    seed_seconds: float,
    seed_tries: int,
) -> dict[Target, Settled]:
    """Settle alarms one after another until the deadline; those not reached are undecided."""
    out: dict[Target, Settled] = {}
    for target in targets:
        if time.monotonic() > deadline:
            out[target] = Settled("undecided")
            continue
        if refiner.tracker.seen(target):
            out[target] = Settled("confirmed", sighting=refiner.tracker.best[target])
            continue
        out[target] = refiner.settle(
            target, deadline=deadline, seed_seconds=seed_seconds, seed_tries=seed_tries
        )
    return out
