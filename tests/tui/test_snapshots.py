"""SVG snapshots of every screen at 80x24, and the console at 120x40.

Deterministic: a seeded game, instant text, no cursor blink, a save store whose saves are all dated
the same, and waits on conditions rather than on time. Update with
`pytest tests/tui/test_snapshots.py --snapshot-update` after checking the report.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from game.tui.screens.confirm import ConfirmScreen

from .helpers import dismiss_card, is_screen, make_app, radio, wait_for

Steps = Callable[[Pilot], Awaitable[None]]


async def _console(pilot: Pilot) -> None:
    await wait_for(pilot, is_screen(pilot.app, "TitleScreen"), "the title")
    await pilot.press("n")
    await dismiss_card(pilot)
    await wait_for(pilot, lambda: not radio(pilot.app).busy, "the radio")


def _then(*keys: str, screen: str) -> Steps:
    async def steps(pilot: Pilot) -> None:
        await _console(pilot)
        await pilot.press(*keys)
        await wait_for(pilot, is_screen(pilot.app, screen), screen)
        await pilot.pause()

    return steps


def _snap(snap_compare, tmp_path: Path, steps: Steps | None, size=(80, 24)) -> bool:  # noqa: ANN001
    app = make_app(tmp_path, saves="fixed")
    return snap_compare(app, terminal_size=size, run_before=steps)


def test_title(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    async def steps(pilot: Pilot) -> None:
        await wait_for(pilot, is_screen(pilot.app, "TitleScreen"), "the title")

    assert _snap(snap_compare, tmp_path, steps)


def test_console(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    assert _snap(snap_compare, tmp_path, _console)


def test_console_in_an_engagement(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    async def steps(pilot: Pilot) -> None:
        await _console(pilot)
        await pilot.press("2", "1")
        await wait_for(pilot, lambda: "Pull left" in "\n".join(radio(pilot.app).plain_lines))

    assert _snap(snap_compare, tmp_path, steps)


def test_console_large(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    assert _snap(snap_compare, tmp_path, _console, size=(120, 40))


def test_dossier(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    async def steps(pilot: Pilot) -> None:
        await _console(pilot)
        await pilot.press("2")
        await wait_for(pilot, lambda: pilot.app.session.engine.scene.id == "fight")
        await pilot.press("d")
        await wait_for(pilot, is_screen(pilot.app, "DossierScreen"), "the dossier")

    assert _snap(snap_compare, tmp_path, steps)


def test_save(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    async def steps(pilot: Pilot) -> None:
        await _console(pilot)
        app = pilot.app
        app.session.saves.store.save("before the raid", app.session.engine, 0)
        await pilot.press("ctrl+s")
        await wait_for(pilot, is_screen(pilot.app, "SaveScreen"), "the save screen")

    assert _snap(snap_compare, tmp_path, steps)


def test_load(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    async def steps(pilot: Pilot) -> None:
        await _console(pilot)
        app = pilot.app
        app.session.saves.store.save("before the raid", app.session.engine, 0)
        app.session.saves.store.quicksave(app.session.engine, 0)
        await pilot.press("l")
        await wait_for(pilot, is_screen(pilot.app, "LoadScreen"), "the load screen")

    assert _snap(snap_compare, tmp_path, steps)


def test_load_with_damaged_saves(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    """Saves that cannot be loaded are listed after the others, dimmed, each with its reason."""

    async def steps(pilot: Pilot) -> None:
        await _console(pilot)
        app = pilot.app
        store = app.session.saves.store
        store.save("before the raid", app.session.engine, 0)
        store.save("cut short", app.session.engine, 0)
        path = store.path("cut short")
        path.write_bytes(path.read_bytes()[:120])
        (store.directory / "notes.json").write_text('{"todo": "not a save"}', encoding="utf-8")
        await pilot.press("l")
        await wait_for(pilot, is_screen(pilot.app, "LoadScreen"), "the load screen")

    assert _snap(snap_compare, tmp_path, steps)


def test_confirm(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    async def steps(pilot: Pilot) -> None:
        await _console(pilot)
        pilot.app.push_screen(ConfirmScreen("Overwrite the save 'before the raid'?", "Overwrite"))
        await wait_for(pilot, is_screen(pilot.app, "ConfirmScreen"), "the question")

    assert _snap(snap_compare, tmp_path, steps)


def test_settings(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    async def steps(pilot: Pilot) -> None:
        await wait_for(pilot, is_screen(pilot.app, "TitleScreen"), "the title")
        await pilot.press("s")
        await wait_for(pilot, is_screen(pilot.app, "SettingsScreen"), "settings")

    assert _snap(snap_compare, tmp_path, steps)


def test_help(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    assert _snap(snap_compare, tmp_path, _then("question_mark", screen="HelpScreen"))


def test_glossary(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    async def steps(pilot: Pilot) -> None:
        await _then("g", screen="GlossaryScreen")(pilot)
        # The filter takes the focus (and draws its cursor) a moment after the screen opens:
        # under load the snapshot was taken before it.
        await wait_for(
            pilot, lambda: getattr(pilot.app.focused, "id", None) == "glossary-filter", "focus"
        )
        await pilot.pause()

    assert _snap(snap_compare, tmp_path, steps)


def test_pause_menu(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    assert _snap(snap_compare, tmp_path, _then("escape", screen="PauseMenu"))


def test_ending(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    async def steps(pilot: Pilot) -> None:
        await _console(pilot)
        await pilot.press("2", "1", "1", "1")
        await wait_for(pilot, lambda: pilot.app.session.engine.ending is not None)
        await pilot.press("enter")
        await wait_for(pilot, is_screen(pilot.app, "EndingScreen"), "the ending")

    assert _snap(snap_compare, tmp_path, steps)


def test_high_contrast_console(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    app = make_app(tmp_path, saves="fixed", theme="handler-high-contrast")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_console)


def _chapters_snap(snap_compare, tmp_path: Path, steps: Steps, size=(80, 24)) -> bool:  # noqa: ANN001
    from .helpers import FIXTURES

    app = make_app(tmp_path, saves="fixed", story_path=FIXTURES / "tui_chapters")
    return snap_compare(app, terminal_size=size, run_before=steps)


def test_chapter_card(snap_compare, tmp_path: Path) -> None:  # noqa: ANN001
    from .helpers import card_showing

    async def steps(pilot: Pilot) -> None:
        await pilot.press("n")
        await wait_for(pilot, lambda: card_showing(pilot.app), "the card")
        await pilot.pause()

    assert _chapters_snap(snap_compare, tmp_path, steps)


def test_hq_voices_and_a_map_that_moved_with_fourteen_pilots_declared(
    snap_compare,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    """HQ's four declared voices and Lena's line in their styles, then the ford's second round:
    the squad moved west on the map (80x30: thirteen pilots on the roster, one in reserve)."""

    async def steps(pilot: Pilot) -> None:
        await _console(pilot)
        await pilot.press("1", "1")
        await wait_for(pilot, lambda: pilot.app.session.engine.state.scene == "ford#2", "round 2")
        await wait_for(pilot, lambda: not radio(pilot.app).busy, "the radio")
        await pilot.pause()

    assert _chapters_snap(snap_compare, tmp_path, steps, size=(80, 30))
