"""Testing one scene: `--set` presets variables, evidence (`has:`), names (`knows:`) and pilot
statuses (`status:`) for a new game; they reach the game, its saves and its undo, and a bad one
is one line with a did-you-mean."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.engine import presets
from game.engine.loader import load_story
from game.engine.model import PILOT_STATUSES, Story
from game.engine.runtime import Engine
from game.engine.saves import SaveStore
from game.tools.common import UsageError, parse_sets, set_flags
from tests.conftest import FIXTURES, MINI, mini, shipped

# `make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs many more examples. Explicit settings, not a
# profile: loading a profile here would change every other module's budget too.
EXAMPLES = settings(
    max_examples=2000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


STORIES = {"mini": mini, "shipped": shipped}


def handler_one(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "game", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def one_clean_line(text: str) -> bool:
    """One non-empty line with no control character or lone surrogate (as the fuzz tests of
    every other input judge it)."""
    bad = {ch for ch in text if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")}
    return bool(text.strip()) and not bad


# --- what a good preset does -----------------------------------------------------------------


def good_presets(story: Story) -> st.SearchStrategy[list[str]]:
    """`--set` arguments a story accepts: every kind, values written every accepted way."""
    truth = st.sampled_from(["", "=true", "=false", "=1", "=0", "=yes", "=no", "=True"])
    evidence = st.tuples(st.sampled_from(sorted(story.evidence)), truth).map(
        lambda t: f"has:{t[0]}{t[1]}"
    )
    knows = st.tuples(st.sampled_from(sorted(story.pilots)), truth).map(
        lambda t: f"knows:{t[0]}{t[1]}"
    )
    status = st.tuples(
        st.sampled_from(sorted(story.pilots)),
        st.sampled_from(PILOT_STATUSES).map(lambda s: st.sampled_from([s, s.upper(), f" {s}"])),
    ).flatmap(lambda t: t[1].map(lambda s: f"status:{t[0]}={s}"))
    ints = [v for v in story.variables.values() if v.type == "int"]
    variable = st.sampled_from(ints).flatmap(
        lambda v: st.integers(-50, 50).map(lambda n: f"{v.name}={n}")
    )
    return st.lists(evidence | knows | status | variable, max_size=8)


def expected(story: Story, pairs: list[str]) -> dict[str, object]:
    """What the presets should leave in a new game, worked out from the arguments alone."""
    known = {p.id for p in story.pilots.values() if p.known}
    status = {p.id: p.status for p in story.pilots.values()}
    evidence: set[str] = set()
    variables = {v.name: v.default for v in story.variables.values()}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        kind, ident = presets.split_key(key)
        on = raw.lower() in ("", "true", "1", "yes")
        if kind == "has":
            (evidence.add if on else evidence.discard)(ident)
        elif kind == "knows":
            (known.add if on else known.discard)(ident)
        elif kind == "status":
            status[ident] = raw.strip().lower()
        else:
            variables[ident] = story.variables[ident].clamp(int(raw))
    deductions = {d.id for d in story.deductions.values() if evidence >= set(d.requires)}
    return {
        "known": known,
        "status": status,
        "evidence": evidence,
        "deductions": deductions,
        "variables": variables,
    }


@pytest.mark.parametrize("name", STORIES)
@EXAMPLES
@given(data=st.data())
def test_fuzz_every_kind_of_preset_reaches_the_new_game(name: str, data: st.DataObject) -> None:
    story = STORIES[name]()
    pairs = data.draw(good_presets(story), label="pairs")
    # A scene with no arrival effects, so what the game holds is the presets' doing alone.
    quiet = [s.id for s in story.scenes.values() if not s.enter and s.ending is None]
    warp = data.draw(st.sampled_from(quiet), label="warp")
    sets = parse_sets(pairs, story, note=lambda _: None)
    state = Engine.new(story, 3, warp=warp, sets=sets).state
    want = expected(story, pairs)
    assert set(state.known) == want["known"]
    assert state.status == want["status"]
    assert set(state.evidence) == want["evidence"]
    assert all(found == warp for found in state.evidence.values())
    assert set(state.deductions) == want["deductions"]
    assert state.variables == want["variables"]
    assert state.preset == sets


@pytest.mark.parametrize("name", STORIES)
@EXAMPLES
@given(data=st.data())
def test_fuzz_presets_survive_the_reproduce_command(name: str, data: st.DataObject) -> None:
    """A finding's `reproduce:` line gives the same presets back (`set_flags`)."""
    story = STORIES[name]()
    sets = parse_sets(data.draw(good_presets(story), label="pairs"), story, note=lambda _: None)
    words = shlex.split(set_flags(sets))
    assert words[::2] == ["--set"] * len(sets)
    assert parse_sets(words[1::2], story, note=lambda _: None) == sets


def test_a_deduction_gated_order_is_one_command_away() -> None:
    """The guide's example: the evidence a deduction needs, preset; its order is offered."""
    played = handler_one(
        "play", "--plain", "--seed", "1", "--set", "has:ev_voices", str(MINI), stdin="3\n"
    )
    assert played.returncode == 0, played.stderr
    assert "3) Read the ledger." in played.stdout
    assert "You: Read the ledger." in played.stdout
    without = handler_one("play", "--plain", "--seed", "1", str(MINI), stdin="")
    assert "Not available: Read the ledger." in without.stdout


def test_a_variable_held_at_its_range_says_so_once_in_one_line() -> None:
    notes: list[str] = []
    sets = parse_sets(["trust=99", "standing=-4", "trust=2"], mini(), note=notes.append)
    assert sets == {"trust": 2, "standing": 0}
    assert notes == [
        "--set trust=99: trust is held between 0 and 5, so it starts at 5",
        "--set standing=-4: standing is held between 0 and 5, so it starts at 0",
    ]
    assert parse_sets(["trust=5", "standing=0"], mini(), note=notes.append)
    assert len(notes) == 2  # nothing to say when the value is in range
    played = handler_one("play", "--plain", "--set", "trust=9", str(MINI))
    assert played.returncode == 0
    assert (
        played.stderr
        == "handler-one: note: --set trust=9: trust is held between 0 and 5, so it starts at 5\n"
    )


# --- what a bad preset gets --------------------------------------------------------------------


def near_miss(word: str) -> st.SearchStrategy[str]:
    """`word` with one letter dropped, doubled or swapped: a typo difflib should recognise."""
    at = st.integers(1, max(1, len(word) - 2))
    return st.one_of(
        at.map(lambda i: word[:i] + word[i + 1 :]),
        at.map(lambda i: word[:i] + word[i] + word[i:]),
        at.map(lambda i: word[:i] + word[i + 1] + word[i] + word[i + 2 :]),
    ).filter(lambda w: w != word)


def bad_presets(story: Story) -> st.SearchStrategy[tuple[str, str | None]]:
    """(`--set` argument, the id a did-you-mean should offer or None): unknown ids of every
    kind, typos of real ones, statuses that are not statuses, truths that are not true or
    false, kinds that are not kinds, and arbitrary text."""
    junk = st.text(min_size=1, max_size=12).filter(
        lambda t: t.strip() and ":" not in t and "=" not in t
    )
    ids = sorted({*story.evidence, *story.pilots, *story.variables, *story.deductions})
    unknown = junk.filter(lambda t: t.strip() not in ids)
    evidence = sorted(story.evidence)
    pilots = sorted(story.pilots)
    return st.one_of(
        st.sampled_from(evidence).flatmap(
            lambda e: (
                near_miss(e)
                .filter(lambda w: w not in story.evidence)
                .map(lambda w: (f"has:{w}", e))
            )
        ),
        st.sampled_from(pilots).flatmap(
            lambda p: (
                st.tuples(st.sampled_from(["knows", "status"]), near_miss(p))
                .filter(lambda t: t[1] not in story.pilots)
                .map(lambda t: (f"{t[0]}:{t[1]}" + ("=killed" if t[0] == "status" else ""), p))
            )
        ),
        st.tuples(st.sampled_from(["has", "knows", "status"]), unknown).map(
            lambda t: (f"{t[0]}:{t[1]}=true", None)
        ),
        st.tuples(st.sampled_from(pilots), junk)
        .filter(lambda t: t[1].strip().lower() not in PILOT_STATUSES)
        .map(lambda t: (f"status:{t[0]}={t[1]}", None)),
        st.sampled_from(pilots).map(lambda p: (f"status:{p}", None)),
        st.tuples(
            st.sampled_from([*(f"has:{e}" for e in evidence), *(f"knows:{p}" for p in pilots)]),
            junk,
        )
        .filter(lambda t: t[1].lower() not in ("true", "false", "1", "0", "yes", "no"))
        .map(lambda t: (f"{t[0]}={t[1]}", None)),
        st.tuples(junk.filter(lambda k: k.strip() not in presets.KINDS), st.sampled_from(ids)).map(
            lambda t: (f"{t[0]}:{t[1]}", None)
        ),
        st.sampled_from(["", "=", ":", "has:", "knows:=true", "status:=killed", "=3", " : "]).map(
            lambda t: (t, None)
        ),
    )


@pytest.mark.parametrize("name", STORIES)
@EXAMPLES
@given(data=st.data())
def test_fuzz_a_bad_preset_is_one_line_naming_it(name: str, data: st.DataObject) -> None:
    story = STORIES[name]()
    pair, meant = data.draw(bad_presets(story), label="bad")
    good = data.draw(good_presets(story), label="good")
    position = data.draw(st.integers(0, len(good)), label="position")
    with pytest.raises(UsageError) as refused:
        parse_sets([*good[:position], pair, *good[position:]], story, note=lambda _: None)
    message = str(refused.value)
    assert one_clean_line(message), repr(message)
    assert message.startswith("--set")
    if meant is not None:
        assert "did you mean '" in message, message


def test_the_messages_name_the_fix() -> None:
    story = mini()

    def refused(pair: str) -> str:
        with pytest.raises(UsageError) as caught:
            parse_sets([pair], story)
        return str(caught.value)

    assert (
        refused("has:ev_bulltin")
        == "--set has: no evidence 'ev_bulltin'; did you mean 'ev_bulletin'?"
    )
    assert refused("has:de_people") == (
        "--set has:de_people: 'de_people' is a deduction; preset the evidence it is made from: "
        "--set has:ev_bulletin --set has:ev_voices"
    )
    assert refused("knows:Undertaker").endswith("no pilot 'Undertaker'; did you mean 'shin'?")
    assert refused("status:nell=kiled").endswith("did you mean 'killed'?")
    assert "status:nell=STATUS" in refused("status:nell")
    assert refused("hass:ev_voices").endswith("did you mean 'has'?")


@pytest.mark.parametrize(
    "args",
    [
        ["--set", "has:ev_bulltin"],
        ["--set", "status:rook=lost"],
        ["--set", "knows:nobody"],
        ["--set", "deduced:de_people"],
    ],
    ids=lambda a: a[-1],
)
@pytest.mark.parametrize("command", ["play", "playtest", "verify"])
def test_every_command_that_presets_refuses_a_bad_one_in_one_line(
    command: str, args: list[str]
) -> None:
    extra = ["--plain"] if command == "play" else []
    result = handler_one(command, *extra, *args, str(MINI))
    assert result.returncode == 2
    assert result.stderr.startswith("handler-one: --set") and result.stderr.count("\n") == 1


def test_verify_and_playtest_start_from_the_presets() -> None:
    """Knowing Shin's name from the start takes away the order that reveals the second piece
    of evidence: the ledger order can never be given, unless that evidence is preset."""

    def never(*sets: str) -> list[str]:
        args = [a for s in sets for a in ("--set", s)]
        result = handler_one("verify", "--json", *args, str(MINI))
        assert result.returncode in (0, 1), result.stderr
        return json.loads(result.stdout)["orders"]["never"]

    assert "first_contact/2" in never("knows:shin")
    assert "first_contact/2" not in never("knows:shin", "has:ev_voices")

    def untaken(*sets: str) -> list[str]:
        args = [a for s in sets for a in ("--set", s)]
        result = handler_one("playtest", "--json", "--runs", "20", "--seed", "1", *args, str(MINI))
        assert result.returncode in (0, 1), result.stderr
        return [entry["order"] for entry in json.loads(result.stdout)["orders"]["untaken"]]

    assert "first_contact/2" in untaken("knows:shin")
    assert "first_contact/2" not in untaken("knows:shin", "has:ev_voices")


# --- saves ---------------------------------------------------------------------------------------


def test_a_game_with_presets_saves_loads_and_undoes_back_to_its_presets(tmp_path: Path) -> None:
    story = mini()
    sets = parse_sets(
        ["has:ev_voices", "knows:nell", "knows:rook=false", "status:rook=wounded", "trust=4"],
        story,
    )
    engine = Engine.new(story, 5, sets=sets)
    engine.choose_text("report")
    store = SaveStore(tmp_path)
    store.save("presets", engine)
    loaded = store.load("presets", story)
    assert loaded.message is None
    assert loaded.engine.state.preset == sets
    assert loaded.engine.state == engine.state
    assert loaded.engine.undo()  # replays the log from a new game with the same presets
    start = loaded.engine.state
    assert start.scene == "first_contact" and not start.log
    assert "de_people" in start.deductions and set(start.evidence) == {"ev_bulletin", "ev_voices"}
    assert "nell" in start.known and "rook" not in start.known
    assert start.status["rook"] == "wounded" and start.variables["trust"] == 4


def test_a_save_whose_preset_evidence_is_gone_resumes_with_a_note(tmp_path: Path) -> None:
    story_dir = tmp_path / "story"
    shutil.copytree(MINI, story_dir)
    engine = Engine.new(
        load_story(story_dir), 5, sets={"has:ev_voices": True, "status:rook": "killed"}
    )
    engine.choose_text("report")
    store = SaveStore(tmp_path / "saves")
    store.save("presets", engine)
    manifest = story_dir / "story.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("ev_voices", "ev_echoes"), encoding="utf-8"
    )
    (story_dir / "ch1.yaml").write_text(
        (story_dir / "ch1.yaml").read_text(encoding="utf-8").replace("ev_voices", "ev_echoes"),
        encoding="utf-8",
    )
    loaded = store.load("presets", load_story(story_dir))
    assert loaded.message and "evidence 'ev_voices' no longer exists" in loaded.message
    assert loaded.engine.state.status["rook"] == "killed"  # the presets that still fit apply


def test_an_old_save_with_a_variable_preset_loads_and_undoes_to_it(tmp_path: Path) -> None:
    """Saves from before other presets existed keep only variables in `preset`: unchanged."""
    source = FIXTURES / "saves" / "v3" / "warped.json"
    shutil.copy(source, tmp_path / "warped.json")
    loaded = SaveStore(tmp_path).load("warped", mini())
    assert loaded.engine.state.preset == {"trust": 4}
    assert loaded.engine.undo()
    assert loaded.engine.state.scene == "fight" and not loaded.engine.state.log


def test_the_guides_example_offers_the_deduction_gated_order() -> None:
    """scenes/README.md's "Testing one scene" example, run as written: the order that needs
    the deduction and two names is offered at once."""
    guide = (Path(__file__).resolve().parent.parent / "scenes" / "README.md").read_text("utf-8")
    section = guide.split("### Testing one scene", 1)[1].split("\n### ", 1)[0]
    command = section.split("```sh\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    words = shlex.split(command)
    assert words[:2] == ["handler-one", "play"]
    played = handler_one(*words[1:], stdin="")
    assert played.returncode == 0 and played.stderr == "", played.stderr
    assert "Log them by name where you know it, and by number where you don't." in played.stdout
    assert "Not available" not in played.stdout
    bare = handler_one("play", "--plain", "--warp", "ch1_night_log", stdin="")
    assert "Not available: Log them by name" in bare.stdout


def replay(path: Path) -> tuple[int, str, str]:
    """`handler-one play --plain --replay PATH` in this process, with nothing more typed."""
    import contextlib
    import io

    from game.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(sys, "stdin", io.StringIO(""))
        status = main(["play", "--plain", "--replay", str(path), str(MINI)])
    return status, out.getvalue(), err.getvalue()


transcript_values = st.one_of(
    st.booleans(),
    st.integers(),
    st.text(max_size=10),
    st.sampled_from([*PILOT_STATUSES, "lost", "KILLED"]),
)
transcript_keys = st.one_of(
    st.sampled_from(["trust", "link_closed", "callsign_of_lena", "nope"]),
    st.tuples(
        st.sampled_from(["has", "knows", "status", "deduced", ""]),
        st.sampled_from(["ev_voices", "ev_bulletin", "de_people", "rook", "nell", "x"])
        | st.text(max_size=6),
    ).map(lambda t: f"{t[0]}:{t[1]}"),
)


@EXAMPLES
@given(sets=st.dictionaries(transcript_keys, transcript_values, max_size=4))
def test_fuzz_a_transcripts_presets_replay_or_are_refused_in_one_line(sets: dict) -> None:
    """A transcript is a file anyone can edit: whatever its `sets` hold, the replay starts
    with them or says in one line which one the story cannot take."""
    from game.engine.playtest import Transcript, write_transcript

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.json"
        write_transcript(path, Transcript("mini", 1, (), None, sets))
        status, out, err = replay(path)
    if status == 0:
        assert err == "" and out.startswith("-- replaying")
        state = Engine.new(mini(), 1, sets=sets).state
        assert state.preset == sets
    else:
        assert status == 2 and err.startswith("handler-one: --replay: ")
        assert one_clean_line(err.rstrip("\n")), repr(err)
        with pytest.raises(ValueError):
            Engine.new(mini(), 1, sets=sets)
