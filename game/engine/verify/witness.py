"""Witnesses: a concrete path from the start to what the search found, replayed on the real
engine with a seed whose draws give the outcomes of chance the path needs.

`trace` walks a finding back through the deltas that led to it: at each step it picks one game
state (the least damaged squadron, then the lowest values) in the parent delta from which the
recorded order and branch reach the state picked after it. Beside the path it keeps, for each
step, every game state from which the rest of the path still gets there (`accept`), so a seed is
good when the real game stays inside those sets whatever else its chance does.

`find_seed` replays the path on the real `Engine` for seed after seed (0, 1, 2, ...) until one
stays inside them and shows the finding (the dead end raised, the line said by a dead pilot), or
the tries run out; the path and the outcomes it needs are then printed instead of a seed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from game.engine.model import Story
from game.engine.playtest import enabled_orders
from game.engine.runtime import DeadEnd, Engine
from game.engine.verify.mdd import FALSE, TRUE
from game.engine.verify.search import Found, Search

_STATUS_COST = (0, 1, 3, 2, 0)  # active, wounded, missing, killed, reserve: least damage first


@dataclass
class Path:
    """A witness path: the orders given (state, order index) and branches taken, the game
    states picked along it (value indexes per level), and the acceptance sets."""

    steps: list[tuple[str, int, int]]
    points: list[list[int]]
    accept: list[int]
    final_order: int | None = None  # the order given in the last state (a dead end, a line)
    final_branch: int | None = None
    seed: int | None = None
    tried: int = 0
    replayed: bool = False
    outcomes: list[str] = field(default_factory=list)

    @property
    def log(self) -> list[tuple[str, int]]:
        """The orders as an engine's order log (and a transcript's `orders`)."""
        entries = [(state, order) for state, order, _ in self.steps]
        return entries


def _costs(search: Search) -> list[list[int]]:
    space = search.space
    out: list[list[int]] = []
    for level, (kind, _) in enumerate(space.atoms):
        size = len(space.domains[level])
        if kind == "status":
            out.append(list(_STATUS_COST))
        else:
            out.append([0] * size)
    return out


def edge_back(search: Search, state: str, order: int, branch: int, target: int) -> int:
    """The game states in `state` from which giving `order` and taking `branch` (with some
    outcome of chance) arrives in the set `target`."""
    space, mdd = search.space, search.mdd
    given = search.compiled(state)[order]
    route = given.routes[branch]
    x = space.unapply(target, route.arrive)
    x = mdd.conj(space.unapply(x, route.ops), route.taken)
    if given.hit is not None:
        x = search.unland_hits(x, given.hit, TRUE)
    return mdd.conj(space.unapply(x, given.ops), given.offered)


def trace(search: Search, delta_id: int, states: int) -> Path:
    """A path from the start to one of `states` (a set within delta `delta_id`)."""
    space, mdd = search.space, search.mdd
    costs = _costs(search)
    delta = search.deltas[delta_id]
    values = mdd.pick(mdd.conj(states, delta.states), costs)
    assert values is not None, "a finding's set is never empty"
    points = [values]
    steps: list[tuple[str, int, int]] = []
    while delta.parents:
        point = space.point(values, delta.state)
        for parent_id, order, branch in delta.parents:
            parent = search.deltas[parent_id]
            back = mdd.conj(edge_back(search, parent.state, order, branch, point), parent.states)
            if back != FALSE:
                break
        else:  # pragma: no cover - every state of a delta came from one of its parents
            raise AssertionError(f"no way back from {delta.state}")
        values = mdd.pick(back, costs)
        assert values is not None
        points.append(values)
        steps.append((parent.state, order, branch))
        delta = parent
    steps.reverse()
    points.reverse()
    accept = [states]
    for state, order, branch in reversed(steps):
        accept.append(edge_back(search, state, order, branch, accept[-1]))
    accept.reverse()
    return Path(steps, points, accept)


def describe_outcomes(search: Search, path: Path) -> list[str]:
    """What chance must do along the path: each weighted branch taken, and the squadron after
    each engagement round where someone is hit."""
    story = search.story
    out: list[str] = []
    for n, (state, order, branch) in enumerate(path.steps):
        given = search.compiled(state)[order]
        route = given.routes[branch]
        if route.branch.weight is not None:
            out.append(f"order {n + 1}: chance takes the branch to {route.target}")
        if given.hit is not None:
            before, after = path.points[n], path.points[n + 1]
            changed = []
            for level, (kind, pilot) in enumerate(search.space.atoms):
                if kind == "status" and before[level] != after[level]:
                    status = search.space.domains[level][after[level]]
                    changed.append(f"{story.pilots[pilot].callsign} {status}")
            if changed:
                out.append(f"order {n + 1}: the round's hits leave {', '.join(changed)}")
    return out


def find_seed(
    search: Search,
    path: Path,
    found: Found | None,
    *,
    warp: str | None,
    sets: dict,
    tries: int,
    seconds: float,
) -> None:
    """Replay `path` on the real engine with seeds 0, 1, ... until one reproduces it; sets
    `path.seed` (None if none did within `tries` seeds or `seconds`)."""
    story = search.story
    space, mdd = search.space, search.mdd
    deadline = time.monotonic() + seconds
    engine = Engine.new(story, 0, warp=warp, sets=sets)
    for seed in range(tries):
        if seed and time.monotonic() > deadline:
            break
        path.tried = seed + 1
        if seed:
            engine.reset(seed, warp=warp, sets=sets)
        if _replays(engine, story, search, path, found, space, mdd):
            path.seed = seed
            path.replayed = True
            return


def _replays(
    engine: Engine, story: Story, search: Search, path: Path, found: Found | None, space, mdd
) -> bool:  # noqa: ANN001
    for j, (state, order, _branch) in enumerate(path.steps):
        if engine.state.scene != state or not mdd.contains(
            path.accept[j], space.encode(engine.state)
        ):
            return False
        try:
            engine.choose(order)
        except (DeadEnd, ValueError):
            return False
    last_state = found.state if found is not None else None
    if last_state is not None and engine.state.scene != last_state:
        return False
    if not mdd.contains(path.accept[-1], space.encode(engine.state)):
        return False
    if found is None:
        return True
    if found.kind == "no_orders":
        return not enabled_orders(engine)
    if found.kind == "no_branch":
        assert found.order is not None
        try:
            engine.choose(found.order)
        except DeadEnd:
            return True
        except ValueError:
            return False
        return False
    watched = found.watched
    assert watched is not None
    pilot = watched.pilot
    if watched.where == "arrive":
        return engine.state.status[pilot] in ("killed", "missing")
    assert found.order is not None
    try:
        engine.choose(found.order)
    except (DeadEnd, ValueError):
        return False
    if watched.where == "branch" and path.final_branch is not None:
        given = search.compiled(found.state)[found.order]
        if engine.state.scene != given.routes[path.final_branch].target:
            return False
    said = [line for line in engine.state.aftermath if line.speaker == pilot]
    return bool(said) and engine.state.status[pilot] in ("killed", "missing")
