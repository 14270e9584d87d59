"""What a story declares for its telling: speakers beside the pilots (HQ's many voices), maps whose
marks move round by round, chapter title cards, and the words per ending and per playthrough."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from game.engine.cache import decode_story, encode_story
from game.engine.loader import check_story, load_story
from game.engine.model import Marker
from game.engine.runtime import Engine
from game.engine.stats import playthrough_words, story_stats
from tests.conftest import write

MANIFEST = """
    id: voices
    title: Voices
    start: office
    chapters:
      - {number: 1, title: "The Office"}
      - {number: 2, title: "The Field"}
    pilots:
      - {id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}
      - {id: kestrel, callsign: Kestrel, name: Petra Valcu, role: Scout}
    speakers:
      - {id: vasseur, tag: "Vasseur", notes: "The Colonel in person."}
      - {id: bulletin, tag: "Bulletin"}
      - {id: memo, tag: "Memo", voice: narration}
    endings:
      - {id: end_home, title: "Home", text: "You go home."}
"""

SCENES = """
    chapter: 1
    scenes:
      - id: office
        title: The Office
        radio:
          - vasseur: "Major. Sit."
          - bulletin: "Citizens of the eighty-five sectors."
          - memo: "Copy to file."
          - hq: "Supervise and log."
        orders:
          - say: "Go."
            goto: field
      - id: field
        chapter: 2
        title: The Field
        map: sector_4
        markers:
          - {at: [1, 4], kind: squad}
        engagement:
          danger: 0
          rounds:
            - radio: [{kestrel: "Moving."}]
            - radio: [{kestrel: "At the ford."}]
              markers:
                - {at: [13, 3], kind: squad}
                - {at: [20, 1], kind: legion}
            - radio: [{shin: "Back."}]
          orders:
            - say: "On."
          after: home
      - id: home
        chapter: 2
        title: Home
        radio: [{narration: "Quiet night now."}]
        ending: end_home
"""


@pytest.fixture
def story_dir(tmp_path: Path) -> Path:
    root = tmp_path / "voices"
    write(root / "story.yaml", MANIFEST)
    write(root / "ch1.yaml", SCENES)
    return root


def test_declared_speakers_speak_with_their_own_tags(story_dir: Path) -> None:
    story = load_story(story_dir)
    assert {s.id: (s.tag, s.voice) for s in story.speakers.values()} == {
        "vasseur": ("Vasseur", "hq"),
        "bulletin": ("Bulletin", "hq"),
        "memo": ("Memo", "narration"),
    }
    heard = [(line.speaker, line.tag, line.kind) for line in Engine.new(story, 1).radio()]
    assert heard == [
        ("vasseur", "VASSEUR", "hq"),
        ("bulletin", "BULLETIN", "hq"),
        ("memo", "MEMO", "narration"),
        ("hq", "HQ", "hq"),
    ]
    again = decode_story(encode_story(story, "k"), story_dir)
    assert dict(again.speakers) == dict(story.speakers)


def test_line_mode_names_a_declared_speaker_by_its_tag(story_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "game", "play", "--plain", "--seed", "1", str(story_dir)],
        input="quit\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Vasseur: Major. Sit." in done.stdout
    assert "Bulletin: Citizens of the eighty-five sectors." in done.stdout
    assert "Memo: Copy to file." in done.stdout


@pytest.mark.parametrize(
    ("old", "new", "code", "needle"),
    [
        (
            '- {id: memo, tag: "Memo", voice: narration}',
            '- {id: memo, tag: "Memo", voice: pilot}',
            "E013",
            "voice must be one of hq, narration, lena",
        ),
        (
            '- {id: memo, tag: "Memo", voice: narration}',
            '- {id: kestrel, tag: "Memo"}',
            "E020",
            "'kestrel' is already a pilot",
        ),
        (
            '- {id: memo, tag: "Memo", voice: narration}',
            '- {id: hq, tag: "Memo"}',
            "E013",
            "reserved for radio lines",
        ),
        (
            '- {id: memo, tag: "Memo", voice: narration}',
            "- {id: memo}",
            "E011",
            "missing required key 'tag'",
        ),
    ],
)
def test_bad_speakers_are_errors_at_their_place(
    story_dir: Path, old: str, new: str, code: str, needle: str
) -> None:
    manifest = story_dir / "story.yaml"
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new))
    story, diagnostics = check_story(story_dir)
    assert story is None
    found = [d for d in diagnostics if d.code == code and needle in d.message]
    assert found, [str(d) for d in diagnostics]
    assert found[0].mark.line == text[: text.index(old)].count("\n") + 1


def test_a_line_by_an_undeclared_speaker_suggests_the_declared_one(story_dir: Path) -> None:
    scenes = story_dir / "ch1.yaml"
    scenes.write_text(scenes.read_text().replace('- vasseur: "Major. Sit."', '- vaseur: "Sit."'))
    _, diagnostics = check_story(story_dir)
    (error,) = [d for d in diagnostics if d.code == "E031"]
    assert "unknown speaker 'vaseur'; did you mean 'vasseur'?" in error.message


def test_the_marks_on_the_map_move_with_the_rounds(story_dir: Path) -> None:
    engine = Engine.new(load_story(story_dir), 1)
    assert engine.markers() == ()
    engine.choose(0)
    assert engine.state.scene == "field"
    assert engine.markers() == (Marker(1, 4, "squad"),)
    engine.choose(0)  # round 2 sets its own marks
    assert engine.markers() == (Marker(13, 3, "squad"), Marker(20, 1, "legion"))
    engine.choose(0)  # round 3 sets none: the marks of round 2 stay
    assert engine.markers() == (Marker(13, 3, "squad"), Marker(20, 1, "legion"))
    engine.undo()
    engine.undo()
    assert engine.markers() == (Marker(1, 4, "squad"),)


def test_a_chapter_title_card_when_a_chapter_begins(story_dir: Path) -> None:
    engine = Engine.new(load_story(story_dir), 1)
    opening = engine.chapter_opening()
    assert opening is not None and (opening.number, opening.title) == (1, "The Office")
    engine.choose(0)
    opening = engine.chapter_opening()
    assert opening is not None and (opening.number, opening.title) == (2, "The Field")
    engine.choose(0)  # round 2 of the same scene: no card
    assert engine.chapter_opening() is None
    engine.choose(0)
    engine.choose(0)
    assert engine.state.ending == "end_home" and engine.chapter_opening() is None


def test_words_per_ending_scene_and_per_playthrough(story_dir: Path) -> None:
    story = load_story(story_dir)
    data = story_stats(story)
    assert data["per_ending"] == {"home": {"ending": "end_home", "words": 3 + 4}}
    words = playthrough_words(story, runs=5)
    # Every game is the same: the office's four lines (13 words), "Go.", Kestrel twice and
    # Shin (5), "On." three times, home's line (3) and the ending (4).
    assert words == {"random": {"min": 13 + 1 + 5 + 3 + 3 + 4, "median": 29, "max": 29}}


def test_orders_with_a_consequence_seen_later_are_counted_by_kind(tmp_path: Path) -> None:
    from game.engine.consequences import consequences

    root = tmp_path / "c"
    write(
        root / "story.yaml",
        """
        id: c
        title: C
        start: a
        variables:
          - {name: kind, type: bool, default: false}
          - {name: quiet, type: bool, default: false}
          - {name: trust, type: int, default: 1, min: 0, max: 5}
        pilots:
          - {id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}
        evidence:
          - {id: ev_a, title: A, text: a, source: radio}
        endings:
          - {id: end, title: End}
        """,
    )
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - {say: "Route.", goto: c}
              - {say: "Remembered.", effects: {set: {kind: true}}, goto: b}
              - {say: "Forgotten.", effects: {set: {quiet: true}, add: {trust: 1}}, goto: b}
              - {say: "Record.", effects: {reveal: ev_a}, goto: b}
              - {say: "Name.", effects: {learn: shin}, goto: b}
          - id: b
            title: B
            radio:
              - {narration: "Kindly.", if: kind}
            orders:
              - {say: "On.", goto: c}
          - id: c
            title: C
            ending: end
        """,
    )
    counted = consequences(load_story(root))
    # "Route." alone leads to c; "On." is b's only order; "Forgotten." sets a flag nothing
    # reads elsewhere and moves a meter, which does not count.
    assert (counted.total, counted.seen) == (6, 4)
    assert counted.by_kind == {"route": 1, "record": 2, "remembered": 1}
    assert counted.without == [("a", "Forgotten."), ("b", "On.")]


def test_a_pilot_in_reserve_joins_the_roster_when_brought_in(tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(
        root / "story.yaml",
        """
        id: r
        title: R
        start: a
        pilots:
          - {id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}
          - {id: wren, callsign: Wren, name: Ada Wren, role: Pilot, status: reserve}
        endings:
          - {id: end, title: End}
        """,
    )
    write(
        root / "ch1.yaml",
        """
        chapter: 1
        scenes:
          - id: a
            title: A
            orders:
              - {say: "Count.", if: "alive_count() == 1 and not alive(wren)", goto: b}
          - id: b
            title: B
            enter: {status: {wren: active}}
            radio: [{wren: "Wren, reporting."}]
            orders:
              - {say: "Welcome.", if: "alive_count() == 2", goto: c}
          - id: c
            title: C
            ending: end
        """,
    )
    engine = Engine.new(load_story(root), 1)
    assert [p.id for p in engine.squad()] == ["shin"]
    assert engine.fallen_count() == 0
    engine.choose(0)
    assert [p.id for p in engine.squad()] == ["shin", "wren"]
    engine.choose(0)
    assert engine.state.ending == "end"
