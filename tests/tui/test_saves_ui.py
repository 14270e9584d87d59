"""Saving and loading from the console: F5/F9, ctrl+s, l, confirmations, autosave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import OptionList

from game.engine import savefile

from .helpers import (
    FixedClockStore,
    is_screen,
    make_app,
    radio_text,
    screen_text,
    start_game,
    wait_for,
)


def notices(app) -> list[str]:  # noqa: ANN001
    return [str(n.message) for n in app._notifications]


async def test_f5_writes_a_quicksave_and_f9_brings_it_back(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await start_game(pilot)
        await pilot.press("f5")
        await wait_for(pilot, lambda: (tmp_path / "saves" / "quick.json").exists(), "quick.json")
        assert any("Quicksaved" in n for n in notices(app))
        await pilot.press("2")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the fight")
        await pilot.press("f9")
        await wait_for(
            pilot, lambda: app.session.engine.scene.id == "first_contact", "the quickload"
        )
        assert "— quickloaded —" in radio_text(app)
        assert not app.session.engine.knows("shin")


async def test_autosave_at_each_order_and_none_before_the_first(tmp_path: Path) -> None:
    """A new game writes nothing until its first order (issue 16: starting the console must
    not push an older game out of the ring); then every order is autosaved."""
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        saves = tmp_path / "saves"
        assert list(saves.glob("auto-*.json")) == []
        await pilot.press("1")
        await wait_for(pilot, lambda: len(list(saves.glob("auto-*.json"))) == 1, "autosave")
        await pilot.press("1")
        await wait_for(pilot, lambda: len(list(saves.glob("auto-*.json"))) == 2, "autosave 2")


async def test_save_to_a_named_slot_then_overwrite_after_confirming(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await start_game(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, is_screen(app, "SaveScreen"), "the save screen")
        name = app.screen.query_one("#save-name")
        assert name.value == "first-contact"  # suggested from the scene
        name.value = "before the fight"
        await pilot.press("enter")
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "saved and closed")
        assert (tmp_path / "saves" / "before the fight.json").exists()
        assert any("Saved to 'before the fight'" in n for n in notices(app))
        await pilot.press("2")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the fight")
        await pilot.press("ctrl+s")
        await wait_for(pilot, is_screen(app, "SaveScreen"), "the save screen")
        assert "before the fight" in screen_text(app)
        app.screen.query_one("#save-name").value = "before the fight"
        await pilot.press("enter")
        await wait_for(pilot, is_screen(app, "ConfirmScreen"), "the overwrite question")
        await pilot.press("n")
        await wait_for(pilot, is_screen(app, "SaveScreen"), "back, nothing written")
        await pilot.press("enter")
        await wait_for(pilot, is_screen(app, "ConfirmScreen"), "asked again")
        await pilot.press("y")
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "overwritten")
        info = app.session.saves.store.info("before the fight", app.session.story)
        assert info.scene_title.startswith("Riverbed")


async def test_a_bad_slot_name_is_one_line(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await start_game(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, is_screen(app, "SaveScreen"), "the save screen")
        app.screen.query_one("#save-name").value = "../escape"
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("bad save name" in n for n in notices(app)), "error")
        assert is_screen(app, "SaveScreen")()
        assert not list((tmp_path / "saves").glob("*escape*"))


async def test_load_screen_loads_and_deletes_after_confirming(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await start_game(pilot)
        app.session.save("alpha")
        await pilot.press("2")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the fight")
        await pilot.press("l")
        await wait_for(pilot, is_screen(app, "LoadScreen"), "the load screen")
        text = screen_text(app)
        assert "alpha" in text and "[autosave]" in text and "First Contact" in text
        slots = app.screen.query_one("#load-slots")
        alpha = next(n for n, i in enumerate(app.screen.infos) if i.slot == "alpha")
        slots.highlighted = alpha
        await pilot.press("delete")
        await wait_for(pilot, is_screen(app, "ConfirmScreen"), "the delete question")
        await pilot.press("escape")
        await wait_for(pilot, is_screen(app, "LoadScreen"), "not deleted")
        assert (tmp_path / "saves" / "alpha.json").exists()
        slots = app.screen.query_one("#load-slots")
        slots.highlighted = alpha
        await pilot.press("enter")
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "loaded")
        assert app.session.engine.scene.id == "first_contact"
        assert "— loaded 'alpha' —" in radio_text(app)
        await pilot.press("l")
        await wait_for(pilot, is_screen(app, "LoadScreen"), "the load screen")
        slots = app.screen.query_one("#load-slots")
        slots.highlighted = next(n for n, i in enumerate(app.screen.infos) if i.slot == "alpha")
        await pilot.press("x")
        await wait_for(pilot, is_screen(app, "ConfirmScreen"), "the delete question")
        await pilot.press("y")
        await wait_for(pilot, is_screen(app, "LoadScreen"), "deleted")
        assert not (tmp_path / "saves" / "alpha.json").exists()
        assert "alpha" not in [i.slot for i in app.screen.infos]


async def test_load_from_the_title_opens_the_console(tmp_path: Path) -> None:
    app = make_app(tmp_path, saves="fixed")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        await pilot.press("2")
        await wait_for(pilot, lambda: app.session.engine.scene.id == "fight", "the fight")
        app.session.save("mine")
        app.to_title()
        await wait_for(pilot, is_screen(app, "TitleScreen"), "the title")
        await pilot.press("l")
        await wait_for(pilot, is_screen(app, "LoadScreen"), "the load screen")
        slots = app.screen.query_one("#load-slots")
        slots.highlighted = next(n for n, i in enumerate(app.screen.infos) if i.slot == "mine")
        await pilot.press("enter")
        await wait_for(pilot, is_screen(app, "ConsoleScreen"), "the console")
        assert app.session.engine.scene.id == "fight"


@pytest.mark.parametrize("key", ["f5", "f9", "ctrl+s", "l"])
async def test_without_saves_the_save_keys_are_disabled(tmp_path: Path, key: str) -> None:
    app = make_app(tmp_path, saves="none")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        bindings = app.screen.active_bindings
        for shown in ("ctrl+s", "f5", "f9", "l"):
            assert not bindings[shown].enabled
        await pilot.press(key)
        await pilot.pause()
        assert is_screen(app, "ConsoleScreen")()
        assert not (tmp_path / "saves").exists()


async def test_a_failing_store_is_a_notification_not_a_crash(tmp_path: Path) -> None:
    class Broken(FixedClockStore):
        def quicksave(self, engine, play_seconds=0.0):  # noqa: ANN001, ANN202
            raise OSError("disk on fire")

    app = make_app(tmp_path, saves="fixed", store=Broken(tmp_path / "saves"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await start_game(pilot)
        await pilot.press("f5")
        await wait_for(pilot, lambda: any("disk on fire" in n for n in notices(app)), "error")
        assert app.is_running


def _autosaved_states(tmp_path: Path) -> list[str]:
    """The machine state each autosave holds, newest first."""
    from game.engine.saves import SaveStore

    from .helpers import story

    store = SaveStore(tmp_path / "saves")
    return [
        store.load(info.slot, story()).engine.state.scene
        for info in store.list(story())
        if info.kind == "auto"
    ]


async def test_the_console_autosaves_by_the_session_policy(tmp_path: Path) -> None:
    """Every order is autosaved, engagement rounds included; an undo or a quickload followed by
    the same order leaves one autosave of the round it leads to, not two."""
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_game(pilot)
        engine = app.session.engine
        await pilot.press("1")
        await wait_for(pilot, lambda: engine.state.scene == "fight", "the fight")
        await pilot.press("f5")
        await wait_for(pilot, lambda: (tmp_path / "saves" / "quick.json").exists(), "quick")
        await pilot.press("1")
        await wait_for(pilot, lambda: engine.state.scene == "fight#2", "round 2")
        assert _autosaved_states(tmp_path) == ["fight#2", "fight"]
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: engine.state.scene == "fight", "the undo")
        await pilot.press("1")
        await wait_for(pilot, lambda: engine.state.scene == "fight#2", "round 2 again")
        assert _autosaved_states(tmp_path) == ["fight#2", "fight"]
        await pilot.press("f9")
        await wait_for(pilot, lambda: "— quickloaded —" in radio_text(app), "the quickload")
        assert app.session.engine.state.scene == "fight"
        await pilot.press("1")
        await wait_for(pilot, lambda: app.session.engine.state.scene == "fight#2", "round 2")
        assert _autosaved_states(tmp_path) == ["fight#2", "fight"]


def _resign(path: Path, change) -> None:  # noqa: ANN001
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    doc["checksum"] = savefile.checksum(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


async def test_the_load_screen_shows_damaged_saves_dimmed_with_their_reason(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await start_game(pilot)
        for slot in ("good", "cut", "typed"):
            app.session.save(slot)
        saves = tmp_path / "saves"
        (saves / "cut.json").write_bytes((saves / "cut.json").read_bytes()[:200])
        _resign(saves / "typed.json", lambda d: d["state"]["variables"].update(trust="plenty"))
        (saves / "alien.json").write_text('{"not": "a save"}', encoding="utf-8")
        await pilot.press("l")
        await wait_for(pilot, is_screen(app, "LoadScreen"), "the load screen")
        screen = app.screen
        # Loadable saves first; then each damaged one, by name, with load's own reason.
        assert "good" in [i.slot for i in screen.infos]
        assert {"cut", "typed", "alien"}.isdisjoint(i.slot for i in screen.infos)
        reasons = {save.slot: save.reason for save in screen.unreadable}
        assert reasons == {
            "typed": "the save is damaged (variable 'trust' holds text where this story keeps a "
            "whole number)",
            "alien": "this is not a Handler One save",
            "cut": reasons["cut"],
        }
        assert reasons["cut"].startswith("the file is damaged or truncated (bad JSON at line")
        text = screen_text(app)
        for slot, reason in reasons.items():
            assert f"{slot}  [cannot be loaded]" in text
            assert reason[:40] in text
        # Dimmed: every character of a damaged row is drawn in the theme's disabled colour.
        slots = screen.query_one("#load-slots", OptionList)
        for n in range(len(screen.infos), slots.option_count):
            prompt = slots.get_option_at_index(n).prompt
            assert all("$foreground-disabled" in str(span.style) for span in prompt.spans)
        # Choosing one says why it cannot be loaded and loads nothing; it can be deleted.
        slots.highlighted = len(screen.infos) + [s.slot for s in screen.unreadable].index("typed")
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("'typed' cannot be loaded" in n for n in notices(app)))
        assert is_screen(app, "LoadScreen")()
        await pilot.press("delete")
        await wait_for(pilot, is_screen(app, "ConfirmScreen"), "the delete question")
        await pilot.press("y")
        await wait_for(pilot, is_screen(app, "LoadScreen"), "deleted")
        assert not (saves / "typed.json").exists()
        assert "typed" not in [s.slot for s in app.screen.unreadable]
