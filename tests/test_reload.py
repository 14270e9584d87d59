"""Live reload: the game carries over to a changed story; the watcher and `play --plain --dev`."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from game.engine.loader import load_story
from game.engine.reload import reload
from game.engine.runtime import Engine
from game.tools.devwatch import DevInput, StoryUpdate, StoryWatcher, check
from tests.conftest import MINI


@pytest.fixture
def story_dir(tmp_path: Path) -> Path:
    root = tmp_path / "story"
    shutil.copytree(MINI, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_reload_keeps_the_game_state(story_dir: Path) -> None:
    engine = Engine.new(load_story(story_dir), 5)
    engine.choose_text("name")  # learn shin, trust +2, go to the fight
    before = engine.state.copy()
    heard: list[str] = []
    engine.add_listener(lambda e: heard.append(e.state.scene))
    edit(story_dir / "ch1.yaml", '"Contacts."', '"Contacts, lots."')
    new, message = reload(engine, load_story(story_dir))
    assert message is None
    assert new is not engine
    assert new.state.scene == before.scene == "fight"
    assert new.state.variables == before.variables
    assert new.state.known == before.known
    assert new.state.log == before.log
    assert "Contacts, lots." in [line.text for line in new.radio()]
    new.choose(0)
    assert heard == ["fight#2"]  # listeners (autosave) moved to the new engine
    assert new.undo() and new.state.scene == "fight"


def test_reload_clamps_and_resets_variables(story_dir: Path) -> None:
    engine = Engine.new(load_story(story_dir), 5)
    engine.state.variables["trust"] = 5
    edit(story_dir / "story.yaml", "default: 1, min: 0, max: 5}", "default: 1, min: 0, max: 3}")
    edit(
        story_dir / "story.yaml",
        "{name: link_closed, type: bool, default: false}",
        "{name: link_closed, type: int, default: 0}",
    )
    edit(story_dir / "ch1.yaml", "{set: {link_closed: true}}", "{set: {link_closed: 1}}")
    new, message = reload(engine, load_story(story_dir))
    assert new.state.variables["trust"] == 3
    assert new.state.variables["link_closed"] == 0
    assert message is not None and "'link_closed' changed type" in message


def test_reload_replays_when_the_scene_is_gone(story_dir: Path) -> None:
    engine = Engine.new(load_story(story_dir), 5)
    engine.choose_text("report")
    assert engine.state.scene == "fight"
    ch1 = story_dir / "ch1.yaml"
    edit(ch1, "  - id: fight\n    title: Riverbed", "  - id: fight_two\n    title: Riverbed")
    edit(ch1, "        goto: fight\n", "        goto: fight_two\n")
    edit(ch1, "        goto: fight\n", "        goto: fight_two\n")
    new, message = reload(engine, load_story(story_dir))
    assert message is not None
    assert "scene 'fight' is gone" in message
    assert "replayed 1 of 1 orders" in message  # "Report status." still leads on: to fight_two
    assert new.state.scene == "fight_two"
    # when the order itself is gone, the replay stops before it
    edit(ch1, '      - say: "Report status."\n', '      - say: "Status report."\n')
    engine2 = Engine.new(load_story(story_dir), 5)
    engine2.choose_text("report")
    edit(ch1, "  - id: fight_two\n", "  - id: fight_three\n")
    edit(ch1, "goto: fight_two\n", "goto: fight_three\n")
    edit(ch1, "goto: fight_two\n", "goto: fight_three\n")
    edit(
        ch1, "        words: [report, sitrep]\n", "        if: trust > 4\n        words: [report]\n"
    )
    new, message = reload(engine2, load_story(story_dir))
    assert message is not None and "replayed 0 of 1 orders" in message
    assert new.state.scene == "first_contact"


def test_reload_when_an_ending_becomes_a_scene_with_orders(story_dir: Path) -> None:
    engine = Engine.new(load_story(story_dir), 5)
    engine.choose_text("close")
    assert engine.ending is not None
    edit(
        story_dir / "ch1.yaml",
        '    radio: [{hq: "You are relieved."}]\n    ending: end_bad',
        '    radio: [{hq: "You are relieved."}]\n    orders: [{say: "Again.", goto: first_contact}]',
    )
    new, message = reload(engine, load_story(story_dir))
    assert new.ending is None
    assert message is not None and "no longer an ending" in message
    assert [v.say for v in new.orders()] == ["Again."]


def test_check_reports_errors_without_raising(story_dir: Path) -> None:
    edit(story_dir / "ch1.yaml", "goto: fight\n", "goto: fihgt\n")
    update = check(story_dir, ["ch1.yaml"])
    assert not update.ok
    assert update.errors and update.errors[0].code == "E030"
    assert update.changed == ("ch1.yaml",)


def _wait(predicate, timeout: float = 15.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_watcher_delivers_updates(story_dir: Path) -> None:
    updates: queue.Queue[StoryUpdate] = queue.Queue()
    watcher = StoryWatcher(story_dir, updates.put, debounce_ms=50)
    watcher.start()
    try:
        edit(story_dir / "ch1.yaml", '"Wind on the link."', '"Rain on the link."')
        update = updates.get(timeout=15)
        assert update.ok and update.story is not None
        assert any(p.endswith("ch1.yaml") for p in update.changed)
        assert _wait(lambda: watcher.poll() is None)
        edit(story_dir / "ch1.yaml", "goto: fight\n", "goto: nowhere\n")
        update = updates.get(timeout=15)
        assert not update.ok and update.errors
    finally:
        watcher.stop()


def test_dev_input_applies_updates_while_waiting(story_dir: Path) -> None:
    read_fd, write_fd = os.pipe()
    source = os.fdopen(read_fd, "r")
    applied: list[StoryUpdate] = []
    watcher = StoryWatcher(story_dir, debounce_ms=50)
    watcher.start()
    try:
        dev = DevInput(source, watcher, applied.append, interval=0.05)
        edit(story_dir / "ch1.yaml", '"Wind on the link."', '"Rain on the link."')

        def type_later() -> None:
            _wait(lambda: bool(applied))
            os.write(write_fd, b"2\nquit\n")
            os.close(write_fd)

        threading.Thread(target=type_later, daemon=True).start()
        assert dev.readline() == "2\n"
        assert applied and applied[0].ok
        assert dev.readline() == "quit\n"
        assert dev.readline() == ""
    finally:
        watcher.stop()
        source.close()


def test_play_plain_dev_reloads_between_inputs(story_dir: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "game", "play", "--plain", "--dev", "--seed", "3", str(story_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)

    threading.Thread(target=pump, daemon=True).start()
    seen = lambda text: any(text in line for line in output)  # noqa: E731
    try:
        assert _wait(lambda: seen("[dev] watching")), output
        assert _wait(lambda: seen("3) Close the link.")), output
        time.sleep(0.5)
        edit(story_dir / "ch1.yaml", "goto: fight\n", "goto: nowhere\n")
        assert _wait(lambda: seen("[dev] the story has 1 error(s)")), output
        assert seen("E030")
        edit(story_dir / "ch1.yaml", "goto: nowhere\n", "goto: fight\n")
        edit(story_dir / "ch1.yaml", '"Close the link."', '"Close the link now."')
        assert _wait(lambda: seen("[dev] story reloaded")), output
        assert _wait(lambda: seen("3) Close the link now.")), output
        assert process.stdin is not None
        process.stdin.write("quit\n")
        process.stdin.flush()
        assert process.wait(timeout=15) == 0
        assert process.stderr is not None
        assert "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
