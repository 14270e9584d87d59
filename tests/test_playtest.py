"""Playtesting: random and exhaustive play, findings that reproduce, transcripts, exit codes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from game.engine.loader import load_story
from game.engine.playtest import (
    StateKey,
    Transcript,
    explore,
    random_playtest,
    read_transcript,
    transcript_of,
    write_transcript,
)
from game.engine.runtime import Engine
from tests.conftest import MINI, write

KEYS = {"runs", "endings", "scenes", "orders", "dead_ends", "errors", "histograms"}


def handler_one(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "game", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def dead_end_story(tmp_path: Path) -> Path:
    """The fixture story where "Report status." sometimes leads to a scene with no way on."""
    root = tmp_path / "story"
    shutil.copytree(MINI, root)
    ch1 = root / "ch1.yaml"
    text = ch1.read_text()
    text = text.replace(
        "        effects: {add: {trust: 1}}\n        goto: fight\n",
        "        effects: {add: {trust: 1}}\n"
        "        goto:\n"
        "          - {weight: 1, goto: fight}\n"
        "          - {weight: 1, goto: stuck}\n",
        1,
    )
    text += (
        "  - id: stuck\n"
        "    title: Stuck\n"
        "    orders:\n"
        '      - say: "Only with trust."\n'
        "        if: trust >= 5\n"
        "        goto: end_scene_good\n"
    )
    ch1.write_text(text)
    return root


def test_random_playtest_reports_endings_and_coverage() -> None:
    story = load_story(MINI)
    report = random_playtest(story, runs=60, seed=1)
    data = report.to_json()
    assert data.keys() >= KEYS
    assert data["runs"] == 60
    assert set(data["endings"]) == {"end_good", "end_bad"}
    assert all(count > 0 for count in data["endings"].values())
    assert sum(data["endings"].values()) == 60
    assert data["scenes"] == {"total": 4, "visited": 4, "unvisited": []}
    # "Read the ledger." needs a deduction the player cannot have in the first scene
    assert data["orders"]["untaken"] == [{"order": "first_contact/2", "say": "Read the ledger."}]
    assert data["orders"]["taken"] == data["orders"]["total"] - 1
    assert data["dead_ends"] == [] and data["errors"] == []
    assert sum(data["histograms"]["survivors"].values()) == 60
    assert {"trust", "standing", "survivors"} <= data["histograms"].keys()
    assert not report.failed


def test_random_playtest_is_deterministic() -> None:
    story = load_story(MINI)
    first = json.dumps(random_playtest(story, runs=40, seed=7).to_json())
    second = json.dumps(random_playtest(story, runs=40, seed=7).to_json())
    other = json.dumps(random_playtest(story, runs=40, seed=8).to_json())
    assert first == second
    assert first != other


def test_random_play_prefers_orders_not_yet_taken() -> None:
    story = load_story(MINI)
    # three games are enough to give each of the first scene's three available orders once
    report = random_playtest(story, runs=3, seed=0)
    assert {"first_contact/0", "first_contact/1", "first_contact/3"} <= report.taken


def test_dead_end_found_with_a_seed_and_orders_that_reproduce_it(dead_end_story: Path) -> None:
    story = load_story(dead_end_story)
    report = random_playtest(story, runs=30, seed=1)
    assert report.failed
    [dead] = report.dead_ends
    assert dead.kind == "no_orders" and dead.state == "stuck"
    assert dead.count > 1
    engine, applied = Engine.replay(story, dead.seed, dead.log)
    assert applied == len(dead.log)
    assert engine.state.scene == "stuck"
    assert not [v for v in engine.orders() if v.enabled]


def test_exhaustive_search_finds_a_shortest_witness(dead_end_story: Path) -> None:
    story = load_story(dead_end_story)
    report = explore(story, seed=0)
    assert report.complete and report.states > 0
    [dead] = report.dead_ends
    assert dead.log == [("first_contact", 0)]
    assert dead.numbers == [1]
    data = report.to_json()
    assert data["complete"] is True and data["states"] == report.states
    assert data.keys() >= KEYS


def test_exhaustive_search_reports_its_budget() -> None:
    story = load_story(MINI)
    report = explore(story, seed=0, max_states=2)
    assert report.states == 2
    assert not report.complete
    assert report.to_json()["max_states"] == 2


def test_state_key_ignores_the_log_the_aftermath_and_the_draws() -> None:
    story = load_story(MINI)
    key = StateKey(story)
    engine = Engine.new(story, 1)
    state = engine.state.copy()
    other = state.copy()
    other.log.append(("first_contact", 0))
    other.draws += 5
    other.evidence = {e: "elsewhere" for e in other.evidence}
    assert key(state) == key(other)
    # no order or branch condition of this story reads trust: it cannot change what happens
    other.variables["trust"] = 4
    assert key(state) == key(other)
    other.status["nell"] = "killed"
    assert key(state) != key(other)


def test_engine_errors_are_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    from game.engine import machine

    story = load_story(MINI)
    original = machine.resolve_round

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("boom")

    monkeypatch.setattr(machine, "resolve_round", broken)
    report = random_playtest(story, runs=10, seed=0)
    monkeypatch.setattr(machine, "resolve_round", original)
    assert report.failed
    assert report.errors[0].kind == "error"
    assert "RuntimeError: boom" in report.errors[0].message
    assert report.errors[0].state == "fight"


def test_a_loop_with_no_way_out_is_an_error(tmp_path: Path) -> None:
    write(
        tmp_path / "story.yaml",
        """
        id: loop
        title: Loop
        start: a
        endings: [{id: end_x, title: X}]
        """,
    )
    write(
        tmp_path / "ch1.yaml",
        """
        scenes:
          - {id: a, title: A, orders: [{say: "Again.", goto: a}]}
          - {id: b, title: B, ending: end_x}
        """,
    )
    report = random_playtest(load_story(tmp_path), runs=2, seed=0, max_steps=50)
    assert [e.kind for e in report.errors] == ["too_long"]
    assert report.errors[0].count == 2


def test_transcripts_round_trip(dead_end_story: Path, tmp_path: Path) -> None:
    story = load_story(dead_end_story)
    [dead] = random_playtest(story, runs=30, seed=1).dead_ends
    path = tmp_path / "t.json"
    write_transcript(path, transcript_of(story, dead))
    transcript = read_transcript(path)
    assert transcript.story_id == "mini"
    assert transcript.seed == dead.seed
    assert list(transcript.orders) == dead.log


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "not JSON"),
        ("[]", "not a transcript"),
        ('{"format": "handler-one-transcript", "version": 9}', "version 9"),
        ('{"format": "handler-one-transcript", "version": 1, "story": "x"}', "malformed"),
    ],
)
def test_bad_transcripts_are_refused_in_one_line(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=reason):
        read_transcript(path)


def test_cli_exit_codes_and_identical_json(dead_end_story: Path) -> None:
    good = handler_one("playtest", "--runs", "30", "--seed", "1", "--json", str(MINI))
    assert good.returncode == 0, good.stderr
    again = handler_one("playtest", "--runs", "30", "--seed", "1", "--json", str(MINI))
    assert good.stdout == again.stdout
    assert good.stderr == ""  # no progress bar when stderr is not a terminal
    assert json.loads(good.stdout).keys() >= KEYS
    bad = handler_one("playtest", "--runs", "30", "--seed", "1", str(dead_end_story))
    assert bad.returncode == 1
    assert "Dead ends: 1" in bad.stdout
    assert "reproduce: handler-one play --plain --seed" in bad.stdout
    exhaustive = handler_one("playtest", "--exhaustive", "--json", str(dead_end_story))
    assert exhaustive.returncode == 1
    assert json.loads(exhaustive.stdout)["mode"] == "exhaustive"
    usage = handler_one("playtest", "--runs", "0", str(MINI))
    assert usage.returncode == 2


def test_replay_reproduces_a_dead_end(dead_end_story: Path, tmp_path: Path) -> None:
    folder = tmp_path / "transcripts"
    result = handler_one(
        "playtest", "--runs", "30", "--seed", "1", "--transcripts", str(folder), str(dead_end_story)
    )
    assert result.returncode == 1
    assert (folder / "dead_end_1.json").is_file()
    assert (folder / "ending_end_good.json").is_file()
    replay = handler_one(
        "play", "--plain", "--replay", str(folder / "dead_end_1.json"), str(dead_end_story)
    )
    assert replay.returncode == 1
    assert "Chapter 1, Test Chapter: Stuck." in replay.stdout
    assert "dead end: no order is available here" in replay.stdout


def test_replay_of_an_ending_then_the_game_ends(tmp_path: Path) -> None:
    folder = tmp_path / "transcripts"
    handler_one("playtest", "--runs", "20", "--transcripts", str(folder), str(MINI))
    replay = handler_one(
        "play", "--plain", "--replay", str(folder / "ending_end_good.json"), str(MINI)
    )
    assert replay.returncode == 0, replay.stderr
    assert "ENDING: Good End" in replay.stdout
    assert "> 1" in replay.stdout or "> 2" in replay.stdout


def test_replay_refuses_a_transcript_of_another_story(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            {
                "format": "handler-one-transcript",
                "version": 1,
                "story": "other",
                "seed": 1,
                "orders": [],
            }
        )
    )
    result = handler_one("play", "--plain", "--replay", str(path), str(MINI))
    assert result.returncode == 2
    assert "for story 'other'" in result.stderr
    assert "Traceback" not in result.stderr


def test_replay_continues_interactively(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    write_transcript(path, Transcript("mini", 3, (), None, {}))
    result = handler_one("play", "--plain", "--replay", str(path), str(MINI), stdin="3\n")
    assert result.returncode == 0
    assert "end of the transcript" in result.stdout
    assert "ENDING: Bad End" in result.stdout


def test_progress_bar_draws_only_on_a_terminal() -> None:
    from game.tools.playtest import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    piped = io.StringIO()
    bar = ProgressBar("playing", piped)
    bar(5, 10)
    bar.close()
    assert piped.getvalue() == ""
    tty = Terminal()
    bar = ProgressBar("playing", tty)
    bar(5, 10)
    bar.close()
    assert "5/10" in tty.getvalue()
