"""The driver every front end uses: what is said now, what can be ordered, and "give this order".

An `Engine` is one game: an immutable `Story`, a `GameState` (everything a save holds), and the
story's machine (`game.engine.machine.StoryMachine`, a `transitions` Machine shared by every
game of the story). Scenes and engagement rounds are the machine's states, orders its triggers,
the story's conditions its guards; the engine is the model it moves. Where the game stands is
stored once, in `GameState.scene`: the machine reads and writes it as the engine's `position`,
so putting a state in place (a load, an undo, a new game) is all it takes to move the machine.

What happens when the player gives order `i` (`choose(i)`):

1. `choose` checks the game has not ended and the order exists, then triggers `order_i` on the
   machine with the engine as the model.
2. The machine's `prepare` works the order out on a copy of the game: the order's effects and
   radio, an engagement round's hits and, when a weighted branch is eligible, chance's roll.
3. The machine judges each branch's transition by its guards (the order's `if` on the game as
   it was, the branch's `if` on the worked-out copy, the roll against the branch's slice) and
   takes the first that passes.
4. That transition's `before` callback applies the branch's effects and radio to the copy and
   calls `Engine._commit`: the copy becomes the game, the game as it was the undo snapshot.
5. The machine writes the destination into `position`, then its `after_state_change` callback
   calls `Engine._entered`: the visit is counted, the scene's `enter` effects apply, an ending
   is noted, and listeners (autosave) run.

If no branch passes, the trigger returns False and nothing has changed: `choose` raises
`ValueError` (the order's condition fails) or `DeadEnd` (no branch can be taken). `may_choose`
asks the same question of the machine without giving the order.

Everything else here answers the front ends: `radio()` renders what is heard now (the last
order's aftermath, then the scene's lines), `orders()` lists the orders with the numbers to type,
and the views (squad, dossier, meters) read the state. None of it changes the game.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from game.engine import matching
from game.engine.conditions import Value
from game.engine.diagnostics import one_line
from game.engine.format import MAX_SIGNAL
from game.engine.identity import UNKNOWN, find_order, order_id, renamed
from game.engine.machine import (
    Move,
    StateFacts,
    StoryMachine,
    apply_effects,
    order_trigger,
    routes_for,
)
from game.engine.model import (
    Chapter,
    Deduction,
    Effects,
    Ending,
    Evidence,
    Line,
    Marker,
    Order,
    Scene,
    Story,
    split_state,
)
from game.engine.presets import read as read_presets
from game.engine.state import GameState, SaidLine
from game.engine.text import Segment, garbles, plain_text, render

UNDO_DEPTH = 50
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
    signal: int = MAX_SIGNAL

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
    """A roster row: `name` is None until Lena has learned it; `asked` is True when she asked
    for it and was refused (an `asked` effect), so the roll call can tell that from never
    asking."""

    id: str
    callsign: str
    name: str | None
    role: str
    status: str
    asked: bool = False

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

    def filled(self, cells: int) -> int:
        """How many of `cells` (two or more) a bar of this meter fills: none only at its lowest value, all
        only at its highest, and in between its share rounded half up (never to either end).
        So a bar never reads as empty or full while the number says otherwise."""
        value = min(max(self.value, self.low), self.high)
        if value <= self.low:
            return 0
        if value >= self.high:
            return cells
        share = (value - self.low) * cells / (self.high - self.low)
        return min(max(int(share + 0.5), 1), cells - 1)


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
    # False when the text fits no order at all (a front end may then suggest one of its own
    # commands instead); True when an order was given, or the text fits orders not given now.
    understood: bool = True


def _sentence(text: str) -> str:
    """An order's text on one line, ending as a sentence does (for listing orders in a line)."""
    text = one_line(" ".join(text.split()))
    return text if text[-1:] in ".?!…" else f"{text}."


_FIXED_TAGS = {"hq": "HQ", "narration": "", "lena": "LENA", "dossier": "", "hit": ""}
_CACHE_CAP = 5000


class _Plan:
    """What every engine of one story shares: the story's machine, and what the front ends are
    shown that does not depend on the game (radio lines and order lists, speakers' tags), filled
    in as play first needs it.

    Nothing in it depends on a game in progress; the story is immutable, so nothing goes stale.
    """

    def __init__(self, story: Story) -> None:
        self.story_ref = weakref.ref(story)
        self.machine = StoryMachine(story)
        self.speakers: dict[str, tuple[str, LineKind]] = {}
        # id(line) -> (line, the RadioLine it always shows, or None if that depends on the game)
        self.lines: dict[int, tuple[Line, RadioLine | None]] = {}
        self.warnings: dict[str, RadioLine | None] = {}
        self.said: dict[tuple[str, str, int], RadioLine] = {}
        # state -> each order's shown text, or None when one interpolates a variable
        self.says: dict[str, tuple[str, ...] | None] = {}
        self.views: dict[
            tuple[str, tuple[bool | None, ...], tuple[int, ...]], tuple[OrderView, ...]
        ] = {}
        self.ids: dict[str, tuple[str, ...]] = {}  # state -> each order's identity

    def order_ids(self, story: Story, state: str) -> tuple[str, ...]:
        """The identities of a state's orders (`game.engine.identity.order_id`)."""
        ids = self.ids.get(state)
        if ids is None:
            ids = self.ids[state] = tuple(order_id(order) for order in story.orders_at(state))
        return ids


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
    if sets:
        presets = read_presets(story, sets)  # ValueError naming what the story lacks
        presets.apply(state.variables, state.known, state.status)
        # Preset evidence goes in as a reveal would, so the deductions it completes are made.
        apply_effects(
            story, _plan_for(story).machine, state, Effects(reveal=tuple(presets.evidence)), []
        )
        state.preset = dict(sets)
    return state


class Engine(StateFacts):
    """One game of a story. Create with `Engine.new(story, seed)` or `Engine(story, state)`."""

    def __init__(self, story: Story, state: GameState) -> None:
        self._plan = _plan_for(story)
        self.machine: StoryMachine = self._plan.machine
        if state.scene not in self.machine.states:
            raise ValueError(f"scene '{state.scene}' is not in this story")
        self.story = story
        self.state = state
        # Undo snapshots: the game before each order (without its log), and the log's length.
        self._undo: list[tuple[GameState, int]] = []
        self._listeners: list[Callable[[Engine], None]] = []
        # What radio() last answered, and for which game and moment (see radio()).
        self._moment = 0
        self._heard: tuple[tuple[int, ...], list[RadioLine]] | None = None
        self.machine.wire(story, state.scene)

    @property
    def position(self) -> str:
        """Where the game stands: the machine's state for this game, which is `state.scene`
        (the machine reads and writes it here; restoring a state moves it)."""
        return self.state.scene

    @position.setter
    def position(self, name: str) -> None:
        self.state.scene = name

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
        """Start a new game (optionally at scene `warp`, with `sets` preset: variables, evidence,
        names and pilot statuses, as `game.engine.presets` reads them; for authors)."""
        engine = cls(story, _fresh_state(story, seed, warp, sets))
        engine._entered()
        return engine

    def reset(
        self, seed: int = 0, *, warp: str | None = None, sets: Mapping[str, Value] | None = None
    ) -> None:
        """Start a new game of the same story on this engine, as `Engine.new` would."""
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
        ids: Sequence[str] = (),
        warp: str | None = None,
        sets: Mapping[str, Value] | None = None,
    ) -> tuple[Engine, int]:
        """Replay an order log from the start; stop where the story no longer matches it.

        `ids` are the entries' identities (`GameState.log_ids`; missing ones are unknown): each
        entry gives the order with its identity, wherever the story now keeps it, in its scene
        or in the scene it was renamed to (`game.engine.identity`). Returns the engine, whose log
        names the orders as the story now does, and how many entries were applied. Because
        chance comes from the seed, a full replay in the same story reproduces the game exactly.
        """
        engine = cls.new(story, seed, warp=warp, sets=sets)
        applied = 0
        for n, (state, index) in enumerate(log):
            found = engine._find(state, index, ids[n] if n < len(ids) else UNKNOWN)
            if found is None:
                break
            try:
                engine.choose(found)
            except (DeadEnd, ValueError):
                break
            applied += 1
        return engine, applied

    def _find(self, state: str, index: int, identity: str) -> int | None:
        """The index of the order a log entry (`state`, `index`, `identity`) names, among the
        orders where this game stands; None when the game is elsewhere, has ended, or no order
        here is that one."""
        here = self.state.scene
        if self.state.ending is not None:
            return None
        same = here == state
        if not same and (identity == UNKNOWN or not renamed(self.story, state, here)):
            return None
        ids = self._plan.order_ids(self.story, here)
        return find_order(identity, index, ids, same_scene=same)

    def add_listener(self, listener: Callable[[Engine], None]) -> None:
        """Call `listener(engine)` after every scene (or round) the game enters: autosave hooks.
        Adding the same listener twice has no effect."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    @property
    def listeners(self) -> tuple[Callable[[Engine], None], ...]:
        """The listeners added so far (a reload carries them to the new engine)."""
        return tuple(self._listeners)

    _routes_for = staticmethod(routes_for)

    # --- run by the machine (see game.engine.machine) ----------------------------------------

    def _commit(self, move: Move) -> None:
        """A branch was taken: the worked-out game becomes the game, and the game as it was
        becomes the undo snapshot (its order log moves on with the game; the snapshot keeps only
        its length)."""
        before = self.state
        log, ids = before.log, before.log_ids
        length = len(log)
        log.append((move.source, move.index))
        ids.append(self._plan.order_ids(self.story, move.source)[move.index])
        move.after.log, move.after.log_ids = log, ids
        before.log, before.log_ids = [], []
        self._undo.append((before, length))
        if len(self._undo) > UNDO_DEPTH:
            del self._undo[:-UNDO_DEPTH]
        self.state = move.after

    def _entered(self) -> None:
        """Arrive where the game stands: count the visit, apply the scene's `enter` effects,
        note an ending, tell the listeners."""
        self._moment += 1
        state = self.state
        name = state.scene
        self.machine.wire(self.story, name)
        if state.log and state.log[-1][0] == name and self._undo:
            # The order led back here: each order keeps the number it was shown with.
            state.numbers = self._numbering(self._undo[-1][0])
        elif state.numbers:
            state.numbers = []  # a scene entered afresh numbers its orders from 1
        scene_id, round_number = split_state(name)
        scene = self.story.scenes[scene_id]
        if round_number == 1:
            state.visits[scene_id] = state.visits.get(scene_id, 0) + 1
            if scene.enter:
                apply_effects(self.story, self.machine, state, scene.enter, state.aftermath)
        if scene.ending is not None:
            state.ending = scene.ending
        for listener in self._listeners:
            listener(self)

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

    def markers(self) -> tuple[Marker, ...]:
        """The marks on the sector map now: inside an engagement, those of the latest round so
        far that sets its own (the squad and the Legion move as the radio says), else the
        scene's."""
        scene = self.scene
        if scene.engagement is not None:
            number = split_state(self.state.scene)[1]
            for rnd in reversed(scene.engagement.rounds[:number]):
                if rnd.markers is not None:
                    return rnd.markers
        return scene.markers

    def chapter_opening(self) -> Chapter | None:
        """The chapter that begins with this scene, when it does: the game has just started, or
        the last order was given in an earlier chapter. Front ends show a title card for it."""
        scene_id, number = split_state(self.state.scene)
        if number != 1 or self.state.ending is not None:
            return None
        chapter = self.story.scenes[scene_id].chapter
        log = self.state.log
        if log:
            before = self.story.scenes.get(split_state(log[-1][0])[0])
            if before is None or before.chapter >= chapter:
                return None
        return self.story.chapters.get(chapter) or Chapter(chapter, f"Chapter {chapter}")

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
        if "{" in line.text or "}" in line.text or garbles(line.signal):
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
        if garbles(said.signal):
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
            elif speaker in self.story.speakers:
                declared = self.story.speakers[speaker]
                known = (declared.tag.upper(), declared.voice)
            else:
                known = (self.story.pilots[speaker].callsign.upper(), "pilot")
            self._plan.speakers[speaker] = known  # type: ignore[assignment]
        return known  # type: ignore[return-value]

    def orders(self) -> list[OrderView]:
        """The orders shown now: enabled ones numbered, disabled ones with a reason.

        Entering a scene numbers its enabled orders from 1 in authored order. While a scene
        loops back to itself (an order whose `goto` is its own scene), each order keeps the
        number it was shown with as long as it is offered: an order no longer offered leaves
        its number unused, and one newly offered takes the next number after the highest. So a
        number pressed twice never gives two different orders. (`GameState.numbers` carries
        the numbering from one pass of the loop to the next.)

        An order is enabled when its own condition holds: the machine's first guard on the
        order's transitions, asked directly. Asking the machine's full check instead
        (`may_choose` per order) would work each order out on a copy: on the 2,000-scene
        generated story a step's orders went from ~4 us to ~130 us, and an order whose
        branches all fail would vanish instead of being offered and reported as a dead end.
        """
        if self.state.ending is not None:
            return []
        state = self.state.scene
        orders = self.story.orders_at(state)
        plan = self._plan
        says = plan.says.get(state, False)
        if says is False:
            says = plan.says[state] = self._fixed_says(orders)
        numbers = tuple(self.state.numbers)
        if says is None:
            texts = [plain_text(render(o.say, self.var)) for o in orders]
            return self._order_views(orders, texts, numbers=numbers)
        enabled = tuple([self._shown(order) for order in orders])
        key = (state, enabled, numbers)
        views = plan.views.get(key)
        if views is None:
            views = plan.views[key] = tuple(self._order_views(orders, says, enabled, numbers))
        return list(views)

    def _numbering(self, before: GameState) -> list[int]:
        """The orders' indices by the number each was shown with in `before` (an unused number
        keeps the index of the order that had it): what a loop back to its state carries on.
        Agrees with `_order_views`: orders not yet numbered follow, in authored order."""
        facts = StateFacts(before)
        kept = list(before.numbers)
        known = set(kept)
        for index, order in enumerate(self.story.orders_at(before.scene)):
            if index not in known and self._shown(order, facts):
                kept.append(index)
        return kept

    @staticmethod
    def _fixed_says(orders: tuple[Order, ...]) -> tuple[str, ...] | None:
        """Each order's text as shown, when none of them depends on the game."""
        if any("{" in o.say or "}" in o.say for o in orders):
            return None
        return tuple(plain_text(render(o.say, None)) for o in orders)

    def _shown(self, order: Order, facts: StateFacts | None = None) -> bool | None:
        """True when the order can be given, False when it shows dimmed with its reason, None
        when it is hidden (its `if` fails and it has no reason, or its `hint_if` fails); in
        this game, or in the game `facts` answers for."""
        facts = self if facts is None else facts
        if order.condition is None or order.condition(facts):
            return True
        if order.disabled is None or (order.hint_if is not None and not order.hint_if(facts)):
            return None
        return False

    def _order_views(
        self,
        orders: tuple[Order, ...],
        says: Iterable[str],
        shown: tuple[bool | None, ...] | None = None,
        numbers: tuple[int, ...] = (),
    ) -> list[OrderView]:
        # Shown in number order; a dimmed order stays after the one authored before it. (On
        # entering a scene, numbers follow the authored order, so this is the authored order.)
        placed: list[tuple[int, int, OrderView]] = []
        kept = {index: n for n, index in enumerate(numbers, 1) if index < len(orders)}
        number = len(numbers)
        after = 0
        for index, (order, say) in enumerate(zip(orders, says, strict=True)):
            how = shown[index] if shown is not None else self._shown(order)
            if how:
                given = kept.get(index)
                if given is None:
                    number += 1
                    given = number
                after = given
                placed.append((given, index, OrderView(index, given, say, order.words, True)))
            elif how is False:
                view = OrderView(index, None, say, order.words, False, order.disabled)
                placed.append((after, index, view))
        if numbers:
            placed.sort(key=lambda entry: entry[:2])
        return [view for _, _, view in placed]

    def squad(self) -> list[PilotView]:
        """The roster, in roster order, names only where Lena has learned them; pilots still in
        reserve (not with the squad yet) are not on it."""
        status = self.state.status
        return [
            PilotView(
                p.id,
                p.callsign,
                p.name if p.id in self.state.known else None,
                p.role,
                self.state.status[p.id],
                p.id in self.state.asked and p.id not in self.state.known,
            )
            for p in self.story.pilots.values()
            if status[p.id] != "reserve"
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

        The machine decides: it works the order out, judges the order's and its branches'
        conditions as guards and takes the first branch that passes (see game.engine.machine).
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
        machine = self.machine
        machine.wire(self.story, source)
        event = machine.events.get(order_trigger(index))
        if event is not None and event.trigger(self):
            return
        # The machine did not move, so nothing happened; say why.
        order = orders[index]
        if order.condition is not None and not order.condition(self):
            raise ValueError(order.disabled or "that order is not available")
        raise DeadEnd(f"no branch of order {index + 1} in '{source}' can be taken")

    def may_choose(self, index: int) -> bool:
        """Whether giving the order at `index` now would move the game: its condition holds and
        one of its branches can be taken. The machine's own check (`may_trigger`): it works the
        order out on a copy, so nothing about the game changes, not even its draws."""
        if self.state.ending is not None or not 0 <= index < len(
            self.story.orders_at(self.state.scene)
        ):
            return False
        self.machine.wire(self.story, self.state.scene)
        # transitions binds `may_trigger` only onto models registered with the machine, and a
        # machine keeps its registered models alive: a story's machine is shared by all its
        # games, so the engine asks the machine's check directly.
        return bool(self.machine._can_trigger(self, order_trigger(index)))

    def choose_number(self, number: int) -> Outcome:
        """Give the order shown with `number`; an `Outcome` says why not when it cannot."""
        for view in self.orders():
            if view.number == number:
                self.choose(view.index)
                return Outcome(True, index=view.index)
        numbers = sorted(v.number for v in self.orders() if v.number is not None)
        if not numbers:
            return Outcome(False, "There are no orders to give now.")
        if numbers == list(range(1, len(numbers) + 1)):
            choices = f"1 to {len(numbers)}"
        else:  # a scene that loops keeps each order's number: some are no longer offered
            *first, last = map(str, numbers)
            choices = f"{', '.join(first)} or {last}" if first else last
        if 0 < number <= len(self.state.numbers):
            return Outcome(False, f"Order {number} is no longer offered; choose {choices}.")
        return Outcome(False, f"There is no order {number}; choose {choices}.")

    def choose_text(self, text: str) -> Outcome:
        """Give the order a player typed: its number (`2`, `2.`, `#2`), its text as shown or a
        part of it, or its command words (beginnings work). The rule is
        `game.engine.matching`'s; an `Outcome` says why nothing was given when nothing was:
        the orders it could mean by number, the reason a dimmed order is not available now,
        or the order a typo probably meant (`understood` is then False)."""
        views = self.orders()
        found = matching.match(views, text)
        if found.kind == "number":
            assert found.number is not None
            return self.choose_number(found.number)
        if found.kind == "order":
            index = found.orders[0].index
            self.choose(index)
            return Outcome(True, index=index)
        if found.kind == "empty":
            return Outcome(False, "Type an order's number or words from it.", understood=False)
        if found.kind == "unavailable":
            return Outcome(False, f"Not now: {found.orders[0].reason}")
        # What the player typed is repeated in answers: never let it drive the terminal.
        text = " ".join(text.split())
        shown = one_line(text[:60] + ("…" if len(text) > 60 else ""))
        if found.kind == "ambiguous":
            listed = " ".join(f"{v.number}, {_sentence(v.say)}" for v in found.orders)
            return Outcome(
                False,
                f"'{shown}' fits {len(found.orders)} orders: {listed} Type the number you mean.",
            )
        message = f"No order answers to '{shown}'."
        count = sum(1 for v in views if v.enabled)
        if found.suggestion is not None:
            suggestion = _sentence(found.suggestion.say).rstrip(".!…")
            if not suggestion.endswith("?"):
                suggestion += "?"
            message += f" Did you mean {found.suggestion.number}, {suggestion}"
        elif count:
            message += f" Type a number from 1 to {count}, or words from an order."
        else:
            message += " There are no orders to give now."
        return Outcome(False, message, understood=False)

    def completions(self, prefix: str) -> list[str]:
        """Words of the available orders that begin with `prefix`: their command words, or when
        none does, the words of their text."""
        return matching.completions(self.orders(), prefix)

    @property
    def can_undo(self) -> bool:
        """Whether there is an order to take back (after a load too: undo then replays)."""
        return bool(self._undo) or (self.state.log_replays and bool(self.state.log))

    def undo(self) -> bool:
        """Take back the last order; False when there is nothing to undo.

        Snapshots cover the last orders of this session; before those (after loading a save)
        the game is replayed from its order log minus the last order, which is exact, and the
        replay's snapshots serve the undos after it. False too when the log does not replay
        to a point where its last order can be given: a save whose log is broken, or no longer
        fits a story edited since (see `Engine.replay`).
        """
        if self._undo:
            self._rewind(*self._undo.pop())
            return True
        state = self.state
        if not state.log or not state.log_replays:
            return False
        *earlier, (last_state, last_index) = state.log
        replayed, applied = Engine.replay(
            self.story,
            state.seed,
            earlier,
            ids=state.log_ids[:-1],
            warp=state.origin,
            sets=state.preset,
        )
        last_id = state.log_ids[-1] if len(state.log_ids) == len(state.log) else UNKNOWN
        if applied != len(earlier) or replayed._find(last_state, last_index, last_id) is None:
            return False
        self._restore(replayed.state)
        self._undo = replayed._undo
        return True

    def _rewind(self, snapshot: GameState, log_length: int) -> None:
        """Go back to an undo snapshot: its log is the live log as long as it was then (the log
        only grows between a snapshot and its restore; undo pops the newest snapshot first)."""
        snapshot.log = self.state.log[:log_length]
        snapshot.log_ids = self.state.log_ids[:log_length]
        self._restore(snapshot)

    def _restore(self, state: GameState) -> None:
        # The machine's position is the state's scene: putting the state in place moves it.
        self._moment += 1
        self.state = state
        self.machine.wire(self.story, state.scene)

    def restore(self, state: GameState) -> None:
        """Put the game in `state` (a loaded save); forgets the undo snapshots."""
        if state.scene not in self.machine.states:
            raise ValueError(f"scene '{state.scene}' is not in this story")
        self._undo.clear()
        self._restore(state)
