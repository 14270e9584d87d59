"""The driver every front end uses: what is said now, what can be ordered, and "give this order".

An `Engine` pairs an immutable `Story` with a `GameState` and a `transitions` state machine built
from the story: scenes (and engagement rounds) are states, orders are triggers, conditions are the
guards, effects run in the transitions' callbacks. The machine is the only thing that moves the
player; `GameState.scene` is written by it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Literal

from transitions import Machine

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
from game.engine.text import Segment, interpolate, plain_text, render

UNDO_DEPTH = 50
HIT_CHANCE = 0.15
KILL_CHANCE = 1 / 3
LineKind = Literal["hq", "narration", "lena", "pilot", "warning", "dossier", "hit"]


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


FATES = {"active": "alive", "wounded": "alive, wounded", "missing": "missing", "killed": "killed in action"}


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
    """The machine's model: it holds only the state name the machine moves."""

    state: str


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
        self._undo: list[GameState] = []
        self._pending: tuple[int, int] | None = None
        self._order: tuple[str, int, Order] | None = None
        self._before: StateFacts | None = None
        self._routes: dict[tuple[str, int], tuple[Branch, ...]] = {}
        self._cursor = _Cursor()
        self._listeners: list[Callable[[Engine], None]] = []
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
        machine = Machine(
            model=self._cursor,
            states=self.story.states(),
            initial=initial,
            auto_transitions=False,
            send_event=False,
            prepare_event=self._prepare,
            after_state_change=self._entered,
        )
        self._wired: set[str] = set()
        self._machine = machine
        self._wire(initial)
        return machine

    def _wire(self, state: str) -> None:
        """Add a state's transitions to the machine the first time the game stands in it.

        Building every transition up front cost ~20 µs each (0.3 s for a 2,000-scene story) on
        every new game; wiring on arrival makes the cost follow play, not story size.
        """
        if state in self._wired:
            return
        self._wired.add(state)
        scene_id, round_number = split_state(state)
        scene = self.story.scenes[scene_id]
        for index, order in enumerate(self.story.orders_at(state)):
            routes = self._routes_for(scene, round_number, order)
            self._routes[(state, index)] = routes
            for branch_index, branch in enumerate(routes):
                self._machine.add_transition(
                    f"order_{index}",
                    source=state,
                    dest=branch.goto,
                    conditions=[partial(self._guard, index, branch_index, order, branch)],
                    before=[partial(self._apply_branch, branch)],
                )

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

    def _guard(self, index: int, branch_index: int, order: Order, branch: Branch) -> bool:
        # The order is judged on the game as it was when the order was given; the branch on the
        # game after the order took effect (which is when it was chosen).
        before = self._before
        return (
            self._pending == (index, branch_index)
            and before is not None
            and (order.condition is None or bool(order.condition(before)))
            and (branch.condition is None or bool(branch.condition(self)))
        )

    def _apply_branch(self, branch: Branch) -> None:
        self._effects(branch.effects, self.state.aftermath)
        self._say(branch.radio, self.state.aftermath)

    def _entered(self) -> None:
        self.state.scene = self._cursor.state
        self._wire(self.state.scene)
        scene_id, round_number = split_state(self.state.scene)
        scene = self.story.scenes[scene_id]
        if round_number == 1:
            self.state.visits[scene_id] = self.state.visits.get(scene_id, 0) + 1
            if scene.enter:
                self._effects(scene.enter, self.state.aftermath)
        if scene.ending is not None:
            self.state.ending = scene.ending
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
        scene_id, _ = split_state(self._cursor.state)
        for evidence in effects.reveal:
            if evidence not in self.state.evidence:
                self.state.evidence[evidence] = scene_id
                said.append(SaidLine("dossier", f"Dossier: {self.story.evidence[evidence].title}"))
        if effects.reveal:
            for deduction in self.story.deductions.values():
                if deduction.id not in self.state.deductions and all(
                    e in self.state.evidence for e in deduction.requires
                ):
                    self.state.deductions.append(deduction.id)
                    said.append(SaidLine("dossier", f"Deduction: {deduction.title}"))

    def _say(self, lines: Iterable[Line], said: list[SaidLine]) -> None:
        for line in lines:
            if line.condition is None or line.condition(self):
                said.append(SaidLine(line.speaker, interpolate(line.text, self.var), line.signal))

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
        """What is heard now: the last order's aftermath, then this scene's (or round's) lines."""
        lines: list[RadioLine] = []
        key = f"{self.state.seed}:{self.state.scene}:{self.visits(self.scene.id)}"
        for n, said in enumerate(self.state.aftermath):
            lines.append(
                self._radio_line(said.speaker, said.text, said.signal, f"{key}:a{n}", filled=True)
            )
        scene_id, number = split_state(self.state.scene)
        scene = self.story.scenes[scene_id]
        written: list[Line] = list(scene.radio) if number == 1 else []
        if scene.engagement is not None:
            written += scene.engagement.rounds[number - 1].radio
        first_visit = self.visits(scene_id) <= 1
        for n, line in enumerate(written):
            if line.once and not first_visit:
                continue
            if line.condition is None or line.condition(self):
                lines.append(self._radio_line(line.speaker, line.text, line.signal, f"{key}:{n}"))
        if scene.engagement is not None:
            warning = scene.engagement.rounds[number - 1].warning
            if warning:
                radio = self._radio_line("shin", warning, 4, f"{key}:w")
                lines.append(RadioLine(radio.speaker, radio.tag, "warning", radio.segments))
        return lines

    def _radio_line(
        self, speaker: str, text: str, signal: int, key: str, filled: bool = False
    ) -> RadioLine:
        segments = render(text, None if filled else self.var, signal, key)
        if speaker in ("hq", "narration", "lena", "dossier", "hit"):
            tag = {"hq": "HQ", "narration": "", "lena": "LENA", "dossier": "", "hit": ""}[speaker]
            return RadioLine(speaker, tag, speaker, segments, signal)  # type: ignore[arg-type]
        pilot = self.story.pilots[speaker]
        return RadioLine(speaker, pilot.callsign.upper(), "pilot", segments, signal)

    def orders(self) -> list[OrderView]:
        """The orders shown now: enabled ones numbered from 1, disabled ones with a reason."""
        if self.state.ending is not None:
            return []
        views: list[OrderView] = []
        number = 0
        for index, order in enumerate(self.story.orders_at(self.state.scene)):
            say = plain_text(render(order.say, self.var))
            if order.condition is None or order.condition(self):
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
        snapshot = self.state.copy()
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
            self._restore(snapshot)
            raise DeadEnd(f"no branch of order {index + 1} in '{source}' can be taken")
        self._undo.append(snapshot)
        del self._undo[:-UNDO_DEPTH]

    def _pick_branch(self, routes: tuple[Branch, ...]) -> int | None:
        """Drop branches whose condition fails; draw among weighted ones, else take the first."""
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
            self._restore(self._undo.pop())
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

    def _restore(self, state: GameState) -> None:
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
