"""Line mode as a screen reader hears it (issue 16): orders typed as a player reads them, output
in words with no box drawing, blocks, bullets, arrows or escape sequences, the roster and roll
call as sentences, the order said back before the next heading, and the commands a player who
cannot see the console needs (help, look, glossary, quicksave, quickload, undo).

The tmux test plays chapter 1 of the shipped story in a real terminal, reading each scene's
orders off the screen and typing them as shown, with articles and punctuation.
"""

from __future__ import annotations

import io
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from game.engine.loader import load_story
from game.engine.model import Story
from game.engine.runtime import Engine
from game.engine.saves import SaveStore
from game.paths import scenes_dir
from game.plain import HELP, START_HINT, LineMode
from game.session import SaveAccess, Session
from tests.conftest import mini, shipped

ROOT = Path(__file__).resolve().parent.parent
TMUX = shutil.which("tmux")
HEADING = re.compile(r"^Chapter (\d+), .+: .+\.$")
ORDER = re.compile(r"^(\d+)\) (.+)$")


# --- what a screen reader would trip over ---------------------------------------------------------


def decorative(text: str) -> set[str]:
    """Characters a screen reader reads as symbol names, or that carry meaning only by their
    shape: arrows, box drawing, blocks, geometric shapes (bullets, meters), dingbats (crosses),
    bullets and middle dots."""
    found = set()
    for ch in text:
        code = ord(ch)
        if (
            0x2190 <= code <= 0x21FF  # arrows
            or 0x2500 <= code <= 0x25FF  # box drawing, blocks, geometric shapes (● ▮ ▸)
            or 0x2700 <= code <= 0x27BF  # dingbats (✖ ✚ ➜)
            or 0x27F0 <= code <= 0x27FF  # supplemental arrows
            or 0x2900 <= code <= 0x297F
            or 0x2B00 <= code <= 0x2BFF  # miscellaneous symbols and arrows
            or ch in "•‣⁃∙◦·⋅"
        ):
            found.add(ch)
    return found


def escapes(text: str) -> set[str]:
    """Control characters other than the newline: what could drive a terminal."""
    return {ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cs")}


def assert_speakable(output: str) -> None:
    assert not decorative(output), sorted(decorative(output))
    assert not escapes(output), sorted(escapes(output))
    assert "==" not in output


def variants(say: str) -> list[str]:
    """An order as a player might type it having read it: as shown, in lower case without its
    punctuation, without its articles, shouting, with curly apostrophes."""
    bare = re.sub(r"[^\w\s']", " ", say).lower()
    no_articles = " ".join(w for w in bare.split() if w not in ("a", "an", "the"))
    return [say, " ".join(bare.split()), no_articles, say.upper(), say.replace("'", "\u2019")]


def line_mode(story: Story, engine: Engine, saves: Path) -> tuple[LineMode, io.StringIO]:
    out = io.StringIO()
    session = Session(story, SaveAccess(SaveStore(saves)))
    session.begin(engine)
    return LineMode(session, out=out), out


def typed(mode: LineMode, out: io.StringIO, text: str) -> str:
    """What line mode printed for one typed line."""
    start = len(out.getvalue())
    mode.handle(text)
    return out.getvalue()[start:]


# --- whole playthroughs --------------------------------------------------------------------------

COMMANDS = ["look", "squad", "status", "dossier", "glossary", "glossary net", "help", "saves"]


def play_through(story: Story, seed: int, saves: Path, persona: str | None = None) -> str:
    """A whole game to an ending, choosing as `persona` would (by chance without one): orders
    typed as read (each form in turn), commands between them, a quicksave and quickload, an
    undo now and then. Returns everything printed."""
    from game.engine.personas import choose_as

    rng = random.Random(seed)
    engine = Engine.new(story, seed)
    mode, out = line_mode(story, engine, saves)
    mode.show_scene()
    for step in range(3000):
        if mode.engine.ending is not None:
            mode.show_ending()
            return out.getvalue()
        if step % 7 == 3:
            mode.handle(rng.choice(COMMANDS))
        if step % 29 == 5:
            mode.handle("quicksave")
        if step % 29 == 9:
            mode.handle("quickload")
        if step % 31 == 11:
            mode.handle("undo")
        enabled = [v for v in mode.engine.orders() if v.enabled]
        if persona is None:
            view = rng.choice(enabled)
        else:
            offered = story.orders_at(mode.engine.state.scene)
            view = enabled[
                choose_as(story.personas[persona], [offered[v.index] for v in enabled], rng)
            ]
        text = variants(view.say)[step % 5]
        shown = typed(mode, out, text)
        assert shown.startswith(f"You: {view.say}\n"), (text, shown[:300])
    raise AssertionError(f"seed {seed}: no ending in 3000 orders")


# The story's personas play long games (most reach chapter 5); chance alone ends sooner.
PLAYTHROUGHS = [("warm", 2), ("careful", 1), ("dutiful", 5), (None, 7)]


@pytest.mark.parametrize(("persona", "seed"), PLAYTHROUGHS)
def test_whole_playthroughs_are_words_without_symbols_or_escapes(
    persona: str | None, seed: int, tmp_path: Path
) -> None:
    output = play_through(shipped(), seed, tmp_path / "saves", persona)
    assert "\nENDING: " in output and "\nROLL CALL\n" in output
    assert_speakable(output)
    lines = output.splitlines()
    # What line mode writes itself (not the story's prose) has no dashes or plus signs either.
    own = [
        line
        for line in lines
        if HEADING.match(line)
        or line.startswith(("  ", "Trust ", "Not available: "))
        or line in ("SQUADRON", "ROLL CALL", "DOSSIER")
    ]
    assert own and not [line for line in own if "—" in line or " + " in line or "  + " in line]
    roll_call = lines[lines.index("ROLL CALL") + 1 :]
    # Everyone who was ever with the squad: a replacement still in reserve is not on it.
    assert len(roll_call) == sum(1 for p in shipped().pilots.values() if p.status != "reserve") + (
        1 if "Thimble" in "\n".join(roll_call) else 0
    )
    pattern = re.compile(r"^  [\w ]+, (.+): (alive|alive, wounded|missing|killed in action)\.$")
    assert all(pattern.match(line) for line in roll_call), roll_call


def test_the_real_command_prints_a_whole_game_in_words(tmp_path: Path) -> None:
    """The bytes `handler-one play --plain` writes for a whole game, commands included."""
    rng = random.Random(5)
    story = load_story(scenes_dir())
    # A scene that loops keeps its orders' numbers, so the open ones are not always the lowest.
    highest = max(len(story.orders_at(state)) for state in story.states())
    lines = []
    for n in range(4000):
        lines.append(str(rng.randint(1, highest)))
        if n % 9 == 0:
            lines.append(rng.choice(COMMANDS))
    result = subprocess.run(
        [sys.executable, "-m", "game", "play", "--plain", "--seed", "5"],
        input=("\n".join(lines) + "\n").encode(),
        capture_output=True,
        timeout=180,
        cwd=ROOT,
        env={**os.environ, "HANDLER_ONE_SAVE_DIR": str(tmp_path / "saves")},
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout.decode("utf-8")
    assert "\nENDING: " in output
    assert_speakable(output)


# --- the roster, the roll call and the order said back ------------------------------------------


def test_roster_and_roll_call_say_names_in_words_and_tell_refused_from_never_asked(
    mini_copy: Path, tmp_path: Path
) -> None:
    scenes = mini_copy / "ch1.yaml"
    text = scenes.read_text()
    refusal = "effects: {add: {trust: 1}}"
    assert text.count(refusal) == 1
    scenes.write_text(text.replace(refusal, "effects: {add: {trust: 1}, asked: nell}"))
    story = load_story(mini_copy)
    engine = Engine.new(story, 7)
    mode, out = line_mode(story, engine, tmp_path / "saves")
    assert typed(mode, out, "squad") == (
        "SQUADRON\n"
        "  Undertaker, name not known, active.\n"
        "  Thistle, name not known, active.\n"
        "  Rook, Rook Test, active.\n"
    )
    typed(mode, out, "Report status.")  # asks Thistle, who does not answer
    assert "  Thistle, asked, no name given, active.\n" in typed(mode, out, "squad")
    for _ in range(3):
        typed(mode, out, "Follow Undertaker.")
    mode.show_ending()
    assert "  Thistle, asked, but never gave it: " in out.getvalue()
    assert "  Undertaker, name never asked: " in out.getvalue()
    assert "  Rook, Rook Test: " in out.getvalue()
    assert_speakable(out.getvalue())


def test_the_order_is_said_back_and_its_results_come_before_the_next_heading(
    tmp_path: Path,
) -> None:
    engine = Engine.new(mini(), 7)
    mode, out = line_mode(mini(), engine, tmp_path / "saves")
    shown = typed(mode, out, "What's your name?").splitlines()
    assert shown[:5] == [
        "You: What's your name?",
        "Dossier: Voices.",
        "Deduction: People.",
        "",
        "Chapter 1, Test Chapter: Riverbed (round 1 of 3).",
    ]
    assert shown[5:] == ["HQ: Contacts.", "Thistle: Contacts.", "1) Follow Undertaker.", "2) Push."]


def test_what_a_scene_reveals_on_arrival_is_read_under_its_heading(tmp_path: Path) -> None:
    """The dossier notes a scene's `enter` adds are the scene's, not the order's results."""
    story = shipped()
    scene = story.scenes[story.start]
    order = next(o for o in scene.orders if "link" in o.words)
    arrival = story.scenes[order.branches[0].goto]
    assert arrival.enter.reveal, "the test needs the start's 'open the link' to reveal on arrival"
    engine = Engine.new(story, 5)
    mode, out = line_mode(story, engine, tmp_path / "saves")
    shown = typed(mode, out, order.say).splitlines()
    heading = next(i for i, line in enumerate(shown) if HEADING.match(line))
    note = f"Dossier: {story.evidence[arrival.enter.reveal[0]].title}."
    assert shown[0] == f"You: {order.say}" and shown.index(note) == heading + 1


# --- commands -----------------------------------------------------------------------------------


def test_look_glossary_quicksave_quickload_and_undo(tmp_path: Path) -> None:
    engine = Engine.new(mini(), 7)
    mode, out = line_mode(mini(), engine, tmp_path / "saves")
    mode.show_scene()
    first = out.getvalue()
    assert typed(mode, out, "look") == first  # the scene again, as it was first heard
    assert typed(mode, out, "quicksave") == "Quicksaved. 'quickload' comes back here.\n"
    typed(mode, out, "report status")
    looked = typed(mode, out, "LOOK")
    assert looked.startswith("Chapter 1, Test Chapter: Riverbed (round 1 of 3).\nYou: Report")
    loaded = typed(mode, out, "quickload")
    assert loaded == "Back to the quicksave.\n\n" + first
    assert typed(mode, out, "undo") == "Nothing to undo.\n"
    typed(mode, out, "#2")
    assert typed(mode, out, "undo") == "Order taken back.\n\n" + first
    listing = typed(mode, out, "glossary")
    assert listing.startswith("GLOSSARY, ") and "\n  People: " in listing
    assert "; Juggernaut;" in listing or "Juggernaut" in listing
    entry = typed(mode, out, "glossary the juggernaut")
    assert entry.startswith("Juggernaut (term): The Republic's walking combat unit")
    assert "fits" in typed(mode, out, "glossary sector") and "Front Sector 4" in out.getvalue()
    assert (
        typed(mode, out, "glossary zzzz")
        == "No entry is called 'zzzz'. 'glossary' lists them all.\n"
    )
    assert_speakable(out.getvalue())


def test_an_order_typed_as_shown_is_given_even_when_it_begins_with_a_command_word(
    mini_copy: Path, tmp_path: Path
) -> None:
    scenes = mini_copy / "ch1.yaml"
    scenes.write_text(scenes.read_text().replace('"Close the link."', '"Save the beacon."'))
    story = load_story(mini_copy)
    mode, out = line_mode(story, Engine.new(story, 7), tmp_path / "saves")
    assert typed(mode, out, "Save the beacon.").startswith("You: Save the beacon.\n")
    mode, out = line_mode(story, Engine.new(story, 7), tmp_path / "saves")
    assert typed(mode, out, "save beacons") == "Saved as 'beacons'.\n"  # not the order's text


def test_help_is_a_commands_guide_naming_every_command_with_what_it_does() -> None:
    mode = LineMode(Session(mini()), out=io.StringIO())
    for command in mode.commands() - {"exit"}:
        described = re.search(rf"^  {command}( [A-Z]+)? +\S", HELP, re.MULTILINE)
        assert described, f"help does not describe '{command}'"
    assert "help" in START_HINT and "number" in START_HINT and "\n" not in START_HINT


def test_mistyped_commands_are_named_and_mistyped_orders_offered_never_given(
    tmp_path: Path,
) -> None:
    engine = Engine.new(mini(), 7)
    mode, out = line_mode(mini(), engine, tmp_path / "saves")
    answers = {
        "helo": "'helo' is not an order here. Did you mean help?\n",
        "stauts": "'stauts' is not an order here. Did you mean status?\n",
        "sqad": "'sqad' is not an order here. Did you mean squad?\n",
        "glosary net": "'glosary' is not an order here. Did you mean glossary?\n",
        "quiksave": "'quiksave' is not an order here. Did you mean quicksave?\n",
        "clsoe the link": "No order answers to 'clsoe the link'. Did you mean 3, Close the link?\n",
    }
    for text, answer in answers.items():
        assert typed(mode, out, text) == answer
    assert engine.state.log == []


# --- a chapter in a real terminal ----------------------------------------------------------------


class Terminal:
    """A tmux server on a private socket running one 100x30 shell."""

    def __init__(self) -> None:
        self.socket = f"linemode-a11y-{os.getpid()}-{time.monotonic_ns()}"
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "NO_COLOR")}
        shell = "env PS1='shell$ ' bash --norc --noprofile"
        self.tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30", shell, env=env)

    def tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        command = [str(TMUX), "-L", self.socket, *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=20, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", text)
        self.tmux("send-keys", "-t", "t", "Enter")

    def lines(self) -> list[str]:
        """The pane and its recent history, wrapped lines joined, as a reader gets them."""
        return self.tmux("capture-pane", "-p", "-J", "-S", "-400", "-t", "t").splitlines()

    def wait(self, ready: Callable[[list[str]], bool], what: str, timeout: float = 20) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            lines = self.lines()
            if ready(lines):
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what}; the terminal shows:\n" + "\n".join(lines))
            time.sleep(0.05)

    def answer(self, text: str, timeout: float = 20) -> list[str]:
        """Type a line at the game's prompt; the lines it answered with, up to the next prompt
        (the terminal echoes what is typed after the `> `)."""
        self.tmux("clear-history", "-t", "t")  # so no older line scrolls out of what is read
        echo = f"> {text}"
        before = sum(1 for line in self.lines() if line.rstrip() == echo)

        def answered(lines: list[str]) -> bool:
            shown = [line for line in lines if line.strip()]
            echoed = sum(1 for line in lines if line.rstrip() == echo)
            return echoed > before and shown[-1].rstrip() == ">"

        self.type(text)
        lines = self.wait(answered, f"the answer to {text!r}", timeout)
        last = max(i for i, line in enumerate(lines) if line.rstrip() == echo)
        return [line for line in lines[last + 1 :] if line.rstrip() != ">"]

    def close(self) -> None:
        subprocess.run([str(TMUX), "-L", self.socket, "kill-server"], capture_output=True)


def _orders(lines: list[str]) -> list[tuple[int, str]]:
    """The orders under the last heading in `lines`."""
    last = max(i for i, line in enumerate(lines) if HEADING.match(line))
    return [(int(m[1]), m[2]) for line in lines[last:] if (m := ORDER.match(line))]


FORMS: list[Callable[[int, str], str]] = [
    lambda n, say: say,  # as shown, punctuation and all
    lambda n, say: re.sub(r"[^\w\s']", "", say).lower(),
    lambda n, say: " ".join(w for w in say.split() if w.lower() not in ("the", "a", "an")),
    lambda n, say: f"#{n}",
]


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed: no real terminal")
def test_chapter_one_played_in_a_terminal_typing_orders_as_read(tmp_path: Path) -> None:
    """A player who only reads: each scene's first order, typed as it reads (whole with its
    punctuation, in lower case, without articles, or as '#N'), until chapter 2 begins. Along the
    way look, glossary, quicksave, quickload and undo; at the end quit, and --continue."""
    terminal = Terminal()
    saves = tmp_path / "saves"
    game = [sys.executable, "-m", "game", "play", "--plain", "--save-dir", str(saves)]
    try:
        terminal.wait(lambda s: any("shell$" in line for line in s), "the shell")
        terminal.type(f"cd {shlex.quote(str(ROOT))} && {shlex.join([*game, '--seed', '1'])}")
        lines = terminal.wait(lambda s: any(x.rstrip() == ">" for x in s[-3:]), "first prompt")
        opening = lines[: max(i for i, x in enumerate(lines) if x.rstrip() == ">") + 1]
        assert opening[-2] == START_HINT
        heard = list(opening)
        chapter, given = 1, 0
        while chapter == 1:
            assert given < 60, "chapter 1 did not end"
            number, say = _orders(lines)[0]
            if given == 3:
                again = terminal.answer("look")
                assert _orders(again) == _orders(lines)
            if given == 5:
                assert terminal.answer("quicksave")[0].startswith("Quicksaved.")
            lines = terminal.answer(FORMS[given % len(FORMS)](number, say))
            heard += lines
            given += 1
            assert lines[0] == f"You: {say}", lines[:3]
            chapter = max(int(m[1]) for m in map(HEADING.match, lines) if m)
            if given == 8:
                entry = terminal.answer("glossary undertaker")
                assert entry[0].startswith("Undertaker (person): Spearhead's captain")
                back = terminal.answer("quickload")
                assert back[0] == "Back to the quicksave."
                assert terminal.answer("undo")[0] == "Order taken back."
                lines = terminal.answer("look")
        assert given > 15
        terminal.type("quit")
        terminal.wait(lambda s: s[-1:] != [] and s[-1].startswith("shell$"), "the shell again")
        terminal.type(shlex.join([*game, "--continue"]))
        resumed = terminal.wait(lambda s: s[-1:] != [] and s[-1].rstrip() == ">", "the game")
        assert any(line.startswith("Chapter 2, ") for line in resumed[-60:])
        terminal.type("quit")
        assert_speakable("\n".join(heard))
    finally:
        terminal.close()
