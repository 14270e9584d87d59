"""One game session: the game being played, its saves and its clock, for both front ends.

The console (`game.tui`) and line mode (`game.plain`) each hold one `Session`. They render what
it holds and hand it what the player typed; everything else happens here: starting a new game
(the one place a new game's seed is drawn), loading and Continue, giving an order by number or by
text, undo, quicksave and quickload, named saves, autosaving, knowing whether the game differs
from its last save, the play clock, and keeping the game when the player leaves or a signal
stops it. The engine (`game.engine.runtime.Engine`) decides everything about the story; the
save store (`game.engine.saves.SaveStore`) writes and reads the files. Nothing here imports a
front end or Textual.

The autosave policy
-------------------
- Every order the game carries out is autosaved straight after it: the order that enters a
  scene, each round of an engagement, and the one that reaches an ending. A new game writes
  nothing before its first order, in the console and in line mode alike
  (`new_game(autosave=False)`): a game no order has touched is what any new game gives, and
  saving it would push an older game out of the ring. So a game killed at any moment, even by
  SIGKILL, resumes where its last order left it (or, before any order, is a new game again).
- Autosaves fill the ring `auto-1` to `auto-10`, each over the oldest. When the game stands in
  the same machine state (the scene, and the round inside an engagement) as this game's
  previous autosave, the new autosave is written over that one (`SaveStore.autosave` with
  `replace`) rather than taking another slot, and becomes the newest: an undo or a quickload
  followed by the same order leaves one autosave of the scene it leads to, not two, and a full
  ring keeps all ten. A new game never replaces an autosave of an earlier one.
- Undo, quickload, load and Continue write nothing: what they bring back is already saved, or
  (after an undo) one order behind the last autosave.
- Leaving a game (quitting, returning to the title, the end of line mode's input, a stop
  signal) autosaves it when it differs from its last save, as after an undo, or when the save
  that holds it is not the newest (after a quickload, or a load of an older save), so Continue
  finds it exactly as it was left. An ended game is not saved again.
- A failed autosave never stops the game: the front end is told through `Session.report`. So
  is an autosave slot the ring cannot use (a folder or pipe in its place), once; the ring
  saves in the others.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from game.stopping import Stop

if TYPE_CHECKING:
    # The runtime and the save store load with the first game or save, not before the title.
    from game.engine.conditions import Value
    from game.engine.model import Story
    from game.engine.runtime import Engine, Outcome
    from game.engine.saves import Loaded, SaveInfo, SaveStore, Unreadable

SEEDS = (1, 2**31)
"""New games draw their seed from this range (low inclusive, high exclusive)."""


def draw_seed(seed: int | None = None) -> int:
    """The seed of a new game: `seed` when one was given (`--seed`), else a fresh random one."""
    if seed is not None:
        return seed
    return random.SystemRandom().randrange(*SEEDS)


class NoGame(RuntimeError):
    """The session was asked about its game while none is being played."""


class SaveFailed(Exception):
    """A save, load, listing or deletion did not work. `what` names the attempt ('Load failed');
    `str(e)` is one line saying why."""

    def __init__(self, what: str, text: str) -> None:
        super().__init__(text)
        self.what = what


@dataclass(frozen=True)
class SaveAccess:
    """The save store in use, or None with the one-line reason saving is off."""

    store: SaveStore | None
    reason: str = ""

    @property
    def available(self) -> bool:
        """Whether there is a store to save to."""
        return self.store is not None


NO_SAVES = SaveAccess(None, "saving is off in this game")


def open_saves(save_dir: str | None) -> SaveAccess:
    """The save folder (`SaveStore.resolve`: `--save-dir`, the environment, the user data
    folder), or why saving is unavailable."""
    try:
        from game.engine import saves
    except Exception as exc:  # noqa: BLE001 - any failure here only turns saving off
        return SaveAccess(None, f"saving is not available in this build ({type(exc).__name__})")
    try:
        store = saves.SaveStore.resolve(save_dir)
    except Exception as exc:  # noqa: BLE001
        return SaveAccess(None, f"saves unavailable: {exc}")
    return SaveAccess(store)


@dataclass(frozen=True)
class Given:
    """What became of an order: given (`say` is its text as shown), or not and why.
    `understood` is False when what was typed fits no order at all (`Outcome.understood`)."""

    ok: bool
    message: str = ""
    say: str = ""
    understood: bool = True


@dataclass(frozen=True)
class Resumed:
    """A saved game now being played: its slot, and the store's note for the player (the story
    changed since, an interrupted save was recovered...) or None."""

    slot: str
    message: str | None = None


@dataclass(frozen=True)
class _Autosave:
    """The newest autosave this session knows of, the machine state it holds, and the seed of
    its game (an autosave of another game is never replaced)."""

    info: SaveInfo
    state: str
    seed: int


@dataclass(frozen=True)
class _Clock:
    """Seconds played: what the save said, plus the time since this session took the game up."""

    base: float = 0.0
    since: float = field(default_factory=time.monotonic)

    def seconds(self) -> float:
        return self.base + (time.monotonic() - self.since)


class Session:
    """The game a player is playing (or none, on the title) and everything around it.

    `story` is the story new games start in; `saves` where they are saved. `seed`, `warp` and
    `sets` shape every new game (`--seed`; `--warp` and `--set` for authors). `report(what, why)`
    is told when an autosave fails.
    """

    def __init__(
        self,
        story: Story,
        saves: SaveAccess = NO_SAVES,
        *,
        seed: int | None = None,
        warp: str | None = None,
        sets: Mapping[str, Value] | None = None,
        report: Callable[[str, str], None] | None = None,
    ) -> None:
        self.story = story
        self.saves = saves
        self.seed = seed
        self.warp = warp
        self.sets = dict(sets or {})
        self.report = report
        self._engine: Engine | None = None
        self._clock = _Clock()
        self._saved_log: list[tuple[str, int]] | None = None  # the game's log at its last save
        self._held_in: str | None = None  # the slot of that save: it holds the game as it is
        self._last_auto: _Autosave | None = None
        self._ring_told: tuple[str, ...] = ()  # autosave slots already reported as unusable

    # --- the game ------------------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        """Whether a game is being played."""
        return self._engine is not None

    @property
    def engine(self) -> Engine:
        """The game being played (raises `NoGame` when there is none)."""
        if self._engine is None:
            raise NoGame("no game is being played")
        return self._engine

    @property
    def play_seconds(self) -> float:
        """Seconds played in this game, across saves (0 when no game is being played)."""
        return self._clock.seconds() if self._engine is not None else 0.0

    def new_game(self, *, autosave: bool = True) -> Engine:
        """Start a new game (at `warp`, with `sets`, when given) and autosave its first scene.

        With `autosave=False` (both front ends) nothing is written until the first order is given,
        and leaving before it writes nothing either: a game no order has touched is what any
        new game gives, and saving it would push an older game out of the autosave ring and
        become what Continue resumes."""
        from game.engine.runtime import Engine

        engine = Engine.new(self.story, draw_seed(self.seed), warp=self.warp, sets=self.sets)
        self.begin(engine)
        self._last_auto = None  # a new game: the autosaves so far are other games'
        if autosave:
            self.autosave()
        else:
            self._saved_log = list(engine.state.log)  # as good as saved: nothing to keep yet
        return engine

    def begin(self, engine: Engine, play_seconds: float = 0.0, *, saved: bool = False) -> None:
        """Play `engine` from here, its clock at `play_seconds`. `saved`: the game is as its
        last save holds it (a load), so leaving it now writes nothing."""
        self._engine = engine
        self._clock = _Clock(float(play_seconds))
        self._saved_log = list(engine.state.log) if saved else None
        self._held_in = None

    def close(self) -> SaveInfo | None:
        """Leave the game (quit, back to the title), keeping it as it was left: the autosave
        made, if one was needed."""
        kept = self.keep_unsaved()
        self._engine = None
        return kept

    def stop(self, signum: int) -> Stop:
        """A stop signal came: leave the game as `close` does; what to report and exit with."""
        kept = self.close()
        return Stop(signum, kept.slot if kept is not None else None)

    def reload(self, story: Story) -> str | None:
        """Carry the game over to a new version of its story (`--dev`); new games start in it
        too. Returns the note for the player (see `game.engine.reload`), or None."""
        self.story = story
        if self._engine is None:
            return None
        from game.engine.reload import reload

        self._engine, message = reload(self._engine, story)
        return message

    # --- orders --------------------------------------------------------------------------------

    def give(self, number: int) -> Given:
        """Give the order shown with `number`, and autosave the game it leads to."""
        return self._give(lambda engine: engine.choose_number(number))

    def give_text(self, text: str) -> Given:
        """Give the order the player typed (its number, or its words; prefixes work)."""
        return self._give(lambda engine: engine.choose_text(text))

    def _give(self, choose: Callable[[Engine], Outcome]) -> Given:
        from game.engine.runtime import DeadEnd, GameOver

        engine = self.engine
        says = {view.index: view.say for view in engine.orders()}
        try:
            outcome = choose(engine)
        except (ValueError, DeadEnd, GameOver) as exc:
            return Given(False, str(exc))
        if not outcome.ok:
            return Given(False, outcome.message, understood=outcome.understood)
        self.autosave()
        return Given(True, say=says.get(outcome.index, ""))

    def undo(self) -> bool:
        """Take back the last order; False when there is none. Writes no save."""
        return self.engine.undo()

    def completions(self, prefix: str) -> list[str]:
        """Command words of the orders open now that start with `prefix`."""
        return self._engine.completions(prefix) if self._engine is not None else []

    # --- saving --------------------------------------------------------------------------------

    @property
    def unsaved(self) -> bool:
        """Whether the game differs from its last save (orders given or taken back since), in a
        game still going on."""
        engine = self._engine
        if engine is None or engine.ending is not None:
            return False
        return list(engine.state.log) != self._saved_log

    def keep_unsaved(self) -> SaveInfo | None:
        """Autosave if the game differs from its last save, or if that save is not the newest
        (Continue would resume another moment); the autosave made, or None."""
        return self.autosave() if self.unsaved or self._held_behind() else None

    def _held_behind(self) -> bool:
        """Whether the save holding the game as it is now is not what Continue would resume:
        after a quickload, say, the autosaves made since the quicksave are newer."""
        engine = self._engine
        if self._held_in is None or engine is None or engine.ending is not None:
            return False
        try:
            latest = self.latest()
        except SaveFailed:
            return False
        return latest is not None and latest.slot != self._held_in

    def autosave(self) -> SaveInfo | None:
        """Autosave now, by the policy in this module's docstring; the save made, or None (no
        game, saving off, or a failure, which goes to `report` and never stops the game)."""
        engine, store = self._engine, self.saves.store
        if engine is None or store is None:
            return None
        state, seed = engine.state.scene, engine.state.seed
        previous = self._last_auto
        replace = None
        if previous is not None and (previous.state, previous.seed) == (state, seed):
            replace = previous.info
        try:
            info = store.autosave(engine, self.play_seconds, replace=replace)
        except Exception as exc:  # noqa: BLE001 - a failed autosave must not stop the game
            if self.report is not None:
                self.report("Autosave failed", self._why(exc))
            return None
        self._saved_log = list(engine.state.log)
        self._held_in = info.slot
        self._last_auto = _Autosave(info, state, seed)
        skipped = store.ring_skipped
        if skipped and skipped != self._ring_told and self.report is not None:
            self.report("Autosave skipped a slot", "; ".join(skipped[:2]))
        self._ring_told = skipped
        return info

    def save(self, slot: str) -> SaveInfo:
        """Save to a named slot (replacing what it held); raises `SaveFailed`."""
        store = self._store("Save failed")
        try:
            info = store.save(slot, self.engine, self.play_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure is one line for the player
            raise SaveFailed("Save failed", self._why(exc)) from None
        self._saved_log = list(self.engine.state.log)
        self._held_in = info.slot
        return info

    def quicksave(self) -> SaveInfo:
        """Save to the quicksave slot; raises `SaveFailed`."""
        store = self._store("Quicksave failed")
        try:
            info = store.quicksave(self.engine, self.play_seconds)
        except Exception as exc:  # noqa: BLE001
            raise SaveFailed("Quicksave failed", self._why(exc)) from None
        self._saved_log = list(self.engine.state.log)
        self._held_in = info.slot
        return info

    def has_save(self, slot: str) -> bool:
        """Whether the named slot `slot` holds a save; raises `SaveFailed` for a name `save`
        would refuse (a bad name, the quicksave's or an autosave's)."""
        from game.engine.saves import named_slot

        store = self._store("Save failed")
        try:
            return store.exists(named_slot(slot))
        except Exception as exc:  # noqa: BLE001
            raise SaveFailed("Save failed", self._why(exc)) from None

    def list_saves(self) -> list[SaveInfo]:
        """This story's saves, newest first; raises `SaveFailed`."""
        store = self._store("Saves not listed")
        try:
            return list(store.list(self.story))
        except Exception as exc:  # noqa: BLE001
            raise SaveFailed("Saves not listed", self._why(exc)) from None

    def save_problems(self) -> list[str]:
        """One line per save file the last listing could not read."""
        store = self.saves.store
        return store.list_problems() if store is not None else []

    def unreadable_saves(self) -> list[Unreadable]:
        """The saves the last listing could not read, each with its reason (a load screen shows
        them, dimmed)."""
        store = self.saves.store
        return store.list_unreadable() if store is not None else []

    def check_save(self, info: SaveInfo) -> Unreadable | None:
        """Why a listed save could not be loaded in this story (`SaveStore.check`), or None."""
        store = self.saves.store
        if store is None:
            return None
        try:
            return store.check(info, self.story)
        except Exception as exc:  # noqa: BLE001 - a save must never crash a save screen
            from game.engine.saves import Unreadable

            return Unreadable(info.slot, f"it cannot be read ({type(exc).__name__})", info.path)

    @property
    def save_folder(self) -> str | None:
        """Where saves go, for telling the player (None when saving is off)."""
        store = self.saves.store
        return str(store.directory) if store is not None else None

    def delete_save(self, slot: str) -> None:
        """Delete a save; raises `SaveFailed`."""
        store = self._store("Delete failed")
        try:
            store.delete(slot)
        except Exception as exc:  # noqa: BLE001
            raise SaveFailed("Delete failed", self._why(exc)) from None

    def latest(self) -> SaveInfo | None:
        """What Continue loads: the newest save, when its game is still going on (the game most
        recently played; after it ends, nothing), or None; raises `SaveFailed`."""
        store = self.saves.store
        if store is None:
            return None
        try:
            return store.latest(self.story, in_progress=True)
        except Exception as exc:  # noqa: BLE001
            raise SaveFailed("Saves not listed", self._why(exc)) from None

    # --- loading -------------------------------------------------------------------------------

    def load(self, slot: str) -> Resumed:
        """Play the game saved in `slot`; raises `SaveFailed`."""
        store = self._store("Load failed")
        try:
            loaded = store.load(slot, self.story)
        except Exception as exc:  # noqa: BLE001
            raise SaveFailed("Load failed", self._why(exc)) from None
        return self._resume(loaded)

    def quickload(self) -> Resumed:
        """Play the quicksave; raises `SaveFailed`."""
        store = self._store("Quickload failed")
        try:
            loaded = store.quickload(self.story)
        except Exception as exc:  # noqa: BLE001
            raise SaveFailed("Quickload failed", self._why(exc)) from None
        return self._resume(loaded)

    def continue_game(self) -> Resumed | None:
        """Play the game most recently played (`latest`); None when there is none or it has
        ended. Raises `SaveFailed`."""
        try:
            latest = self.latest()
        except SaveFailed as exc:
            raise SaveFailed("Continue failed", str(exc)) from None
        return self.load(latest.slot) if latest is not None else None

    def _resume(self, loaded: Loaded) -> Resumed:
        info, state = loaded.info, loaded.engine.state
        self.begin(loaded.engine, info.play_seconds, saved=True)
        self._held_in = info.slot
        if info.kind == "auto":
            # Continue after a kill, then undo and the same order: that replaces this autosave.
            self._last_auto = _Autosave(info, state.scene, state.seed)
        return Resumed(info.slot, loaded.message)

    # --- helpers -------------------------------------------------------------------------------

    def _store(self, what: str) -> SaveStore:
        if self.saves.store is None:
            raise SaveFailed(what, self.saves.reason)
        return self.saves.store

    @staticmethod
    def _why(exc: BaseException) -> str:
        """One line for a failure: the store's own errors as written, others with their type."""
        # Only a store raises these, so the module is loaded by now.
        from game.engine.saves import SaveError

        if isinstance(exc, SaveError) and str(exc):
            return str(exc)
        return f"{type(exc).__name__}: {exc}"
