"""The driver every front end uses: what is said now, what can be ordered, and "give this order".

An `Engine` pairs an immutable `Story` with a `GameState` and a `transitions` state machine built
from the story: scenes (and engagement rounds) are states, orders are triggers, conditions are the
guards, effects run in the transitions' callbacks. The machine is the only thing that moves the
player; `GameState.scene` is written by it.
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from transitions import Machine, State, Transition

from game.engine.conditions import Value
from game.engine.diagnostics import one_line
from game.engine.model import (
    Branch,
    Deduction,
    Effects,
    Ending,
    Evidence,
    Line,
    Order,
    Pilot,
    Scene,
    Story,
    split_state,
    state_name,
)
from game.engine.state import GameState, SaidLine
from game.engine.text import GARBLE_RATE, Segment, interpolate, plain_text, render

UNDO_DEPTH = 50
HIT_CHANCE = 0.15
KILL_CHANCE = 1 / 3
LineKind = Literal["hq", "narration", "lena", "pilot", "warning", "dossier", "hit"]


def _garbles(signal: int) -> bool:
    """Whether a line at this signal loses words to static (rendering depends on its key)."""
    return GARBLE_RATE.get(max(0, min(4, signal)), 0.0) > 0


class GameOver(Exception):
    """Raised when an order is given after the story has ended."""


class DeadEnd(Exception):
    """Raised when an order has no branch whose condition holds: a defect in the story."""


@dataclass(frozen=True, slots=True)
class RadioLine:
    """A line ready to show: who (id and tag), what kind of voice, and styled segments."""

    speaker: str
    tag: str
    kind: LineKind
    segments: tuple[Segment, ...]
    signal: int = 4

    @property
    def text(self) -> str:
        """The line as plain text, static shown as `[static]`."""
        return plain_text(self.segments)


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as the player sees it. `number` is what to type; None when disabled."""

    index: int
    number: int | None
    say: str
    words: tuple[str, ...]
    enabled: bool
    reason: str | None = None


FATES = {
    "active": "alive",
    "wounded": "alive, wounded",
    "missing": "missing",
    "killed": "killed in action",
}


@dataclass(frozen=True, slots=True)
class PilotView:
    """A roster row: `name` is None until Lena has learned it."""

    id: str
    callsign: str
    name: str | None
    role: str
    status: str

    @property
    def display(self) -> str:
        """The name if known, else the callsign."""
        return self.name or self.callsign

    @property
    def fate(self) -> str:
        """The pilot's status as the roll call says it."""
        return FATES.get(self.status, self.status)


@dataclass(frozen=True, slots=True)
class Meter:
    """An int variable shown as a bar: its value within its declared range."""

    name: str
    value: int
    low: int
    high: int


METERS = ("trust", "standing")


@dataclass(frozen=True, slots=True)
class DossierEntry:
    """A piece of evidence held, and the title of the scene where it was found."""

    evidence: Evidence
    found_in: str


@dataclass(frozen=True, slots=True)
class DeductionView:
    """A deduction: made, or hinted at because some of its pieces are held."""

    deduction: Deduction
    made: bool
    held: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer to a typed command: whether an order was given, and a hint if not."""

    ok: bool
    message: str = ""
    index: int | None = None  # the order given, when one was


class _Cursor:
    """The machine's model: the state name the machine moves, and the engine it belongs to
    (the machine's callbacks are shared by every engine of a story and find theirs here)."""

    state: str

    def __init__(self, engine: Engine) -> None:
        self.engine = engine


class _StoryMachine(Machine):
    """A `transitions.Machine` that does not give the model an `is_<state>()` helper per state.

    Nothing here uses them, and adding one per state on every new game is most of the cost of
    building a machine for a large story (2,000 scenes: ~9 ms, against ~1 ms without).
    """

    def _add_model_to_state(self, state: State, model: Any) -> None:
        return


# --- the machine's callbacks (send_event=True: each gets the event; the engine is the model's) ---


def _on_prepare(event: Any) -> None:
    event.model.engine._prepare()


def _on_entered(event: Any) -> None:
    event.model.engine._entered()


def _guard(index: int, branch_index: int, order: Order, branch: Branch, event: Any) -> bool:
    # The order is judged on the game as it was when the order was given; the branch on the
    # game after the order took effect (which is when it was chosen).
    engine: Engine = event.model.engine
    before = engine._before
    return (
        engine._pending == (index, branch_index)
        and before is not None
        and (order.condition is None or bool(order.condition(before)))
        and (branch.condition is None or bool(branch.condition(engine)))
    )


def _apply_branch(branch: Branch, event: Any) -> None:
    engine: Engine = event.model.engine
    engine._effects(branch.effects, engine.state.aftermath)
    engine._say(branch.radio, engine.state.aftermath)


_FIXED_TAGS = {"hq": "HQ", "narration": "", "lena": "LENA", "dossier": "", "hit": ""}
_CACHE_CAP = 5000


class _Plan:
    """What every engine of one story shares, built as play first needs it: the machine's states
    and transitions (their callbacks find the engine through the model), each state's routes,
    the radio lines and order lists that do not depend on the game, and speakers' tags.

    Nothing in it depends on a game in progress; the story is immutable, so nothing goes stale.
    """

    def __init__(self, story: Story) -> None:
        self.story_ref = weakref.ref(story)
        self.states = [State(name) for name in story.states()]
        # Per trigger, its transitions by source state: every engine's machine holds these same
        # mappings as its events' transitions, so a state is wired once for all games.
        self.transitions: dict[str, defaultdict[str, list[Transition]]] = {}
        self.wired: dict[str, int] = {}  # state -> how many orders (triggers) it has
        self.routes: dict[tuple[str, int], tuple[Branch, ...]] = {}
        self.speakers: dict[str, tuple[str, LineKind]] = {}
        # id(line) -> (line, the RadioLine it always shows, or None if that depends on the game)
        self.lines: dict[int, tuple[Line, RadioLine | None]] = {}
        self.warnings: dict[str, RadioLine | None] = {}
        self.said: dict[tuple[str, str, int], RadioLine] = {}
        # state -> each order's shown text, or None when one interpolates a variable
        self.says: dict[str, tuple[str, ...] | None] = {}
        self.views: dict[tuple[str, tuple[bool, ...]], tuple[OrderView, ...]] = {}
        self._deductions: tuple[tuple[str, frozenset[str], str], ...] | None = None

    def deductions(self, story: Story) -> tuple[tuple[str, frozenset[str], str], ...]:
        """Every deduction as (id, the evidence it needs, title), in the story's order."""
        if self._deductions is None:
            self._deductions = tuple(
                (d.id, frozenset(d.requires), d.title) for d in story.deductions.values()
            )
        return self._deductions

    def wire(self, story: Story, state: str) -> int:
        """Build a state's transitions the first time any game stands in it; returns how many
        triggers (order_0, order_1, ...) the state has."""
        count = self.wired.get(state)
        if count is not None:
            return count
        scene_id, round_number = split_state(state)
        scene = story.scenes[scene_id]
        orders = story.orders_at(state)
        for index, order in enumerate(orders):
            routes = Engine._routes_for(scene, round_number, order)
            self.routes[(state, index)] = routes
            by_source = self.transitions.setdefault(f"order_{index}", defaultdict(list))
            by_source[state] = [
                Transition(
                    state,
                    branch.goto,
                    conditions=[partial(_guard, index, branch_index, order, branch)],
                    before=[partial(_apply_branch, branch)],
                )
                for branch_index, branch in enumerate(routes)
            ]
        self.wired[state] = count = len(orders)
        return count


_PLANS: dict[int, _Plan] = {}


def _plan_for(story: Story) -> _Plan:
    """The story's shared plan (one per story object, dropped when the story is)."""
    plan = _PLANS.get(id(story))
    if plan is None or plan.story_ref() is not story:
        plan = _PLANS[id(story)] = _Plan(story)
        weakref.finalize(story, _PLANS.pop, id(story), None)
    return plan


def _fresh_state(
    story: Story, seed: int, warp: str | None, sets: Mapping[str, Value] | None
) -> GameState:
    """A new game's state, before its first scene is entered."""
    state = GameState.new(story, seed)
    if warp is not None:
        if warp not in story.scenes:
            raise ValueError(f"no scene '{warp}' to warp to")
        state.scene = state.origin = warp
    for name, value in (sets or {}).items():
        if name not in story.variables:
            raise ValueError(f"no variable '{name}'")
        state.variables[name] = state.preset[name] = value
    return state


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


class Engine(StateFacts):
    """One game of a story. Create with `Engine.new(story, seed)` or `Engine(story, state)`."""

    def __init__(self, story: Story, state: GameState) -> None:
        if split_state(state.scene)[0] not in story.scenes or state.scene not in story.states():
            raise ValueError(f"scene '{state.scene}' is not in this story")
        self.story = story
        self.state = state
        # Undo snapshots: a copy of the state without its log, and the log's length then.
        self._undo: list[tuple[GameState, int]] = []
        self._pending: tuple[int, int] | None = None
        self._order: tuple[str, int, Order] | None = None
        self._before: StateFacts | None = None
        self._plan = _plan_for(story)
        self._routes = self._plan.routes
        self._cursor = _Cursor(self)
        self._listeners: list[Callable[[Engine], None]] = []
        # What radio() last answered, and for which game and moment (see radio()).
        self._moment = 0
        self._heard: tuple[tuple[int, ...], list[RadioLine]] | None = None
        self.machine = self._build_machine(state.scene)

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def new(
        cls,
        story: Story,
        seed: int = 0,
        *,
        warp: str | None = None,
        sets: Mapping[str, Value] | None = None,
    ) -> Engine:
        """Start a new game (optionally at scene `warp`, with variables preset: for authors)."""
        engine = cls(story, _fresh_state(story, seed, warp, sets))
        engine._entered()
        return engine

    def reset(
        self, seed: int = 0, *, warp: str | None = None, sets: Mapping[str, Value] | None = None
    ) -> None:
        """Start a new game of the same story on this engine, as `Engine.new` would, keeping the
        machine (building one per game is what would make playtesting slow)."""
        state = _fresh_state(self.story, seed, warp, sets)
        self.restore(state)
        self._entered()

    @classmethod
    def replay(
        cls,
        story: Story,
        seed: int,
        log: Iterable[tuple[str, int]],
        *,
        warp: str | None = None,
        sets: Mapping[str, Value] | None = None,
    ) -> tuple[Engine, int]:
        """Replay an order log from the start; stop where the story no longer matches it.

        Returns the engine and how many orders of the log were applied. Because chance comes
        from the seed, a full replay reproduces the game exactly.
        """
        engine = cls.new(story, seed, warp=warp, sets=sets)
        applied = 0
        for state, index in log:
            if engine.state.ending is not None or engine.state.scene != state:
                break
            orders = story.orders_at(state)
            if not 0 <= index < len(orders):
                break
            order = orders[index]
            if order.condition is not None and not order.condition(engine):
                break
            try:
                engine.choose(index)
            except (DeadEnd, ValueError):
                break
            applied += 1
        return engine, applied

    def add_listener(self, listener: Callable[[Engine], None]) -> None:
        """Call `listener(engine)` after every scene (or round) the game enters: autosave hooks.
        Adding the same listener twice has no effect."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    @property
    def listeners(self) -> tuple[Callable[[Engine], None], ...]:
        """The listeners added so far (a reload carries them to the new engine)."""
        return tuple(self._listeners)

    def _build_machine(self, initial: str) -> Machine:
        machine = _StoryMachine(
            model=self._cursor,
            states=self._plan.states,
            initial=initial,
            auto_transitions=False,
            send_event=True,
            prepare_event=_on_prepare,
            after_state_change=_on_entered,
        )
        self._triggers = 0  # this machine has events order_0 .. order_{_triggers - 1}
        self._machine = machine
        self._wire(initial)
        return machine

    def _wire(self, state: str) -> None:
        """Make sure the machine can take a state's orders (the first time a game stands in it).

        Building every transition up front cost ~20 µs each (0.3 s for a 2,000-scene story) on
        every new game; wiring on arrival makes the cost follow play, not story size. The
        transitions are built once per story (`_Plan.wire`) and shared by every engine's
        machine: their callbacks take the engine from the machine's model, and each of this
        machine's events holds the story's mapping of its transitions by source state.
        """
        count = self._plan.wire(self.story, state)
        if count <= self._triggers:
            return
        machine = self._machine
        for index in range(self._triggers, count):
            trigger = f"order_{index}"
            machine.add_transition(trigger, [], None)  # the event, with no transitions of its own
            machine.events[trigger].transitions = self._plan.transitions[trigger]
        self._triggers = count

    @staticmethod
    def _routes_for(scene: Scene, round_number: int, order: Order) -> tuple[Branch, ...]:
        if order.branches or scene.engagement is None:
            return order.branches
        if round_number < len(scene.engagement.rounds):
            return (Branch(state_name(scene.id, round_number + 1)),)
        return scene.engagement.after

    # --- guards and callbacks (run by the machine) --------------------------------------------

    def _prepare(self) -> None:
        """Run by the machine before it checks any guard: the order itself takes effect (its
        effects, its radio, an engagement round's hits), then a branch is chosen, so branch
        conditions see what the order did."""
        pending = self._order
        if pending is None:
            return
        state, index, order = pending
        said: list[SaidLine] = []
        self.state.log.append((state, index))
        self._effects(order.effects, said)
        self._say(order.radio, said)
        scene_id, round_number = split_state(state)
        scene = self.story.scenes[scene_id]
        if scene.engagement is not None:
            self._resolve_round(scene, round_number, order, said)
        self.state.aftermath = said
        branch = self._pick_branch(self._routes[(state, index)])
        self._pending = None if branch is None else (index, branch)

    def _entered(self) -> None:
        self._moment += 1
        state = self.state
        state.scene = name = self._cursor.state
        self._wire(name)
        scene_id, round_number = split_state(name)
        scene = self.story.scenes[scene_id]
        if round_number == 1:
            state.visits[scene_id] = state.visits.get(scene_id, 0) + 1
            if scene.enter:
                self._effects(scene.enter, state.aftermath)
        if scene.ending is not None:
            state.ending = scene.ending
        for listener in self._listeners:
            listener(self)

    # --- effects ----------------------------------------------------------------------------

    def _effects(self, effects: Effects, said: list[SaidLine]) -> None:
        if not effects:
            return
        variables = self.state.variables
        for name, value in effects.set:
            variables[name] = value
        for name, amount in effects.add:
            current = variables[name]
            assert isinstance(current, int)
            variables[name] = self.story.variables[name].clamp(current + amount)
        for pilot in effects.learn:
            if pilot not in self.state.known:
                self.state.known.append(pilot)
        for pilot, status in effects.status:
            self.state.status[pilot] = status
        if effects.reveal:
            scene_id, _ = split_state(self._cursor.state)
            held = self.state.evidence
            for evidence in effects.reveal:
                if evidence not in held:
                    held[evidence] = scene_id
                    said.append(
                        SaidLine("dossier", f"Dossier: {self.story.evidence[evidence].title}")
                    )
            made = self.state.deductions
            for deduction_id, requires, title in self._plan.deductions(self.story):
                if deduction_id not in made and held.keys() >= requires:
                    made.append(deduction_id)
                    said.append(SaidLine("dossier", f"Deduction: {title}"))

    def _say(self, lines: Iterable[Line], said: list[SaidLine]) -> None:
        for line in lines:
            if line.condition is None or line.condition(self):
                text = line.text
                if "{" in text or "}" in text:
                    text = interpolate(text, self.var)
                said.append(SaidLine(line.speaker, text, line.signal))

    def _resolve_round(
        self, scene: Scene, round_number: int, order: Order, said: list[SaidLine]
    ) -> None:
        engagement = scene.engagement
        assert engagement is not None
        warning = engagement.rounds[round_number - 1].warning
        base = engagement.danger(self)
        assert isinstance(base, int)
        danger = max(
            0, base + order.risk + (engagement.ignore_cost if warning and not order.heeds else 0)
        )
        for _ in range(danger):
            if self.state.draw() >= HIT_CHANCE:
                continue
            targets = [
                p for p in engagement.at_risk if self.state.status[p] in ("active", "wounded")
            ]
            if not targets:
                break
            pilot = targets[min(len(targets) - 1, int(self.state.draw() * len(targets)))]
            killed = self.state.status[pilot] == "wounded" or self.state.draw() < KILL_CHANCE
            self.state.status[pilot] = "killed" if killed else "wounded"
            if killed:
                self.state.losses.setdefault(scene.id, []).append(pilot)
            name = self._display_name(self.story.pilots[pilot])
            template = engagement.kill if killed else engagement.hit
            said.append(SaidLine("hit", interpolate(template, partial(self._hit_lookup, name))))

    # --- what a front end asks ------------------------------------------------------------------

    @property
    def scene(self) -> Scene:
        """The current scene."""
        return self.story.scenes[split_state(self.state.scene)[0]]

    @property
    def round(self) -> tuple[int, int] | None:
        """(round, of rounds) inside an engagement, else None."""
        scene_id, number = split_state(self.state.scene)
        scene = self.story.scenes[scene_id]
        return (number, len(scene.engagement.rounds)) if scene.engagement else None

    @property
    def ending(self) -> Ending | None:
        """The ending reached, or None while the game goes on."""
        return self.story.endings[self.state.ending] if self.state.ending else None

    def header(self) -> str:
        """The scene header: chapter, title and round."""
        chapter = self.scene.chapter
        return f"Chapter {chapter} · {self.story.chapter_title(chapter)} · {self.heading()}"

    def heading(self) -> str:
        """The scene's title, with the round inside an engagement."""
        text = plain_text(render(self.scene.title, self.var))
        if self.round:
            text += f" (round {self.round[0]} of {self.round[1]})"
        return text

    def radio(self) -> list[RadioLine]:
        """What is heard now: the last order's aftermath, then this scene's (or round's) lines.

        Answered once per moment of the game: asking again before the next order (or undo, or
        load) returns the same lines without rendering them again. Front ends change the game
        only through the engine; the answer is also checked against the state object, its scene,
        its draws and the lengths of its log and aftermath.
        """
        state = self.state
        moment = (
            self._moment,
            id(state),
            id(state.aftermath),
            len(state.aftermath),
            len(state.log),
            state.draws,
        )
        heard = self._heard
        if heard is not None and heard[0] == moment and state.scene == heard[1][0]:
            return list(heard[1][1])
        lines = self._radio_now()
        self._heard = (moment, (state.scene, lines))  # type: ignore[assignment]
        return list(lines)

    def _radio_now(self) -> list[RadioLine]:
        state = self.state
        scene_id, number = split_state(state.scene)
        scene = self.story.scenes[scene_id]
        visits = state.visits.get(scene_id, 0)
        lines: list[RadioLine] = []
        key = f"{state.seed}:{state.scene}:{visits}"
        for n, said in enumerate(state.aftermath):
            lines.append(self._said_line(said, f"{key}:a{n}"))
        written: tuple[Line, ...] = scene.radio if number == 1 else ()
        if scene.engagement is not None:
            written += scene.engagement.rounds[number - 1].radio
        first_visit = visits <= 1
        plan_lines = self._plan.lines
        for n, line in enumerate(written):
            if line.once and not first_visit:
                continue
            if line.condition is None or line.condition(self):
                entry = plan_lines.get(id(line))
                if entry is None or entry[0] is not line:
                    entry = plan_lines[id(line)] = (line, self._fixed_line(line))
                fixed = entry[1]
                lines.append(
                    fixed
                    if fixed is not None
                    else self._radio_line(line.speaker, line.text, line.signal, f"{key}:{n}")
                )
        if scene.engagement is not None:
            warning = scene.engagement.rounds[number - 1].warning
            if warning:
                lines.append(self._warning_line(warning, f"{key}:w"))
        return lines

    def _fixed_line(self, line: Line) -> RadioLine | None:
        """The line as it always shows when nothing in it depends on the game (no `{name}`, no
        static), else None."""
        if "{" in line.text or "}" in line.text or _garbles(line.signal):
            return None
        return self._radio_line(line.speaker, line.text, line.signal, "")

    def _warning_line(self, warning: str, key: str) -> RadioLine:
        plan = self._plan
        fixed = plan.warnings.get(warning, False)
        if fixed is False:
            fixed = None
            if "{" not in warning and "}" not in warning:
                fixed = self._as_warning(self._radio_line("shin", warning, 4, ""))
            if len(plan.warnings) >= _CACHE_CAP:
                plan.warnings.clear()
            plan.warnings[warning] = fixed
        if fixed is not None:
            return fixed
        return self._as_warning(self._radio_line("shin", warning, 4, key))

    @staticmethod
    def _as_warning(radio: RadioLine) -> RadioLine:
        return RadioLine(radio.speaker, radio.tag, "warning", radio.segments)

    def _said_line(self, said: SaidLine, key: str) -> RadioLine:
        """A line the last order produced (already filled in)."""
        if _garbles(said.signal):
            return self._radio_line(said.speaker, said.text, said.signal, key, filled=True)
        cache = self._plan.said
        ident = (said.speaker, said.text, said.signal)
        radio = cache.get(ident)
        if radio is None:
            if len(cache) >= _CACHE_CAP:
                cache.clear()
            radio = cache[ident] = self._radio_line(
                said.speaker, said.text, said.signal, key, filled=True
            )
        return radio

    def _radio_line(
        self, speaker: str, text: str, signal: int, key: str, filled: bool = False
    ) -> RadioLine:
        segments = render(text, None if filled else self.var, signal, key)
        tag, kind = self._speaker(speaker)
        return RadioLine(speaker, tag, kind, segments, signal)

    def _speaker(self, speaker: str) -> tuple[str, LineKind]:
        known = self._plan.speakers.get(speaker)
        if known is None:
            if speaker in _FIXED_TAGS:
                known = (_FIXED_TAGS[speaker], speaker)  # type: ignore[assignment]
            else:
                known = (self.story.pilots[speaker].callsign.upper(), "pilot")
            self._plan.speakers[speaker] = known  # type: ignore[assignment]
        return known  # type: ignore[return-value]

    def orders(self) -> list[OrderView]:
        """The orders shown now: enabled ones numbered from 1, disabled ones with a reason."""
        if self.state.ending is not None:
            return []
        state = self.state.scene
        orders = self.story.orders_at(state)
        plan = self._plan
        says = plan.says.get(state, False)
        if says is False:
            says = plan.says[state] = self._fixed_says(orders)
        if says is None:
            return self._order_views(orders, [plain_text(render(o.say, self.var)) for o in orders])
        enabled = tuple(
            [order.condition is None or bool(order.condition(self)) for order in orders]
        )
        views = plan.views.get((state, enabled))
        if views is None:
            views = plan.views[(state, enabled)] = tuple(self._order_views(orders, says, enabled))
        return list(views)

    @staticmethod
    def _fixed_says(orders: tuple[Order, ...]) -> tuple[str, ...] | None:
        """Each order's text as shown, when none of them depends on the game."""
        if any("{" in o.say or "}" in o.say for o in orders):
            return None
        return tuple(plain_text(render(o.say, None)) for o in orders)

    def _order_views(
        self,
        orders: tuple[Order, ...],
        says: Iterable[str],
        enabled: tuple[bool, ...] | None = None,
    ) -> list[OrderView]:
        views: list[OrderView] = []
        number = 0
        for index, (order, say) in enumerate(zip(orders, says, strict=True)):
            if (
                enabled[index]
                if enabled is not None
                else (order.condition is None or order.condition(self))
            ):
                number += 1
                views.append(OrderView(index, number, say, order.words, True))
            elif order.disabled is not None:
                views.append(OrderView(index, None, say, order.words, False, order.disabled))
        return views

    def squad(self) -> list[PilotView]:
        """The roster, in roster order, names only where Lena has learned them."""
        return [
            PilotView(
                p.id,
                p.callsign,
                p.name if p.id in self.state.known else None,
                p.role,
                self.state.status[p.id],
            )
            for p in self.story.pilots.values()
        ]

    def dossier(self) -> list[DossierEntry]:
        """Evidence held, in the order it was found."""
        return [
            DossierEntry(
                self.story.evidence[e], self.story.scenes[s].title if s in self.story.scenes else s
            )
            for e, s in self.state.evidence.items()
        ]

    def deductions(self) -> list[DeductionView]:
        """Deductions made, then those with at least one piece held (as hints)."""
        views: list[DeductionView] = []
        for deduction in self.story.deductions.values():
            held = sum(1 for e in deduction.requires if e in self.state.evidence)
            made = deduction.id in self.state.deductions
            if made or held:
                views.append(DeductionView(deduction, made, held))
        views.sort(key=lambda v: not v.made)
        return views

    def meters(self, names: Iterable[str] = METERS) -> list[Meter]:
        """The named int variables the story declares, with their ranges (a range the story
        left open shows as 0..10, or up to the value if it is higher)."""
        meters: list[Meter] = []
        for name in names:
            variable = self.story.variables.get(name)
            if variable is None or variable.type != "int":
                continue
            value = self.state.variables[name]
            assert isinstance(value, int)
            low = variable.min if variable.min is not None else 0
            high = variable.max if variable.max is not None else max(10, value)
            meters.append(Meter(name, value, low, high))
        return meters

    def roll_call(self) -> list[PilotView]:
        """The squadron at the end: the same rows as `squad`, for the ending screen."""
        return self.squad()

    # --- acting ------------------------------------------------------------------------------

    def choose(self, index: int) -> None:
        """Give the order at `index` in the current state's order list (`OrderView.index`).

        Raises `GameOver` after an ending, `ValueError` for an order that is not available, and
        `DeadEnd` when the story offers the order but no branch of it can be taken (the game
        is then left exactly as it was).
        """
        if self.state.ending is not None:
            raise GameOver("the story has ended")
        source = self.state.scene
        orders = self.story.orders_at(source)
        if not 0 <= index < len(orders):
            raise ValueError(f"no order {index} here")
        order = orders[index]
        if order.condition is not None and not order.condition(self):
            raise ValueError(order.disabled or "that order is not available")
        log_length = len(self.state.log)
        snapshot = self.state.copy(log=False)
        self._before = StateFacts(snapshot)
        self._order = (source, index, order)
        self._pending = None
        try:
            moved = self.machine.events[f"order_{index}"].trigger(self._cursor)
        finally:
            self._order = None
            self._before = None
            self._pending = None
        if not moved:
            # Nothing moved, so nothing happened: the order's effects are taken back too.
            self._rewind(snapshot, log_length)
            raise DeadEnd(f"no branch of order {index + 1} in '{source}' can be taken")
        self._undo.append((snapshot, log_length))
        if len(self._undo) > UNDO_DEPTH:
            del self._undo[:-UNDO_DEPTH]

    def _pick_branch(self, routes: tuple[Branch, ...]) -> int | None:
        """Drop branches whose condition fails; draw among weighted ones, else take the first."""
        if len(routes) == 1 and routes[0].weight is None:  # the common case: one plain goto
            only = routes[0]
            return 0 if only.condition is None or only.condition(self) else None
        eligible = [i for i, b in enumerate(routes) if b.condition is None or b.condition(self)]
        if not eligible:
            return None
        weighted = [i for i in eligible if routes[i].weight is not None]
        if not weighted:
            return eligible[0]
        total = sum(routes[i].weight or 0 for i in weighted)
        roll = self.state.draw() * total
        for i in weighted:
            roll -= routes[i].weight or 0
            if roll < 0:
                return i
        return weighted[-1]

    def choose_number(self, number: int) -> Outcome:
        """Give the order shown with `number`; an `Outcome` says why not when it cannot."""
        for view in self.orders():
            if view.number == number:
                self.choose(view.index)
                return Outcome(True, index=view.index)
        count = sum(1 for v in self.orders() if v.enabled)
        if count == 0:
            return Outcome(False, "There are no orders to give now.")
        return Outcome(False, f"There is no order {number}; choose 1 to {count}.")

    def choose_text(self, text: str) -> Outcome:
        """Give the order a player typed: its number, or its command words (prefixes work)."""
        text = text.strip().lower()
        if text.isdecimal() and len(text) <= 6:
            return self.choose_number(int(text))
        # What the player typed is repeated in answers: never let it drive the terminal.
        shown = one_line(text[:60] + ("…" if len(text) > 60 else ""))
        tokens = re.findall(r"[a-z0-9][a-z0-9'-]*", text)
        if not tokens:
            return Outcome(False, "Type an order's number or one of its words.")
        views = self.orders()
        exact = [v for v in views if all(t in v.words for t in tokens)]
        matches = exact or [
            v for v in views if all(any(w.startswith(t) for w in v.words) for t in tokens)
        ]
        enabled = [v for v in matches if v.enabled]
        if len(enabled) == 1:
            self.choose(enabled[0].index)
            return Outcome(True, index=enabled[0].index)
        if len(enabled) > 1:
            options = " or ".join(f"'{v.words[0]}'" for v in enabled if v.words)
            return Outcome(False, f"'{shown}' could mean more than one order: {options}.")
        if matches:
            return Outcome(False, f"Not now: {matches[0].reason}")
        words = sorted({w for v in views if v.enabled for w in v.words})
        hint = f" Words here: {', '.join(words)}." if words else ""
        return Outcome(False, f"No order answers to '{shown}'.{hint}")

    def completions(self, prefix: str) -> list[str]:
        """Command words of the available orders that start with `prefix`."""
        prefix = prefix.strip().lower()
        words = {w for v in self.orders() if v.enabled for w in v.words}
        return sorted(w for w in words if w.startswith(prefix))

    @property
    def can_undo(self) -> bool:
        """Whether there is an order to take back (after a load too: undo then replays)."""
        return bool(self._undo or self.state.log)

    def undo(self) -> bool:
        """Take back the last order; False when there is nothing to undo.

        Snapshots cover the last orders of this session; before those (after loading a save)
        the game is replayed from its order log minus the last order, which is exact.
        """
        if self._undo:
            self._rewind(*self._undo.pop())
            return True
        if not self.state.log:
            return False
        state = self.state
        replayed, applied = Engine.replay(
            self.story, state.seed, state.log[:-1], warp=state.origin, sets=state.preset
        )
        if applied != len(state.log) - 1:
            return False
        self._restore(replayed.state)
        return True

    def _rewind(self, snapshot: GameState, log_length: int) -> None:
        """Go back to an undo snapshot: its log is the live log as long as it was then (the log
        only grows between a snapshot and its restore; undo pops the newest snapshot first)."""
        snapshot.log = self.state.log[:log_length]
        self._restore(snapshot)

    def _restore(self, state: GameState) -> None:
        self._moment += 1
        self.state = state
        self.machine.set_state(state.scene, self._cursor)
        self._wire(state.scene)

    def restore(self, state: GameState) -> None:
        """Put the game in `state` (a loaded save); forgets the undo snapshots."""
        if state.scene not in self.machine.states:
            raise ValueError(f"scene '{state.scene}' is not in this story")
        self._undo.clear()
        self._restore(state)

    def _hit_lookup(self, pilot_name: str, name: str) -> Value:
        return pilot_name if name == "pilot" else self.var(name)

    def _display_name(self, pilot: Pilot) -> str:
        return pilot.name if pilot.id in self.state.known else pilot.callsign
