"""The game session both front ends drive: new games, orders, undo, saves and the autosave
policy (game/session.py's docstring), on the fixture story with a real save folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from game.engine.loader import load_story
from game.engine.model import Story
from game.engine.saves import SaveStore
from game.session import SEEDS, NoGame, SaveFailed, Session, draw_seed, open_saves
from tests.conftest import MINI

_STORY: list[Story] = []


def story() -> Story:
    if not _STORY:
        _STORY.append(load_story(MINI))
    return _STORY[0]


def session(tmp_path: Path, seed: int = 7) -> Session:
    return Session(story(), open_saves(str(tmp_path / "saves")), seed=seed)


def autosaves(tmp_path: Path) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """Every autosave, newest first: (slot, machine state, order log)."""
    store = SaveStore(tmp_path / "saves")
    found = []
    for info in store.list(story()):
        if info.kind == "auto":
            state = store.load(info.slot, story()).engine.state
            found.append((info.slot, state.scene, list(state.log)))
    return found


def states(tmp_path: Path) -> list[str]:
    return [state for _, state, _ in autosaves(tmp_path)]


def test_a_new_game_and_every_order_after_it_are_autosaved(tmp_path: Path) -> None:
    game = session(tmp_path)
    game.new_game()
    assert states(tmp_path) == ["first_contact"]
    for text in ("report", "follow", "follow", "follow"):
        assert game.give_text(text).ok
    assert game.engine.ending is not None
    # The scene, each round of the engagement and the ending: the newest holds every order.
    assert states(tmp_path) == ["end_scene_good", "fight#3", "fight#2", "fight", "first_contact"]
    assert len(autosaves(tmp_path)[0][2]) == 4
    assert not game.unsaved
    assert game.close() is None  # an ended game is not saved again


def test_an_order_not_given_saves_nothing(tmp_path: Path) -> None:
    game = session(tmp_path)
    game.new_game()
    for refused in (game.give(9), game.give_text("fly"), game.give_text("ledger")):
        assert not refused.ok and refused.message and not refused.say
    assert states(tmp_path) == ["first_contact"]


def test_a_given_order_says_what_was_ordered(tmp_path: Path) -> None:
    game = session(tmp_path)
    game.new_game()
    assert game.give_text("ask").say == "What's your name?"
    assert game.give(1).say == "Follow Undertaker."


def test_undo_then_the_same_order_leaves_one_autosave_of_that_scene(tmp_path: Path) -> None:
    game = session(tmp_path)
    game.new_game()
    game.give_text("report")
    game.give_text("follow")
    assert game.undo()
    assert states(tmp_path) == ["fight#2", "fight", "first_contact"]  # undo writes nothing
    assert game.unsaved
    game.give_text("follow")
    assert states(tmp_path) == ["fight#2", "fight", "first_contact"]
    assert len(list((tmp_path / "saves").glob("auto-*.json"))) == 3


def test_quickload_then_the_same_order_leaves_one_autosave_of_that_scene(tmp_path: Path) -> None:
    game = session(tmp_path)
    game.new_game()
    game.quicksave()
    game.give_text("report")
    assert game.quickload().slot == "quick"
    assert states(tmp_path) == ["fight", "first_contact"]  # quickload writes nothing
    assert not game.unsaved
    game.give_text("report")
    assert states(tmp_path) == ["fight", "first_contact"]


def test_a_different_order_to_the_same_scene_still_replaces_it(tmp_path: Path) -> None:
    """The rule is the machine state: another road into the same scene replaces it too."""
    game = session(tmp_path)
    game.new_game()
    game.give_text("report")
    game.undo()
    game.give_text("ask")
    assert states(tmp_path) == ["fight", "first_contact"]
    assert autosaves(tmp_path)[0][2] == [("first_contact", 1)]


def test_continue_after_a_kill_then_undo_and_the_same_order_replaces_the_loaded_autosave(
    tmp_path: Path,
) -> None:
    first = session(tmp_path)
    first.new_game()
    first.give_text("report")
    first.give_text("follow")  # then the process dies: nothing more is written
    again = session(tmp_path)
    resumed = again.continue_game()
    assert resumed is not None and again.engine.state.scene == "fight#2"
    assert again.undo()
    again.give_text("follow")
    assert states(tmp_path) == ["fight#2", "fight", "first_contact"]


def test_leaving_keeps_a_game_that_differs_from_its_last_save(tmp_path: Path) -> None:
    game = session(tmp_path)
    game.new_game()
    game.give_text("report")
    assert game.close() is None  # every order was autosaved: nothing to keep
    game.new_game()
    game.give_text("report")
    game.undo()
    kept = game.close()
    assert kept is not None and not game.playing
    assert autosaves(tmp_path)[0][:3] == (kept.slot, "first_contact", [])
    with pytest.raises(NoGame):
        game.engine  # noqa: B018


def test_a_stop_signal_keeps_the_game_and_says_where(tmp_path: Path) -> None:
    game = session(tmp_path)
    game.new_game()
    game.give_text("report")
    game.undo()
    stop = game.stop(15)
    assert stop.code == 143 and stop.slot == autosaves(tmp_path)[0][0]
    assert (
        stop.message == f"handler-one: stopped by SIGTERM; the game was autosaved as '{stop.slot}'."
    )
    assert game.stop(15).slot is None  # nothing left to keep


def test_a_failed_autosave_is_reported_and_the_game_goes_on(tmp_path: Path) -> None:
    (tmp_path / "saves").write_text("a file where the folder should be")
    heard: list[tuple[str, str]] = []
    game = session(tmp_path)
    game.report = lambda what, why: heard.append((what, why))
    game.new_game()
    assert game.give_text("report").ok
    assert [what for what, _ in heard] == ["Autosave failed", "Autosave failed"]
    assert game.unsaved
    with pytest.raises(SaveFailed) as failed:
        game.save("mine")
    assert failed.value.what == "Save failed" and "\n" not in str(failed.value)


def test_without_saves_the_game_plays_and_saving_says_why(tmp_path: Path) -> None:
    game = Session(story(), seed=3)
    game.new_game()
    assert game.give(1).ok and game.autosave() is None and game.latest() is None
    with pytest.raises(SaveFailed, match="saving is off"):
        game.quicksave()


def test_named_saves_load_with_their_play_time(tmp_path: Path) -> None:
    game = session(tmp_path)
    game.new_game()
    game.give_text("ask")
    assert not game.has_save("mine")
    info = game.save("mine")
    assert game.has_save("mine") and info.slot == "mine"
    game.give_text("follow")
    resumed = game.load("mine")
    assert resumed.slot == "mine" and game.engine.state.scene == "fight"
    assert game.play_seconds >= info.play_seconds
    assert [i.slot for i in game.list_saves()][:1] == ["auto-3"]
    game.delete_save("mine")
    with pytest.raises(SaveFailed, match="no such save"):
        game.load("mine")


def test_the_seed_of_a_new_game_is_drawn_in_one_place(tmp_path: Path) -> None:
    assert draw_seed(42) == 42
    drawn = {draw_seed() for _ in range(20)}
    assert all(SEEDS[0] <= seed < SEEDS[1] for seed in drawn) and len(drawn) > 1
    assert session(tmp_path, seed=42).new_game().state.seed == 42
    unseeded = Session(story())
    assert SEEDS[0] <= unseeded.new_game().state.seed < SEEDS[1]


def test_an_autosave_slot_someone_else_rewrote_is_not_replaced(tmp_path: Path) -> None:
    """Replacing writes over the previous autosave only while its slot still holds what this
    session wrote there (another game saving to the same folder may have taken it)."""
    game = session(tmp_path)
    game.new_game()
    game.give_text("report")
    assert autosaves(tmp_path)[0][:2] == ("auto-2", "fight")
    other = session(tmp_path, seed=8)
    other.new_game()  # into auto-3
    saves = tmp_path / "saves"
    shutil.copyfile(saves / "auto-3.json", saves / "auto-2.json")  # the other game takes auto-2
    game.undo()
    game.give_text("report")
    assert sorted(autosaves(tmp_path)) == [
        ("auto-1", "first_contact", []),
        ("auto-2", "first_contact", []),
        ("auto-3", "first_contact", []),
        ("auto-4", "fight", [("first_contact", 0)]),
    ]


def test_in_a_full_ring_undo_and_the_same_order_keep_all_ten(tmp_path: Path) -> None:
    """The replaced autosave is written over in its own slot and becomes the newest: no other
    autosave is dropped to make room for it."""
    from game.engine.runtime import Engine

    store = SaveStore(tmp_path / "saves")
    for seed in range(100, 109):  # nine autosaves of other games
        store.autosave(Engine.new(story(), seed))
    game = session(tmp_path)
    game.new_game()  # auto-10
    game.give_text("report")  # the ring is full: over the oldest, auto-1
    before = autosaves(tmp_path)
    assert len(before) == 10 and before[0][:2] == ("auto-1", "fight")
    assert game.undo()
    game.give_text("report")
    after = autosaves(tmp_path)
    assert len(after) == 10
    assert after[0] == ("auto-1", "fight", [("first_contact", 0)])
    assert after[1:] == before[1:]


def test_a_new_game_does_not_replace_the_autosave_of_the_last_one(tmp_path: Path) -> None:
    game = session(tmp_path)
    game.new_game()
    game.close()
    game.new_game()  # the same seed, the same first scene: still another game
    assert [slot for slot, _, _ in autosaves(tmp_path)] == ["auto-2", "auto-1"]
