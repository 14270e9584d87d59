"""What a game state still matters for: the atoms some later condition can read, per machine state.

An atom is one piece of a game that a condition can read and an effect can change:

- `("var", name)`: a declared variable;
- `("ev", id)`, `("ded", id)`: a piece of evidence held, a deduction made;
- `("visits", scene)`: how often a scene was entered (`seen`, `visits`);
- `("losses", scene)`: how many pilots that engagement has killed;
- `("status", pilot)`, `("known", pilot)`: a pilot's status, whether Lena knows the name.

`live_in[state]` is the set of atoms whose value, on arriving in `state` (after its `enter`
effects), can still change anything the search reports: which orders are offered, which branch an
order takes, how dangerous a round is, where the game can go, and whether a pilot line said while
its speaker may be dead is said (`Watched`). It is the least fixed point of the usual backward
transfer, run on the story's graph of machine states:

- an order's `if` reads its atoms where it is given; every branch condition of an order reads its
  atoms after the order's effects and the round's hits;
- `set x`, `learn p`, `status p: ...` and revealing a piece of evidence overwrite their atom (it
  is dead before them unless something else reads it); `add x` reads `x` only if `x` is live
  after it (strong liveness: an `add` to a variable nobody reads keeps it dead);
- a deduction is made when evidence is revealed: a live deduction makes the evidence it needs
  live before the reveal;
- an engagement round's hits change the status of its `at_risk` pilots and its `losses`: if any
  of those is live after the round, the round reads all of them and the danger's atoms;
- arriving in a scene counts a visit (read-and-write) and applies its `enter` effects.

Counting functions read every atom of their kind (`fallen_count()` reads every pilot's status).
Dropping an atom that is not live is exact: two game states in the same machine state that agree
on every live atom offer the same orders and reach the same places in the same ways, for ever.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from game.engine.conditions import Call, Expression, Name, Node, walk
from game.engine.model import Branch, Effects, Line, Order, Story, split_state
from game.engine.playtest import branch_targets

Atom = tuple[str, str]
Atoms = frozenset[Atom]
_EMPTY: Atoms = frozenset()


def reads_of(tree: Node | None, story: Story) -> set[Atom]:
    """The atoms a condition (or danger) tree reads."""
    found: set[Atom] = set()
    if tree is None:
        return found
    for node in walk(tree):
        if isinstance(node, Name):
            found.add(("var", node.name))
        elif isinstance(node, Call):
            fn = node.function
            if fn in ("seen", "visits"):
                found.update(("visits", s) for s in node.args)
            elif fn == "has":
                found.update(("ev", e) for e in node.args)
            elif fn == "deduced":
                found.update(("ded", d) for d in node.args)
            elif fn in ("alive", "status"):
                found.update(("status", p) for p in node.args)
            elif fn == "knows":
                found.update(("known", p) for p in node.args)
            elif fn == "losses":
                found.update(("losses", s) for s in node.args)
            elif fn in ("alive_count", "fallen_count"):
                found.update(("status", p) for p in story.pilots)
            elif fn == "known_count":
                found.update(("known", p) for p in story.pilots)
            elif fn == "evidence_count":
                found.update(("ev", e) for e in story.evidence)
    return found


@dataclass(frozen=True, slots=True)
class Watched:
    """A pilot's radio line (or Shin's warning) that a pilot who may be dead could speak: the
    search asks, wherever it is said, whether the speaker is dead and the line is said."""

    pilot: str
    line: Line | None  # None for a round's warning
    state: str  # the machine state it is said in (on arrival), or where the order is given
    where: str  # "arrive", "order" (an order's radio) or "branch" (a branch's radio)
    order: int | None = None
    branch: int | None = None

    def reads(self, story: Story) -> set[Atom]:
        """What deciding whether the line is said with its speaker dead reads."""
        found = {("status", self.pilot)}
        if self.line is not None:
            found |= reads_of(self.line.condition.tree if self.line.condition else None, story)
            if self.line.once and self.where == "arrive":
                found.add(("visits", split_state(self.state)[0]))
        return found


def effects_back(story: Story, effects: Effects, live: set[Atom]) -> set[Atom]:
    """The atoms live before `effects` apply, given those live after (see the module
    docstring; the steps are undone in the reverse of `apply_effects`' order)."""
    if not effects:
        return live
    live = set(live)
    if effects.reveal:
        for deduction in story.deductions.values():
            if ("ded", deduction.id) in live:
                live.update(("ev", e) for e in deduction.requires)
        live.difference_update(("ev", e) for e in effects.reveal)
    live.difference_update(("status", p) for p, _ in effects.status)
    live.difference_update(("known", p) for p in effects.learn)
    # `add` keeps its variable live (it reads it) and keeps a dead one dead
    live.difference_update(("var", name) for name, _ in effects.set)
    return live


@dataclass
class Liveness:
    """`live_in` for every machine state of a story (see the module docstring), with the lines
    watched for dead voices."""

    story: Story
    watched: tuple[Watched, ...] = ()
    live_in: dict[str, Atoms] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_place: dict[tuple[str, str, int | None, int | None], list[Watched]] = defaultdict(
            list
        )
        for w in self.watched:
            self._by_place[(w.state, w.where, w.order, w.branch)].append(w)
        self._solve()

    def watched_at(
        self, state: str, where: str, order: int | None = None, branch: int | None = None
    ) -> list[Watched]:
        """The watched lines said at one place."""
        return self._by_place.get((state, where, order, branch), [])

    # --- the fixed point ----------------------------------------------------------------------

    def _solve(self) -> None:
        story = self.story
        states = story.states()
        preds: dict[str, set[str]] = defaultdict(set)
        for state in states:
            for target in self._targets(state):
                preds[target].add(state)
        live: dict[str, Atoms] = dict.fromkeys(states, _EMPTY)
        queue = deque(states[::-1])
        queued = set(states)
        while queue:
            state = queue.popleft()
            queued.discard(state)
            found = frozenset(self._live_at(state, live))
            if found != live[state]:
                live[state] = found
                for pred in preds[state]:
                    if pred not in queued:
                        queued.add(pred)
                        queue.append(pred)
        self.live_in = live

    def _targets(self, state: str) -> Iterator[str]:
        for order in self.story.orders_at(state):
            for branch in branch_targets(self.story, state, order):
                yield branch.goto

    def _live_at(self, state: str, live: dict[str, Atoms]) -> set[Atom]:
        story = self.story
        scene_id, _ = split_state(state)
        scene = story.scenes[scene_id]
        if scene.ending is not None:
            found: set[Atom] = set()
        else:
            found = set()
        for w in self.watched_at(state, "arrive"):
            found |= w.reads(story)
        if scene.ending is not None:
            return found
        for index, order in enumerate(story.orders_at(state)):
            found |= reads_of(order.condition.tree if order.condition else None, story)
            found |= self.order_back(state, index, order, live)
        return found

    def order_back(self, state: str, index: int, order: Order, live: dict[str, Atoms]) -> set[Atom]:
        """What giving `order` in `state` reads, as atoms live before its effects apply."""
        story = self.story
        routes = branch_targets(story, state, order)
        after: set[Atom] = set()
        for k, branch in enumerate(routes):
            after |= reads_of(branch.condition.tree if branch.condition else None, story)
            after |= self.branch_back(state, index, k, branch, live)
        scene = story.scenes[split_state(state)[0]]
        engagement = scene.engagement
        if engagement is not None:
            statuses = {("status", p) for p in engagement.at_risk}
            if after & (statuses | {("losses", scene.id)}):
                # who is hit depends on who is still alive; how often, on the danger
                after |= statuses | reads_of(engagement.danger.tree, story)
        for w in self.watched_at(state, "order", index):
            after |= w.reads(story)
        return effects_back(story, order.effects, after)

    def branch_back(
        self, state: str, index: int, k: int, branch: Branch, live: dict[str, Atoms]
    ) -> set[Atom]:
        """What is live just after an order's effects (and hits) that taking branch `k` and
        arriving where it goes will read."""
        story = self.story
        found = set(live[branch.goto])
        target_scene, target_round = split_state(branch.goto)
        if target_round == 1:
            found = effects_back(story, story.scenes[target_scene].enter, found)
            # the visit count is read (and written) on arrival: kept as it is
        for w in self.watched_at(state, "branch", index, k):
            found |= w.reads(story)
        return effects_back(story, branch.effects, found)


def kinds(atoms: Iterable[Atom], kind: str) -> set[str]:
    """The ids of the atoms of one kind."""
    return {name for k, name in atoms if k == kind}


def watched_lines(story: Story) -> tuple[Watched, ...]:
    """Every pilot's line (and every warning, which Shin speaks) that could be said while its
    speaker is dead, by the sound static analyses: lines whose own condition proves the speaker
    alive are left out, and so are lines where W022's may-analysis shows the speaker cannot be
    dead (`deadvoices.fates`). What is left is for the search to decide."""
    from game.engine.analysis import Ranges, implied_statuses
    from game.engine.deadvoices import fates

    ranges = Ranges(story)
    pilots = tuple(story.pilots)
    may = fates(story, ranges)
    found: list[Watched] = []

    def proves_alive(line: Line, *context: Expression | None) -> bool:
        for condition in (line.condition, *context):
            if condition is None:
                continue
            implied = implied_statuses(condition.tree, ranges, pilots)
            if implied is None or line.speaker in implied[0]:
                return True
        return False

    def can_die_in(effects: Iterable[Effects]) -> set[str]:
        return {p for e in effects for p, s in e.status if s in ("killed", "missing")}

    speaker_shin = "shin" if "shin" in story.pilots else None
    for state in story.states():
        if state not in may:
            continue
        scene_id, number = split_state(state)
        scene = story.scenes[scene_id]
        dead_here = may[state].may
        lines = scene.radio if number == 1 else ()
        if scene.engagement is not None:
            rnd = scene.engagement.rounds[number - 1]
            lines += rnd.radio
            if rnd.warning and speaker_shin in dead_here:
                found.append(Watched("shin", None, state, "arrive"))
        for line in lines:
            if line.speaker in dead_here and not proves_alive(line):
                found.append(Watched(line.speaker, line, state, "arrive"))
        hits = set(scene.engagement.at_risk) if scene.engagement is not None else set()
        for index, order in enumerate(story.orders_at(state)):
            # the order's `if` is judged before its effects; a branch's after the round's hits
            killed = can_die_in([order.effects])
            dying = dead_here | killed
            for line in order.radio:
                held = order.condition if line.speaker not in killed else None
                if line.speaker in dying and not proves_alive(line, held):
                    found.append(Watched(line.speaker, line, state, "order", index))
            dying = dying | hits
            for k, branch in enumerate(branch_targets(story, state, order)):
                dying_k = dying | can_die_in([branch.effects])
                for line in branch.radio:
                    fresh = line.speaker not in can_die_in([branch.effects])
                    context = (
                        branch.condition if fresh else None,
                        order.condition if fresh and line.speaker not in killed | hits else None,
                    )
                    if line.speaker in dying_k and not proves_alive(line, *context):
                        found.append(Watched(line.speaker, line, state, "branch", index, k))
    return tuple(found)
