"""The checks `validate` runs on a story that loaded: the story's graph and its declarations.

- Reachability is first a static over-approximation: every condition is taken as possibly true,
  except those interval reasoning proves can never be (see `can_be_true`): W010, W011.
- Then `verify` answers validate's questions (which scenes, orders and endings a game reaches;
  whether a dead end can be reached) for every game and every outcome of chance, within
  `VALIDATE_VERIFY_SECONDS`. What it proves no game reaches is reported (W023-W025) whether or
  not its whole answer is complete; what it leaves undecided is not, only counted
  (`last_search`).
- Dead ends come from that answer when it settles every dead-end question: then what it does
  not report does not exist. Otherwise from a bounded breadth-first search over real engine
  states with one seed's chance (`game.engine.playtest.explore`), and states that might be dead
  ends by the static reasoning are reported as warnings that say the search was bounded.
  Either way each dead end comes with a witness: the orders that get there, and a seed.

- Dead pilots heard, addressed or named as present (W022) are found by a may-analysis of who
  can be dead in each state, in `game.engine.deadvoices`.

Codes (documented in scenes/README.md, "Diagnostics"): errors E060-E063, warnings W010-W025.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from game.engine.conditions import (
    FUNCTIONS,
    Binary,
    Call,
    Expression,
    Literal_,
    Name,
    Node,
    Not,
    names_in,
)
from game.engine.diagnostics import Diagnostic, Mark
from game.engine.format import COMMAND_WORDS
from game.engine.model import Line, Order, Story, split_state
from game.engine.playtest import (
    DEFAULT_MAX_STATES,
    Finding,
    all_branches,
    all_orders,
    branch_targets,
    explore,
    order_keys,
)
from game.engine.text import placeholders

if TYPE_CHECKING:
    from game.engine.verify import Verdict

VALIDATE_MAX_STATES = 5_000


@dataclass(frozen=True, slots=True)
class WitnessDiagnostic(Diagnostic):
    """A diagnostic with the orders that reproduce it: `[state, order index]` pairs from the
    start, with `seed` (the engine's chance) and the order numbers as typed."""

    seed: int = 0
    witness: tuple[tuple[str, int], ...] = ()
    numbers: tuple[int, ...] = ()
    search: str = "complete"  # the search that found it: "complete" or "bounded"


@dataclass(frozen=True, slots=True)
class ProvedDiagnostic(Diagnostic):
    """A diagnostic that says "never" (W023-W025) with verify's proof behind it; `search` is
    the answer it came from: "complete" (every question answered) or "proofs" (the whole
    answer was not complete within the budget, this part is proved)."""

    search: str = "proofs"


# --- interval reasoning over conditions ---------------------------------------------------------

Interval = tuple[float, float]
Atom = tuple[str, ...]
# `reserve` (not with the squad yet) is left out: the checks here ask whether a pilot may be
# dead, and a pilot in reserve is not.
STATUSES = frozenset({"active", "wounded", "missing", "killed"})
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_MAX_WORLDS = 64


class Ranges:
    """What is known about a story before play: int variables' declared ranges, and the
    ranges of the counting functions."""

    def __init__(self, story: Story) -> None:
        pilots = len(story.pilots)
        self.pilots = pilots
        self.types = {name: v.type for name, v in story.variables.items()}
        self.ints: dict[Atom, Interval] = {}
        for name, v in story.variables.items():
            if v.type == "int":
                low = -math.inf if v.min is None else v.min
                high = math.inf if v.max is None else v.max
                self.ints[("var", name)] = (low, high)
        for fn in ("alive_count", "fallen_count", "known_count"):
            self.ints[("call", fn)] = (0, pilots)
        self.ints[("call", "evidence_count")] = (0, len(story.evidence))

    def interval(self, atom: Atom) -> Interval:
        if atom in self.ints:
            return self.ints[atom]
        if atom[:2] == ("call", "visits"):
            return (0, math.inf)
        if atom[:2] == ("call", "losses"):
            return (0, self.pilots)
        return (-math.inf, math.inf)


World = dict[Atom, object]  # int atom -> Interval, bool atom -> bool, status atom -> frozenset


def _int_atom(node: Node) -> Atom | None:
    if isinstance(node, Name):
        return ("var", node.name)
    if isinstance(node, Call):
        return ("call", node.function, *node.args)
    return None


def _bool_atom(node: Node) -> Atom | None:
    if isinstance(node, Name):
        return ("var", node.name)
    if isinstance(node, Call):
        if node.function == "alive":  # alive(p) is a question about status(p)
            return None
        return ("call", node.function, *node.args)
    return None


def _interval(node: Node, world: World, ranges: Ranges) -> Interval:
    if isinstance(node, Literal_) and type(node.value) is int:
        return (node.value, node.value)
    if isinstance(node, Binary) and node.op in ("+", "-"):
        a, b = _interval(node.left, world, ranges), _interval(node.right, world, ranges)
        if node.op == "+":
            return (a[0] + b[0], a[1] + b[1])
        return (a[0] - b[1], a[1] - b[0])
    atom = _int_atom(node)
    if atom is not None:
        known = world.get(atom)
        return known if isinstance(known, tuple) else ranges.interval(atom)  # type: ignore[return-value]
    return (-math.inf, math.inf)


def _refine(atom: Atom | None, op: str, own: Interval, other: Interval, world: World) -> bool:
    """Narrow `atom` (whose interval is `own`) so that `atom op other` can hold; False if it
    cannot."""
    low, high = own
    if op == "<":
        high = min(high, other[1] - 1)
    elif op == "<=":
        high = min(high, other[1])
    elif op == ">":
        low = max(low, other[0] + 1)
    elif op == ">=":
        low = max(low, other[0])
    elif op == "==":
        low, high = max(low, other[0]), min(high, other[1])
    elif op == "!=" and other[0] == other[1]:
        if low == other[0]:
            low += 1
        if high == other[0]:
            high -= 1
    if low > high:
        return False
    if atom is not None:
        world[atom] = (low, high)
    return True


def _compare_ints(op: str, left: Node, right: Node, world: World, ranges: Ranges) -> list[World]:
    a, b = _interval(left, world, ranges), _interval(right, world, ranges)
    world = dict(world)
    if not _refine(_int_atom(left), op, a, b, world):
        return []
    a = _interval(left, world, ranges)
    if not _refine(_int_atom(right), _FLIP[op], b, a, world):
        return []
    return [world]


def _status_of(node: Node) -> Atom | None:
    if isinstance(node, Call) and node.function == "status":
        return ("status", *node.args)
    return None


def _compare_text(op: str, left: Node, right: Node, world: World) -> list[World]:
    if isinstance(right, Literal_) and not isinstance(left, Literal_):
        left, right = right, left
    if isinstance(left, Literal_) and isinstance(right, Literal_):
        return [world] if (left.value == right.value) == (op == "==") else []
    atom = _status_of(right) if isinstance(left, Literal_) else None
    if atom is None or not isinstance(left, Literal_):
        return [world]
    possible = world.get(atom, STATUSES)
    assert isinstance(possible, frozenset)
    narrowed = possible & {left.value} if op == "==" else possible - {left.value}
    if not narrowed:
        return []
    return [{**world, atom: frozenset(narrowed)}]


def _worlds(node: Node, world: World, want: bool, ranges: Ranges) -> list[World]:
    """The worlds (knowledge about atoms) in which `node` can evaluate to `want`. An empty list
    means it never can. An over-approximation: never wrongly empty."""
    match node:
        case Literal_(value=value):
            return [world] if bool(value) == want else []
        case Not(operand=operand):
            return _worlds(operand, world, not want, ranges)
        case Call(function="alive", args=(pilot,)):
            atom = ("status", pilot)
            possible = world.get(atom, STATUSES)
            assert isinstance(possible, frozenset)
            alive = {"active", "wounded"}
            narrowed = possible & alive if want else possible - alive
            return [{**world, atom: frozenset(narrowed)}] if narrowed else []
        case Name() | Call():
            atom = _bool_atom(node)
            if atom is None:
                return [world]
            known = world.get(atom)
            if known is None:
                return [{**world, atom: want}]
            return [world] if known == want else []
        case Binary(op="and" | "or", left=left, right=right):
            both = (node.op == "and") == want
            if both:
                return _cap(
                    [
                        w2
                        for w1 in _worlds(left, world, want, ranges)
                        for w2 in _worlds(right, w1, want, ranges)
                    ],
                    world,
                )
            return _cap(
                _worlds(left, world, want, ranges) + _worlds(right, world, want, ranges), world
            )
        case Binary(op=op, left=left, right=right) if op in _NEGATE:
            actual = op if want else _NEGATE[op]
            kind = _kind(left, ranges)
            if kind == "int":
                return _compare_ints(actual, left, right, world, ranges)
            if kind == "text":
                return _compare_text(actual, left, right, world)
            # bool == bool: equal when both true or both false
            same = actual == "=="
            options = []
            for value in (True, False):
                for w1 in _worlds(left, world, value, ranges):
                    options += _worlds(right, w1, value if same else not value, ranges)
            return _cap(options, world)
    return [world]


def _cap(worlds: list[World], fallback: World) -> list[World]:
    return worlds if len(worlds) <= _MAX_WORLDS else [fallback]


def _kind(node: Node, ranges: Ranges) -> str:
    match node:
        case Literal_(value=value):
            if isinstance(value, bool):
                return "bool"
            return "int" if isinstance(value, int) else "text"
        case Name(name=name):
            return ranges.types.get(name, "bool")
        case Call(function=function):
            spec = FUNCTIONS.get(function)
            return spec.result if spec is not None else "bool"
        case Binary(op="+" | "-"):
            return "int"
    return "bool"


def can_be_true(tree: Node, ranges: Ranges, *, given: World | None = None) -> bool:
    """False only when the condition can never hold, whatever the game state, given the
    declared ranges of int variables (and the counting functions), true/false constants and
    the other parts of the same condition."""
    return bool(_worlds(tree, dict(given or {}), True, ranges))


ALIVE = frozenset({"active", "wounded"})
FALLEN = frozenset({"killed", "missing"})


def implied_statuses(
    tree: Node, ranges: Ranges, pilots: tuple[str, ...]
) -> tuple[frozenset[str], frozenset[str]] | None:
    """What a condition being true says about pilots: (those it proves alive, those it proves
    killed or missing), or None when it can never be true.

    `alive(kestrel)`, `status(kestrel) != 'killed' and status(kestrel) != 'missing'` and
    `not (not alive(kestrel))` all prove kestrel alive; so does `fallen_count() == 0` for every
    pilot. Sound like `can_be_true`: a pilot is named only when every way the condition can
    hold has them so (reasoning that gives up, past `_MAX_WORLDS`, proves nothing).
    """
    worlds = _worlds(tree, {}, True, ranges)
    if not worlds:
        return None
    everyone = frozenset(pilots)
    alive, fallen = everyone, everyone
    for world in worlds:
        fallen_count = _interval(Call("fallen_count", (), 0), world, ranges)
        alive_count = _interval(Call("alive_count", (), 0), world, ranges)
        if fallen_count[1] <= 0 or alive_count[0] >= len(pilots):
            here_alive = everyone
        else:
            here_alive = frozenset(p for p in alive if _status_within(world, p, ALIVE))
        if alive_count[1] <= 0 or fallen_count[0] >= len(pilots):
            here_fallen = everyone
        else:
            here_fallen = frozenset(p for p in fallen if _status_within(world, p, FALLEN))
        alive, fallen = alive & here_alive, fallen & here_fallen
        if not alive and not fallen:
            break
    return alive, fallen


def _status_within(world: World, pilot: str, statuses: frozenset[str]) -> bool:
    known = world.get(("status", pilot))
    return isinstance(known, frozenset) and known <= statuses


def int_range(tree: Node, ranges: Ranges) -> Interval:
    """The least and greatest values an int expression can take, given the declared ranges
    (infinite when unbounded)."""
    return _interval(tree, {}, ranges)


def can_all_fail(trees: list[Node], ranges: Ranges, *, given: list[Node] = ()) -> bool:  # type: ignore[assignment]
    """Whether every one of `trees` can be false at once (while every one of `given` holds)."""
    worlds: list[World] = [{}]
    for tree in given:
        worlds = _cap([w2 for w in worlds for w2 in _worlds(tree, w, True, ranges)], {})
    for tree in trees:
        worlds = _cap([w2 for w in worlds for w2 in _worlds(tree, w, False, ranges)], {})
        if not worlds:
            return False
    return bool(worlds)


# --- walking the story ----------------------------------------------------------------------------


@dataclass
class Usage:
    """Which declarations are read and which are changed, anywhere in the story."""

    read_vars: set[str] = field(default_factory=set)
    set_vars: set[str] = field(default_factory=set)
    revealed: set[str] = field(default_factory=set)
    asked_evidence: set[str] = field(default_factory=set)
    pilots_used: set[str] = field(default_factory=set)
    learned: set[str] = field(default_factory=set)
    asked_known: dict[str, Mark] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Condition:
    """A boolean condition in the story and what it belongs to."""

    expression: Expression
    mark: Mark
    what: str


def _lines_of(story: Story) -> Iterator[Line]:
    # Scene by scene, in this order: usage() keeps the first place each id is asked about.
    for scene in story.scenes.values():
        yield from scene.radio
        for order in all_orders(story, scene.id):
            yield from order.radio
            for branch in order.branches:
                yield from branch.radio
        if scene.engagement is not None:
            for rnd in scene.engagement.rounds:
                yield from rnd.radio
            for branch in scene.engagement.after:
                yield from branch.radio


def conditions(story: Story) -> Iterator[Condition]:
    """Every true/false condition: orders', branches' and radio lines', each with the place
    of its `if` (or `hint_if`) when the loader kept it, else of what holds it."""
    places = story.condition_marks

    def at(mark: Mark, key: str = "if") -> Mark:
        return places.get((mark, key), mark)

    for scene in story.scenes.values():
        for order in all_orders(story, scene.id):
            if order.condition is not None:
                yield Condition(order.condition, at(order.mark), f'the order "{order.say}"')
            if order.hint_if is not None:
                yield Condition(
                    order.hint_if, at(order.mark, "hint_if"), f'the hint_if of "{order.say}"'
                )
    for branch, scene_id in all_branches(story):
        if branch.condition is not None:
            yield Condition(
                branch.condition,
                at(branch.mark),
                f"a branch to '{branch.goto}' in '{scene_id}'",
            )
    for line in _lines_of(story):
        if line.condition is not None:
            yield Condition(line.condition, at(line.mark), "a radio line")


def usage(story: Story) -> Usage:
    """Collect what the story reads and changes."""
    use = Usage()
    expressions: list[tuple[Expression, Mark]] = [(c.expression, c.mark) for c in conditions(story)]
    texts: list[str] = []
    for scene in story.scenes.values():
        texts.append(scene.title)
        effects = [scene.enter]
        for order in all_orders(story, scene.id):
            texts.append(order.say)
            effects.append(order.effects)
            effects += [b.effects for b in order.branches]
        if scene.engagement is not None:
            eng = scene.engagement
            expressions.append((eng.danger, eng.mark))
            texts += [eng.hit, eng.kill, *(r.warning or "" for r in eng.rounds)]
            effects += [b.effects for b in eng.after]
            use.pilots_used.update(eng.at_risk)
        for fx in effects:
            use.set_vars.update(name for name, _ in fx.set)
            use.set_vars.update(name for name, _ in fx.add)
            use.revealed.update(fx.reveal)
            use.learned.update(fx.learn)
            use.pilots_used.update(fx.learn)
            use.pilots_used.update(fx.asked)
            use.pilots_used.update(p for p, _ in fx.status)
    for line in _lines_of(story):
        texts.append(line.text)
        if line.speaker in story.pilots:
            use.pilots_used.add(line.speaker)
    for text in texts:
        use.read_vars.update(placeholders(text))
    for expression, mark in expressions:
        variables, calls = names_in(expression.tree)
        use.read_vars.update(variables)
        for function, arg in calls:
            if function == "has":
                use.asked_evidence.add(arg)
            elif function in ("alive", "knows", "status"):
                use.pilots_used.add(arg)
                if function == "knows":
                    use.asked_known.setdefault(arg, mark)
    for deduction in story.deductions.values():
        use.asked_evidence.update(deduction.requires)
    return use


# --- the graph ------------------------------------------------------------------------------------


def static_edges(story: Story, ranges: Ranges) -> dict[str, list[tuple[int, str]]]:
    """Machine state -> (order index, next state) for every order and branch whose conditions
    are not proved impossible."""
    edges: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for state in story.states():
        for index, order in enumerate(story.orders_at(state)):
            if order.condition is not None and not can_be_true(order.condition.tree, ranges):
                continue
            for branch in branch_targets(story, state, order):
                if branch.condition is not None and not can_be_true(branch.condition.tree, ranges):
                    continue
                edges[state].append((index, branch.goto))
    return edges


def reachable_states(story: Story, ranges: Ranges, start: str | None = None) -> set[str]:
    """Machine states reachable from `start` (the story's start) in the static graph."""
    edges = static_edges(story, ranges)
    first = start or story.start
    seen = {first}
    queue = deque([first])
    while queue:
        for _, target in edges.get(queue.popleft(), ()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


# --- the checks -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Searched:
    """How the last `analyse` answered the questions about every game, for `validate` to say.

    `dead_ends`: "complete" (every game, every outcome of chance), "bounded" (a budget of game
    states, one seed's chance) or "none" (not looked for). `reach`: "complete" (every scene,
    order and ending shown reachable by a game or proved not), "proofs" (what verify proved
    within the budget; `undecided` questions left open) or "static" (the story's graph alone).
    """

    dead_ends: str = "none"
    reach: str = "static"
    undecided: int = 0
    seconds: float = 0.0


_LAST_SEARCH: list[Searched] = [Searched()]


def last_search() -> Searched:
    """How the last `analyse` (or `analyse_despite_errors`) answered, see `Searched`."""
    return _LAST_SEARCH[0]


def searched_in_words() -> list[str]:
    """The lines `validate` prints before its summary: which answer each check of every game
    used (`last_search`)."""
    searched = _LAST_SEARCH[0]
    lines: list[str] = []
    if searched.reach == "complete":
        lines.append(
            "reachability: verify's complete answer (every game, every outcome of chance, "
            f"{searched.seconds:.1f} s): each scene, order and ending not reported is reached "
            "by some game"
        )
    elif searched.reach == "proofs":
        lines.append(
            "reachability: what verify proved within "
            f"{VALIDATE_VERIFY_SECONDS:g} s (every game, every outcome of chance); "
            f"{searched.undecided} scene(s), order(s) and ending(s) it neither showed reached "
            "nor proved unreachable are not reported ('handler-one verify' answers them all)"
        )
    if searched.dead_ends == "complete":
        lines.append(
            "dead ends: verify's complete answer (every game, every outcome of chance)"
        )
    elif searched.dead_ends == "bounded":
        lines.append(
            "dead ends: looked for by a bounded search with one seed's chance "
            "('handler-one verify' searches every game)"
        )
    return lines


def analyse(
    story: Story, *, max_states: int = VALIDATE_MAX_STATES, complete: bool = True
) -> list[Diagnostic]:
    """Every check beyond the loader's, as diagnostics. With `complete`, verify answers within
    `VALIDATE_VERIFY_SECONDS`: the scenes, orders and endings it proves no game reaches
    (W023-W025), and the dead ends when it answers them all (else the bounded search's,
    whose budget is `max_states`). `last_search()` then says which answer each used."""
    ranges = Ranges(story)
    out: list[Diagnostic] = []
    reachable = reachable_states(story, ranges)
    out += _reachability(story, reachable)
    verdict = _ask_verify(story) if complete else None
    reach = "static"
    if verdict is not None:
        reach = "complete" if _reach_settled(verdict) else "proofs"
        out += _proved_unreachable(story, verdict, reachable, reach)
    out += _declarations(story)
    out += _impossible_conditions(story, ranges)
    out += _word_collisions(story)
    out += _command_words(story)
    dead_ends, found = _dead_ends(story, ranges, reachable, max_states, verdict)
    out += found
    _LAST_SEARCH[0] = Searched(
        dead_ends,
        reach,
        _undecided(verdict) if verdict is not None else 0,
        verdict.seconds if verdict is not None else 0.0,
    )
    # imported here: the check is built on this module's reasoning about conditions
    from game.engine.deadvoices import dead_voices

    out += dead_voices(story, ranges)
    return out


DEFERRED_BY_ERRORS = (
    "reachability, usage, dead-end and dead-voice checks run once the errors are fixed"
)
"""What `validate` says it has not checked in a story with errors."""


def analyse_despite_errors(story: Story) -> list[Diagnostic]:
    """The checks whose warnings an error elsewhere cannot make false, run on what compiled of
    a story with errors: conditions that can never be true (W018) and typed words line mode
    keeps (W021). The rest (reachability, usage, word collisions, dead ends, the dead
    speaking) need the whole story: a dropped `goto` or effect would make them wrong."""
    _LAST_SEARCH[0] = Searched()
    return [*_impossible_conditions(story, Ranges(story)), *_command_words(story)]


def _warn(mark: Mark, code: str, message: str) -> Diagnostic:
    return Diagnostic(mark, "warning", code, message)


def _error(mark: Mark, code: str, message: str) -> Diagnostic:
    return Diagnostic(mark, "error", code, message)


def _reachability(story: Story, reachable: set[str]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    scenes = {split_state(s)[0] for s in reachable}
    for scene in story.scenes.values():
        if scene.id not in scenes:
            out.append(
                _warn(
                    scene.mark,
                    "W010",
                    f"scene '{scene.id}' cannot be reached from the start '{story.start}'; "
                    "lead an order's 'goto' to it, or remove it",
                )
            )
    for ending in story.endings.values():
        holders = [s.id for s in story.scenes.values() if s.ending == ending.id]
        if not holders:
            out.append(
                _warn(
                    ending.mark,
                    "W011",
                    f"no scene ends with '{ending.id}'; add a scene with 'ending: {ending.id}' "
                    "or remove the ending",
                )
            )
        elif not any(h in scenes for h in holders):
            out.append(
                _warn(
                    ending.mark,
                    "W011",
                    f"ending '{ending.id}' is only in scenes no path reaches "
                    f"({', '.join(holders)}); lead a 'goto' to one of them",
                )
            )
    return out


REACH_KINDS = ("scenes", "orders", "endings")
VERIFY_POINTER = "'handler-one verify' shows a game for everything that leads there"


def _reach_settled(verdict: Verdict) -> bool:
    return all(verdict.settled(kind) for kind in REACH_KINDS)


def _undecided(verdict: Verdict) -> int:
    """Scenes, orders and endings neither shown reachable nor proved not."""
    story = verdict.story
    items = {"scenes": story.scenes, "orders": order_keys(story), "endings": story.endings}
    return sum(
        1
        for kind in REACH_KINDS
        for item in items[kind]
        if verdict.answer(kind, item) == "undecided"
    )


def _proved_unreachable(
    story: Story, verdict: Verdict, reachable: set[str], search: str
) -> list[Diagnostic]:
    """W023-W025: what verify proves no game reaches, where the story's graph (W010, W011)
    does not already say so. A scene said unreachable carries its orders and the endings only
    it holds: they are not said again."""
    from game.engine.verify.reasons import order_places, why_never_offered, why_never_reached

    out: list[Diagnostic] = []
    graph = {split_state(s)[0] for s in reachable}
    never = {sid for sid in story.scenes if verdict.answer("scenes", sid) == "unreachable"}

    def proved(mark: Mark, code: str, message: str) -> Diagnostic:
        return ProvedDiagnostic(mark, "warning", code, message, search)

    for scene in story.scenes.values():
        if scene.id in graph and scene.id in never:
            why = why_never_reached(verdict, scene.id)
            because = f": {why}" if why else ""
            out.append(
                proved(
                    scene.mark,
                    "W023",
                    f"no game reaches scene '{scene.id}', though orders lead to it{because}; "
                    f"loosen a condition on the way or remove the scene ({VERIFY_POINTER})",
                )
            )
    for key in order_keys(story):
        if verdict.answer("orders", key) != "unreachable":
            continue
        places = order_places(story, key)
        state, index = places[0]
        scene_id = split_state(state)[0]
        if scene_id not in graph or scene_id in never:
            continue  # its scene is said unreachable (W010, W023)
        order = story.orders_at(state)[index]
        why = why_never_offered(verdict, key)
        # an order with `disabled:` is shown greyed out when its `if` fails: it is seen, never given
        offers = "lets the player give" if order.disabled else "offers"
        out.append(
            proved(
                order.mark,
                "W024",
                f'no game {offers} the order "{_short(order.say)}": {why}; change the condition '
                f"or what leads there, or remove the order ({VERIFY_POINTER})",
            )
        )
    for ending in story.endings.values():
        holders = [s.id for s in story.scenes.values() if s.ending == ending.id]
        if not any(h in graph for h in holders):
            continue  # W011 says it
        if verdict.answer("endings", ending.id) != "unreachable":
            continue
        out.append(
            proved(
                ending.mark,
                "W025",
                f"no game reaches ending '{ending.id}': no game reaches a scene that ends with "
                f"it ({', '.join(holders)}); open a way to one of them, or remove the ending "
                f"({VERIFY_POINTER})",
            )
        )
    return out


def _declarations(story: Story) -> list[Diagnostic]:
    use = usage(story)
    out: list[Diagnostic] = []
    for name, variable in story.variables.items():
        if name not in use.read_vars and name not in use.set_vars:
            out.append(
                _warn(
                    variable.mark,
                    "W012",
                    f"variable '{name}' is declared but never used; use it in a condition, "
                    "effect or {" + name + "}, or remove it",
                )
            )
        elif name in use.read_vars and name not in use.set_vars:
            out.append(
                _warn(
                    variable.mark,
                    "W013",
                    f"variable '{name}' is read but never set: it always holds its default "
                    f"{variable.default!r}; change it in some 'effects', or use a constant",
                )
            )
    for eid, evidence in story.evidence.items():
        if eid not in use.revealed and eid not in use.asked_evidence:
            out.append(
                _warn(
                    evidence.mark,
                    "W014",
                    f"evidence '{eid}' is declared but never used; 'reveal' it in some effects, "
                    "or remove it",
                )
            )
        elif eid not in use.revealed:
            needed = [d.id for d in story.deductions.values() if eid in d.requires]
            by = f" (deduction {', '.join(needed)} needs it)" if needed else ""
            out.append(
                _warn(
                    evidence.mark,
                    "W015",
                    f"evidence '{eid}' is asked about but never revealed{by}; "
                    f"add 'reveal: {eid}' to some effects",
                )
            )
    for pid, pilot in story.pilots.items():
        if pid not in use.pilots_used:
            out.append(
                _warn(
                    pilot.mark,
                    "W016",
                    f"pilot '{pid}' is declared but never speaks or appears in a condition or "
                    "effect; give them a line, or remove them",
                )
            )
        elif pid in use.asked_known and not pilot.known and pid not in use.learned:
            out.append(
                _warn(
                    use.asked_known[pid],
                    "W017",
                    f"knows({pid}) is asked but Lena never learns the name: add "
                    f"'learn: {pid}' to some effects, or 'known: true' to the pilot",
                )
            )
    return out


def _impossible_conditions(story: Story, ranges: Ranges) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for condition in conditions(story):
        tree = condition.expression.tree
        if can_be_true(tree, ranges):
            continue
        variables, _ = names_in(tree)
        declared = [
            f"{name} is {_show_range(story, name)}"
            for name in sorted(variables)
            if story.variables[name].type == "int"
        ]
        why = f" ({'; '.join(declared)})" if declared else ""
        out.append(
            _warn(
                condition.mark,
                "W018",
                f"the condition '{condition.expression.source}' of {condition.what} can never "
                f"be true{why}; fix the comparison or the declared range",
            )
        )
    return out


def _show_range(story: Story, name: str) -> str:
    v = story.variables[name]
    low = "" if v.min is None else str(v.min)
    high = "" if v.max is None else str(v.max)
    return f"{low}..{high}" if (low or high) else "unbounded"


def _command_words(story: Story) -> list[Diagnostic]:
    """Typed words that line mode takes as its own commands (`COMMAND_WORDS`)."""
    out: list[Diagnostic] = []
    reported: set[tuple[Mark, str]] = set()
    for state in story.states():
        for order in story.orders_at(state):
            for word in order.words:
                if word not in COMMAND_WORDS or (order.mark, word) in reported:
                    continue
                reported.add((order.mark, word))
                out.append(
                    _warn(
                        order.mark,
                        "W021",
                        f"the typed word '{word}' is a line-mode command: typed there it runs the "
                        f'command, never "{_short(order.say)}"; choose another word',
                    )
                )
    return out


def _word_collisions(story: Story) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    reported: set[tuple[Mark, Mark, str]] = set()
    for state in story.states():
        owners: dict[str, list[Order]] = defaultdict(list)
        for order in story.orders_at(state):
            for word in dict.fromkeys(order.words):
                owners[word].append(order)
        for word, orders in owners.items():
            for first, second in zip(orders, orders[1:], strict=False):
                key = (first.mark, second.mark, word)
                if key in reported:
                    continue
                reported.add(key)
                scene = split_state(state)[0]
                always = first.condition is None and second.condition is None
                out.append(
                    Diagnostic(
                        second.mark,
                        "error" if always else "warning",
                        "E062" if always else "W019",
                        f"the typed word '{word}' gives two orders in '{scene}' "
                        f'("{_short(first.say)}" at line {first.mark.line} and this one'
                        f"{'' if always else ', when both are offered'}); give each its own word",
                    )
                )
    return out


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# an author runs validate on every save: verify's answer to validate's questions (which scenes,
# orders and endings some game reaches, and whether a dead end can be reached) is sought only
# this long. The over-approximation alone takes about half a second on the shipped campaign and
# proves every dead end impossible; showing each of its ~560 scenes, orders and endings reachable
# takes verify's real games ~15 s more, so there the reachability answer is the proofs alone.
VALIDATE_VERIFY_SECONDS = 3.0


def _ask_verify(story: Story) -> Verdict:
    """verify's answer to validate's questions within `VALIDATE_VERIFY_SECONDS`: what it
    proves holds for every game, whether or not the whole answer is complete."""
    from game.engine.verify import verify

    return verify(story, seconds=VALIDATE_VERIFY_SECONDS, questions="validate", seed_tries=500)


def _complete_dead_ends(story: Story, verdict: Verdict) -> list[Diagnostic]:
    """The dead ends of a verdict whose dead-end questions are all answered, each with the
    real game that reaches it."""
    return [_witnessed(story, _verified_finding(story, p), "complete") for p in verdict.dead_ends]


def _verified_finding(story: Story, problem) -> Finding:  # noqa: ANN001
    """A verify dead end in the form the bounded search reports one."""
    witness = problem.witness
    log = list(witness.orders) if witness is not None else []
    seed = witness.seed if witness is not None and witness.seed is not None else 0
    engine_numbers = _numbers(story, seed, log, problem)
    return Finding(
        problem.kind, problem.state, problem.order, problem.message, seed, log, engine_numbers
    )


def _numbers(story: Story, seed: int, log: list[tuple[str, int]], problem) -> list[int]:  # noqa: ANN001
    """The order numbers a player types along `log` (and the failing order), on the engine."""
    from game.engine.runtime import Engine

    engine = Engine.new(story, seed)
    numbers: list[int] = []
    steps = [*log, *([(problem.state, problem.order)] if problem.order is not None else [])]
    for state, index in steps:
        views = {v.index: v.number for v in engine.orders() if v.enabled}
        if engine.state.scene != state or index not in views:
            break
        numbers.append(views[index] or 0)
        if (state, index) == steps[-1] and problem.order is not None:
            break
        try:
            engine.choose(index)
        except Exception:  # noqa: BLE001 - the witness ends in the dead end
            break
    return numbers


def _dead_ends(
    story: Story, ranges: Ranges, reachable: set[str], max_states: int, verdict: Verdict | None
) -> tuple[str, list[Diagnostic]]:
    """How dead ends were looked for ("complete" or "bounded"), and what was found. With the
    bounded search, a dead end verify's real games showed is reported too (it is real)."""
    if verdict is not None and verdict.settled("dead_ends"):
        return "complete", _complete_dead_ends(story, verdict)
    out: list[Diagnostic] = []
    report = explore(story, 0, max_states=max_states or DEFAULT_MAX_STATES)
    for finding in [*report.dead_ends, *report.errors]:
        if finding.kind == "too_long":
            continue
        out.append(_witnessed(story, finding, "bounded"))
    found = {(f.state, f.order) for f in report.dead_ends}
    for problem in verdict.dead_ends if verdict is not None else ():
        if (problem.state, problem.order) not in found:
            found.add((problem.state, problem.order))
            out.append(_witnessed(story, _verified_finding(story, problem), "bounded"))
    if report.complete:
        return "bounded", out
    searched = (
        f"(the complete search did not finish in {VALIDATE_VERIFY_SECONDS:g} s, and the bounded "
        f"search of {report.states} game states with one seed's chance found no such case; "
        "'handler-one verify' searches every game)"
    )
    for state in sorted(reachable, key=_state_order(story)):
        scene_id, number = split_state(state)
        scene = story.scenes[scene_id]
        if scene.ending is not None:
            continue
        orders = story.orders_at(state)
        if (state, None) not in found and all(o.condition is not None for o in orders):
            trees = [o.condition.tree for o in orders if o.condition is not None]
            if can_all_fail(trees, ranges):
                out.append(
                    _warn(
                        scene.mark,
                        "W020",
                        f"'{state}' may offer no order: every order has an 'if' and they can "
                        f"all be false together {searched}; add an order without 'if'",
                    )
                )
        for index, order in enumerate(orders):
            routes = branch_targets(story, state, order)
            if (state, index) in found or any(b.condition is None for b in routes):
                continue
            # branches are chosen after the order's effects (and a round's hits): the order's
            # own condition only still holds when nothing can have changed in between
            unchanged = not order.effects and scene.engagement is None
            given = [order.condition.tree] if order.condition is not None and unchanged else []
            trees = [b.condition.tree for b in routes if b.condition is not None]
            if can_all_fail(trees, ranges, given=given):
                out.append(
                    _warn(
                        order.mark,
                        "W020",
                        f'every branch of "{_short(order.say)}" may be dropped {searched}; '
                        "end the list with a branch that has no 'if'",
                    )
                )
    return "bounded", out


def _state_order(story: Story):  # noqa: ANN202
    order = {s: i for i, s in enumerate(story.states())}
    return lambda s: order.get(s, 0)


def _witnessed(story: Story, finding: Finding, search: str) -> Diagnostic:
    scene_id, _ = split_state(finding.state)
    scene = story.scenes[scene_id]
    path = _describe_path(story, finding)
    if finding.kind == "no_orders":
        mark, code = scene.mark, "E060"
        text = (
            f"dead end: '{finding.state}' can be reached with no order available and it is not "
            f"an ending; {path}. Add an order without 'if', or loosen the conditions"
        )
    elif finding.kind == "no_branch":
        assert finding.order is not None
        order = story.orders_at(finding.state)[finding.order]
        mark, code = order.mark, "E061"
        text = (
            f"dead end: every branch of \"{_short(order.say)}\" in '{finding.state}' can be "
            f"dropped; {path}. End the branch list with one that has no 'if'"
        )
    else:
        mark, code = scene.mark, "E063"
        text = f"the engine failed in '{finding.state}': {finding.message}; {path}"
    return WitnessDiagnostic(
        mark,
        "error",
        code,
        text,
        finding.seed,
        tuple(finding.log),
        tuple(finding.numbers),
        search,
    )


def _describe_path(story: Story, finding: Finding) -> str:
    if not finding.log and finding.kind == "no_orders":
        return "it is where the story starts"
    steps = [f'"{_short(story.orders_at(state)[index].say, 30)}"' for state, index in finding.log]
    if finding.kind in ("no_branch", "error") and finding.order is not None:
        steps.append(f'"{_short(story.orders_at(finding.state)[finding.order].say, 30)}"')
    typed = ", ".join(str(n) for n in finding.numbers)
    return f"to reproduce: play --plain --seed {finding.seed} and give orders {typed} ({' > '.join(steps)})"
