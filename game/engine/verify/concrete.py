"""Witnesses from real games: every finding of reachability is a game played on the real engine.

A `Target` is one question verify answers: can this machine state be reached, this order be
offered, this ending be reached, this state offer no order, this order have no branch to take,
this line be said by a dead pilot. A `Tracker` watches games played on the real `Engine` and
keeps, for each target, the shortest game seen that shows it (`Sighting`: the seed and the orders
from the start). Such a game is a proof that the target can be reached, and it replays with
`handler-one play --plain --replay FILE`: the transcript is the seed and the orders.

The games (each stops at the deadline it is given):

- `breadth_first`: real game states in order of the number of orders given (one seed's chance,
  states told apart by what conditions read, as `playtest --exhaustive`), within a budget: the
  shortest witnesses for what it meets;
- `random_games` and `persona_games`: seeded games that prefer what has not been seen (as
  `playtest` and `playtest --persona` play), many seeds, so chance goes many ways;
- `directed`: best-first towards one target, over real game states from many seeds, the
  nearest in the story's graph to the target's machine state first, then those where more of
  the target's conditions already hold.
"""

from __future__ import annotations

import heapq
import random
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from game.engine.conditions import Node, Value
from game.engine.machine import StateFacts, apply_effects, resolve_round
from game.engine.model import Story, split_state
from game.engine.playtest import StateKey, branch_targets, enabled_orders
from game.engine.runtime import DeadEnd, Engine
from game.engine.state import GameState, SaidLine
from game.engine.verify.box import conjuncts
from game.engine.verify.live import Watched

KINDS = ("state", "order", "ending", "no_orders", "no_branch", "dead_voice")
_DEAD = ("killed", "missing")


@dataclass(frozen=True, slots=True)
class Target:
    """One question: `kind` (see `KINDS`), where (`state`, `order`), the `ending`, or the
    watched line (`voice`, its index in the tracker's list)."""

    kind: str
    state: str | None = None
    order: int | None = None
    ending: str | None = None
    voice: int | None = None


@dataclass(frozen=True, slots=True)
class Sighting:
    """A real game that shows a target: its seed, the orders given from the start to the
    place, and (for a dead end on an order, or a line said when an order is given) that last
    order."""

    seed: int
    log: tuple[tuple[str, int], ...]
    final: int | None = None

    @property
    def length(self) -> int:
        """Orders given in all (the last one included)."""
        return len(self.log) + (self.final is not None)


class Tracker:
    """Watches real games and keeps the shortest sighting of each target (see the module
    docstring)."""

    def __init__(self, story: Story, watched: Sequence[Watched]) -> None:
        self.story = story
        self.watched = tuple(watched)
        self.best: dict[Target, Sighting] = {}
        self.games = 0
        self.steps = 0
        self._arrive: dict[str, list[int]] = {}
        self._order: dict[tuple[str, int], list[int]] = {}
        self._branch: dict[tuple[str, int], list[int]] = {}
        for n, w in enumerate(self.watched):
            if w.where == "arrive":
                self._arrive.setdefault(w.state, []).append(n)
            elif w.where == "order":
                self._order.setdefault((w.state, w.order), []).append(n)  # type: ignore[arg-type]
            else:
                self._branch.setdefault((w.state, w.order), []).append(n)  # type: ignore[arg-type]

    def _note(self, target: Target, state: GameState, final: int | None = None) -> None:
        known = self.best.get(target)
        length = len(state.log) + (final is not None)
        if known is None or length < known.length:
            self.best[target] = Sighting(state.seed, tuple(state.log), final)

    def seen(self, target: Target) -> bool:
        """Whether some game has shown the target."""
        return target in self.best

    def arrived(self, engine: Engine) -> list[tuple[int, int]]:
        """Note what the game shows where it stands; returns the orders it offers."""
        state = engine.state
        here = state.scene
        best, note = self.best, self._note
        key = Target("state", here)
        if key not in best or len(state.log) < best[key].length:
            note(key, state)
        if state.ending is not None:
            note(Target("ending", ending=state.ending), state)
            return []
        views = enabled_orders(engine)
        if not views:
            note(Target("no_orders", here), state)
        for index, _ in views:
            key = Target("order", here, index)
            if key not in best or len(state.log) < best[key].length:
                note(key, state)
        for n in self._arrive.get(here, ()):
            if self._said_on_arrival(engine, self.watched[n]):
                note(Target("dead_voice", voice=n), state)
        return views

    def give(self, engine: Engine, index: int) -> bool:
        """Give an order, noting a dead end or a line said by a dead pilot; False when the game
        cannot go on (a dead end)."""
        state = engine.state
        here = state.scene
        self.steps += 1
        voices = self._order.get((here, index), ()) or self._branch.get((here, index), ())
        if voices:
            for n, said in self._said_giving(engine, index):
                if said:
                    self._note(Target("dead_voice", voice=n), state, index)
        try:
            engine.choose(index)
        except DeadEnd:
            self._note(Target("no_branch", here, index), state, index)
            return False
        return True

    # --- dead voices, judged as the engine says lines --------------------------------------------

    def _said_on_arrival(self, engine: Engine, watched: Watched) -> bool:
        state = engine.state
        if state.status[watched.pilot] not in _DEAD:
            return False
        line = watched.line
        if line is None:
            return True  # a round's warning is always said
        if line.once and state.visits.get(split_state(state.scene)[0], 0) > 1:
            return False
        return line.condition is None or bool(line.condition(engine))

    def _said_giving(self, engine: Engine, index: int) -> Iterable[tuple[int, bool]]:
        """For each watched line of this order (its radio, its branches' radio): whether giving
        it now says the line with its speaker dead. Worked out on a copy, as the machine does."""
        story = self.story
        here = engine.state.scene
        scene_id, number = split_state(here)
        scene = story.scenes[scene_id]
        order = story.orders_at(here)[index]
        after = engine.state.copy(log=False)
        facts = StateFacts(after)
        said: list[SaidLine] = []
        apply_effects(story, engine.machine, after, order.effects, said)
        for n in self._order.get((here, index), ()):
            w = self.watched[n]
            line = w.line
            assert line is not None
            yield (
                n,
                after.status[w.pilot] in _DEAD
                and (line.condition is None or bool(line.condition(facts))),
            )
        branch_voices = self._branch.get((here, index), ())
        if not branch_voices:
            return
        if scene.engagement is not None:
            resolve_round(story, scene, number, order, facts, said)
        k = _branch_taken(story, here, order, after, facts)
        if k is None:
            return
        branch = branch_targets(story, here, order)[k]
        apply_effects(story, engine.machine, after, branch.effects, said)
        for n in branch_voices:
            w = self.watched[n]
            line = w.line
            assert line is not None
            yield (
                n,
                w.branch == k
                and after.status[w.pilot] in _DEAD
                and (line.condition is None or bool(line.condition(facts))),
            )


def _branch_taken(
    story: Story, state: str, order, after: GameState, facts: StateFacts
) -> int | None:  # noqa: ANN001
    """The branch the machine takes (`machine.prepare` and the guards), on a worked-out copy;
    the roll is drawn from the copy, as the machine draws it."""
    routes = branch_targets(story, state, order)
    weighted = [
        k
        for k, b in enumerate(routes)
        if b.weight is not None and (b.condition is None or b.condition(facts))
    ]
    if weighted:
        roll = after.draw() * sum(routes[k].weight or 0 for k in weighted)
        low = 0.0
        for k in weighted:
            high = low + (routes[k].weight or 0)
            if low <= roll and (roll < high or k == weighted[-1]):
                return k
            low = high
        return None
    for k, b in enumerate(routes):
        if b.weight is None and (b.condition is None or b.condition(facts)):
            return k
    return None


# --- the games ----------------------------------------------------------------------------------


def breadth_first(
    story: Story,
    tracker: Tracker,
    *,
    max_states: int,
    deadline: float,
    warp: str | None = None,
    sets: Mapping[str, Value] | None = None,
    seed: int = 0,
) -> int:
    """Real game states in order of depth (one seed's chance); returns the states met."""
    key = StateKey(story)
    engine = Engine.new(story, seed, warp=warp, sets=sets)
    start = engine.state.copy()
    seen = {key(start)}
    queue: deque[GameState] = deque([start])
    while queue and time.monotonic() < deadline:
        state = queue.popleft()
        engine.restore(state)
        views = tracker.arrived(engine)
        for index, _ in views:
            engine.restore(state.copy())
            if not tracker.give(engine, index):
                continue
            after = engine.state
            k = key(after)
            if k in seen or len(seen) >= max_states:
                continue
            seen.add(k)
            queue.append(after)
    tracker.games += 1
    return len(seen)


def random_games(
    story: Story,
    tracker: Tracker,
    *,
    games: int,
    deadline: float,
    seed: int = 0,
    warp: str | None = None,
    sets: Mapping[str, Value] | None = None,
) -> int:
    """Seeded games whose choices prefer orders not yet given where they are; returns the
    games played."""
    engine = Engine.new(story, seed, warp=warp, sets=sets)
    given: set[tuple[str, int]] = set()
    limit = 2 * len(story.states()) + 100
    played = 0
    for run in range(games):
        if time.monotonic() > deadline:
            break
        engine.reset(seed + run, warp=warp, sets=sets)
        chooser = random.Random(f"verify:{seed + run}")
        for _ in range(limit):
            views = tracker.arrived(engine)
            if not views:
                break
            here = engine.state.scene
            fresh = [v for v in views if (here, v[0]) not in given]
            index = chooser.choice(fresh or views)[0]
            given.add((here, index))
            if not tracker.give(engine, index):
                break
        played += 1
    tracker.games += played
    return played


def persona_games(
    story: Story,
    tracker: Tracker,
    *,
    games: int,
    deadline: float,
    seed: int = 0,
    warp: str | None = None,
    sets: Mapping[str, Value] | None = None,
) -> int:
    """Games played as each of the story's personas in turn (`personas.choose_as`)."""
    from game.engine.personas import choose_as

    personas = list(story.personas.values())
    if not personas:
        return 0
    engine = Engine.new(story, seed, warp=warp, sets=sets)
    limit = 2 * len(story.states()) + 100
    played = 0
    for run in range(games):
        if time.monotonic() > deadline:
            break
        persona = personas[run % len(personas)]
        engine.reset(seed + run, warp=warp, sets=sets)
        chooser = random.Random(f"verify:{persona.id}:{seed + run}")
        for _ in range(limit):
            views = tracker.arrived(engine)
            if not views:
                break
            written = story.orders_at(engine.state.scene)
            pick = choose_as(persona, [written[i] for i, _ in views], chooser)
            if not tracker.give(engine, views[pick][0]):
                break
        played += 1
    tracker.games += played
    return played


def distances(story: Story, goal: str) -> dict[str, int]:
    """Orders needed at least, in the story's graph (conditions aside), from each machine
    state to `goal`."""
    back: dict[str, set[str]] = {}
    for state in story.states():
        for order in story.orders_at(state):
            for branch in branch_targets(story, state, order):
                back.setdefault(branch.goto, set()).add(state)
    found = {goal: 0}
    queue = deque([goal])
    while queue:
        here = queue.popleft()
        for before in back.get(here, ()):
            if before not in found:
                found[before] = found[here] + 1
                queue.append(before)
    return found


def guard_of(story: Story, target: Target) -> list[tuple[Node, bool]]:
    """The conditions that must hold where a target is shown (as parts that must all hold)."""
    if target.kind == "order" and target.state is not None and target.order is not None:
        order = story.orders_at(target.state)[target.order]
        return conjuncts(order.condition.tree, True) if order.condition else []
    if target.kind == "no_orders" and target.state is not None:
        return [
            (o.condition.tree, False)
            for o in story.orders_at(target.state)
            if o.condition is not None
        ]
    return []


def place_of(story: Story, target: Target) -> list[str]:
    """The machine states where a target can be shown."""
    if target.kind == "ending":
        return [
            s for s in story.states() if story.scenes[split_state(s)[0]].ending == target.ending
        ]
    assert target.state is not None
    return [target.state]


def directed(
    story: Story,
    tracker: Tracker,
    target: Target,
    *,
    expansions: int,
    deadline: float,
    seeds: int = 8,
    seed: int = 0,
    warp: str | None = None,
    sets: Mapping[str, Value] | None = None,
) -> bool:
    """Best-first towards one target (see the module docstring); True when a game shows it."""
    goals = place_of(story, target)
    dist: dict[str, int] = {}
    for goal in goals:
        for state, d in distances(story, goal).items():
            dist[state] = min(d, dist.get(state, d))
    parts = guard_of(story, target)
    from game.engine.conditions import compile_node

    evaluators = [(compile_node(tree), want) for tree, want in parts]
    key = StateKey(story)
    engine = Engine.new(story, seed, warp=warp, sets=sets)
    counter = 0
    frontier: list[tuple[int, int, int, GameState]] = []
    seen: dict[tuple, int] = {}

    def push(state: GameState) -> None:
        nonlocal counter
        d = dist.get(state.scene)
        if d is None:
            return
        k = (key(state), state.seed)
        if k in seen:
            return
        seen[k] = 1
        engine.restore(state)
        unmet = sum(1 for fn, want in evaluators if bool(fn(engine)) != want)
        counter += 1
        heapq.heappush(frontier, (d + 2 * unmet, len(state.log), counter, state))

    for n in range(seeds):
        engine.reset(seed + n, warp=warp, sets=sets)
        push(engine.state.copy())
    for _ in range(expansions):
        if not frontier or time.monotonic() > deadline:
            break
        _, _, _, state = heapq.heappop(frontier)
        engine.restore(state)
        views = tracker.arrived(engine)
        if tracker.seen(target):
            return True
        for index, _ in views:
            engine.restore(state.copy())
            if tracker.give(engine, index):
                push(engine.state)
            if tracker.seen(target):
                return True
    return tracker.seen(target)
