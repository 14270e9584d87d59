"""The complete search: breadth-first over every machine state, a set of game states at a time.

For each machine state the search keeps the set of game states reached there (a decision
diagram over the live atoms, `space.Space`), and works layer by layer: layer d holds, for each
machine state, the game states first reached after d orders (a `Delta`). Giving an order is the
story's rule, applied to a whole set at once:

1. the order's `if` keeps the states where it is offered; where no order is offered and the scene
   is not an ending, the game is stuck (`no_orders`);
2. its effects apply (each a relation on one level; a deduction only where its evidence is held);
3. in an engagement, the round's hits land: the danger is split by its value, and each of its
   draws either misses or (when an at-risk pilot is alive) wounds or kills any one of them, so
   after `danger` draws the set holds every outcome of chance, each as possible as the rules make
   it (`hits`);
4. the branch is chosen by the machine's rule: where a weighted branch is eligible, every
   eligible weighted branch (each has a slice of the roll); elsewhere the first eligible
   unweighted one; where none is eligible the order is a dead end (`no_branch`);
5. the branch's effects apply, the next scene is entered (its visit counted, its `enter`
   effects), and what no later condition reads is dropped (made free).

Each new set records where it came from (the delta and the order and branch), so that any game
state in it can be traced back to the start (`witness`).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from game.engine.machine import HIT_CHANCE
from game.engine.model import Branch, Order, Story, split_state
from game.engine.playtest import branch_targets
from game.engine.verify.live import Watched
from game.engine.verify.mdd import FALSE, TRUE
from game.engine.verify.space import ALIVE_INDEXES, Op, Space

Edge = tuple[str, int, int]  # (state, order index, branch index)


class _Stopped(Exception):
    """The budget ran out in the middle of expanding a state."""


@dataclass(slots=True)
class Delta:
    """Game states first reached in `state` after `depth` orders, and the deltas (and the order
    and branch given there) they were reached from."""

    id: int
    state: str
    states: int
    depth: int
    parents: list[tuple[int, int, int]] = field(default_factory=list)  # (delta, order, branch)


@dataclass(slots=True)
class Hit:
    """An engagement round's hits, as the search applies them: for each value the danger
    takes, the states where it takes it and the number of draws."""

    parts: list[tuple[int, int]]  # (states, draws)
    pilots: list[tuple[int, Op, Op, Op | None]]  # (status level, wound, kill, losses + 1)


@dataclass(slots=True)
class Route:
    """One branch of an order, compiled: the states that take it (a set over the game after
    the order and the hits), its effects, and arriving where it goes."""

    branch: Branch
    taken: int
    ops: list[Op]
    arrive: list[Op]
    target: str


@dataclass(slots=True)
class Given:
    """One order of one machine state, compiled."""

    index: int
    order: Order
    offered: int
    ops: list[Op]
    hit: Hit | None
    routes: list[Route]
    stuck: int  # states after the order and the hits in which no branch can be taken


@dataclass(slots=True)
class Found:
    """A finding of the search: where, what kind, and the delta and set it is in."""

    kind: str  # "no_orders", "no_branch", "dead_voice"
    state: str
    order: int | None
    delta: int
    states: int  # the game states (at the delta's machine state) that lead to it
    watched: Watched | None = None
    branch: int | None = None


class Search:
    """The breadth-first search of one story (see the module docstring)."""

    def __init__(
        self,
        story: Story,
        space: Space,
        start_state: str,
        start: list[int],
        *,
        deadline: float | None = None,
        max_nodes: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        within: frozenset[str] | None = None,
        goal: Callable[[Search], bool] | None = None,
    ) -> None:
        self.story = story
        self.within = within  # only these machine states are searched (None: all)
        self.goal = goal  # the search stops once this says True (what it looked for is found)
        self.reached_goal = False
        self._silent: dict[str, int] = {}  # per state: where no order may be offered
        self.space = space
        self.mdd = space.mdd
        self.start_values = start
        self.start_state = start_state
        self.deadline = deadline
        self.max_nodes = max_nodes
        self.progress = progress
        self.deltas: list[Delta] = []
        self.reach: dict[str, int] = {}
        self.first: dict[str, int] = {}  # machine state -> first delta
        self.offered: dict[tuple[str, int], int] = {}  # (state, order) -> first delta
        self.found: dict[tuple[str, str, int | None, int | None], Found] = {}
        self.complete = True
        self.stopped: str | None = None
        self.open: set[str] = set()  # what left its tracked range
        self.pending: dict[str, int] = {}  # machine states with work left when stopped
        self._compiled: dict[str, list[Given]] = {}
        self.layers = 0
        self.steps = 0

    # --- compiling a machine state's orders -------------------------------------------------

    def compiled(self, state: str) -> list[Given]:
        found = self._compiled.get(state)
        if found is None:
            found = self._compiled[state] = self._compile(state)
        return found

    def _compile(self, state: str) -> list[Given]:
        space, mdd, story = self.space, self.mdd, self.story
        scene = story.scenes[split_state(state)[0]]
        givens: list[Given] = []
        at = ("at", state)
        silent = TRUE  # the states where no order is offered
        for index, order in enumerate(story.orders_at(state)):
            offered = space.condition(order.condition, at)
            silent = mdd.conj(silent, space.condition_false(order.condition, at))
            ops = space.effect_ops(order.effects, ("pre", state, index))
            hit = self._hit(state, index, order) if scene.engagement is not None else None
            routes_written = branch_targets(story, state, order)
            post = ("post", state, index)
            holds = [space.condition(b.condition, post) for b in routes_written]
            fails = [space.condition_false(b.condition, post) for b in routes_written]
            weighted = [k for k, b in enumerate(routes_written) if b.weight is not None]
            routes: list[Route] = []
            # `before`: the states where every branch judged before this one may fail (for an
            # unweighted branch beside weighted ones, every weighted one too)
            before = TRUE
            for k in weighted:
                before = mdd.conj(before, fails[k])
            for k, branch in enumerate(routes_written):
                if branch.weight is not None:
                    # RollFalls: a slice as wide as the weight (the loader makes it >= 1)
                    taken = holds[k] if branch.weight > 0 else FALSE
                else:
                    taken = mdd.conj(holds[k], before)
                    before = mdd.conj(before, fails[k])
                routes.append(self._route(state, index, k, branch, taken))
            stuck = TRUE  # where every branch may fail (all states when there is none)
            for k in range(len(routes_written)):
                stuck = mdd.conj(stuck, fails[k])
            givens.append(Given(index, order, offered, ops, hit, routes, stuck))
        self._silent[state] = silent
        return givens

    def _route(self, state: str, index: int, k: int, branch: Branch, taken: int) -> Route:
        space = self.space
        arrive: list[Op] = []
        visit = space.visit_op(branch.goto)
        if visit is not None:
            arrive.append(visit)
        scene_id, number = split_state(branch.goto)
        if number == 1:
            arrive += space.effect_ops(self.story.scenes[scene_id].enter, ("at", branch.goto))
        ops = space.effect_ops(branch.effects, ("branch", state, index, k))
        return Route(branch, taken, ops, arrive, branch.goto)

    def _hit(self, state: str, index: int, order: Order) -> Hit | None:
        """The round's hits for `order`, or None when nothing they change is ever read."""
        space, mdd = self.space, self.mdd
        scene_id, number = split_state(state)
        engagement = self.story.scenes[scene_id].engagement
        assert engagement is not None
        pilots: list[tuple[int, Op, Op, Op | None]] = []
        losses = space.level_of("losses", scene_id)
        loss_op: Op | None = None
        if losses is not None:
            top = len(space.domains[losses]) - 1
            rel = tuple((min(v + 1, top),) for v in range(top + 1))
            loss_op = Op(losses, rel, mdd.relation(rel))
        for pilot in engagement.at_risk:
            level = space.level_of("status", pilot)
            if level is None:
                continue
            wound_rel = ((1,), (), (), (), ())  # active -> wounded (reserve: never hit)
            kill_rel = ((3,), (3,), (), (), ())  # active or wounded -> killed
            pilots.append(
                (
                    level,
                    Op(level, wound_rel, mdd.relation(wound_rel)),
                    Op(level, kill_rel, mdd.relation(kill_rel)),
                    loss_op,
                )
            )
        if not pilots and loss_op is None:
            return None
        warning = engagement.rounds[number - 1].warning
        extra = order.risk + (engagement.ignore_cost if warning and not order.heeds else 0)
        parts: dict[int, int] = {}
        for value, states in space.partition(engagement.danger.tree, ("pre", state, index)):
            assert isinstance(value, int)
            draws = max(0, value + extra)
            parts[draws] = mdd.disj(parts.get(draws, FALSE), states)
        return Hit(sorted((m, d) for d, m in parts.items()), pilots)

    # --- applying an order to a set -----------------------------------------------------------

    def land_hits(self, a: int, hit: Hit) -> int:
        """Every outcome of the round's draws, applied to the set a."""
        mdd = self.mdd
        out = FALSE
        for states, draws in hit.parts:
            current = mdd.conj(a, states)
            for _ in range(draws):
                if self._out_of_budget():
                    raise _Stopped
                nxt = self.one_draw(current, hit)
                if nxt == current:
                    break
                current = nxt
            out = mdd.disj(out, current)
        return out

    def one_draw(self, a: int, hit: Hit) -> int:
        """One draw: a miss (or no one left to hit), or a wound or a kill of one alive pilot."""
        if HIT_CHANCE <= 0:
            return a
        mdd = self.mdd
        out = a
        for level, wound, kill, loss in hit.pilots:
            alive = mdd.conj(a, mdd.literal(level, ALIVE_INDEXES))
            if alive == FALSE:
                continue
            out = mdd.disj(out, mdd.image(alive, level, wound.rel, wound.rid))
            killed = mdd.image(alive, level, kill.rel, kill.rid)
            if loss is not None:
                killed = mdd.image(killed, loss.level, loss.rel, loss.rid)
            out = mdd.disj(out, killed)
        return out

    def unland_hits(self, a: int, hit: Hit, before: int) -> int:
        """The states in `before` from which some outcome of the round's draws is in a."""
        mdd = self.mdd
        out = FALSE
        for states, draws in hit.parts:
            # the states reachable back within `draws` draws, met with `before` at the end
            current = a
            for _ in range(draws):
                nxt = current
                for level, wound, kill, loss in hit.pilots:
                    back = mdd.preimage(current, level, wound.rel, wound.rid)
                    nxt = mdd.disj(nxt, back)
                    killed = current
                    if loss is not None:
                        killed = mdd.preimage(killed, loss.level, loss.rel, loss.rid)
                    nxt = mdd.disj(nxt, mdd.preimage(killed, level, kill.rel, kill.rid))
                if nxt == current:
                    break
                current = nxt
            out = mdd.disj(out, mdd.conj(current, mdd.conj(states, before)))
        return out

    # --- the search -----------------------------------------------------------------------------

    def run(self) -> None:
        """Search until every reachable state has been expanded (or the budget runs out)."""
        mdd = self.mdd
        first_state = self.start_state
        origin = self.space.point(self.start_values, first_state)
        pending: dict[str, tuple[int, list[tuple[int, int, int]]]] = {first_state: (origin, [])}
        for component in _components(self.story, first_state):
            members = set(component)
            queue = deque(s for s in component if s in pending)
            queued = set(queue)
            while queue:
                if self._out_of_budget():
                    self.complete = False
                    self.pending = {s: m for s, (m, _) in pending.items()}
                    return
                state = queue.popleft()
                queued.discard(state)
                states, parents = pending.pop(state)
                new = mdd.diff(states, self.reach.get(state, FALSE))
                if new == FALSE:
                    continue
                self.reach[state] = mdd.disj(self.reach.get(state, FALSE), new)
                depth = min((self.deltas[p].depth + 1 for p, _, _ in parents), default=0)
                delta_id = self._delta(state, new, depth, parents)
                try:
                    self._expand(state, delta_id, pending)
                except _Stopped:
                    self.complete = False
                    self.pending = {s: m for s, (m, _) in pending.items()}
                    self.pending[state] = new
                    return
                if self.goal is not None and self.goal(self):
                    self.reached_goal = True
                    self.complete = False
                    self.pending = {s: m for s, (m, _) in pending.items()}
                    return
                for target in pending:
                    if target in members and target not in queued:
                        queued.add(target)
                        queue.append(target)
                mdd.trim()
                self.layers += 1
                if self.progress:
                    self.progress(len(self.first), len(self.story.states()))

    def _delta(
        self, state: str, states: int, depth: int, parents: list[tuple[int, int, int]]
    ) -> int:
        delta = Delta(len(self.deltas), state, states, depth, parents)
        self.deltas.append(delta)
        self.first.setdefault(state, delta.id)
        self._check_arrival(delta)
        return delta.id

    def _out_of_budget(self) -> bool:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.stopped = "time"
            return True
        if self.max_nodes is not None and self.mdd.weight > self.max_nodes:
            self.stopped = "memory"
            return True
        return False

    def _note(
        self,
        kind: str,
        state: str,
        order: int | None,
        delta: int,
        states: int,
        watched: Watched | None = None,
        branch: int | None = None,
    ) -> None:
        key = (kind, state, order, branch if watched is None else id(watched))
        if key not in self.found:
            self.found[key] = Found(kind, state, order, delta, states, watched, branch)

    def _check_arrival(self, delta: Delta) -> None:
        space, mdd = self.space, self.mdd
        state = delta.state
        for watched in space.liveness.watched_at(state, "arrive"):
            said = mdd.conj(delta.states, self._dead_and_said(watched))
            if said != FALSE:
                self._note("dead_voice", state, None, delta.id, said, watched)

    def _dead_and_said(self, watched: Watched) -> int:
        space, mdd = self.space, self.mdd
        from game.engine.verify.box import watched_point

        point = watched_point(watched)
        level = space.level_of("status", watched.pilot)
        if level is not None:
            said = mdd.literal(level, (2, 3))
        else:
            values = space._box_values("status", watched.pilot, point)
            if values is None:
                raise KeyError(f"status({watched.pilot}) is read but has no level")
            said = TRUE if {"missing", "killed"} & set(values) else FALSE
        if watched.line is not None:
            said = mdd.conj(said, space.condition(watched.line.condition, point))
            if watched.line.once and watched.where == "arrive":
                visits = space.level_of("visits", split_state(watched.state)[0])
                if visits is not None:
                    said = mdd.conj(said, mdd.literal(visits, (0, 1)))
        return said

    def _expand(
        self, state: str, delta_id: int, pending: dict[str, tuple[int, list[tuple[int, int, int]]]]
    ) -> None:
        space, mdd = self.space, self.mdd
        scene = self.story.scenes[split_state(state)[0]]
        if scene.ending is not None:
            return
        states = self.deltas[delta_id].states
        givens = self.compiled(state)
        stuck = mdd.conj(states, self._silent[state])
        if stuck != FALSE:
            self._note("no_orders", state, None, delta_id, stuck)
        for given in givens:
            offered = mdd.conj(states, given.offered)
            if offered == FALSE:
                continue
            self.steps += 1
            self.offered.setdefault((state, given.index), delta_id)
            overflow = space.overflows(offered, given.ops)
            if overflow:
                self.open.add(overflow)
            after = space.apply(offered, given.ops)
            for watched in space.liveness.watched_at(state, "order", given.index):
                said = mdd.conj(after, self._dead_and_said(watched))
                if said != FALSE:
                    back = space.unapply(said, given.ops)
                    self._note(
                        "dead_voice", state, given.index, delta_id, mdd.conj(back, offered), watched
                    )
            if given.hit is not None:
                after = self.land_hits(after, given.hit)
            stuck = mdd.conj(after, given.stuck)
            if stuck != FALSE:
                self._note(
                    "no_branch",
                    state,
                    given.index,
                    delta_id,
                    self._back_to_start(stuck, given, offered),
                )
            for k, route in enumerate(given.routes):
                if self._out_of_budget():
                    raise _Stopped
                if self.within is not None and route.target not in self.within:
                    continue
                taken = mdd.conj(after, route.taken)
                if taken == FALSE:
                    continue
                moved = space.apply(taken, route.ops)
                for watched in space.liveness.watched_at(state, "branch", given.index, k):
                    said = mdd.conj(moved, self._dead_and_said(watched))
                    if said != FALSE:
                        back = self._back_to_start(
                            mdd.conj(space.unapply(said, route.ops), route.taken), given, offered
                        )
                        self._note("dead_voice", state, given.index, delta_id, back, watched, k)
                overflow = space.overflows(moved, route.arrive)
                if overflow:
                    self.open.add(overflow)
                arrived = space.apply(moved, route.arrive)
                arrived = mdd.smear(arrived, space.dead[route.target])
                if arrived == FALSE:
                    continue
                held, parents = pending.get(route.target, (FALSE, []))
                new = mdd.diff(arrived, self.reach.get(route.target, FALSE))
                if new == FALSE:
                    continue
                if mdd.diff(new, held) != FALSE or not parents:
                    parents = [*parents, (delta_id, given.index, k)]
                pending[route.target] = (mdd.disj(held, new), parents)

    def _back_to_start(self, after_hits: int, given: Given, offered: int) -> int:
        """The states (where the order is given) that lead to a set met after the order's
        effects and hits."""
        space, mdd = self.space, self.mdd
        before = after_hits
        if given.hit is not None:
            before = self.unland_hits(before, given.hit, TRUE)
        return mdd.conj(space.unapply(before, given.ops), offered)


def _components(story: Story, start: str) -> list[list[str]]:
    """The machine states reachable from `start` in the story's graph, as strongly connected
    components in topological order (every way into a component comes from one before it),
    each in the order the story lists its states."""
    graph: dict[str, list[str]] = {}
    for state in story.states():
        targets: list[str] = []
        for order in story.orders_at(state):
            for branch in branch_targets(story, state, order):
                if branch.goto not in targets:
                    targets.append(branch.goto)
        graph[state] = targets
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    # Tarjan's algorithm, iteratively (stories are deep)
    work: list[tuple[str, int]] = [(start, 0)]
    while work:
        node, i = work.pop()
        if i == 0:
            index[node] = low[node] = counter
            counter += 1
            stack.append(node)
            on_stack.add(node)
        recurse = False
        targets = graph[node]
        while i < len(targets):
            target = targets[i]
            i += 1
            if target not in index:
                work.append((node, i))
                work.append((target, 0))
                recurse = True
                break
            if target in on_stack:
                low[node] = min(low[node], index[target])
        if recurse:
            continue
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            found.append(component)
        if work:
            parent = work[-1][0]
            low[parent] = min(low[parent], low[node])
    position = {s: i for i, s in enumerate(story.states())}
    return [sorted(c, key=position.__getitem__) for c in reversed(found)]
