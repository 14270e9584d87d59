"""The over-approximation: per machine state, a box that holds every game state a game can be in.

A box gives each atom (`live.Atom`: a variable, a piece of evidence, a deduction, a visit count,
an engagement's losses, a pilot's status or name) the set of values it may have there, as a bit
mask over the atom's domain (`space.Space.domains`). The box of a machine state contains every
game state any game can be in on arriving there, whatever was chosen and whatever chance did:

- the start is the real game's first state, exactly;
- an order's `if` narrows the box to the game states where it can hold (`Judge.assume`); its
  effects apply to each atom's set; an engagement round's hits let every `at_risk` pilot who may
  be alive be wounded or killed and the losses grow by up to the number of draws, when the danger
  can be above 0 (chance as every outcome);
- every branch that can be taken is followed: a weighted branch wherever its `if` can hold, an
  unweighted one wherever its `if` can hold while those before it (and every weighted one) fail;
- arriving counts the visit and applies the scene's `enter` effects; boxes reaching the same
  machine state are joined (each atom's sets united), and the machine states are worked again
  until nothing grows. Every domain is finite, so this ends without widening; a domain that is
  not the whole truth (an int declared without `min`/`max`, a visit count used in arithmetic)
  says so in `open` when a game can reach its edge.

Conditions are judged exactly within a box: a condition's parts that share atoms are evaluated
together on every combination of those atoms' possible values (the engine's own compiled
condition, on each combination), so `alive(x) and f` / `not alive(x) and f` / `not f` are seen to
cover every case. Past `ENUMERATE_LIMIT` combinations a part is judged on its own, and past that
by each sub-expression's set of possible values: still sound, less precise. The counting
functions (`fallen_count()`, ...) take every count between the least and the greatest the box
allows.

What is proved from boxes: a machine state with no box is unreachable; an order whose `if`
cannot hold in its state's box is never offered; "no order available", "no branch can be taken"
and "this pilot is dead and says this line" are impossible wherever the box leaves no game state
for them. Everything else is an alarm, for a concrete witness or a finer search
(`refine`) to settle.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from game.engine.conditions import (
    Binary,
    Call,
    Evaluator,
    Literal_,
    Name,
    Node,
    Not,
    Value,
    compile_node,
    walk,
)
from game.engine.machine import HIT_CHANCE
from game.engine.model import PILOT_STATUSES, Effects, Order, Story, split_state
from game.engine.playtest import branch_targets
from game.engine.verify.live import Atom, Liveness, Watched
from game.engine.verify.space import Space

Box = tuple[int, ...]
Key = tuple[str, str]  # an atom, or ("count", fn) for a counting function
Conjunct = tuple[Node, bool]  # a condition and the value it must take

ENUMERATE_LIMIT = 20_000  # combinations judged together at most
_COUNTS = ("alive_count", "fallen_count", "known_count", "evidence_count")
_ALIVE = frozenset({"active", "wounded"})
_FALLEN = frozenset({"missing", "killed"})  # a pilot in reserve is neither alive nor fallen


def conjuncts(tree: Node, want: bool) -> list[Conjunct]:
    """`tree` taking the value `want`, as parts that must all hold (`and` when true, `or` when
    false, `not` pushed inwards)."""
    if isinstance(tree, Not):
        return conjuncts(tree.operand, not want)
    if isinstance(tree, Binary) and tree.op == ("and" if want else "or"):
        return conjuncts(tree.left, want) + conjuncts(tree.right, want)
    return [(tree, want)]


def keys_of(tree: Node) -> list[Key]:
    """The atoms (and counting functions) a tree reads, in order, once each."""
    found: dict[Key, None] = {}
    for node in walk(tree):
        if isinstance(node, Name):
            found[("var", node.name)] = None
        elif isinstance(node, Call):
            fn = node.function
            if fn in ("seen", "visits"):
                found[("visits", node.args[0])] = None
            elif fn == "has":
                found[("ev", node.args[0])] = None
            elif fn == "deduced":
                found[("ded", node.args[0])] = None
            elif fn in ("alive", "status"):
                found[("status", node.args[0])] = None
            elif fn == "knows":
                found[("known", node.args[0])] = None
            elif fn == "losses":
                found[("losses", node.args[0])] = None
            else:
                found[("count", fn)] = None
    return list(found)


class _Combination:
    """The `conditions.Facts` of one combination of atom values (what `Judge` evaluates)."""

    __slots__ = ("values",)

    def __init__(self, values: dict[Key, Any]) -> None:
        self.values = values

    def var(self, name: str) -> Value:
        return self.values[("var", name)]

    def visits(self, scene: str) -> int:
        return self.values[("visits", scene)]

    def has(self, evidence: str) -> bool:
        return self.values[("ev", evidence)]

    def deduced(self, deduction: str) -> bool:
        return self.values[("ded", deduction)]

    def status(self, pilot: str) -> str:
        return self.values[("status", pilot)]

    def knows(self, pilot: str) -> bool:
        return self.values[("known", pilot)]

    def losses(self, scene: str) -> int:
        return self.values[("losses", scene)]

    def alive_count(self) -> int:
        return self.values[("count", "alive_count")]

    def fallen_count(self) -> int:
        return self.values[("count", "fallen_count")]

    def known_count(self) -> int:
        return self.values[("count", "known_count")]

    def evidence_count(self) -> int:
        return self.values[("count", "evidence_count")]


class Judge:
    """Conditions and effects on boxes, for one story and one set of atom domains."""

    def __init__(self, story: Story, space: Space) -> None:
        self.story = story
        self.space = space
        self.level: dict[Atom, int] = dict(space.index)
        self.domains = space.domains
        self.full: Box = tuple((1 << len(d)) - 1 for d in self.domains)
        self._evaluators: dict[int, tuple[Node, Evaluator]] = {}
        self._keys: dict[int, tuple[Node, list[Key]]] = {}

    # --- values ---------------------------------------------------------------------------------

    def values(self, box: Box, key: Key) -> list[Any]:
        """The values an atom (or a counting function) may take in a box."""
        kind, name = key
        if kind == "count":
            low, high = self._count_range(box, name)
            return list(range(low, high + 1))
        level = self.level.get(key)
        if level is None:
            return list(self._unkept(key))
        mask = box[level]
        return [v for i, v in enumerate(self.domains[level]) if mask >> i & 1]

    def _unkept(self, key: Key) -> list[Any]:
        """The values an atom no condition reads could take (it is never asked; kept whole)."""
        kind, name = key
        if kind in ("ev", "ded", "known"):
            return [False, True]
        if kind == "status":
            return list(PILOT_STATUSES)
        raise KeyError(f"{kind}({name}) is read but has no domain")

    def _count_range(self, box: Box, fn: str) -> tuple[int, int]:
        story = self.story
        if fn in ("alive_count", "fallen_count"):
            wanted = _ALIVE if fn == "alive_count" else _FALLEN
            keys = [(("status", p), wanted) for p in story.pilots]
        elif fn == "known_count":
            keys = [(("known", p), frozenset({True})) for p in story.pilots]
        else:
            keys = [(("ev", e), frozenset({True})) for e in story.evidence]
        low = high = 0
        for key, wanted in keys:
            possible = set(self.values(box, key))
            if possible & wanted:
                high += 1
                if possible <= wanted:
                    low += 1
        return low, high

    def mask_of(self, level: int, values: Iterable[Any]) -> int:
        index = self.space.value_index[level]
        mask = 0
        for v in values:
            i = index.get(v)
            if i is not None:
                mask |= 1 << i
        return mask

    # --- conditions -----------------------------------------------------------------------------

    def _evaluator(self, tree: Node) -> Evaluator:
        found = self._evaluators.get(id(tree))
        if found is None or found[0] is not tree:
            found = self._evaluators[id(tree)] = (tree, compile_node(tree))
        return found[1]

    def keys(self, tree: Node) -> list[Key]:
        found = self._keys.get(id(tree))
        if found is None or found[0] is not tree:
            found = self._keys[id(tree)] = (tree, keys_of(tree))
        return found[1]

    def can(self, box: Box | None, tree: Node | None, want: bool = True) -> bool:
        """Whether the condition can take the value `want` in some game state of the box."""
        if box is None:
            return False
        if tree is None:
            return want
        return self.assume(box, [(tree, want)]) is not None

    def assume(self, box: Box, parts: Sequence[Conjunct]) -> Box | None:
        """The box narrowed to the game states where every part takes its value (None when
        there is none): exact within the box for parts that share atoms, up to the limit."""
        flat: list[Conjunct] = []
        for tree, want in parts:
            flat += conjuncts(tree, want)
        flat = [(t, w) for t, w in flat if not (isinstance(t, Literal_) and bool(t.value) == w)]
        if any(isinstance(t, Literal_) for t, _ in flat):
            return None
        if not flat:
            return box
        groups = _groups(flat, self.keys)
        current = list(box)
        for group, keys in groups:
            narrowed = self._enumerate(current, group, keys)
            if narrowed is _TOO_MANY:
                narrowed = self._one_by_one(current, group)
            if narrowed is None:
                return None
            current = narrowed  # type: ignore[assignment]
        return tuple(current)

    def _enumerate(self, box: list[int], group: list[Conjunct], keys: list[Key]) -> Any:
        """Every combination of the group's atoms' values that satisfies all its parts: the box
        narrowed to them, None when there is none, `_TOO_MANY` past the limit."""
        frozen = tuple(box)
        choices = [self.values(frozen, k) for k in keys]
        size = _combinations(choices)
        if size is None:
            return _TOO_MANY
        if size == 0:
            return None
        checks = [(self._evaluator(t), w) for t, w in group]
        seen: list[set[Any]] = [set() for _ in keys]
        values: dict[Key, Any] = {}
        facts = _Combination(values)
        found = False
        # once every atom has shown each of its values in a combination that holds, no further
        # combination can narrow the box: stop there (the answer is the same, found sooner)
        wanted = sum(len(c) for c in choices)
        shown = 0
        for combo in itertools.product(*choices):
            for k, v in zip(keys, combo, strict=True):
                values[k] = v
            if all(bool(fn(facts)) == w for fn, w in checks):
                found = True
                for s, v in zip(seen, combo, strict=True):
                    if v not in s:
                        s.add(v)
                        shown += 1
                if shown == wanted:
                    return box
        if not found:
            return None
        self.narrow(box, keys, seen)
        return box  # narrowed in place: `_one_by_one` reads the change from its own list

    def narrow(self, box: list[int], keys: Sequence[Key], seen: Sequence[set[Any]]) -> None:
        """Narrow `box`, in place, to the values in `seen` of each atom of `keys` it holds."""
        for key, values in zip(keys, seen, strict=True):
            level = self.level.get(key)
            if level is not None:
                box[level] &= self.mask_of(level, values)

    def _one_by_one(self, box: list[int], group: list[Conjunct]) -> list[int] | None:
        """Each part on its own (enumerated, or judged by sets of values), until nothing
        narrows further."""
        for _ in range(4):
            before = list(box)
            for tree, want in group:
                narrowed = self._enumerate(box, [(tree, want)], self.keys(tree))
                if narrowed is None:
                    return None
                if narrowed is _TOO_MANY and want not in self.possible(tuple(box), tree):
                    return None
            if box == before:
                break
        return box

    def possible(self, box: Box, tree: Node) -> set[Any]:
        """The values a (sub-)expression may take in the box, part by part."""
        match tree:
            case Literal_(value=value):
                return {value}
            case Name(name=name):
                return set(self.values(box, ("var", name)))
            case Call(function=fn):
                if fn in _COUNTS:
                    return set(self.values(box, ("count", fn)))
                [key] = keys_of(tree)
                values = self.values(box, key)
                if fn == "seen":
                    return {v > 0 for v in values}
                if fn == "alive":
                    return {v in _ALIVE for v in values}
                return set(values)
            case Not(operand=operand):
                return {not v for v in self.possible(box, operand)}
            case Binary(op="and" | "or", left=left, right=right):
                a, b = self.possible(box, left), self.possible(box, right)
                if tree.op == "and":
                    return {x and y for x in a for y in b}
                return {x or y for x in a for y in b}
            case Binary(op=op, left=left, right=right):
                from game.engine.conditions import _COMPARE

                fn2 = _COMPARE[op]
                return {
                    fn2(x, y) for x in self.possible(box, left) for y in self.possible(box, right)
                }
        raise TypeError(tree)  # pragma: no cover

    # --- effects --------------------------------------------------------------------------------

    def effects(self, box: Box, effects: Effects, open_: set[str]) -> Box:
        """`machine.apply_effects` on a box."""
        if not effects:
            return box
        story, level_of = self.story, self.level.get
        b = list(box)
        for name, value in effects.set:
            level = level_of(("var", name))
            if level is not None:
                b[level] = self.mask_of(level, (value,))
        for name, amount in effects.add:
            level = level_of(("var", name))
            if level is None:
                continue
            domain = self.domains[level]
            variable = story.variables[name]
            new: set[int] = set()
            for i, v in enumerate(domain):
                if b[level] >> i & 1:
                    moved = variable.clamp(v + amount)
                    if moved < domain[0] or moved > domain[-1]:
                        open_.add(self.space.open.get(level, f"variable '{name}'"))
                        moved = min(max(moved, domain[0]), domain[-1])
                    new.add(moved)
            b[level] = self.mask_of(level, new)
        for pilot in effects.learn:
            level = level_of(("known", pilot))
            if level is not None:
                b[level] = self.mask_of(level, (True,))
        for pilot, status in effects.status:
            level = level_of(("status", pilot))
            if level is not None:
                b[level] = self.mask_of(level, (status,))
        if effects.reveal:
            for evidence in effects.reveal:
                level = level_of(("ev", evidence))
                if level is not None:
                    b[level] = self.mask_of(level, (True,))
            frozen = tuple(b)
            for deduction in story.deductions.values():
                level = level_of(("ded", deduction.id))
                if level is None:
                    continue
                held = [set(self.values(frozen, ("ev", e))) for e in deduction.requires]
                if all(True in h for h in held):
                    if all(h == {True} for h in held):
                        b[level] = self.mask_of(level, (True,))
                    else:
                        b[level] |= self.mask_of(level, (True,))
        return tuple(b)

    def hits(self, box: Box, state: str, order: Order) -> Box:
        """An engagement round's draws on a box: every outcome (see the module docstring)."""
        scene_id, number = split_state(state)
        engagement = self.story.scenes[scene_id].engagement
        assert engagement is not None
        warning = engagement.rounds[number - 1].warning
        extra = order.risk + (engagement.ignore_cost if warning and not order.heeds else 0)
        dangers = self.possible(box, engagement.danger.tree)
        draws = max((max(0, int(v) + extra) for v in dangers), default=0)
        if draws <= 0 or HIT_CHANCE <= 0:
            return box
        b = list(box)
        alive = 0
        for pilot in engagement.at_risk:
            level = self.level.get(("status", pilot))
            statuses = set(self.values(box, ("status", pilot)))
            if statuses & _ALIVE:
                alive += 1
            if level is None:
                continue
            if "active" in statuses:
                statuses |= {"wounded", "killed"}
            if "wounded" in statuses:
                statuses.add("killed")
            b[level] = self.mask_of(level, statuses)
        level = self.level.get(("losses", scene_id))
        if level is not None:
            top = len(self.domains[level]) - 1
            grown = {
                min(v + k, top)
                for v in self.values(box, ("losses", scene_id))
                for k in range(min(draws, alive) + 1)
            }
            b[level] = self.mask_of(level, grown)
        return tuple(b)

    def arrive(self, box: Box, target: str, open_: set[str]) -> Box:
        """Arriving in a machine state: the visit counted, the scene's `enter` effects."""
        scene_id, number = split_state(target)
        if number != 1:
            return box
        level = self.level.get(("visits", scene_id))
        if level is not None:
            top = len(self.domains[level]) - 1
            mask = box[level]
            grown = 0
            for i in range(top + 1):
                if mask >> i & 1:
                    grown |= 1 << min(i + 1, top)
            if grown >> top & 1 and level in self.space.open:
                open_.add(self.space.open[level])
            box = (*box[:level], grown, *box[level + 1 :])
        return self.effects(box, self.story.scenes[scene_id].enter, open_)

    def join(self, a: Box, b: Box) -> Box:
        """Both boxes' game states (and more)."""
        return tuple(x | y for x, y in zip(a, b, strict=True))

    def encode(self, values: Sequence[int]) -> Box:
        """The box of one game state (`Space.encode`'s value indexes)."""
        return tuple(1 << v for v in values)

    def contains(self, box: Box, values: Sequence[int]) -> bool:
        """Whether one game state (value indexes) lies in the box."""
        return all(m >> v & 1 for m, v in zip(box, values, strict=True))

    def size(self, box: Box) -> int:
        """How many game states the box holds (counted on its atoms)."""
        total = 1
        for m in box:
            total *= m.bit_count()
        return total


_TOO_MANY = object()


def _groups(parts: list[Conjunct], keys_of_tree: Callable[[Node], list[Key]]):  # noqa: ANN202
    """Parts joined when they share an atom (counting functions share the atoms they count
    only through the box), each group with its atoms."""
    parent = list(range(len(parts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[Key, int] = {}
    for i, (tree, _) in enumerate(parts):
        for key in keys_of_tree(tree):
            if key in owner:
                parent[find(i)] = find(owner[key])
            else:
                owner[key] = i
    grouped: dict[int, list[int]] = {}
    for i in range(len(parts)):
        grouped.setdefault(find(i), []).append(i)
    out = []
    for members in grouped.values():
        keys: dict[Key, None] = {}
        for i in members:
            keys.update(dict.fromkeys(keys_of_tree(parts[i][0])))
        out.append(([parts[i] for i in members], list(keys)))
    return out


# --- the fixed point over the story -----------------------------------------------------------


Place = tuple[str, int | None, int | None]  # (state, order, branch)


@dataclass
class Boxes:
    """The over-approximation of a whole story (see the module docstring)."""

    judge: Judge
    at: dict[str, Box] = field(default_factory=dict)  # on arrival (after `enter`)
    pre: dict[tuple[str, int], Box] = field(default_factory=dict)  # after an order's effects
    post: dict[tuple[str, int], Box] = field(default_factory=dict)  # after the round's hits
    branch: dict[tuple[str, int, int], Box] = field(default_factory=dict)  # after a branch
    offered: set[tuple[str, int]] = field(default_factory=set)
    taken: set[tuple[str, int, int]] = field(default_factory=set)
    no_orders: set[str] = field(default_factory=set)
    no_branch: set[tuple[str, int]] = field(default_factory=set)
    dead_voices: list[Watched] = field(default_factory=list)
    open: set[str] = field(default_factory=set)
    complete: bool = True
    pending: list[str] = field(default_factory=list)  # states still to work when it stopped
    passes: int = 0

    def point(self, place: tuple[Any, ...]) -> Box | None:
        """The box at a point of the story: ("at", s), ("pre", s, i), ("post", s, i),
        ("branch", s, i, k)."""
        kind, *rest = place
        table: dict[Any, Box] = getattr(self, kind)
        return table.get(rest[0] if len(rest) == 1 else tuple(rest))

    def size(self) -> int:
        """Game states the boxes hold, summed over machine states."""
        return sum(self.judge.size(b) for b in self.at.values())


def routes_taken(
    judge: Judge, box: Box, state: str, order: Order, story: Story
) -> tuple[list[tuple[int, Box]], bool]:
    """The branches an order can take from the box after its effects and hits, each with the
    box narrowed to where it is taken; and whether no branch can be taken somewhere."""
    routes = branch_targets(story, state, order)
    weighted = [k for k, b in enumerate(routes) if b.weight is not None]
    at_once = _routes_at_once(judge, box, routes, weighted)
    if at_once is not None:
        return at_once
    out: list[tuple[int, Box]] = []
    for k, branch in enumerate(routes):
        if branch.weight is not None:
            if branch.weight <= 0:
                continue
            parts = [(branch.condition.tree, True)] if branch.condition else []
        else:
            # taken only when no weighted branch and no unweighted one before it is eligible
            before = [*weighted, *(j for j in range(k) if routes[j].weight is None)]
            if any(routes[j].condition is None for j in before):
                continue
            parts = [(routes[j].condition.tree, False) for j in before]  # type: ignore[union-attr]
            if branch.condition is not None:
                parts.append((branch.condition.tree, True))
        narrowed = judge.assume(box, parts)
        if narrowed is not None:
            out.append((k, narrowed))
    stuck_parts = [(b.condition.tree, False) for b in routes if b.condition is not None]
    stuck = len(stuck_parts) == len(routes) and judge.assume(box, stuck_parts) is not None
    return out, stuck


ROUTES_AT_ONCE = 8  # branches from which an order's branch list is judged in one enumeration


def _routes_at_once(
    judge: Judge, box: Box, routes: Sequence[Any], weighted: list[int]
) -> tuple[list[tuple[int, Box]], bool] | None:
    """`routes_taken` for a long branch list, in one pass over the combinations of the atoms its
    conditions read: each combination takes the branch the engine would (every eligible weighted
    one, else the first unweighted one whose `if` holds), and each branch's box is the box
    narrowed to the combinations that take it. The same answer as judging each branch with the
    ones before it failing (n enumerations of up to n conditions each), in one enumeration.
    None when it does not apply: a short list, a counting function (whose range `assume`
    narrows group by group), or more combinations than `ENUMERATE_LIMIT`."""
    if len(routes) < ROUTES_AT_ONCE:
        return None
    keys: dict[Key, None] = {}
    for branch in routes:
        if branch.condition is not None:
            keys.update(dict.fromkeys(judge.keys(branch.condition.tree)))
    order = list(keys)
    if any(kind == "count" for kind, _ in order):
        return None
    choices = [judge.values(box, k) for k in order]
    if not _combinations(choices):  # none, or more than ENUMERATE_LIMIT
        return None
    checks = [
        judge._evaluator(b.condition.tree) if b.condition is not None else None for b in routes
    ]
    plain = [k for k, b in enumerate(routes) if b.weight is None]
    live_weighted = [k for k in weighted if (routes[k].weight or 0) > 0]
    seen: dict[int, list[set[Any]]] = {}
    stuck = False
    values: dict[Key, Any] = {}
    facts = _Combination(values)
    for combo in itertools.product(*choices):
        for k, v in zip(order, combo, strict=True):
            values[k] = v
        holds = [fn is None or bool(fn(facts)) for fn in checks]
        taken = [k for k in live_weighted if holds[k]]
        if not any(holds[k] for k in weighted):
            first = next((k for k in plain if holds[k]), None)
            if first is not None:
                taken.append(first)
        if not any(holds):
            stuck = True
        for k in taken:
            sets = seen.setdefault(k, [set() for _ in order])
            for s, v in zip(sets, combo, strict=True):
                s.add(v)
    out: list[tuple[int, Box]] = []
    for k in sorted(seen):
        narrowed = list(box)
        judge.narrow(narrowed, order, seen[k])
        out.append((k, tuple(narrowed)))
    return out, stuck


def _combinations(choices: Sequence[Sequence[Any]]) -> int | None:
    """How many combinations of one value from each of `choices` there are; None past
    `ENUMERATE_LIMIT` (counted no further)."""
    size = 1
    for values in choices:
        size *= len(values)
        if size > ENUMERATE_LIMIT:
            return None
    return size


def analyse(
    story: Story,
    space: Space,
    start_state: str,
    start_values: Sequence[int],
    watched: Sequence[Watched] = (),
    *,
    deadline: float | None = None,
) -> Boxes:
    """The boxes of every machine state a game can reach (see the module docstring)."""
    judge = Judge(story, space)
    result = Boxes(judge)
    result.at[start_state] = judge.encode(start_values)
    queue = deque([start_state])
    queued = {start_state}
    position = {s: i for i, s in enumerate(story.states())}
    while queue:
        if deadline is not None and time.monotonic() > deadline:
            result.complete = False
            result.pending = list(queue)
            return result
        state = queue.popleft()
        queued.discard(state)
        result.passes += 1
        for target, box in _expand(judge, result, story, state):
            old = result.at.get(target)
            new = box if old is None else judge.join(old, box)
            if new != old:
                result.at[target] = new
                if target not in queued:
                    queued.add(target)
                    queue.append(target)
        # stable order: earlier states first keeps the passes few
        if len(queue) > 1:
            queue = deque(sorted(queue, key=position.__getitem__))
    _judge_voices(judge, result, watched)
    return result


def _expand(judge: Judge, result: Boxes, story: Story, state: str) -> list[tuple[str, Box]]:
    scene = story.scenes[split_state(state)[0]]
    box = result.at[state]
    if scene.ending is not None:
        return []
    orders = story.orders_at(state)
    if all(o.condition is not None for o in orders) and (
        judge.assume(box, [(o.condition.tree, False) for o in orders if o.condition]) is not None
    ):
        result.no_orders.add(state)
    out: list[tuple[str, Box]] = []
    for index, order in enumerate(orders):
        given = (
            box if order.condition is None else judge.assume(box, [(order.condition.tree, True)])
        )
        if given is None:
            continue
        result.offered.add((state, index))
        after = judge.effects(given, order.effects, result.open)
        result.pre[(state, index)] = _joined(judge, result.pre.get((state, index)), after)
        if scene.engagement is not None:
            after = judge.hits(after, state, order)
        result.post[(state, index)] = _joined(judge, result.post.get((state, index)), after)
        taken, stuck = routes_taken(judge, after, state, order, story)
        if stuck:
            result.no_branch.add((state, index))
        routes = branch_targets(story, state, order)
        for k, narrowed in taken:
            branch = routes[k]
            result.taken.add((state, index, k))
            moved = judge.effects(narrowed, branch.effects, result.open)
            key = (state, index, k)
            result.branch[key] = _joined(judge, result.branch.get(key), moved)
            out.append((branch.goto, judge.arrive(moved, branch.goto, result.open)))
    return out


def _joined(judge: Judge, old: Box | None, new: Box) -> Box:
    return new if old is None else judge.join(old, new)


def dead_and_said(judge: Judge, box: Box | None, watched: Watched) -> Box | None:
    """The box narrowed to where the watched line is said with its speaker dead (None: never)."""
    if box is None:
        return None
    level = judge.level.get(("status", watched.pilot))
    b = list(box)
    if level is not None:
        b[level] &= judge.mask_of(level, _FALLEN)
        if not b[level]:
            return None
    if watched.line is not None and watched.line.once and watched.where == "arrive":
        visits = judge.level.get(("visits", split_state(watched.state)[0]))
        if visits is not None:
            b[visits] &= 0b11
            if not b[visits]:
                return None
    parts = []
    if watched.line is not None and watched.line.condition is not None:
        parts.append((watched.line.condition.tree, True))
    return judge.assume(tuple(b), parts)


def watched_point(watched: Watched) -> tuple[Any, ...]:
    """Where a watched line is judged: on arrival, after its order's effects, or after its
    branch's effects."""
    if watched.where == "arrive":
        return ("at", watched.state)
    if watched.where == "order":
        return ("pre", watched.state, watched.order)
    return ("branch", watched.state, watched.order, watched.branch)


def _judge_voices(judge: Judge, result: Boxes, watched: Sequence[Watched]) -> None:
    for w in watched:
        if dead_and_said(judge, result.point(watched_point(w)), w) is not None:
            result.dead_voices.append(w)


def read_anywhere(story: Story, liveness: Liveness) -> frozenset[Atom]:
    """Every atom a condition, a danger or a watched line reads somewhere, with what the
    liveness keeps (the atoms a box gives values to)."""
    from game.engine.playtest import all_orders
    from game.engine.verify.live import reads_of

    found: set[Atom] = set().union(*liveness.live_in.values())
    for scene in story.scenes.values():
        for order in all_orders(story, scene.id):
            found |= reads_of(order.condition.tree if order.condition else None, story)
            for branch in order.branches:
                found |= reads_of(branch.condition.tree if branch.condition else None, story)
        if scene.engagement is not None:
            found |= reads_of(scene.engagement.danger.tree, story)
            found |= {("status", p) for p in scene.engagement.at_risk}
            for branch in scene.engagement.after:
                found |= reads_of(branch.condition.tree if branch.condition else None, story)
    for w in liveness.watched:
        found |= w.reads(story)
    for deduction in story.deductions.values():
        if ("ded", deduction.id) in found:
            found |= {("ev", e) for e in deduction.requires}
    return frozenset(found)


def box_space(story: Story, liveness: Liveness, presets: dict[str, Value]) -> Space:
    """The levels a box has: every atom `read_anywhere`, in every machine state."""
    import copy

    everything = read_anywhere(story, liveness)
    whole = copy.copy(liveness)
    whole.live_in = dict.fromkeys(liveness.live_in, everything)
    return Space(story, whole, presets)
