"""Saves survive story edits: what a save resumes as after each kind of edit, and how far undo
then reaches back.

Each test plays a game of a small story, saves it, edits the story in one way, and loads the
save in the edited story. The oracle is the game as it was played: the states after each of its
orders, their scene ids renamed as the edit renamed them. README's "Saves survive story edits"
names these tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from game.engine import savefile
from game.engine.loader import load_story
from game.engine.model import Story
from game.engine.runtime import Engine
from game.engine.saves import SaveError, SaveStore
from game.engine.state import GameState
from tests.conftest import write

STORY = """
id: edits
title: Edits
start: desk
chapters: [{number: 1, title: One}]
variables:
  - {name: read_manual, type: bool, default: false}
  - {name: asked, type: bool, default: false}
  - {name: trust, type: int, default: 1, min: 0, max: 9}
pilots:
  - {id: shin, callsign: Undertaker, name: Shinei Nouzen, role: Captain}
  - {id: kestrel, callsign: Kestrel, name: Petra Valcu, role: Pilot}
endings:
  - {id: end, title: End}
"""

SCENES = """
chapter: 1
scenes:
  - id: desk
    title: The Desk
    radio: [{narration: "A desk."}]
    orders:
      - say: "Open the link."
        words: [open, link]
        goto: radio
      - say: "Read the manual."
        words: [read, manual]
        if: not read_manual
        effects: {set: {read_manual: true}}
        goto: desk
      - say: "Ask about the Handlers."
        words: [ask, handlers]
        if: not asked
        effects: {set: {asked: true}, add: {trust: 1}}
        goto: desk
  - id: radio
    title: The Link
    radio: [{shin: "Handler One."}]
    orders:
      - say: "Report."
        words: [report]
        goto: patrol
      - say: "What's your name?"
        words: [name]
        effects: {learn: shin, add: {trust: 2}}
        goto: patrol
  - id: patrol
    title: Patrol
    radio: [{hq: "Contacts."}]
    engagement:
      danger: 1
      at_risk: [kestrel]
      rounds:
        - radio: [{kestrel: "Contact."}]
        - radio: [{shin: "Breaking off."}]
      orders:
        - say: "Follow Undertaker."
          words: [follow]
          heeds: true
        - say: "Hold."
          words: [hold]
      after:
        - goto: quiet
  - id: quiet
    title: Quiet
    radio: [{narration: "Quiet."}]
    orders:
      - say: "Sign off."
        words: [sign]
        goto: end
  - id: end
    title: End
    radio: [{narration: "End."}]
    ending: end
"""

PLAYED = ["read", "ask", "open", "name", "follow"]  # desk, desk, desk, radio, patrol -> patrol#2


class Edited:
    """A writable copy of the story: `edit` replaces text in its scene file and loads it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        write(root / "story.yaml", STORY)
        write(root / "ch1.yaml", SCENES)

    def edit(self, *changes: tuple[str, str]) -> Story:
        path = self.root / "ch1.yaml"
        text = path.read_text(encoding="utf-8")
        for old, new in changes:
            assert old in text, old
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
        return load_story(self.root)


@pytest.fixture
def edited(tmp_path: Path) -> Edited:
    return Edited(tmp_path / "story")


@pytest.fixture
def store(tmp_path: Path) -> SaveStore:
    return SaveStore(tmp_path / "saves")


def played(story: Story, words: list[str] = PLAYED) -> tuple[Engine, list[GameState]]:
    """A game of `story` given `words`, and the state before each order and after the last."""
    engine = Engine.new(story, 5)
    states = [engine.state.copy()]
    for word in words:
        assert engine.choose_text(word).ok, word
        states.append(engine.state.copy())
    return engine, states


def renamed(state: GameState, names: dict[str, str]) -> GameState:
    """`state` with its scene ids renamed by `names` (the oracle for a renaming edit)."""
    text = json.dumps(state.to_dict())
    for old, new in names.items():
        text = text.replace(f'"{old}"', f'"{new}"').replace(f'"{old}#', f'"{new}#')
    return GameState.from_dict(json.loads(text))


def same_game(now: GameState, then: GameState) -> None:
    """The same game, whatever the log calls its orders (an edit may move or rename them) and
    whether it still replays."""
    ignored = ("log", "log_ids", "log_replays")
    assert {k: v for k, v in now.to_dict().items() if k not in ignored} == {
        k: v for k, v in then.to_dict().items() if k not in ignored
    }
    assert len(now.log) == len(then.log)


def undo_all(engine: Engine, history: list[GameState]) -> None:
    """Undo takes the game back one order at a time through `history`, to the start."""
    for before in reversed(history[:-1]):
        assert engine.can_undo and engine.undo()
        same_game(engine.state, before)
    assert not engine.can_undo and not engine.undo()


# --- the guarantees, one edit at a time --------------------------------------------------------


def test_a_renamed_scene_resumes_where_it_was_saved_and_undo_reaches_the_start(
    edited: Edited, store: SaveStore
) -> None:
    engine, history = played(load_story(edited.root))
    assert engine.state.scene == "patrol#2"
    store.save("mine", engine)
    names = {"patrol": "sweep", "radio": "link"}
    story = edited.edit(
        ("id: patrol", "id: sweep"),
        ("goto: patrol", "goto: sweep"),
        ("id: radio", "id: link"),
        ("goto: radio", "goto: link"),
    )
    loaded = store.load("mine", story)
    # The log passes through both scenes: the replay finds them under their new ids, so the game
    # resumes exactly as saved, under those ids, and nothing is lost.
    assert loaded.message == "The story has changed since this save."
    assert loaded.engine.state == renamed(engine.state, names)
    undo_all(loaded.engine, [renamed(state, names) for state in history])


def test_a_renamed_scene_the_game_stands_in_is_found_by_replaying_into_it(
    edited: Edited, store: SaveStore
) -> None:
    engine, history = played(load_story(edited.root), [*PLAYED, "follow"])
    assert engine.state.scene == "quiet"  # a scene the log has not given an order in yet
    store.save("mine", engine)
    story = edited.edit(("id: quiet", "id: calm"), ("goto: quiet", "goto: calm"))
    loaded = store.load("mine", story)
    assert loaded.message == (
        "The story has changed since this save (scene 'quiet' no longer exists); replayed its "
        "6 orders and resumed at Chapter 1 · One · Quiet."
    )
    assert loaded.engine.state == renamed(engine.state, {"quiet": "calm"})
    undo_all(loaded.engine, [renamed(state, {"quiet": "calm"}) for state in history])


def test_a_renamed_scene_behind_the_game_resumes_as_saved_and_undo_reaches_the_start(
    edited: Edited, store: SaveStore
) -> None:
    engine, history = played(load_story(edited.root))
    store.save("mine", engine)
    story = edited.edit(("id: radio", "id: link"), ("goto: radio", "goto: link"))
    loaded = store.load("mine", story)
    assert loaded.message == "The story has changed since this save."
    assert loaded.engine.state.log[3] == ("link", 1)  # the log names the scene as it is now
    same_game(loaded.engine.state, renamed(engine.state, {"radio": "link"}))
    undo_all(loaded.engine, [renamed(state, {"radio": "link"}) for state in history])


def test_reordered_orders_are_found_by_what_they_say(edited: Edited, store: SaveStore) -> None:
    engine, history = played(load_story(edited.root))
    store.save("mine", engine)
    ask = (
        '      - say: "Ask about the Handlers."\n'
        "        words: [ask, handlers]\n"
        "        if: not asked\n"
        "        effects: {set: {asked: true}, add: {trust: 1}}\n"
        "        goto: desk\n"
    )
    opening = '    orders:\n      - say: "Open'
    story = edited.edit(
        (ask, ""), (opening, opening.replace("    orders:\n", f"    orders:\n{ask}"))
    )
    assert [o.words[0] for o in story.scenes["desk"].orders] == ["ask", "open", "read"]
    loaded = store.load("mine", story)
    assert loaded.message == "The story has changed since this save."
    assert loaded.engine.state.log[:3] == [("desk", 2), ("desk", 0), ("desk", 1)]
    same_game(loaded.engine.state, engine.state)
    undo_all(loaded.engine, history)


def test_an_order_whose_text_was_edited_is_found_by_its_words(
    edited: Edited, store: SaveStore
) -> None:
    engine, history = played(load_story(edited.root))
    store.save("mine", engine)
    story = edited.edit(('"What\'s your name?"', '"Before anything else: your name?"'))
    loaded = store.load("mine", story)
    assert loaded.message == "The story has changed since this save."
    assert loaded.engine.state.log[3] == ("radio", 1)
    undo_all(loaded.engine, history)


def test_a_removed_order_resumes_as_saved_and_undo_stops_at_the_load(
    edited: Edited, store: SaveStore
) -> None:
    engine, _ = played(load_story(edited.root))
    store.save("mine", engine)
    story = edited.edit(
        (
            '      - say: "Ask about the Handlers."\n'
            "        words: [ask, handlers]\n"
            "        if: not asked\n"
            "        effects: {set: {asked: true}, add: {trust: 1}}\n"
            "        goto: desk\n",
            "",
        )
    )
    loaded = store.load("mine", story)
    assert loaded.message == (
        "The story has changed since this save: order 2 of its log is not an order of 'desk'. "
        "It resumes as saved; undo cannot reach back past this load."
    )
    same_game(loaded.engine.state, engine.state)
    assert not loaded.engine.can_undo and not loaded.engine.undo()
    # Orders given after the load are taken back as usual; the load is as far as undo goes.
    assert loaded.engine.choose_text("follow").ok
    assert loaded.engine.undo() and not loaded.engine.can_undo
    # Saved again, the game says nothing more about it: it was said once, at that load.
    store.save("again", loaded.engine)
    again = store.load("again", story)
    assert again.message is None and not again.engine.can_undo


def test_a_removed_order_behind_a_renamed_scene_resumes_where_the_replay_stops(
    edited: Edited, store: SaveStore
) -> None:
    engine, history = played(load_story(edited.root))
    store.save("mine", engine)
    story = edited.edit(
        ("id: patrol", "id: sweep"),
        ("goto: patrol", "goto: sweep"),
        ('say: "What\'s your name?"\n        words: [name]', 'say: "Who?"\n        words: [who]'),
    )
    loaded = store.load("mine", story)
    assert loaded.message == (
        "The story has changed since this save (scene 'patrol#2' no longer exists); replayed 3 "
        "of 5 orders and resumed at Chapter 1 · One · The Link."
    )
    same_game(loaded.engine.state, history[3])
    undo_all(loaded.engine, history[:4])


def test_a_save_from_before_identities_finds_its_orders_by_their_place(
    edited: Edited, store: SaveStore
) -> None:
    """A format-2 save keeps no identities: in an edited story its orders are found where they
    were, as the game did before format 3."""
    unedited = load_story(edited.root)
    engine, history = played(unedited)
    store.save("mine", engine)
    _as_format_2(store.path("mine"))
    story = edited.edit(("id: radio", "id: link"), ("goto: radio", "goto: link"))
    loaded = store.load("mine", story)
    # The renamed scene cannot be recognised without identities: undo stops at the load, and
    # the visit to the scene under its old id is forgotten.
    assert "undo cannot reach back past this load" in (loaded.message or "")
    assert loaded.engine.state.visits == {"desk": 3, "patrol": 1}
    same_game(
        loaded.engine.state, msgspec.structs.replace(engine.state, visits={"desk": 3, "patrol": 1})
    )
    # In the story it was made with, its log replays by place and gains its identities.
    store.save("mine2", engine)
    _as_format_2(store.path("mine2"))
    loaded = store.load("mine2", unedited)
    assert loaded.message is None and all(loaded.engine.state.log_ids)
    undo_all(loaded.engine, history)


# --- a damaged order log ------------------------------------------------------------------------


def _resigned(path: Path, change: Callable[[dict], None]) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    doc["checksum"] = savefile.checksum(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda log: log.__setitem__(3, ["radio", 7]),
            "order 4 of its log is order 8 of 'radio', which has 2 orders",
        ),
        (
            lambda log: log.__delitem__(2),
            "order 3 of its log was given in 'radio', where the orders before it no longer lead",
        ),
        (
            lambda log: log.__delitem__(4),
            "its orders lead to 'patrol', not to 'patrol#2' where the game stands",
        ),
        (
            lambda log: log.__setitem__(0, ["nowhere", 0]),
            "order 1 of its log was given in 'nowhere', where the orders before it no longer lead",
        ),
    ],
)
def test_an_order_log_that_does_not_lead_to_its_game_is_said_in_one_line_and_undo_stops(
    edited: Edited, store: SaveStore, change: Callable[[list], None], problem: str
) -> None:
    story = load_story(edited.root)
    engine, _ = played(story)
    store.save("mine", engine)

    def damage(doc: dict) -> None:
        log, ids = doc["state"]["log"], doc["state"]["log_ids"]
        change(log)
        del ids[len(log) :]
        ids[:] = [""] * len(log)

    _resigned(store.path("mine"), damage)
    loaded = store.load("mine", story)
    assert loaded.message == (
        f"This save's order log does not fit its game: {problem}. It resumes as saved; undo "
        "cannot reach back past this load."
    )
    assert loaded.engine.state.scene == "patrol#2"
    # Undo never skips a scene: it does not reach back past the load at all.
    assert not loaded.engine.can_undo and not loaded.engine.undo()


def test_an_order_log_and_its_identities_of_different_lengths_are_refused(
    edited: Edited, store: SaveStore
) -> None:
    story = load_story(edited.root)
    store.save("mine", played(story)[0])
    _resigned(store.path("mine"), lambda doc: doc["state"]["log_ids"].pop())
    with pytest.raises(SaveError) as caught:
        store.load("mine", story)
    assert str(caught.value) == (
        "save 'mine': the save is damaged (state.log_ids: has 4 entries where state.log has 5)"
    )


# --- helpers ------------------------------------------------------------------------------------


def _as_format_2(path: Path) -> None:
    """Rewrite a save as format 2 wrote it: no identities, no numbers, no replay flag."""

    def back(doc: dict) -> None:
        doc["format_version"] = 2
        for key in ("log_ids", "log_replays", "numbers"):
            del doc["state"][key]

    _resigned(path, back)
