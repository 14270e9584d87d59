"""Blessed transcripts (`handler-one test`): a transcript that no longer matches fails with a
diff, `--bless` accepts it, a hand-written one is filled in, and the shipped story's
transcripts match and reach every ending."""

from __future__ import annotations

import io
import shutil
from argparse import Namespace
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from game.engine.loader import load_story
from game.tools import blessed
from game.tools.test import run
from tests.test_verify import fight_story

ROOT = Path(__file__).resolve().parents[1]


def args(story: Path, **given: object) -> Namespace:
    values: dict[str, object] = {
        "story": str(story),
        "bless": False,
        "only": [],
        "record_endings": False,
        "record": None,
        "seed": 0,
        "typed": [],
        "seconds": 30.0,
    }
    values.update(given)
    return Namespace(**values)


def run_test(story: Path, **given: object) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = run(args(story, **given))
    return code, out.getvalue()


def test_a_transcript_that_no_longer_matches_fails_with_a_diff_until_blessed(
    tmp_path: Path,
) -> None:
    root = fight_story(tmp_path / "story")
    assert run_test(root, record_endings=True)[0] == 0
    [path] = blessed.transcripts_in(root)
    assert "reaches end_done" in path.read_text(encoding="utf-8")
    code, out = run_test(root)
    assert code == 0 and "ok: 1 transcript(s), 0 changed" in out
    scenes = root / "ch1.yaml"
    scenes.write_text(
        scenes.read_text(encoding="utf-8").replace("That was close.", "Closer than that."),
        encoding="utf-8",
    )
    code, out = run_test(root)
    assert code == 1
    assert "-Kestrel: That was close." in out and "+Kestrel: Closer than that." in out
    assert "--bless" in out
    assert run_test(root, bless=True)[0] == 0
    assert run_test(root)[0] == 0
    assert "Closer than that." in path.read_text(encoding="utf-8")
    assert blessed.read(path).note == "reaches end_done"  # the header survives blessing


def test_a_hand_written_transcript_is_filled_in_by_blessing(tmp_path: Path) -> None:
    root = fight_story(tmp_path / "story")
    path = root / "transcripts" / "by_hand.transcript"
    path.parent.mkdir()
    path.write_text("# seed: 3\n> 1\n> look\n> 1\n> 1\n", encoding="utf-8")
    assert run_test(root)[0] == 1  # nothing below the prompts yet
    assert run_test(root, bless=True)[0] == 0
    written = blessed.read(path)
    assert written.typed == ["1", "look", "1", "1"] and written.seed == 3
    assert "ENDING: Done" in written.expected
    assert run_test(root)[0] == 0


def test_a_recorded_transcript_reads_back_what_was_typed(tmp_path: Path) -> None:
    root = fight_story(tmp_path / "story")
    code, _ = run_test(root, record="short", seed=5, typed=["1", "squad"])
    assert code == 0
    written = blessed.read(root / "transcripts" / "short.transcript")
    assert written.typed == ["1", "squad"]  # the input ran out: the last prompt is not a line
    assert run_test(root)[0] == 0


BAD = {
    "no seed": "> 1\n",
    "seed not a number": "# seed: seven\n> 1\n",
    "seed negative": "# seed: -1\n",
    "set without value": "# seed: 1\n# set: trust\n",
    "set of no variable": "# seed: 1\n# set: nothing=3\n",
    "unknown warp": "# seed: 1\n# warp: nowhere\n",
    "empty": "",
    "binary": "\x00\xff\x00",
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_broken_transcript_is_named_never_a_traceback(tmp_path: Path, case: str) -> None:
    root = fight_story(tmp_path / "story")
    path = root / "transcripts" / "bad.transcript"
    path.parent.mkdir()
    path.write_bytes(BAD[case].encode("utf-8", "surrogateescape"))
    code, out = run_test(root)
    assert code == 1
    assert f"{path}: cannot run" in out and "Traceback" not in out


def test_the_shipped_transcripts_match_and_reach_every_ending(tmp_path: Path) -> None:
    copy = tmp_path / "scenes"
    shutil.copytree(ROOT / "scenes", copy)
    code, out = run_test(copy)
    assert code == 0, out + "\n(run 'handler-one test --bless' if the story's text changed)"
    story = load_story(copy)
    reached = {blessed.read(p).note.removeprefix("reaches ") for p in blessed.transcripts_in(copy)}
    assert reached >= set(story.endings), "handler-one test --record-endings writes the missing"
    for path in blessed.transcripts_in(copy):
        title = story.endings[blessed.read(path).note.removeprefix("reaches ")].title
        assert f"ENDING: {title}" in path.read_text(encoding="utf-8")
