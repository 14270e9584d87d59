"""W022, the dead stay dead: a pilot who may be killed or missing is never heard, addressed or
named as present.

Three kinds of text are checked, each where and when the engine says it (`runtime.Engine`):

1. a radio line (or a round's warning, which is Shin's) whose speaker is the pilot;
2. an order whose `say` names the pilot: Lena speaking to them;
3. any other line, a round's warning or an ending's text that names the pilot.

A pilot is named by their callsign, their name, or a part of their name, as whole words and
with the capitals as written ("Kestrel", "Petra Valcu", "Petra").

When it is said, relative to what can kill: giving an order applies the order's effects, then
says its radio, then (in an engagement) lands the round's hits on the `at_risk` pilots still
alive, then picks a branch, applies its effects and says its radio, then arrives: the target
scene's `enter` effects, then its radio (a round's radio, warning and orders at the start of
the round; an ending's text when its scene is reached).

A may-analysis over the machine states (scenes and engagement rounds) finds, for each of those
moments, the pilots who may be dead then: those who start dead, `status:` effects, and a
round's hits (every `at_risk` pilot may die in any round whose danger can be above 0). An
order's `if`, and a branch's (with, for a branch without weight, the failing of those before it
and of every weighted one), take out the pilots they prove alive (`implied_statuses`), as long
as nothing after them can kill. It is sound: every state a game can reach, and every pilot who
can be dead there, is found (conditions are otherwise taken as possibly true). A must-analysis
finds the pilots surely dead at each moment, so a text that names them where they are known
dead (a eulogy) is left alone.

A text is reported when a pilot it concerns may be dead where it is said and nothing rules
that out. A speaker's own line needs a condition that proves them alive. A text that names a
pilot is fine where the pilot is surely dead, and otherwise needs: for an order, an `if` that
proves them alive or proves them dead; for anything else, a condition that asks after that
pilot's status at all (the line's, or its order's or branch's), or to be a roll call: the
lines right after it each ask after the pilot, and one of them is said only if they are dead.
Each finding carries the shortest path from the start (a breadth-first search over states
paired with "the pilot may be dead") through the place where the pilot may die.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from game.engine.analysis import FALLEN, Ranges, implied_statuses, int_range
from game.engine.conditions import Binary, Call, Expression, Literal_, Node, Not, walk
from game.engine.diagnostics import Diagnostic, Mark
from game.engine.model import Branch, Effects, Line, Order, Scene, Story, split_state
from game.engine.playtest import branch_targets

CODE = "W022"
_PATH_SHOWN = 6  # paths with more states than this are shortened in the message


@dataclass(frozen=True, slots=True)
class Step:
    """One order of a witness path: the state it is given in, its index there and its text."""

    state: str
    order: int
    say: str


Witness = Callable[[], tuple[tuple[str, ...], tuple[Step, ...]]]


@dataclass(frozen=True, slots=True)
class DeadVoice(Diagnostic):
    """A W022 finding: the pilot concerned, where and how they may have died, and the shortest
    way there from the start. `states()` and `steps()` build the full witness (the states, and
    the orders given in them) only when asked: on a long story they are long."""

    pilot: str = ""
    dies_in: str = ""
    cause: str = ""
    witness: Witness = field(default=lambda: ((), ()), repr=False, compare=False)

    def states(self) -> tuple[str, ...]:
        """The machine states from the start to the one where the text is said."""
        return self.witness()[0]

    def steps(self) -> tuple[Step, ...]:
        """The orders given along the path (and, for an order's or branch's radio, the order
        that says it)."""
        return self.witness()[1]

    def to_json(self) -> dict[str, object]:
        """The flat object `validate --json` prints, with the pilot and the full witness."""
        states, steps = self.witness()
        return {
            "path": self.mark.path,
            "line": self.mark.line,
            "column": self.mark.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "pilot": self.pilot,
            "dies_in": self.dies_in,
            "cause": self.cause,
            "states": list(states),
            "orders": [{"state": s.state, "order": s.order, "say": s.say} for s in steps],
        }


# --- masks: one bit per pilot ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Stage:
    """One moment of giving an order that can change who is dead: `(dead & keep) | add`, for
    the may-analysis and for the must-analysis."""

    kind: str  # "order", "hits", "branch" or "enter"
    keep: int
    add: int
    must_keep: int
    must_add: int


@dataclass(frozen=True, slots=True)
class _Edge:
    """An order given in `source` and one of its branches, leading to `target`."""

    source: str
    index: int
    order: Order
    branch: Branch
    target: str
    stages: tuple[_Stage, ...]  # order, hits (in an engagement), branch, enter (a new scene)
    target_index: int  # the target's place in `_Graph.states`
    keep: int
    add: int
    must_keep: int
    must_add: int


@dataclass(frozen=True, slots=True)
class _Text:
    """Something said or shown, and the moment it is said: in `state` on arrival, or while
    `edge`'s order is given (after `stages` of it)."""

    kind: str  # "line", "warning", "order" or "ending"
    speaker: str  # a pilot id, "hq", "narration" or "lena"
    text: str
    mark: Mark
    condition: Expression | None
    context: tuple[Expression, ...]  # the order's and branch's conditions around a line
    state: str
    edge: _Edge | None = None
    stages: int = 0  # how many of the edge's stages come before it
    following: tuple[Line, ...] = ()  # the lines after it in its list (see `_answered`)


class _Masks:
    """Pilot ids as bits, and what conditions and effects do to them."""

    def __init__(self, story: Story, ranges: Ranges) -> None:
        self.pilots = tuple(story.pilots)
        self.bit = {p: 1 << i for i, p in enumerate(self.pilots)}
        self.all = (1 << len(self.pilots)) - 1
        self.ranges = ranges
        self._implied: dict[Node, tuple[int, int] | None] = {}

    def of(self, pilots: Iterable[str]) -> int:
        """The pilots as a mask (ids that are not pilots count for nothing)."""
        mask = 0
        for pilot in pilots:
            mask |= self.bit.get(pilot, 0)
        return mask

    def pilots_in(self, mask: int) -> Iterator[str]:
        """The pilots in a mask, in roster order."""
        for pilot in self.pilots:
            if mask & self.bit[pilot]:
                yield pilot

    def implied(self, tree: Node | None) -> tuple[int, int] | None:
        """(pilots proved alive, pilots proved dead) by a condition; None if never true."""
        if tree is None:
            return 0, 0
        if tree not in self._implied:  # trees compare by value: one answer per condition
            found = implied_statuses(tree, self.ranges, self.pilots)
            self._implied[tree] = None if found is None else (self.of(found[0]), self.of(found[1]))
        return self._implied[tree]

    def proves(self, condition: Expression | None) -> tuple[int, int] | None:
        """`implied` for an expression that may be absent."""
        return self.implied(None if condition is None else condition.tree)

    def effects(self, effects: Effects) -> tuple[int, int]:
        """(pilots made killed or missing, pilots made active or wounded)."""
        if not effects.status:
            return 0, 0
        final = dict(effects.status)
        dead = self.of(p for p, s in final.items() if s in ("killed", "missing"))
        return dead, self.of(final) & ~dead


def _stage(kind: str, masks: _Masks, proved: tuple[int, int], effects: Effects) -> _Stage:
    alive, dead = proved
    made_dead, made_alive = masks.effects(effects)
    return _Stage(
        kind,
        masks.all & ~(alive | made_alive),
        made_dead,
        masks.all & ~made_alive,
        (dead & ~made_alive) | made_dead,
    )


def _compose(stages: tuple[_Stage, ...], all_bits: int) -> tuple[int, int, int, int]:
    keep, add, must_keep, must_add = all_bits, 0, all_bits, 0
    for s in stages:
        keep, add = keep & s.keep, (add & s.keep) | s.add
        must_keep, must_add = must_keep & s.must_keep, (must_add & s.must_keep) | s.must_add
    return keep, add, must_keep, must_add


# --- the story as a graph of machine states ------------------------------------------------


def _branch_condition(routes: tuple[Branch, ...], j: int) -> Node | None:
    """What is known when branch `j` is taken: its condition and, for a branch without weight,
    that every branch before it and every weighted branch failed (`Engine._pick_branch`)."""
    branch = routes[j]
    parts: list[Node] = [branch.condition.tree] if branch.condition is not None else []
    if branch.weight is None:
        for k, other in enumerate(routes):
            if k < j or (k != j and other.weight is not None):
                tree = other.condition.tree if other.condition is not None else Literal_(True, 0)
                parts.append(Not(tree, 0))
    if not parts:
        return None
    node = parts[0]
    for part in parts[1:]:
        node = Binary("and", node, part, 0)
    return node


class _Graph:
    """Every machine state's orders and branches as edges, with what each does to the dead."""

    def __init__(self, story: Story, masks: _Masks) -> None:
        self.story = story
        self.masks = masks
        self.states = story.states()
        self.index = {state: i for i, state in enumerate(self.states)}
        self.edges: dict[str, list[_Edge]] = {}
        for state in self.states:
            self.edges[state] = list(self._edges_from(state))
        # for the witnesses, orders and branches without an `if` first: of the shortest
        # paths, the one found is then the likeliest to be playable as it stands
        self.out = [
            sorted(
                self.edges[state],
                key=lambda e: (e.order.condition is not None, e.branch.condition is not None),
            )
            for state in self.states
        ]
        enter = _stage("enter", masks, (0, 0), story.scenes[story.start].enter)
        starting = masks.of(p.id for p in story.pilots.values() if p.status in FALLEN)
        self.start_dead = (starting & enter.keep) | enter.add
        self.start_must = (starting & enter.must_keep) | enter.must_add

    def _edges_from(self, state: str) -> Iterator[_Edge]:
        story, masks = self.story, self.masks
        scene = story.scenes[split_state(state)[0]]
        hits = self._hits(scene)
        for index, order in enumerate(story.orders_at(state)):
            proved = masks.proves(order.condition)
            if proved is None:
                continue
            given = _stage("order", masks, proved, order.effects)
            routes = branch_targets(story, state, order)
            for j, branch in enumerate(routes):
                known = masks.implied(_branch_condition(routes, j))
                if known is None:
                    continue
                stages = [given]
                if hits:
                    stages.append(_Stage("hits", masks.all, hits, masks.all, 0))
                stages.append(_stage("branch", masks, known, branch.effects))
                target_scene, target_round = split_state(branch.goto)
                if target_round == 1:
                    enter = story.scenes[target_scene].enter
                    stages.append(_stage("enter", masks, (0, 0), enter))
                staged = tuple(stages)
                keep, add, must_keep, must_add = _compose(staged, masks.all)
                yield _Edge(
                    state, index, order, branch, branch.goto, staged, self.index[branch.goto],
                    keep, add, must_keep, must_add,
                )  # fmt: skip

    def _hits(self, scene: Scene) -> int:
        """The pilots a round of the scene's fighting may kill: its `at_risk`, unless no
        order's danger can be above 0."""
        engagement = scene.engagement
        if engagement is None:
            return 0
        high = int_range(engagement.danger.tree, self.masks.ranges)[1]
        orders = [*engagement.orders, *(o for r in engagement.rounds for o in r.orders)]
        extra = max((o.risk for o in orders), default=0)
        if any(r.warning for r in engagement.rounds):
            extra += max(0, engagement.ignore_cost)
        return self.masks.of(engagement.at_risk) if high + extra > 0 else 0

    def may_dead(self) -> dict[str, int]:
        """Every reachable state, with the pilots who may be dead on arriving there."""
        start = self.story.start
        dead = {start: self.start_dead}
        queue = deque([start])
        queued = {start}
        while queue:
            state = queue.popleft()
            queued.discard(state)
            here = dead[state]
            for edge in self.edges[state]:
                out = (here & edge.keep) | edge.add
                before = dead.get(edge.target)
                if before is None or out & ~before:
                    dead[edge.target] = out | (before or 0)
                    if edge.target not in queued:
                        queued.add(edge.target)
                        queue.append(edge.target)
        return dead

    def must_dead(self, reachable: dict[str, int]) -> dict[str, int]:
        """Every reachable state, with the pilots surely dead on arriving there (the greatest
        solution: everyone, narrowed by every way in)."""
        must = dict.fromkeys(reachable, self.masks.all)
        must[self.story.start] = self.start_must
        queue = deque(reachable)
        queued = set(reachable)
        while queue:
            state = queue.popleft()
            queued.discard(state)
            here = must[state]
            for edge in self.edges[state]:
                out = (here & edge.must_keep) | edge.must_add
                before = must[edge.target]
                if before & ~out:
                    must[edge.target] = before & out
                    if edge.target not in queued:
                        queued.add(edge.target)
                        queue.append(edge.target)
        return must


# --- what is said, and where ------------------------------------------------------------------


def _texts(story: Story, graph: _Graph, reachable: dict[str, int]) -> Iterator[_Text]:
    """Everything said or shown in a reachable state, at the moment it is said."""
    shin = "shin" if "shin" in story.pilots else "narration"  # who the engine says warnings as
    for state in story.states():
        if state not in reachable:
            continue
        scene_id, number = split_state(state)
        scene = story.scenes[scene_id]
        lines = scene.radio if number == 1 else ()
        if scene.engagement is not None:
            rnd = scene.engagement.rounds[number - 1]
            lines += rnd.radio
            if rnd.warning:
                yield _Text("warning", shin, rnd.warning, rnd.mark, None, (), state)
        for k, line in enumerate(lines):
            yield _Text(
                "line", line.speaker, line.text, line.mark, line.condition, (), state,
                following=lines[k + 1 :],
            )  # fmt: skip
        if scene.ending is not None:
            ending = story.endings[scene.ending]
            yield _Text("ending", "narration", ending.text, ending.mark, None, (), state)
        # every order is listed on arrival, whether or not a branch of it can be taken
        for order in story.orders_at(state):
            yield _Text("order", "lena", order.say, order.mark, order.condition, (), state)
        given: set[int] = set()
        for edge in graph.edges[state]:
            order = edge.order
            around = (order.condition,) if order.condition is not None else ()
            if edge.index not in given:
                given.add(edge.index)
                for k, line in enumerate(order.radio):
                    yield _Text(
                        "line", line.speaker, line.text, line.mark, line.condition, around,
                        state, edge, 1, order.radio[k + 1 :],
                    )  # fmt: skip
            if edge.branch.condition is not None:
                around += (edge.branch.condition,)
            said_at = len(edge.stages) - (edge.stages[-1].kind == "enter")
            radio = edge.branch.radio
            for k, line in enumerate(radio):
                yield _Text(
                    "line", line.speaker, line.text, line.mark, line.condition, around,
                    state, edge, said_at, radio[k + 1 :],
                )  # fmt: skip


class _Names:
    """Which pilots a text names (as a mask): callsign, name, or a part of the name, as whole
    words with the capitals as written."""

    def __init__(self, story: Story, masks: _Masks) -> None:
        owners: dict[str, int] = {}
        for pilot in story.pilots.values():
            for form in {pilot.callsign, pilot.name, *pilot.name.split()}:
                if len(form) >= 2 and form[0].isupper():
                    owners[form] = owners.get(form, 0) | masks.bit[pilot.id]
        self.owners = owners
        alternatives = "|".join(re.escape(f) for f in sorted(owners, key=len, reverse=True))
        # the lookahead on the forms' first letters turns most places away at once
        first = "".join(sorted({re.escape(f[0]) for f in owners}))
        self.pattern = (
            re.compile(rf"(?<!\w)(?=[{first}])(?:{alternatives})(?!\w)") if owners else None
        )
        self._cache: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        found = self._cache.get(text)
        if found is None:
            found = 0
            if self.pattern is not None:
                for match in self.pattern.findall(text):
                    found |= self.owners[match]
            self._cache[text] = found
        return found


def _mentioned(expressions: tuple[Expression | None, ...]) -> set[str]:
    """The pilots whose status the conditions ask about (`alive(p)`, `status(p)`)."""
    found: set[str] = set()
    for expression in expressions:
        if expression is None:
            continue
        for node in walk(expression.tree):
            if isinstance(node, Call) and node.function in ("alive", "status"):
                found.update(node.args)
    return found


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A text that concerns a pilot who may be dead where it is said."""

    text: _Text
    pilot: str
    speaks: bool  # the pilot is the speaker (else the text names them)


def _candidates(
    story: Story, graph: _Graph, may: dict[str, int], must: dict[str, int]
) -> Iterator[_Candidate]:
    masks = graph.masks
    names = _Names(story, masks)
    for text in _texts(story, graph, may):
        dead, surely = may[text.state], must[text.state]
        if text.edge is not None:
            for stage in text.edge.stages[: text.stages]:
                dead = (dead & stage.keep) | stage.add
                surely = (surely & stage.must_keep) | stage.must_add
        if not dead:
            continue
        speaker = masks.bit.get(text.speaker, 0)
        if speaker & dead and text.kind in ("line", "warning"):
            proved = masks.proves(text.condition)
            if proved is not None and not proved[0] & speaker:
                yield _Candidate(text, text.speaker, True)
        named = dead & ~surely & ~speaker
        if named:
            named &= names(text.text)
        if named and text.kind == "order":
            proved = masks.proves(text.condition)
            named &= 0 if proved is None else ~(proved[0] | proved[1])
        elif named:
            named &= ~masks.of(_mentioned((text.condition, *text.context)))
        if not named:
            continue
        for pilot in masks.pilots_in(named):
            if not _answered(masks, text.following, pilot):
                yield _Candidate(text, pilot, False)


def _answered(masks: _Masks, following: tuple[Line, ...], pilot: str) -> bool:
    """Whether the lines right after a line that names `pilot` answer for every fate, as a roll
    call does (the name; then "here" if alive, silence if not): each of them asks after the
    pilot's status, and one is said only if the pilot is dead."""
    for line in following:
        if pilot not in _mentioned((line.condition,)):
            return False
        proved = masks.proves(line.condition)
        if proved is not None and proved[1] & masks.bit[pilot]:
            return True
    return False


# --- witnesses ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Death:
    """Where a pilot last may have died on a path: a stage of an edge, or the start."""

    state: str
    kind: str  # a stage's kind, or "start"
    edge: _Edge | None
    depth: int  # how many orders into the path `state` is (0: the start)


class _Search:
    """Shortest paths from the start over nodes (state, whether `pilot` may be dead there),
    numbered `2 * state index + flag`; for each node reached, the node it was reached from,
    by which edge, how deep, and the node just after the pilot last died on the way."""

    def __init__(self, graph: _Graph, pilot: str) -> None:
        self.graph = graph
        self.bit = bit = graph.masks.bit[pilot]
        size = 2 * len(graph.states)
        self.parent = parent = [-1] * size
        self.via: list[_Edge | None] = [None] * size
        self.depth = depth = [-1] * size
        self.fell = fell = [-1] * size
        first = 2 * graph.index[graph.story.start] + (1 if graph.start_dead & bit else 0)
        depth[first] = 0
        if first & 1:
            fell[first] = first
        queue = [first]
        for node in queue:  # grows while it is read: breadth first
            flag = node & 1
            deeper = depth[node] + 1
            for edge in graph.out[node >> 1]:
                kept = flag and edge.keep & bit
                nxt = 2 * edge.target_index + (1 if kept or edge.add & bit else 0)
                if depth[nxt] >= 0:
                    continue
                depth[nxt] = deeper
                parent[nxt] = node
                self.via[nxt] = edge
                if nxt & 1:
                    fell[nxt] = fell[node] if kept else nxt
                queue.append(nxt)

    def reach(self, text: _Text) -> tuple[int, int] | None:
        """The nearest node from which `text` is said with the pilot maybe dead, and where they
        died: a node of `fell`, or `-1 - k` when it is the `k`th stage of the text's edge."""
        best: tuple[int, int] | None = None
        base = 2 * self.graph.index[text.state]
        for node in (base, base + 1):
            if self.depth[node] < 0:
                continue
            flag, died = node & 1, self.fell[node]
            if text.edge is not None:
                for k, stage in enumerate(text.edge.stages[: text.stages]):
                    out = 1 if (flag and stage.keep & self.bit) or stage.add & self.bit else 0
                    if out and not (flag and stage.keep & self.bit):
                        died = -1 - k
                    flag = out
            if flag and (best is None or self.depth[node] < self.depth[best[0]]):
                best = (node, died)
        return best

    def death(self, node: int, died: int, text: _Text) -> _Death:
        """Where the pilot died, as `reach` found it for `text` from `node`."""
        if died < 0:
            assert text.edge is not None
            return self._stage_death(text.edge, -1 - died, self.depth[node])
        edge = self.via[died]
        if edge is None:
            return _Death(self.graph.story.start, "start", None, 0)
        source = self.parent[died]
        flag, last = source & 1, 0
        for k, stage in enumerate(edge.stages):
            out = 1 if (flag and stage.keep & self.bit) or stage.add & self.bit else 0
            if out and not (flag and stage.keep & self.bit):
                last = k
            flag = out
        return self._stage_death(edge, last, self.depth[source])

    @staticmethod
    def _stage_death(edge: _Edge, k: int, depth: int) -> _Death:
        kind = edge.stages[k].kind
        if kind == "enter":
            return _Death(edge.target, kind, edge, depth + 1)
        return _Death(edge.source, kind, edge, depth)

    def walk_back(self, node: int) -> tuple[list[str], list[_Edge]]:
        """The states and edges from the start to `node`."""
        states = self.graph.states
        path: list[str] = [states[node >> 1]]
        edges: list[_Edge] = []
        while self.parent[node] >= 0:
            edge = self.via[node]
            assert edge is not None
            edges.append(edge)
            node = self.parent[node]
            path.append(states[node >> 1])
        return path[::-1], edges[::-1]

    def compact(self, node: int, death: _Death) -> str:
        """The path's states, with the middle left out when it is long (the start, where the
        pilot dies and the end always shown)."""
        depth = self.depth[node]
        if depth < _PATH_SHOWN:
            return " > ".join(self.walk_back(node)[0])
        end = self.graph.states[node >> 1]
        shown = {0: self.graph.story.start, death.depth: death.state, depth: end}
        parts: list[str] = []
        previous = 0
        for index in sorted(shown):
            if index - previous > 1:
                parts.append(f"… {index - previous - 1} more …")
            parts.append(shown[index])
            previous = index
        return " > ".join(parts)


def _witness(search: _Search, node: int, text: _Text) -> Witness:
    def build() -> tuple[tuple[str, ...], tuple[Step, ...]]:
        states, edges = search.walk_back(node)
        if text.edge is not None:
            edges.append(text.edge)
        return tuple(states), tuple(Step(e.source, e.index, e.order.say) for e in edges)

    return build


# --- messages ----------------------------------------------------------------------------------


def _cause(story: Story, pilot: str, death: _Death) -> str:
    """How the pilot may die where `death` says, in words."""
    edge = death.edge
    if death.kind == "start":
        status = story.pilots[pilot].status
        if status in FALLEN:
            return f"starts {status}"
        return f"is made {_status(story.scenes[story.start].enter, pilot)} on arriving in {story.start}"
    assert edge is not None
    if death.kind == "hits":
        scene, number = split_state(edge.source)
        return f"may be killed in round {number} of {scene}'s fighting"
    if death.kind == "enter":
        scene = split_state(edge.target)[0]
        return f"is made {_status(story.scenes[scene].enter, pilot)} on arriving in {scene}"
    say = _quote(edge.order.say)
    if death.kind == "order":
        return f"is made {_status(edge.order.effects, pilot)} by the order {say} in {edge.source}"
    how = f"a branch of the order {say}" if edge.order.branches else "the engagement's 'after'"
    return f"is made {_status(edge.branch.effects, pilot)} by {how} in {edge.source}"


def _status(effects: Effects, pilot: str) -> str:
    return dict(effects.status).get(pilot, "killed")


def _quote(text: str, limit: int = 40) -> str:
    return '"' + (text if len(text) <= limit else text[: limit - 1] + "…") + '"'


def _whose(story: Story, text: _Text) -> str:
    if text.kind == "ending":
        return "the ending's text"
    if text.kind == "warning":
        return "this warning"
    if text.speaker in story.pilots:
        return f"{story.pilots[text.speaker].callsign}'s line"
    return f"this {text.speaker} line"


def _message(story: Story, candidate: _Candidate, where: str, cause: str) -> str:
    pilot, text = candidate.pilot, candidate.text
    callsign = story.pilots[pilot].callsign
    alive = f"`if: alive({pilot})`"
    either = f"{alive} (or say it only when {pilot} is dead: `if: not alive({pilot})`)"
    if candidate.speaks and text.kind == "warning":
        head = f"{callsign} ({pilot}) gives this warning, but may be dead here"
        fix = "move the warning into the round's radio with " + alive
    elif candidate.speaks:
        head = f"{callsign} ({pilot}) speaks this line, but may be dead here"
        fix = f"add {alive} to the line"
    elif text.kind == "order":
        head = f"the order {_quote(text.text)} addresses {callsign} ({pilot}), who may be dead here"
        fix = f"add {either} to the order"
    else:
        head = f"{_whose(story, text)} names {callsign} ({pilot}) as if alive, but may be said after they die"
        fix = (
            f"add {either}"
            if text.kind == "line"
            else f"name {callsign} only where they are surely alive"
        )
    return f"{head}: {pilot} {cause}, on the way {where}; {fix}"


@dataclass(frozen=True, slots=True)
class Fates:
    """Who may be dead, and who is surely dead, on arriving in a machine state."""

    may: frozenset[str]
    must: frozenset[str]


def fates(story: Story, ranges: Ranges | None = None) -> dict[str, Fates]:
    """Every state the static graph reaches, with the pilots who may be (and who surely are)
    killed or missing when its lines are said: the analyses the check rests on."""
    masks = _Masks(story, ranges or Ranges(story))
    graph = _Graph(story, masks)
    may = graph.may_dead()
    must = graph.must_dead(may)
    return {
        state: Fates(frozenset(masks.pilots_in(dead)), frozenset(masks.pilots_in(must[state])))
        for state, dead in may.items()
    }


def dead_voices(story: Story, ranges: Ranges | None = None) -> list[Diagnostic]:
    """W022 for every text that concerns a pilot who may be dead where it is said (see the
    module docstring): one diagnostic per text and pilot, with the shortest witness."""
    masks = _Masks(story, ranges or Ranges(story))
    graph = _Graph(story, masks)
    may = graph.may_dead()
    if not any(may.values()):
        return []
    must = graph.must_dead(may)
    searches: dict[str, _Search] = {}
    best: dict[tuple[Mark, str, bool], tuple[int, _Candidate, int, int]] = {}
    for candidate in _candidates(story, graph, may, must):
        search = searches.get(candidate.pilot)
        if search is None:
            search = searches[candidate.pilot] = _Search(graph, candidate.pilot)
        found = search.reach(candidate.text)
        assert found is not None, "the may-analysis and the search agree"
        node, died = found
        key = (candidate.text.mark, candidate.pilot, candidate.speaks)
        depth = search.depth[node]
        if key not in best or depth < best[key][0]:
            best[key] = (depth, candidate, node, died)
    out: list[Diagnostic] = []
    for _, candidate, node, died in best.values():
        search = searches[candidate.pilot]
        death = search.death(node, died, candidate.text)
        where = search.compact(node, death)
        if candidate.text.edge is not None:
            where += f", giving {_quote(candidate.text.edge.order.say, 30)}"
        cause = _cause(story, candidate.pilot, death)
        out.append(
            DeadVoice(
                candidate.text.mark,
                "warning",
                CODE,
                _message(story, candidate, where, cause),
                candidate.pilot,
                death.state,
                f"{candidate.pilot} {cause}",
                _witness(search, node, candidate.text),
            )
        )
    return out
