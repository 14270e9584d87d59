"""The story machine: a `transitions` Machine that decides where an order takes the game.

One `StoryMachine` is built per story and shared by every game of it. Its states are the story's
machine states (a scene, or one round of an engagement); its triggers are the orders of a state
(`order_0`, `order_1`, ... in authored order); each branch of an order is one transition, in the
order the branches are written. The game being played (the `Engine`) is the model the machine
moves: the machine reads and writes its `position`, which *is* `GameState.scene`.

Giving order `i` is `machine.events["order_i"].trigger(engine)`. The machine then runs:

1. `prepare_event` (`prepare`): works out what the order does on a copy of the game, the copy
   the undo snapshot needs anyway: the order's effects, its radio, an engagement round's hits,
   and, when a weighted branch is eligible, the roll that chance decides with. The result (a
   `Move`) is put on the event (`event.kwargs["move"]`); the game itself is not touched.
2. The guards of each transition, in branch order; the first transition whose guards all pass
   is taken (the story's "first eligible branch" rule):
   - `OrderHolds`: the order's `if`, judged on the game as it was when the order was given;
   - `BranchHolds`: the branch's `if`, judged on the worked-out game (branches see what the
     order did);
   - beside weighted branches, `RollFalls` (the roll falls in this branch's slice of the
     eligible weighted total) or, for an unweighted branch, `NoRoll` (no weighted branch is
     eligible, so the first eligible unweighted one is taken).
3. The taken transition's `before` callback (`TakeBranch`): the branch's effects and radio
   apply to the worked-out game, and the engine takes it as its game; the game as it was
   becomes the undo snapshot.
4. The state change: the machine writes the destination into the engine's `position`.
5. `after_state_change` (`arrive`): the engine arrives (visits, the scene's `enter` effects, an
   ending, listeners such as autosave).

If no transition passes, nothing happened: the trigger returns False and the game is exactly as
it was. Because `prepare` and the guards change nothing but the copy, the machine's own check
of whether a trigger may fire (`may_trigger`, asked by `Engine.may_choose`) and its list of a
state's triggers (`get_triggers`) can be asked at any time.

What is not on the machine, and why: the order's own effects, radio and an engagement round's
hits happen in `prepare`, not in a transition, because they happen whichever branch is taken and
before any branch is judged. Chance is a roll drawn in `prepare` rather than inside a guard
because a guard may be asked many times (and by `may_trigger`); drawing once per order keeps the
game's sequence of draws the same however often it is asked. A game is never registered with
the machine (`add_model`): the machine is shared by every game of a story, and a registered
model would be kept alive by it for as long as the story lives. Each game is passed to the
trigger as its model instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from transitions import Machine
from transitions.core import EventData

from game.engine.conditions import Value
from game.engine.model import Branch, Effects, Line, Order, Scene, Story, split_state, state_name
from game.engine.state import GameState, SaidLine
from game.engine.text import interpolate

if TYPE_CHECKING:
    from game.engine.conditions import Expression
    from game.engine.runtime import Engine

HIT_CHANCE = 0.15
KILL_CHANCE = 1 / 3
MOVE = "move"  # the key of the worked-out order in the event's kwargs
POSITION = "position"  # the model attribute the machine moves: the engine's GameState.scene


def order_trigger(index: int) -> str:
    """The machine's trigger for the order at `index` in a state's order list."""
    return f"order_{index}"


class StateFacts:
    """What conditions may ask of a game: answered from a `GameState`."""

    def __init__(self, state: GameState) -> None:
        self.state = state

    def var(self, name: str) -> Value:
        """A variable's current value."""
        return self.state.variables[name]

    def visits(self, scene: str) -> int:
        """How many times a scene has been entered."""
        return self.state.visits.get(scene, 0)

    def has(self, evidence: str) -> bool:
        """Whether the dossier holds a piece of evidence."""
        return evidence in self.state.evidence

    def deduced(self, deduction: str) -> bool:
        """Whether a deduction has been made."""
        return deduction in self.state.deductions

    def status(self, pilot: str) -> str:
        """A pilot's status: active, wounded, missing or killed."""
        return self.state.status[pilot]

    def knows(self, pilot: str) -> bool:
        """Whether Lena has learned the pilot's name."""
        return pilot in self.state.known

    def alive_count(self) -> int:
        """Pilots still active or wounded."""
        return sum(1 for s in self.state.status.values() if s in ("active", "wounded"))

    def fallen_count(self) -> int:
        """Pilots killed or missing."""
        return sum(1 for s in self.state.status.values() if s in ("killed", "missing"))

    def known_count(self) -> int:
        """Pilots whose names Lena has learned."""
        return len(self.state.known)

    def evidence_count(self) -> int:
        """Pieces of evidence in the dossier."""
        return len(self.state.evidence)

    def losses(self, scene: str) -> int:
        """Pilots killed or lost in the engagement `scene` (0 if it was never fought)."""
        return len(self.state.losses.get(scene, ()))


def routes_for(scene: Scene, round_number: int, order: Order) -> tuple[Branch, ...]:
    """Where an order given in a scene (or an engagement round) can go: its own branches, else
    the engagement's next round, else (after the last round) the engagement's `after`."""
    if order.branches or scene.engagement is None:
        return order.branches
    if round_number < len(scene.engagement.rounds):
        return (Branch(state_name(scene.id, round_number + 1)),)
    return scene.engagement.after


# --- what an order does to a game (run on the worked-out copy, and on arrival) -------------------


def apply_effects(
    story: Story, machine: StoryMachine, state: GameState, effects: Effects, said: list[SaidLine]
) -> None:
    """Apply `effects` to `state`; dossier lines (evidence found, deductions made) go to `said`.
    Evidence is recorded as found in the scene `state` stands in."""
    if not effects:
        return
    variables = state.variables
    for name, value in effects.set:
        variables[name] = value
    for name, amount in effects.add:
        current = variables[name]
        assert isinstance(current, int)
        variables[name] = story.variables[name].clamp(current + amount)
    for pilot in effects.learn:
        if pilot not in state.known:
            state.known.append(pilot)
    for pilot in effects.asked:
        if pilot not in state.asked:
            state.asked.append(pilot)
    for pilot, status in effects.status:
        state.status[pilot] = status
    if effects.reveal:
        scene_id, _ = split_state(state.scene)
        held = state.evidence
        for evidence in effects.reveal:
            if evidence not in held:
                held[evidence] = scene_id
                said.append(SaidLine("dossier", f"Dossier: {story.evidence[evidence].title}"))
        made = state.deductions
        for deduction_id, requires, title in machine.deductions(story):
            if deduction_id not in made and held.keys() >= requires:
                made.append(deduction_id)
                said.append(SaidLine("dossier", f"Deduction: {title}"))


def say(lines: Iterable[Line], facts: StateFacts, said: list[SaidLine]) -> None:
    """The lines whose condition holds, filled in from `facts`, appended to `said`."""
    for line in lines:
        if line.condition is None or line.condition(facts):
            text = line.text
            if "{" in text or "}" in text:
                text = interpolate(text, facts.var)
            said.append(SaidLine(line.speaker, text, line.signal))


def resolve_round(
    story: Story,
    scene: Scene,
    round_number: int,
    order: Order,
    facts: StateFacts,
    said: list[SaidLine],
) -> None:
    """An engagement round meets its danger: each point of danger may hit a pilot at risk (seeded
    draws from the game's generator); a wounded pilot hit again, or an unlucky one, is killed."""
    engagement = scene.engagement
    assert engagement is not None
    state = facts.state
    warning = engagement.rounds[round_number - 1].warning
    base = engagement.danger(facts)
    assert isinstance(base, int)
    danger = max(
        0, base + order.risk + (engagement.ignore_cost if warning and not order.heeds else 0)
    )
    for _ in range(danger):
        if state.draw() >= HIT_CHANCE:
            continue
        targets = [p for p in engagement.at_risk if state.status[p] in ("active", "wounded")]
        if not targets:
            break
        pilot = targets[min(len(targets) - 1, int(state.draw() * len(targets)))]
        killed = state.status[pilot] == "wounded" or state.draw() < KILL_CHANCE
        state.status[pilot] = "killed" if killed else "wounded"
        if killed:
            state.losses.setdefault(scene.id, []).append(pilot)
        known = story.pilots[pilot]
        name = known.name if pilot in state.known else known.callsign
        template = engagement.kill if killed else engagement.hit
        said.append(SaidLine("hit", interpolate(template, partial(_hit_lookup, facts, name))))


def _hit_lookup(facts: StateFacts, pilot_name: str, name: str) -> Value:
    return pilot_name if name == "pilot" else facts.var(name)


# --- the machine's callbacks (send_event=True: each gets the EventData; the game is its model) ---


@dataclass(slots=True)
class Move:
    """An order worked out by `prepare` on a copy of the game, before a branch is chosen.

    `after` is the copy (the live game is untouched until a branch is taken); `facts` is what
    branch conditions read of it. `roll` is chance's draw scaled to the eligible weighted total,
    and `weighted` the eligible weighted branches in order; `roll` is None (and nothing was
    drawn) when no weighted branch is eligible.
    """

    source: str
    index: int
    after: GameState
    facts: StateFacts
    roll: float | None = None
    weighted: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderAt:
    """One order of one state, as the machine needs it when the order is given."""

    index: int
    order: Order
    scene: Scene
    round_number: int
    routes: tuple[Branch, ...]
    chancy: bool  # whether any branch is weighted


def prepare(event: EventData) -> None:
    """`prepare_event`: work out the order on a copy of the game and put it on the event.

    `may_trigger` runs this once per transition it checks, with the same event: the first
    call's work is kept."""
    kwargs = event.kwargs
    if MOVE in kwargs:
        return
    engine: Engine = event.model
    machine: StoryMachine = event.machine  # type: ignore[assignment]
    story = engine.story
    source = event.state.name
    at = machine.orders[(source, event.event.name)]
    order = at.order
    after = engine.state.copy(log=False)
    facts = StateFacts(after)
    said: list[SaidLine] = []
    apply_effects(story, machine, after, order.effects, said)
    say(order.radio, facts, said)
    if at.scene.engagement is not None:
        resolve_round(story, at.scene, at.round_number, order, facts, said)
    after.aftermath = said
    move = Move(source, at.index, after, facts)
    if at.chancy:
        routes = at.routes
        weighted = tuple(
            k
            for k, branch in enumerate(routes)
            if branch.weight is not None and (branch.condition is None or branch.condition(facts))
        )
        if weighted:
            move.weighted = weighted
            move.roll = after.draw() * sum(routes[k].weight or 0 for k in weighted)
    kwargs[MOVE] = move


@dataclass(frozen=True, slots=True)
class OrderHolds:
    """Guard: the order's `if`, judged on the game as it was when the order was given."""

    condition: Expression

    def __call__(self, event: EventData) -> bool:
        return bool(self.condition(event.model))

    def __repr__(self) -> str:
        return f"OrderHolds({self.condition.source!r})"


@dataclass(frozen=True, slots=True)
class BranchHolds:
    """Guard: the branch's `if`, judged on the game after the order took effect."""

    condition: Expression

    def __call__(self, event: EventData) -> bool:
        return bool(self.condition(event.kwargs[MOVE].facts))

    def __repr__(self) -> str:
        return f"BranchHolds({self.condition.source!r})"


@dataclass(frozen=True, slots=True)
class RollFalls:
    """Guard of a weighted branch: the roll falls in its slice of the eligible weighted total.

    Slices are laid end to end in branch order, each as wide as its branch's weight, counting
    only the weighted branches whose condition holds. (The last eligible one also takes a roll
    that rounding put at the very top of the total.)"""

    branch: int
    weights: tuple[int | None, ...]  # every branch's weight, in order

    def __call__(self, event: EventData) -> bool:
        move: Move = event.kwargs[MOVE]
        roll = move.roll
        if roll is None or self.branch not in move.weighted:
            return False
        low = 0
        for k in move.weighted:
            if k == self.branch:
                break
            low += self.weights[k] or 0
        high = low + (self.weights[self.branch] or 0)
        return low <= roll and (roll < high or self.branch == move.weighted[-1])


@dataclass(frozen=True, slots=True)
class NoRoll:
    """Guard of an unweighted branch beside weighted ones: it can be taken only when no weighted
    branch is eligible."""

    def __call__(self, event: EventData) -> bool:
        return event.kwargs[MOVE].roll is None


_NO_ROLL = NoRoll()


@dataclass(frozen=True, slots=True)
class TakeBranch:
    """`before` callback of a transition: the branch's effects and radio apply to the worked-out
    game, and the engine takes that game as its own."""

    branch: Branch

    def __call__(self, event: EventData) -> None:
        move: Move = event.kwargs[MOVE]
        engine: Engine = event.model
        machine: StoryMachine = event.machine  # type: ignore[assignment]
        after = move.after
        apply_effects(engine.story, machine, after, self.branch.effects, after.aftermath)
        say(self.branch.radio, move.facts, after.aftermath)
        engine._commit(move)


def arrive(event: EventData) -> None:
    """`after_state_change`: the engine arrives where the machine put it."""
    event.model._entered()


class StoryMachine(Machine):
    """The machine of one story, shared by all its games (see the module docstring).

    Every state is added up front; a state's transitions are added (`wire`) the first time a
    game stands in it. Measured on the 2,000-scene generated story: adding every transition up
    front costs 185 ms when the first game starts, and 960 ms for a story read from the cache,
    which would have to decode every scene; wired on arrival, games pay only for the states
    they reach, and a story read from the cache decodes only those scenes.
    """

    def __init__(self, story: Story) -> None:
        super().__init__(
            model=None,
            states=story.states(),
            initial=None,
            auto_transitions=False,
            send_event=True,
            # An order with no branch at all has no transition (the loader refuses such a
            # story; one built in code may have it): its trigger returns False instead of
            # raising, and choose() reports a dead end, as for guards that all fail.
            ignore_invalid_triggers=True,
            prepare_event=prepare,
            after_state_change=arrive,
            model_attribute=POSITION,
        )
        self.orders: dict[tuple[str, str], OrderAt] = {}
        self.wired: set[str] = set()
        self._deductions: tuple[tuple[str, frozenset[str], str], ...] | None = None

    def wire(self, story: Story, state: str) -> None:
        """Add a state's orders and branches as triggers and transitions (once per state)."""
        if state in self.wired:
            return
        scene_id, round_number = split_state(state)
        scene = story.scenes[scene_id]
        for index, order in enumerate(story.orders_at(state)):
            trigger = order_trigger(index)
            routes = routes_for(scene, round_number, order)
            chancy = any(branch.weight is not None for branch in routes)
            self.orders[(state, trigger)] = OrderAt(
                index, order, scene, round_number, routes, chancy
            )
            weights = tuple(branch.weight for branch in routes)
            holds = [OrderHolds(order.condition)] if order.condition is not None else []
            for k, branch in enumerate(routes):
                guards: list[Any] = list(holds)
                if branch.condition is not None:
                    guards.append(BranchHolds(branch.condition))
                if chancy:
                    guards.append(RollFalls(k, weights) if branch.weight is not None else _NO_ROLL)
                self.add_transition(
                    trigger, state, branch.goto, conditions=guards, before=[TakeBranch(branch)]
                )
        self.wired.add(state)

    def deductions(self, story: Story) -> tuple[tuple[str, frozenset[str], str], ...]:
        """Every deduction as (id, the evidence it needs, title), in the story's order."""
        if self._deductions is None:
            self._deductions = tuple(
                (d.id, frozenset(d.requires), d.title) for d in story.deductions.values()
            )
        return self._deductions
