"""The game as levels of a decision diagram: which atoms are kept, their values, and how the
story's conditions and effects read and change them.

Every atom that is live in some machine state (`live.Liveness`) gets a level; its domain is every
value it can take: a bool's two, an int variable's declared range, a text variable's default and
every value an effect sets, a piece of evidence or a deduction held or not, a pilot's four
statuses, a name known or not, an engagement's losses from 0 to its `at_risk`, and a scene's
visits from 0 up to a cap. The cap is exact: a visit count is only ever compared with numbers
(`visits(s) == 1`, `seen(s)`), so every count above the largest number compared is alike; a
count used any other way is kept up to `VISITS_CAP` and the search says it is incomplete if a
game goes past that. An int variable declared without a `min` or `max` is kept within
`OPEN_MARGIN` of the values the story names, with the same warning.

Conditions become sets (`condition`): each sub-expression is evaluated to a partition of the
states by its value, so `fallen_count() > ch2_prior_fallen` is the union, over the pairs of values
where it holds, of "that many fallen" and "that variable's value". Effects become lists of `Op`:
a relation on one level, or (for a deduction) a relation applied only inside a set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from game.engine.conditions import Binary, Call, Expression, Literal_, Name, Node, Not, Value, walk
from game.engine.model import PILOT_STATUSES, Effects, Story, split_state
from game.engine.state import GameState
from game.engine.verify.live import Atom, Liveness
from game.engine.verify.mdd import FALSE, TRUE, Mdd, Relation

if TYPE_CHECKING:
    from game.engine.verify.box import Boxes

VISITS_CAP = 64
OPEN_MARGIN = 64
ALIVE_INDEXES = (0, 1)  # active, wounded in PILOT_STATUSES
FALLEN_INDEXES = (2, 3)  # missing, killed


@dataclass(frozen=True, slots=True)
class Op:
    """One step of an effect: `rel` on `level`, applied only to the states in `guard` (all when
    `guard` is TRUE). `overflow` names what leaves its tracked range if it is applied."""

    level: int
    rel: Relation
    rid: int
    guard: int = TRUE
    overflow: str | None = None
    keep: bool = False  # True: inside `guard` the old value may stay too (a guard not known)


Partition = list[tuple[Value, int]]
Point = tuple[Any, ...] | None  # where in the story a condition is judged (`box.Boxes.point`)


def _truth_of(fn: str, value: Any) -> bool:
    """What a true/false function (or a count's member) says of an atom's value."""
    if fn in ("alive", "alive_count"):
        return value in ("active", "wounded")
    if fn == "fallen_count":
        return value in ("missing", "killed")
    if fn == "seen":
        return value > 0
    return bool(value)


class Space:
    """The levels of one story's game, built from its liveness (see the module docstring)."""

    def __init__(
        self,
        story: Story,
        liveness: Liveness,
        presets: dict[str, Value],
        *,
        tracked: frozenset[Atom] | None = None,
        boxes: Boxes | None = None,
    ) -> None:
        self.story = story
        self.liveness = liveness
        self.tracked = tracked
        self.boxes = boxes
        used: set[Atom] = set()
        for atoms in liveness.live_in.values():
            used |= atoms
        if tracked is not None:
            used &= tracked
        self.atoms: list[Atom] = _ordered(story, used)

        self.index: dict[Atom, int] = {a: i for i, a in enumerate(self.atoms)}
        self.caps = _visit_caps(story, liveness)
        self.domains: list[list[Any]] = [self._domain(a, presets) for a in self.atoms]
        self.value_index: list[dict[Any, int]] = [
            {v: i for i, v in enumerate(d)} for d in self.domains
        ]
        self.mdd = Mdd([len(d) for d in self.domains])
        self.open: dict[int, str] = {}  # levels whose domain is not the whole truth
        for level, atom in enumerate(self.atoms):
            kind, name = atom
            if kind == "var" and story.variables[name].type == "int":
                variable = story.variables[name]
                if variable.min is None or variable.max is None:
                    self.open[level] = f"variable '{name}' (declared without min or max)"
            elif kind == "visits" and self.caps.get(name) is None:
                self.open[level] = f"visits({name}) (used in arithmetic)"
        self.dead: dict[str, frozenset[int]] = {
            state: frozenset(i for i, a in enumerate(self.atoms) if a not in live)
            for state, live in liveness.live_in.items()
        }
        self._pointed: dict[int, tuple[Node, bool]] = {}
        self.live_levels: dict[str, frozenset[int]] = {
            state: frozenset(range(len(self.atoms))) - dead for state, dead in self.dead.items()
        }
        self._conditions: dict[tuple[int, Point], tuple[Node, tuple[int, int]]] = {}
        self._partitions: dict[tuple[int, Point], tuple[Node, Partition]] = {}
        self._counts: dict[tuple[str, Point], Partition] = {}

    # --- domains --------------------------------------------------------------------------------

    def _domain(self, atom: Atom, presets: dict[str, Value]) -> list[Any]:
        kind, name = atom
        story = self.story
        if kind == "var":
            variable = story.variables[name]
            if variable.type == "bool":
                return [False, True]
            if variable.type == "int":
                if variable.min is not None and variable.max is not None:
                    return list(range(variable.min, variable.max + 1))
                named = [variable.default, *_int_literals(story, name)]
                if name in presets:
                    named.append(presets[name])
                low = variable.min if variable.min is not None else min(named) - OPEN_MARGIN  # type: ignore[type-var]
                high = variable.max if variable.max is not None else max(named) + OPEN_MARGIN  # type: ignore[type-var]
                return list(range(int(low), int(high) + 1))  # type: ignore[call-overload]
            values = [variable.default, *_text_values(story, name)]
            if name in presets:
                values.append(presets[name])
            return list(dict.fromkeys(values))
        if kind in ("ev", "ded", "known"):
            return [False, True]
        if kind == "status":
            return list(PILOT_STATUSES)
        if kind == "losses":
            engagement = story.scenes[name].engagement
            return list(range(len(engagement.at_risk) + 1 if engagement else 1))
        cap = self.caps.get(name)
        return list(range((cap if cap is not None else VISITS_CAP) + 1))

    def level_of(self, kind: str, name: str) -> int | None:
        """The level of an atom, or None when no state keeps it."""
        return self.index.get((kind, name))

    # --- encoding a real game -------------------------------------------------------------------

    def encode(self, state: GameState) -> list[int]:
        """A game state as one value index per level (visit counts capped)."""
        values: list[int] = []
        for level, (kind, name) in enumerate(self.atoms):
            index = self.value_index[level]
            if kind == "var":
                values.append(index[state.variables[name]])
            elif kind == "ev":
                values.append(int(name in state.evidence))
            elif kind == "ded":
                values.append(int(name in state.deductions))
            elif kind == "known":
                values.append(int(name in state.known))
            elif kind == "status":
                values.append(index[state.status[name]])
            elif kind == "losses":
                values.append(min(len(state.losses.get(name, ())), len(index) - 1))
            else:
                values.append(min(state.visits.get(name, 0), len(index) - 1))
        return values

    def point(self, values: Sequence[int], state: str) -> int:
        """The set of states agreeing with `values` on the levels live in `state`."""
        live = self.live_levels[state]
        return self.mdd.cube({lv: v for lv, v in enumerate(values) if lv in live})

    def describe(self, values: Sequence[int], levels: Iterable[int]) -> dict[str, Any]:
        """Readable values of some levels: `{"trust": 3, "status(kestrel)": "killed", ...}`."""
        out: dict[str, Any] = {}
        for level in sorted(levels):
            kind, name = self.atoms[level]
            label = name if kind == "var" else f"{kind}({name})"
            out[label] = self.domains[level][values[level]]
        return out

    # --- conditions -----------------------------------------------------------------------------
    #
    # A condition becomes two sets: the game states where it may be true and those where it may
    # be false. When every atom it reads has a level they are each other's complement (exact);
    # an atom left without a level (`tracked`) takes every value the box at that point of the
    # story allows (`boxes`), in every state, so both can hold at once: sound, not exact.

    def condition(self, expression: Expression | None, point: Point = None) -> int:
        """The states in which a condition may hold (all of them when there is none), judged
        at `point` of the story (see `box.Boxes.point`; only atoms without a level need it)."""
        if expression is None:
            return TRUE
        return self.truths(expression.tree, point)[0]

    def condition_false(self, expression: Expression | None, point: Point = None) -> int:
        """The states in which a condition may fail (none when there is no condition)."""
        if expression is None:
            return FALSE
        return self.truths(expression.tree, point)[1]

    def truths(self, tree: Node, point: Point = None) -> tuple[int, int]:
        """(may be true, may be false) for a condition tree."""
        key = (id(tree), self._point_for(tree, point))
        found = self._conditions.get(key)
        if found is None or found[0] is not tree:
            part = self.partition(tree, point)
            mdd = self.mdd
            found = (
                tree,
                (mdd.union([m for v, m in part if v]), mdd.union([m for v, m in part if not v])),
            )
            self._conditions[key] = found
        return found[1]

    def partition(self, tree: Node, point: Point = None) -> Partition:
        """The states by the value a (sub-)expression may take in them (a state may be in more
        than one part where an atom it reads has no level)."""
        key = (id(tree), self._point_for(tree, point))
        found = self._partitions.get(key)
        if found is None or found[0] is not tree:
            found = (tree, self._evaluate(tree, key[1]))
            self._partitions[key] = found
        return found[1]

    def _point_for(self, tree: Node, point: Point) -> Point:
        """The point a tree is judged at, or None when every atom it reads has a level."""
        if self.tracked is None:
            return None
        found = self._pointed.get(id(tree))
        if found is None or found[0] is not tree:
            from game.engine.verify.box import keys_of

            missing = False
            for kind, name in keys_of(tree):
                if kind == "count":
                    missing = missing or any(
                        self.level_of(k, n) is None for k, n in self._members(name)
                    )
                else:
                    missing = missing or self.level_of(kind, name) is None
            found = self._pointed[id(tree)] = (tree, missing)
        return point if found[1] else None

    def _evaluate(self, tree: Node, point: Point) -> Partition:
        mdd = self.mdd
        match tree:
            case Literal_(value=value):
                return [(value, TRUE)]
            case Name(name=name):
                return self._atom_partition("var", name, point)
            case Call(function=fn, args=args):
                return self._call(fn, args, point)
            case Not(operand=operand):
                t, f = self.truths(operand, point)
                return [(True, f), (False, t)]
            case Binary(op="and", left=left, right=right):
                lt, lf = self.truths(left, point)
                rt, rf = self.truths(right, point)
                return [(True, mdd.conj(lt, rt)), (False, mdd.disj(lf, rf))]
            case Binary(op="or", left=left, right=right):
                lt, lf = self.truths(left, point)
                rt, rf = self.truths(right, point)
                return [(True, mdd.disj(lt, rt)), (False, mdd.conj(lf, rf))]
            case Binary(op=op, left=left, right=right):
                from game.engine.conditions import _COMPARE

                fn = _COMPARE[op]
                grouped: dict[Value, int] = {}
                for a, ma in self.partition(left, point):
                    for b, mb in self.partition(right, point):
                        both = mdd.conj(ma, mb)
                        if both != FALSE:
                            value = fn(a, b)
                            grouped[value] = mdd.disj(grouped.get(value, FALSE), both)
                return list(grouped.items())
        raise TypeError(tree)  # pragma: no cover

    def _box_values(self, kind: str, name: str, point: Point) -> list[Any] | None:
        """The values an atom without a level may take at `point`, by the box there; None when
        the atom must have a level (the exact search)."""
        if self.tracked is None:
            return None
        if self.boxes is None or point is None:
            return list(self._domain((kind, name), {}))
        box = self.boxes.point(point)
        if box is None:
            return []  # no game gets there
        return self.boxes.judge.values(box, (kind, name))

    def _atom_partition(self, kind: str, name: str, point: Point = None) -> Partition:
        level = self.level_of(kind, name)
        if level is None:
            values = self._box_values(kind, name, point)
            if values is None:
                raise KeyError(f"{kind}({name}) is read but has no level: the liveness missed it")
            return [(v, TRUE) for v in values]
        mdd = self.mdd
        return [(v, mdd.literal(level, (i,))) for i, v in enumerate(self.domains[level])]

    def _call(self, fn: str, args: tuple[str, ...], point: Point = None) -> Partition:
        mdd = self.mdd
        if fn in ("seen", "has", "deduced", "knows", "alive"):
            kind = {
                "alive": "status",
                "seen": "visits",
                "has": "ev",
                "deduced": "ded",
                "knows": "known",
            }[fn]
            level = self.level_of(kind, args[0])
            if level is None:
                values = self._box_values(kind, args[0], point)
                if values is None:
                    raise KeyError(f"{fn}({args[0]}) is read but has no level")
                truths = {_truth_of(fn, v) for v in values}
                return [(v, TRUE) for v in (True, False) if v in truths]
            if fn == "alive":
                chosen: Sequence[int] = ALIVE_INDEXES
            elif fn == "seen":
                chosen = range(1, len(self.domains[level]))
            else:
                chosen = (1,)
            t = mdd.literal(level, chosen)
            return [(True, t), (False, mdd.negate(t))]
        if fn in ("visits", "losses", "status"):
            kind = {"visits": "visits", "losses": "losses", "status": "status"}[fn]
            return self._atom_partition(kind, args[0], point)
        return self._count(fn, point)

    def _members(self, fn: str) -> list[tuple[str, str]]:
        story = self.story
        if fn in ("alive_count", "fallen_count"):
            return [("status", p) for p in story.pilots]
        if fn == "known_count":
            return [("known", p) for p in story.pilots]
        return [("ev", e) for e in story.evidence]

    def _count(self, fn: str, point: Point = None) -> Partition:
        key = (fn, point)
        found = self._counts.get(key)
        if found is not None:
            return found
        wanted: dict[str, tuple[int, ...]] = {
            "alive_count": ALIVE_INDEXES,
            "fallen_count": FALLEN_INDEXES,
        }
        mdd = self.mdd
        counts: list[int] = [TRUE]
        for kind, name in self._members(fn):
            level = self.level_of(kind, name)
            if level is None:
                values = self._box_values(kind, name, point)
                if values is None:
                    raise KeyError(f"{fn}() is read but a level is missing")
                truths = {_truth_of(fn, v) for v in values}
                yes = TRUE if True in truths else FALSE
                no = TRUE if False in truths else FALSE
            else:
                yes = mdd.literal(level, wanted.get(fn, (1,)))
                no = mdd.negate(yes)
            nxt = [FALSE] * (len(counts) + 1)
            for k, m in enumerate(counts):
                if m == FALSE:
                    continue
                nxt[k] = mdd.disj(nxt[k], mdd.conj(m, no))
                nxt[k + 1] = mdd.disj(nxt[k + 1], mdd.conj(m, yes))
            counts = nxt
        found = self._counts[key] = [(k, m) for k, m in enumerate(counts) if m != FALSE]
        return found

    # --- effects --------------------------------------------------------------------------------

    def assign(self, level: int, value: Any) -> Op:
        """Set a level to one value, whatever it was."""
        target = self.value_index[level][value]
        rel: Relation = tuple((target,) for _ in self.domains[level])
        return Op(level, rel, self.mdd.relation(rel))

    def effect_ops(self, effects: Effects, point: Point = None) -> list[Op]:
        """The steps of `apply_effects`, in its order, on the levels that exist. `point` is
        where the story stands once they have applied (for a deduction whose evidence has no
        level: the box there says whether it is held)."""
        ops: list[Op] = []
        if not effects:
            return ops
        story = self.story
        for name, value in effects.set:
            level = self.level_of("var", name)
            if level is not None:
                ops.append(self.assign(level, value))
        for name, amount in effects.add:
            level = self.level_of("var", name)
            if level is None:
                continue
            domain = self.domains[level]
            variable = story.variables[name]
            rel_list: list[tuple[int, ...]] = []
            spills = False
            for value in domain:
                new = variable.clamp(value + amount)
                if new < domain[0] or new > domain[-1]:
                    spills = True
                    new = min(max(new, domain[0]), domain[-1])
                rel_list.append((self.value_index[level][new],))
            rel = tuple(rel_list)
            ops.append(
                Op(
                    level,
                    rel,
                    self.mdd.relation(rel),
                    overflow=self.open.get(level) if spills else None,
                )
            )
        for pilot in effects.learn:
            level = self.level_of("known", pilot)
            if level is not None:
                ops.append(self.assign(level, True))
        for pilot, status in effects.status:
            level = self.level_of("status", pilot)
            if level is not None:
                ops.append(self.assign(level, status))
        if effects.reveal:
            for evidence in effects.reveal:
                level = self.level_of("ev", evidence)
                if level is not None:
                    ops.append(self.assign(level, True))
            ops.extend(self._deduction_ops(point))
        return ops

    def _deduction_ops(self, point: Point = None) -> list[Op]:
        mdd = self.mdd
        ops: list[Op] = []
        for deduction in self.story.deductions.values():
            level = self.level_of("ded", deduction.id)
            if level is None:
                continue
            guard = mdd.literal(level, (0,))
            keep = False
            for evidence in deduction.requires:
                ev = self.level_of("ev", evidence)
                if ev is not None:
                    guard = mdd.conj(guard, mdd.literal(ev, (1,)))
                    continue
                held = self._box_values("ev", evidence, point)
                if held is None:
                    # the exact search: a piece no state keeps means no state reads this
                    # deduction after a reveal (the liveness keeps every piece a live
                    # deduction needs), so it can be left
                    guard = FALSE
                    break
                if True not in held:
                    guard = FALSE
                    break
                if False in held:
                    keep = True  # held in some games, not in others: both stay possible
            if guard == FALSE:
                continue
            op = self.assign(level, True)
            ops.append(Op(level, op.rel, op.rid, guard, keep=keep))
        return ops

    def visit_op(self, state: str) -> Op | None:
        """Arriving in a scene: its visit count goes up by one (capped)."""
        scene_id, number = split_state(state)
        level = self.level_of("visits", scene_id)
        if number != 1 or level is None:
            return None
        top = len(self.domains[level]) - 1
        rel = tuple((min(v + 1, top),) for v in range(top + 1))
        return Op(level, rel, self.mdd.relation(rel), overflow=self.open.get(level))

    def apply(self, a: int, ops: Sequence[Op]) -> int:
        """Push a set through effect steps."""
        mdd = self.mdd
        for op in ops:
            if a == FALSE:
                return a
            if op.guard == TRUE and not op.keep:
                a = mdd.image(a, op.level, op.rel, op.rid)
            else:
                inside = mdd.conj(a, op.guard)
                stays = a if op.keep else mdd.diff(a, op.guard)
                a = mdd.disj(stays, mdd.image(inside, op.level, op.rel, op.rid))
        return a

    def unapply(self, a: int, ops: Sequence[Op]) -> int:
        """Pull a set back through effect steps: the states that `apply` takes into it."""
        mdd = self.mdd
        for op in reversed(ops):
            if a == FALSE:
                return a
            if op.guard == TRUE and not op.keep:
                a = mdd.preimage(a, op.level, op.rel, op.rid)
            else:
                back = mdd.conj(mdd.preimage(a, op.level, op.rel, op.rid), op.guard)
                stays = a if op.keep else mdd.diff(a, op.guard)
                a = mdd.disj(stays, back)
        return a

    def overflows(self, a: int, ops: Sequence[Op]) -> str | None:
        """What leaves its tracked range when `ops` apply to `a`, if anything."""
        mdd = self.mdd
        for op in ops:
            if op.overflow is not None:
                top = len(self.domains[op.level]) - 1
                edge = mdd.literal(op.level, (0, top))
                if mdd.conj(a, edge) != FALSE:
                    return op.overflow
            a = self.apply(a, (op,))
        return None


def _ordered(story: Story, used: set[Atom]) -> list[Atom]:
    """The atoms in the order the story first touches them (scene by scene), a pilot's status
    and name side by side: neighbours in time are neighbours in the diagram, which keeps it
    small."""
    from game.engine.verify.live import reads_of

    ordered: list[Atom] = []
    seen: set[Atom] = set()

    def add(atoms: Iterable[Atom]) -> None:
        for atom in sorted(atoms):
            if atom in used and atom not in seen:
                seen.add(atom)
                ordered.append(atom)
                kind, name = atom
                twin = (
                    ("known", name)
                    if kind == "status"
                    else ("status", name)
                    if kind == "known"
                    else None
                )
                if twin is not None and twin in used and twin not in seen:
                    seen.add(twin)
                    ordered.append(twin)

    def written(effects: Effects) -> set[Atom]:
        return (
            {("var", n) for n, _ in effects.set}
            | {("var", n) for n, _ in effects.add}
            | {("known", p) for p in effects.learn}
            | {("status", p) for p, _ in effects.status}
            | {("ev", e) for e in effects.reveal}
        )

    for state in story.states():
        scene = story.scenes[split_state(state)[0]]
        add(written(scene.enter))
        if scene.engagement is not None:
            add(reads_of(scene.engagement.danger.tree, story))
            add({("status", p) for p in scene.engagement.at_risk} | {("losses", scene.id)})
        add({("visits", scene.id)})
        for order in story.orders_at(state):
            add(reads_of(order.condition.tree if order.condition else None, story))
            add(written(order.effects))
            for branch in order.branches:
                add(reads_of(branch.condition.tree if branch.condition else None, story))
                add(written(branch.effects))
        if scene.engagement is not None:
            for branch in scene.engagement.after:
                add(reads_of(branch.condition.tree if branch.condition else None, story))
                add(written(branch.effects))
        for deduction in story.deductions.values():
            if ("ded", deduction.id) in used and all(
                ("ev", e) in seen or ("ev", e) not in used for e in deduction.requires
            ):
                add({("ded", deduction.id)})
    add(used)
    return ordered


def _conditions_of(story: Story, liveness: Liveness) -> Iterable[Node]:
    from game.engine.playtest import all_orders

    for scene in story.scenes.values():
        for order in all_orders(story, scene.id):
            if order.condition is not None:
                yield order.condition.tree
            for branch in order.branches:
                if branch.condition is not None:
                    yield branch.condition.tree
        if scene.engagement is not None:
            yield scene.engagement.danger.tree
            for branch in scene.engagement.after:
                if branch.condition is not None:
                    yield branch.condition.tree
    for watched in liveness.watched:
        if watched.line is not None and watched.line.condition is not None:
            yield watched.line.condition.tree


def _visit_caps(story: Story, liveness: Liveness) -> dict[str, int | None]:
    """Per scene whose visits are read: the count above which all counts are alike, or None
    when the count is used in arithmetic (not only compared with a number)."""
    caps: dict[str, int | None] = {}

    def note(scene: str, cap: int | None) -> None:
        if scene in caps and caps[scene] is None:
            return
        caps[scene] = None if cap is None else max(cap, caps.get(scene) or 1)

    for tree in _conditions_of(story, liveness):
        compared: set[int] = set()
        for node in walk(tree):
            if isinstance(node, Binary) and node.op in ("==", "!=", "<", "<=", ">", ">="):
                for side, other in ((node.left, node.right), (node.right, node.left)):
                    if (
                        isinstance(side, Call)
                        and side.function == "visits"
                        and isinstance(other, Literal_)
                        and type(other.value) is int
                    ):
                        compared.add(id(side))
                        note(side.args[0], max(1, other.value + 1))
        for node in walk(tree):
            if isinstance(node, Call) and node.function == "seen":
                note(node.args[0], 1)
            elif isinstance(node, Call) and node.function == "visits" and id(node) not in compared:
                note(node.args[0], None)
    for watched in liveness.watched:
        if watched.line is not None and watched.line.once and watched.where == "arrive":
            note(split_state(watched.state)[0], 2)
    return caps


def _int_literals(story: Story, name: str) -> list[int]:
    found: list[int] = []
    for state in story.states():
        for order in story.orders_at(state):
            for effects in (order.effects, *(b.effects for b in order.branches)):
                found += [v for n, v in effects.set if n == name and isinstance(v, int)]
    return found


def _text_values(story: Story, name: str) -> list[Value]:
    found: list[Value] = []
    for state in story.states():
        scene = story.scenes[split_state(state)[0]]
        for effects in (
            scene.enter,
            *(o.effects for o in story.orders_at(state)),
            *(b.effects for o in story.orders_at(state) for b in o.branches),
            *((b.effects for b in scene.engagement.after) if scene.engagement else ()),
        ):
            found += [v for n, v in effects.set if n == name]
    return found
