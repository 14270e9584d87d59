"""Line mode: the same game on stdin/stdout, for screen readers, pipes and tests.

`LineMode` renders what its `Session` (game/session.py) holds and hands it each line typed; the
session gives orders, saves and loads. Output is deterministic: the same story, seed and input
give byte-identical output.

Signals: while `stop_on_signals` is active, ctrl+c (SIGINT), SIGTERM and SIGHUP end the game
through `Stopped`, never a traceback. A signal that arrives while the game is waiting for a line
stops it at once; one that arrives while an order is being carried out (or a save written) waits
until that is done, so the game is never left half way through a transition.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, TextIO

from game.engine.diagnostics import one_line
from game.session import Resumed, SaveFailed, Session
from game.stopping import Stop, signal_name, stop_signals

if TYPE_CHECKING:
    from game.engine.model import Chapter, Story
    from game.engine.runtime import Engine, PilotView, RadioLine
    from game.engine.saves import SaveInfo
    from game.glossary import GlossaryEntry

START_HINT = "Type a number or the words of an order; help lists commands."

HELP = """Giving orders:
  Type an order's number (2, 2. or #2), or the order as you read it, whole or in
  part: "Open the link.", "open link", or words only that order has, like "desk".
  Case, punctuation and the words a, an and the do not matter, and the beginning
  of a word is enough. When what you type fits more than one order, the game
  lists them by number; when it fits none, it says the nearest order it can.
  Each order you give is said back, then what it brought, then the next scene.
Commands:
  help        this guide
  look        hear the scene again: where you are, what was said, the orders
  status      the chapter and scene, and the meters: trust and standing
  squad       the squadron: each callsign, the name if you know it, and condition
  dossier     evidence and deductions
  glossary    people, places and terms; 'glossary WORD' reads one, like
              'glossary Juggernaut'
  map         the sector map in words: where the squad, the Legion and the
              objectives stand (north is the top of the map)
  undo        take back the last order
  quit        leave the game (exit works too)
Saving:
  quicksave   save the game in the quick slot
  quickload   go back to the quicksave
  save NAME   save the game in a slot (replaces a save of that name)
  load NAME   resume a saved game ('load auto-1' for an autosave)
  saves       list the saves
The game autosaves after every order (each scene, engagement round and ending:
slots auto-1 to auto-10), and when you leave a game that changed since its last
save (after an undo, say). A new game is first saved at its first order.
'handler-one play --plain --continue' resumes the game you played last.
What the meters mean:
  trust     the squad's trust in you. Names, staying on the link and heeding
            Undertaker raise it; coldness and cruelty lower it. If it fails, the
            squad stops answering.
  standing  your standing with Republic command. Whatever leaves paper behind costs
            it: forged forms, reports, accusations, refusals on the record. If it
            fails, you are put on probation; the next time, relieved.
  signal    how clear the link is. On a weak link, static eats words: [static]."""

QUIT_WORDS = ("quit", "exit")

SAVE_KINDS = {"auto": "autosave", "quick": "quicksave"}


class Stopped(BaseException):
    """The game was stopped by a signal. A BaseException, like KeyboardInterrupt, so that no
    `except Exception` on the way out swallows it. `code` is the exit status: 128 + signal."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.code = 128 + signum
        self.name = signal_name(signum)
        super().__init__(self.name)


def speaker(line: RadioLine, story: Story) -> str:
    """Who says a line, as a screen reader should say it: a pilot's callsign as the story
    writes it (not in capitals), a declared speaker's tag as written, HQ, or "You" for Lena;
    empty for narration."""
    declared = story.speakers.get(line.speaker)
    if declared is not None:
        return declared.tag
    if line.kind == "lena":
        return "You"
    pilot = story.pilots.get(line.speaker)
    if pilot is not None:
        return pilot.callsign
    return line.tag


def format_line(line: RadioLine, story: Story) -> str:
    """A radio line as line mode prints it: `Callsign: text`, narration bare, a warning as
    `Callsign, warning: text`, a dossier note as a sentence."""
    if line.kind == "warning":
        return f"{speaker(line, story)}, warning: {line.text}"
    if line.kind == "dossier":
        return _sentence(line.text)
    who = speaker(line, story)
    return f"{who}: {line.text}" if who else line.text


def who_is(pilot: PilotView, *, roll_call: bool = False) -> str:
    """The pilot's name, or in words why there is none: never asked, or asked and refused."""
    if pilot.name:
        return pilot.name
    if pilot.asked:
        return "asked, but never gave it" if roll_call else "asked, no name given"
    return "name never asked" if roll_call else "name not known"


def format_pilot(pilot: PilotView) -> str:
    """One roster row in words: `Longshot, Dario Adeyemi, active.`"""
    return f"  {pilot.callsign}, {who_is(pilot)}, {pilot.status}."


def format_fate(pilot: PilotView) -> str:
    """One roll-call row in words: `Ringside, asked, but never gave it: killed in action.`"""
    return f"  {pilot.callsign}, {who_is(pilot, roll_call=True)}: {pilot.fate}."


def chapter_card(chapter: Chapter) -> str:
    """A chapter's title card as one plain line: `Chapter 2 begins: Replacement Cores.`"""
    if not chapter.title or chapter.title == f"Chapter {chapter.number}":
        return f"Chapter {chapter.number} begins."
    return _sentence(f"Chapter {chapter.number} begins: {chapter.title}")


def heading(engine: Engine) -> str:
    """Where the game stands, in words: `Chapter 1, Supervise and Log: Posting.`"""
    number = engine.scene.chapter
    title = engine.story.chapter_title(number)
    chapter = f"Chapter {number}" if title == f"Chapter {number}" else f"Chapter {number}, {title}"
    return _sentence(f"{chapter}: {engine.heading()}")


def arrival_notes(engine: Engine, brought: list[RadioLine]) -> int:
    """How many of the lines at the end of `brought` (the last order's aftermath) arriving in
    the scene added rather than the order: the dossier notes of the evidence the scene's
    `enter` reveals, and the deductions they completed. They are read under the scene's
    heading, with the scene, not as the order's results."""
    enter = engine.scene.enter
    if not enter.reveal or (engine.round is not None and engine.round[0] != 1):
        return 0
    titles = {f"Dossier: {engine.story.evidence[e].title}" for e in enter.reveal}
    end = len(brought)
    while (
        end
        and brought[end - 1].kind == "dossier"
        and brought[end - 1].text.startswith("Deduction: ")
    ):
        end -= 1
    notes = end
    while notes and brought[notes - 1].kind == "dossier" and brought[notes - 1].text in titles:
        notes -= 1
    return len(brought) - notes if notes < end else 0


def spoken_time(seconds: float) -> str:
    """Play time in words: `40 seconds`, `1 minute`, `2 hours 5 minutes`."""
    total = int(seconds)
    if total < 60:
        return _count(total, "second")
    hours, minutes = divmod(total // 60, 60)
    if not hours:
        return _count(minutes, "minute")
    return _count(hours, "hour") + (f" {_count(minutes, 'minute')}" if minutes else "")


def format_save(info: SaveInfo) -> str:
    """One save as a line of `saves`, in words."""
    kind = SAVE_KINDS.get(info.kind, "save")
    when = info.saved_at.replace("T", " ")[:16]
    where = f"Chapter {info.chapter}, {info.scene_title}"
    if info.ending:
        where += f", ended: {info.ending}"
    squad = info.squad_summary.replace(" · ", ", ")
    changed = " The story has changed since." if info.story_changed else ""
    played = spoken_time(info.play_seconds)
    return f"  {info.slot}: {kind}, {when}, played {played}. {where}; {squad}.{changed}"


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" + ("" if n == 1 else "s")


def _sentence(text: str) -> str:
    """`text` ending as a sentence does."""
    text = text.rstrip()
    return text if text[-1:] in ".?!…:" else f"{text}."


class LineMode:
    """Plays a `Session` from lines of input. `run` returns the process exit code."""

    def __init__(self, session: Session, out: TextIO | None = None) -> None:
        self.session = session
        self.out = out or sys.stdout
        self.reading = False  # waiting for a line: a signal may stop the game at once
        self.pending: int | None = None  # a signal that came while an order was carried out
        self.autosave_failed = False  # a failed autosave is reported once
        session.report = self.report
        # Every command, with whether it reads the rest of the line (a command that does not
        # may still be the first word of an order typed as shown: see `handle`).
        self._commands: dict[str, Callable[[str], None]] = {
            "help": self.show_help,
            "look": self.look,
            "status": self.show_status,
            "squad": self.show_squad,
            "dossier": self.show_dossier,
            "glossary": self.show_glossary,
            "map": self.show_map,
            "undo": self.undo,
            "quicksave": self.quicksave,
            "quickload": self.quickload,
            "save": self.save,
            "load": self.load,
            "saves": self.show_saves,
        }
        self._takes_argument = frozenset({"glossary", "save", "load"})
        self._glossary: tuple[list[GlossaryEntry], str] | None = None

    @property
    def engine(self) -> Engine:
        """The game being played."""
        return self.session.engine

    def commands(self) -> frozenset[str]:
        """Every word this line mode takes as a command when it starts a line (quitting
        included): such a line never reaches the story."""
        return frozenset({*QUIT_WORDS, *self._commands})

    def on_signal(self, signum: int, _frame: object = None) -> None:
        """The signal handler `stop_on_signals` installs: stop now if waiting for input, else
        as soon as the current order (and any save it makes) is done."""
        if self.reading:
            self.reading = False
            raise Stopped(signum)
        if self.pending is None:
            self.pending = signum

    def _check_pending(self) -> None:
        if self.pending is not None:
            raise Stopped(self.pending)

    def say(self, text: str = "") -> None:
        """Write one line of output."""
        self.out.write(text + "\n")

    def report(self, what: str, why: str) -> None:
        """The session's word that an autosave failed: said once, and the game goes on."""
        if self.autosave_failed:
            return
        self.autosave_failed = True
        # The terminal may be gone (SIGHUP) or stdout closed: the message is then lost.
        with suppress(OSError, ValueError):
            self.say(f"({what.lower()}: {why}; 'save NAME' to try another way)")

    # --- the scene ----------------------------------------------------------------------------

    def show_card(self) -> None:
        """When the scene begins a chapter (`Engine.chapter_opening`): the chapter's title card,
        one line, then a blank line."""
        opening = self.engine.chapter_opening()
        if opening is not None:
            self.say(chapter_card(opening))
            self.say()

    def show_scene(self, *, card: bool = False) -> None:
        """Where the game stands and everything heard there: the heading, the last order (if
        one brought the game here) and what it brought, the scene's lines, then the orders.
        What the start, `look`, a load and an undo show; a new game's start (`card`) first
        shows its chapter's title card (an order into a new chapter does, in `show_arrival`)."""
        engine = self.engine
        if card:
            self.show_card()
        self.say(heading(engine))
        last = self.last_order()
        if last:
            self.say(f"You: {last}")
        self._say_lines(engine.radio())
        if engine.ending is None:
            self.show_orders()

    def show_arrival(self, said: str, moved: str = "") -> None:
        """After an order: the order said back, what it brought, then the next scene under its
        heading (so no result is read as part of the scene it led to), with `moved` (what moved
        on the map) before its orders."""
        engine = self.engine
        lines = engine.radio()
        brought = len(engine.state.aftermath)
        brought -= arrival_notes(engine, lines[:brought])
        if said:
            self.say(f"You: {said}")
        self._say_lines(lines[:brought])
        self.say()
        self.show_card()
        self.say(heading(engine))
        self._say_lines(lines[brought:])
        if moved:
            self.say(moved)
        if engine.ending is None:
            self.show_orders()

    def _say_lines(self, lines: list[RadioLine]) -> None:
        story = self.engine.story
        for line in lines:
            self.say(format_line(line, story))

    def last_order(self) -> str:
        """The text of the order that brought the game where it stands, or empty."""
        from game.engine.text import plain_text, render

        engine = self.engine
        if not engine.state.log:
            return ""
        state, index = engine.state.log[-1]
        orders = engine.story.orders_at(state)
        if not 0 <= index < len(orders):
            return ""
        return " ".join(plain_text(render(orders[index].say, engine.var)).split())

    def show_orders(self) -> None:
        """The numbered orders, and unavailable ones with their reason."""
        for view in self.engine.orders():
            if view.enabled:
                self.say(f"{view.number}) {view.say}")
            else:
                self.say(f"Not available: {view.say} ({view.reason})")

    def look(self, _argument: str = "") -> None:
        """`look`: the scene again."""
        self.show_scene()

    def show_ending(self) -> None:
        """The ending's title and text, then the roll call."""
        ending = self.engine.ending
        assert ending is not None
        self.say()
        self.say(f"ENDING: {ending.title}")
        if ending.text:
            self.say(ending.text)
        self.say()
        self.say("ROLL CALL")
        for pilot in self.engine.roll_call():
            self.say(format_fate(pilot))

    # --- what the player can ask for ----------------------------------------------------------

    def show_status(self, _argument: str = "") -> None:
        """Where the game is, and the meters as `Trust 3 of 10.`"""
        self.say(heading(self.engine))
        meters = [f"{m.name.capitalize()} {m.value} of {m.high}." for m in self.engine.meters()]
        if meters:
            self.say(" ".join(meters))

    def show_squad(self, _argument: str = "") -> None:
        """The roster."""
        self.say("SQUADRON")
        for pilot in self.engine.squad():
            self.say(format_pilot(pilot))

    def show_dossier(self, _argument: str = "") -> None:
        """Evidence held and deductions made or hinted, one line each."""
        entries = self.engine.dossier()
        self.say("DOSSIER")
        if not entries:
            self.say("  Nothing yet.")
        for entry in entries:
            ev = entry.evidence
            self.say(f"  {ev.title} ({ev.source}, found in {entry.found_in}): {ev.text}")
        for view in self.engine.deductions():
            d = view.deduction
            if view.made:
                self.say(f"  Deduction, {d.title}: {d.text}")
            elif d.hint:
                self.say(f"  A thread to follow: {d.hint}")

    def show_glossary(self, query: str = "") -> None:
        """`glossary`: the terms by kind; `glossary WORD`: the entries that word names."""
        from game.glossary import KIND_PLURAL, KINDS, mentioning, named

        if self._glossary is None:
            from game.glossary import load_glossary

            self._glossary = load_glossary()
        entries, message = self._glossary
        if not entries:
            self.say(message)
            return
        if not query:
            self.say(f"GLOSSARY, {len(entries)} entries. 'glossary WORD' reads one.")
            for kind in KINDS:
                terms = [e.term for e in entries if e.kind == kind]
                if terms:
                    self.say(f"  {KIND_PLURAL[kind]}: {'; '.join(terms)}.")
            return
        found = named(entries, query)
        shown = one_line(query[:60])
        if len(found) == 1:
            entry = found[0]
            self.say(f"{entry.term} ({entry.kind}): {entry.text}")
            return
        if found:
            listed = "; ".join(e.term for e in found)
            self.say(
                f"'{shown}' fits {len(found)} entries: {listed}. Type more of the one you mean."
            )
            return
        mentions = mentioning(entries, query)
        if mentions:
            listed = "; ".join(e.term for e in mentions)
            self.say(f"No entry is called '{shown}'. It is mentioned under: {listed}.")
        else:
            self.say(f"No entry is called '{shown}'. 'glossary' lists them all.")

    def show_map(self, _argument: str = "") -> None:
        """`map`: the scene's sector map in words (`game.engine.mapwords`)."""
        from game.engine.mapwords import describe, size_of

        engine = self.engine
        scene = engine.scene
        text = engine.story.maps.get(scene.map) if scene.map else None
        if text is None:
            self.say("No tactical feed for this position.")
            return
        self.say(f"Map of {scene.map.replace('_', ' ').replace('-', ' ')}.")
        for sentence in describe(engine.markers(), size_of(text)):
            self.say(f"  {sentence}")

    def map_moves(self, before: tuple[str, object]) -> str:
        """What moved on the map since `before` (`_map_moment`) when the game is still on the
        same map in the same scene (an engagement's rounds): one line, or empty."""
        from game.engine.mapwords import moves

        scene, markers = before
        engine = self.engine
        if engine.scene.id != scene or not engine.scene.map:
            return ""
        said = moves(markers, engine.markers())  # type: ignore[arg-type]
        return "On the map: " + " ".join(said) if said else ""

    def _map_moment(self) -> tuple[str, object]:
        return self.engine.scene.id, self.engine.markers()

    def show_help(self, _argument: str = "") -> None:
        """The commands guide."""
        self.say(HELP)

    def undo(self, _argument: str = "") -> None:
        """Take back the last order and show the scene again."""
        if self.session.undo():
            self.say("Order taken back.")
            self.say()
            self.show_scene()
        else:
            self.say("Nothing to undo.")

    # --- saving -------------------------------------------------------------------------------

    def save(self, name: str) -> None:
        """`save NAME`."""
        if not name:
            self.say("Usage: save NAME (for example: save before-the-raid)")
            return
        session = self.session
        try:
            replacing = session.has_save(name)
            info = session.save(name)
        except SaveFailed as exc:
            self.say(f"Not saved: {exc}")
            return
        note = " (replacing the earlier save)" if replacing else ""
        self.say(f"Saved as '{info.slot}'{note}.")

    def quicksave(self, _argument: str = "") -> None:
        """`quicksave`."""
        try:
            self.session.quicksave()
        except SaveFailed as exc:
            self.say(f"Not saved: {exc}")
            return
        self.say("Quicksaved. 'quickload' comes back here.")

    def load(self, name: str) -> None:
        """`load NAME`; with no name, list the saves."""
        if not name:
            self.say("Usage: load NAME")
            self.show_saves()
            return
        self._resume(lambda: self.session.load(name))

    def quickload(self, _argument: str = "") -> None:
        """`quickload`."""
        self._resume(self.session.quickload)

    def _resume(self, load: Callable[[], Resumed]) -> None:
        try:
            resumed = load()
        except SaveFailed as exc:
            self.say(f"Not loaded: {exc}")
            return
        if resumed.slot == "quick":
            self.say("Back to the quicksave.")
        else:
            self.say(f"Loaded '{resumed.slot}'.")
        if resumed.message:
            self.say(f"Note: {resumed.message}")
        self.say()
        self.show_scene()

    def show_saves(self, _argument: str = "") -> None:
        """`saves`: every save of this story, newest first."""
        session = self.session
        try:
            saves = session.list_saves()
        except SaveFailed as exc:
            self.say(f"No saves: {exc}")
            return
        if not saves:
            self.say(f"No saves yet (they go in {session.save_folder}).")
        else:
            self.say(f"SAVES in {session.save_folder}")
            for info in saves:
                self.say(format_save(info))
        for problem in session.save_problems():
            self.say(f"  Unreadable: {problem}")

    # --- input --------------------------------------------------------------------------------

    def handle(self, text: str) -> bool:
        """Act on one line of input; False means leave the game."""
        from game.engine.matching import closest, whole_text

        command = text.strip()
        word, _, argument = command.partition(" ")
        word = word.lower()
        argument = argument.strip()
        if not command:
            self.say("Type an order's number or its words; help lists commands.")
            return True
        builtin = self._commands.get(word)
        if word in QUIT_WORDS or builtin is not None:
            # An order typed as shown is that order, even if it begins with a command's word
            # ("Save them all."); a command word alone is always the command.
            ending = self.engine.ending is not None
            if not argument or ending or whole_text(self.engine.orders(), command) is None:
                if builtin is None:
                    return False
                builtin(argument)
                return True
        before = self._map_moment()
        given = self.session.give_text(command)
        if not given.ok:
            meant = closest(word, sorted(self.commands())) if not given.understood else []
            if meant and (not argument or meant[0] in self._takes_argument):
                self.say(f"'{one_line(word[:30])}' is not an order here. Did you mean {meant[0]}?")
            else:
                self.say(given.message)
            return True
        self.show_arrival(given.say, self.map_moves(before))
        return True

    def run(self, lines: TextIO | None = None) -> int:
        """Play until an ending, `quit`, or end of input. Returns 0."""
        source = lines or sys.stdin
        self.show_scene(card=not self.engine.state.log)  # a new game begins its chapter
        if self.engine.ending is not None:
            self.show_ending()
            return 0
        self.say(START_HINT)
        while True:
            # From here until a line is read, a signal stops the game at once; one that came
            # just before is caught by the check (so none can be left waiting on the read).
            self.reading = True
            try:
                self._check_pending()
                self.out.write("> ")
                self.out.flush()
                text = source.readline()
            finally:
                self.reading = False
            if not text:
                self.say()
                return 0
            if not self.handle(text):
                return 0
            if self.engine.ending is not None:
                self.show_ending()
                return 0


@contextmanager
def stop_on_signals(mode: LineMode) -> Iterator[None]:
    """Route SIGINT, SIGTERM and SIGHUP to `mode.on_signal` for the duration (main thread only).

    A signal the process was started ignoring (`nohup` ignores SIGHUP; a background job, SIGINT)
    stays ignored. The previous handlers come back on leaving.
    """
    previous: dict[int, object] = {}
    for signum in stop_signals():
        try:
            previous[signum] = signal.signal(signum, mode.on_signal)
        except (OSError, ValueError):  # not the main thread, or not settable here
            continue
    try:
        yield
    finally:
        for signum, handler in previous.items():
            with suppress(OSError, ValueError, TypeError):
                signal.signal(signum, handler)  # type: ignore[arg-type]


def play(session: Session, resumed: Resumed | None = None, note: str | None = None) -> int:
    """`handler-one play --plain`: a new game (or `resumed`, the game `--load` or `--continue`
    brought back), played on stdin/stdout until an ending, `quit` or the end of input; `note`
    is said first. Returns the exit status. A new game writes no autosave before its first
    order (`Session.new_game(autosave=False)`).

    ctrl+c, SIGTERM and SIGHUP (the terminal closed) stop the game cleanly: an order under way
    is finished, the session keeps the game (`Session.stop`), and the exit status is 128 + the
    signal's number (130, 143, 129). Never a traceback.
    """
    mode = LineMode(session)
    with stop_on_signals(mode):
        try:
            if note:
                mode.say(note)
            if resumed is None:
                session.new_game(autosave=False)
            elif resumed.message:
                mode.say(f"Note: {resumed.message}")
            status = mode.run()
        except Stopped as stopped:
            if stopped.name == "SIGHUP":
                _hang_up(mode)
            stop = session.stop(stopped.signum)
            _say_stopped(stop)
            return stop.code
        finally:
            session.close()  # leaving keeps the game, whatever the way out
        return status


def _hang_up(mode: LineMode) -> None:
    """The terminal is gone: send what is left to write nowhere, so no write fails."""
    import io
    import os

    mode.out = io.StringIO()
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(null, fd)
        os.close(null)
    except OSError:
        pass


def _say_stopped(stop: Stop) -> None:
    """One line on stderr after a signal: what stopped the game and where it was saved."""
    try:
        sys.stdout.flush()
        lead = "\n" if sys.stderr.isatty() else ""
        print(lead + stop.message, file=sys.stderr)
    except (OSError, ValueError):
        pass
