"""`handler-one serve`: the console in a browser, one game and one save folder per player.

The browser test drives the system's Chromium (Debian's `chromium`, which `make test` installs)
with Playwright: Playwright's wheel carries its own driver, so nothing is downloaded, and its
browser contexts are separate cookie jars, i.e. separate players. The load test speaks the
page's websocket protocol directly, as twenty browsers would, since twenty Chromiums would
measure Chromium rather than the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.engine.saves import SaveStore
from game.serve import (
    COOKIE,
    COOKIE_AGE,
    ID_PATTERN,
    forget_old_players,
    new_player_id,
    player_folder,
)
from tests.serving import Served, children, rss_kib, screen_text, serve, wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GAME_DEADLINE = 60.0
"""Seconds a step of a game may take on a loaded two-core machine (a deadline, not a timing)."""
CONNECTED = "\x1b[?424242z"
"""Marks each websocket the page opens in what its terminal received (`screen_text` drops it)."""
LOAD_GAMES = 20
MEMORY_PER_GAME_MIB = 80
SERVER_MEMORY_MIB = 100
"""The load test's bound: the server's resident memory and its games' together stay under
SERVER_MEMORY_MIB + LOAD_GAMES * MEMORY_PER_GAME_MIB (RSS summed, so shared pages count once per
process: an upper bound). Measured here: README's "Play in a browser"."""


def orders_given(folder: Path) -> int:
    """The most orders any save in a player's folder holds (-1 with no save)."""
    store = SaveStore(folder / "saves")
    return max((info.orders for info in store.list()), default=-1)


# --- the player's id --------------------------------------------------------------------------


@given(st.text(max_size=40) | st.from_regex(r"[A-Za-z0-9_./\\-]{20,28}", fullmatch=True))
def test_fuzz_no_cookie_names_a_folder_outside_the_root(text: str) -> None:
    root = Path("/srv/players")
    folder = player_folder(root, text)
    if folder is not None:
        assert folder.parent == root.resolve()
        assert ID_PATTERN.fullmatch(folder.name)


@pytest.mark.parametrize("bad", ["..", "../" * 8 + "etc", "/etc/passwd", "a" * 23, "a" * 25, ""])
def test_paths_and_wrong_lengths_are_not_ids(bad: str) -> None:
    assert player_folder(Path("/srv/players"), bad) is None


def test_new_ids_are_accepted_and_differ() -> None:
    ids = {new_player_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(player_folder(Path("/srv/players"), one) is not None for one in ids)


def test_a_game_keeps_its_saves_and_settings_in_its_players_folder(tmp_path: Path) -> None:
    from textual_serve.download_manager import DownloadManager

    from game.serve import PlayerGame

    async def nothing(_data: object = None) -> None:
        return None

    folder = tmp_path / new_player_id()
    game = PlayerGame(
        ["true"],
        folder,
        write_bytes=nothing,
        write_str=nothing,
        close=nothing,
        download_manager=DownloadManager(),
    )
    environment = game._build_environment(100, 30)
    assert environment["HANDLER_ONE_SAVE_DIR"] == str(folder / "saves")
    assert environment["HANDLER_ONE_CONFIG_DIR"] == str(folder / "config")
    assert environment["TEXTUAL_DRIVER"].endswith(":WebDriver")


def test_the_title_screen_never_imports_the_web_server() -> None:
    code = (
        "import sys, game.cli, game.tui.app; "
        "print(sorted(m for m in ('textual_serve', 'aiohttp', 'game.serve') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_bad_serve_options_are_one_line_and_status_two() -> None:
    for args in (["--port", "70000"], ["--max-games", "0"], ["--port", "x"]):
        run = subprocess.run(
            [sys.executable, "-m", "game", "serve", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 2, run
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_a_save_root_that_cannot_be_a_folder_is_one_line_and_status_one(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    run = subprocess.run(
        [sys.executable, "-m", "game", "serve", "--port", "0", "--save-root", str(blocker / "x")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run
    assert run.stderr.strip().splitlines() == [run.stderr.strip()]
    assert "cannot keep saves" in run.stderr


# --- forgetting players no cookie can name ----------------------------------------------------

NOW = 2_000_000_000.0


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["id", "other", "link"]),
            st.lists(st.integers(0, 3 * 365), min_size=1, max_size=4),
        ),
        max_size=6,
    )
)
def test_fuzz_only_id_folders_unvisited_for_a_cookies_life_are_removed(
    folders: list[tuple[str, list[int]]],
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        root, outside = Path(scratch) / "players", Path(scratch) / "outside"
        root.mkdir()
        outside.mkdir()
        (outside / "keep").write_text("not the server's")
        expected: dict[Path, bool] = {}
        for kind, days in folders:
            name = new_player_id() if kind != "other" else f"notes-{len(expected)}"
            folder = root / name
            if kind == "link":  # a link named like a player: never followed, never removed
                folder.symlink_to(outside, target_is_directory=True)
                expected[folder] = True
                continue
            folder.mkdir()
            for i, age in enumerate(days[1:]):
                inner = folder / "saves" / f"slot{i}.json"
                inner.parent.mkdir(exist_ok=True)
                inner.write_text("{}")
                os.utime(inner, (NOW - age * 86400, NOW - age * 86400))
            if (folder / "saves").exists():
                os.utime(folder / "saves", (NOW - days[0] * 86400,) * 2)
            os.utime(folder, (NOW - days[0] * 86400,) * 2)
            old = min(days) * 86400 > COOKIE_AGE
            expected[folder] = kind == "other" or not old
        removed = forget_old_players(root, now=NOW)
        assert removed == sum(1 for kept in expected.values() if not kept)
        for folder, kept in expected.items():
            assert (folder.exists() or folder.is_symlink()) == kept, folder
        assert (outside / "keep").read_text() == "not the server's"


# --- a websocket player, as the page's script is ----------------------------------------------


class Player:
    """One browser's session over the page's websocket: the terminal's bytes, and keys."""

    def __init__(self, served: Served, cookie: str | None = None) -> None:
        self.served = served
        self.cookie = cookie
        self.received: list[str] = []
        self.closed = asyncio.Event()

    async def open_page(self, session: object) -> int:
        import aiohttp

        assert isinstance(session, aiohttp.ClientSession)
        async with session.get(self.served.url) as response:
            body = await response.text()
            morsel = response.cookies.get(COOKIE)
            if morsel is not None:
                self.cookie = morsel.value
            self.page = body
            return response.status

    async def play(self, session: object, keys: list[tuple[str, str]]) -> None:
        """Connect, then for each (key, text) wait for the text to be on screen and press the
        key; then stay until `hold` is set and close, as a closed tab does (with no `hold`,
        stay until the server closes the connection)."""
        import aiohttp

        assert isinstance(session, aiohttp.ClientSession)
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        url = self.served.url.replace("http://", "ws://") + "ws?width=100&height=30"
        async with session.ws_connect(url, headers=headers) as ws:
            reader = asyncio.create_task(self._read(ws))
            for key, text in keys:
                await self.wait_for(text)
                await ws.send_str(json.dumps(["stdin", key]))
            if self.hold is None:
                await asyncio.wait_for(reader, GAME_DEADLINE)
                return
            await self.hold.wait()
            reader.cancel()

    async def _read(self, ws: object) -> None:
        import aiohttp

        assert isinstance(ws, aiohttp.ClientWebSocketResponse)
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.received.append(message.data.decode("utf-8", "replace"))
        self.closed.set()

    async def wait_for(self, text: str, deadline: float = GAME_DEADLINE) -> None:
        end = time.monotonic() + deadline
        while text not in screen_text(self.received):
            if time.monotonic() > end or self.closed.is_set():
                tail = screen_text(self.received)[-300:]
                raise AssertionError(f"{text!r} never reached the terminal; it shows {tail!r}")
            await asyncio.sleep(0.05)

    hold: asyncio.Event | None = None


def _memory_mib(pid: int) -> tuple[float, int]:
    games = children(pid)
    total = rss_kib(pid) + sum(rss_kib(child) for child in games)
    return total / 1024, len(games)


def test_twenty_games_at_once_all_answer_within_the_memory_bound(tmp_path: Path) -> None:
    aiohttp = pytest.importorskip("aiohttp")

    async def run(served: Served) -> None:
        async with aiohttp.ClientSession() as session:
            players = [Player(served) for _ in range(LOAD_GAMES)]
            hold = asyncio.Event()
            for player in players:
                player.hold = hold
                assert await player.open_page(session) == 200
            assert len({player.cookie for player in players}) == LOAD_GAMES
            # Title: n (new game); the chapter's card: a key; the console: 1 (the first order).
            keys = [("n", "New game"), (" ", "any key to go on"), ("1", "f5 quick")]
            games = [asyncio.create_task(player.play(session, keys)) for player in players]

            async def answered() -> None:
                while True:
                    folders = [player_folder(served.root, p.cookie) for p in players]
                    if all(f is not None and orders_given(f) >= 1 for f in folders):
                        return
                    for game in games:
                        if game.done() and game.exception():
                            raise game.exception()  # type: ignore[misc]
                    await asyncio.sleep(0.1)

            await asyncio.wait_for(answered(), GAME_DEADLINE * 2)
            memory, processes = _memory_mib(served.process.pid)
            print(
                f"\n{LOAD_GAMES} games: {memory:.0f} MiB resident (server and {processes} "
                f"processes), {memory / LOAD_GAMES:.1f} MiB a game"
            )
            assert processes >= LOAD_GAMES
            assert memory < SERVER_MEMORY_MIB + LOAD_GAMES * MEMORY_PER_GAME_MIB

            # Full: the page says so, and a websocket that comes anyway is told and closed.
            extra = Player(served)
            assert await extra.open_page(session) == 503
            assert "Handler One is full" in extra.page
            late = Player(served, cookie=players[0].cookie)
            await late.play(session, [])
            assert late.closed.is_set()
            assert "is full" in screen_text(late.received)

            # Every browser goes away: every game ends and is reaped, its game kept.
            hold.set()
            await asyncio.gather(*games)

        wait_until(
            lambda: not children(served.process.pid), GAME_DEADLINE, "every game to be reaped"
        )
        for player in players:
            folder = player_folder(served.root, player.cookie)
            assert folder is not None and orders_given(folder) >= 1

    root = tmp_path / "players"
    with serve(root, "--max-games", str(LOAD_GAMES)) as served:
        asyncio.run(run(served))
    assert {p.name for p in root.iterdir()} == {p.name for p in root.iterdir() if p.is_dir()}


def test_a_game_the_player_quits_ends_and_is_reaped(tmp_path: Path) -> None:
    # ctrl+q in the console: quit. The server then closes the page's connection (the page
    # offers Restart) and the game's process is gone.
    with serve(tmp_path / "players") as served:  # it checks no game process is left
        _, folder = _play_until_the_server_closes(served, "\x11")
    # No order was given: nothing or a save of the game's start (a new game is saved at its
    # first order), never a save with an order in it.
    assert orders_given(folder) <= 0


def _play_until_the_server_closes(served: Served, last_key: str) -> tuple[Player, Path]:
    """A new game, a key past the chapter's card, then `last_key` in the console; wait until
    the server closes the page's connection and the game's process is gone."""
    aiohttp = pytest.importorskip("aiohttp")

    async def run() -> Player:
        async with aiohttp.ClientSession() as session:
            player = Player(served)
            await player.open_page(session)
            keys = [("n", "New game"), (" ", "any key to go on"), (last_key, "f5 quick")]
            await player.play(session, keys)
            assert player.closed.is_set()
            return player

    player = asyncio.run(run())
    wait_until(lambda: not children(served.process.pid), GAME_DEADLINE, "the game to end")
    folder = player_folder(served.root, player.cookie)
    assert folder is not None
    return player, folder


def test_stopping_the_server_ends_every_game_it_runs(tmp_path: Path) -> None:
    aiohttp = pytest.importorskip("aiohttp")

    async def run(served: Served) -> None:
        async with aiohttp.ClientSession() as session:
            player = Player(served)
            await player.open_page(session)
            keys = [("n", "New game"), (" ", "any key to go on"), ("1", "f5 quick")]
            game = asyncio.create_task(player.play(session, keys))
            await asyncio.to_thread(
                wait_until,
                lambda: served.players() and orders_given(served.players()[0]) >= 1,
                GAME_DEADLINE,
                "the first order's autosave",
            )
            assert children(served.process.pid)
            served.process.send_signal(signal.SIGTERM)
            await game  # the server closes the page's connection
        assert await asyncio.to_thread(served.process.wait, GAME_DEADLINE) == 0
        await asyncio.to_thread(
            wait_until,
            lambda: any("every game in progress is kept" in line for line in served.output),
            GAME_DEADLINE,
            "the stop message",
        )

    with serve(tmp_path / "players") as served:  # it checks no game process is left
        asyncio.run(run(served))


def test_a_game_left_without_a_key_is_kept_and_its_page_told_why(tmp_path: Path) -> None:
    # One order (1), then nothing: the server ends the game (keeping it) and closes the page's
    # connection, saying why.
    with serve(tmp_path / "players", "--idle-minutes", "0.25") as served:
        player, folder = _play_until_the_server_closes(served, "1")
    said = " ".join(screen_text(player.received).split())
    assert "no key for 0.25 minutes, so this game was saved and closed" in said
    assert "choose Continue" in said
    assert orders_given(folder) >= 1


def test_the_page_asks_nothing_of_other_sites_and_keeps_the_player_known(tmp_path: Path) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    import re

    async def run(served: Served) -> None:
        async with aiohttp.ClientSession() as session:
            player = Player(served)
            assert await player.open_page(session) == 200
            first = player.cookie
            urls = re.findall(r"""(?:href|src)=["']([^"']+)|url\(["']?([^"')]+)""", player.page)
            urls = [a or b for a, b in urls]
            assert urls, "the page names its script, styles and fonts"
            assert all(u.startswith(served.url) for u in urls if "://" in u), urls
            fonts = [u for u in urls if u.endswith(".ttf")]
            assert fonts
            for font in fonts:
                async with session.get(font) as response:
                    assert response.status == 200
                    assert len(await response.read()) > 10_000
            # A second visit sets the same id again (the cookie's life runs from the last one).
            # (aiohttp's jar keeps no cookie for an IP address: sent by hand, as the page's is)
            async with session.get(served.url, headers={"Cookie": f"{COOKIE}={first}"}) as response:
                morsel = response.cookies.get(COOKIE)
                assert morsel is not None and morsel.value == first
                assert int(morsel["max-age"]) == COOKIE_AGE

    with serve(tmp_path / "players") as served:
        asyncio.run(run(served))


def test_a_forged_or_missing_cookie_gets_no_game_and_no_folder(tmp_path: Path) -> None:
    aiohttp = pytest.importorskip("aiohttp")

    async def run(served: Served) -> None:
        async with aiohttp.ClientSession() as session:
            for cookie in (None, "../" * 8 + "tmp", "A" * 23 + "/"):
                player = Player(served, cookie=cookie)
                await player.play(session, [])
                assert player.closed.is_set()
                assert "Allow cookies" in screen_text(player.received)
            url = served.url.replace("http://", "ws://") + "ws"
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await session.ws_connect(url, headers={"Origin": "http://elsewhere.example"})

    root = tmp_path / "players"
    with serve(root) as served:
        asyncio.run(run(served))
        assert served.players() == []


# --- a real browser ---------------------------------------------------------------------------


def _playwright():  # noqa: ANN202
    """Playwright's sync API, or skip saying why; never skip where Chromium is installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium)")
    from playwright.sync_api import (
        sync_playwright,  # a missing module fails here: it is a test dependency
    )

    return sync_playwright


def test_a_browser_plays_and_quicksaves_and_another_browser_does_not_see_it(
    tmp_path: Path,
) -> None:
    sync_playwright = _playwright()
    root = tmp_path / "players"
    shot = Path(os.environ.get("HANDLER_ONE_SCREENSHOT", tmp_path / "browser.png"))
    with serve(root) as served, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            # Playwright gives the browser a fresh empty profile (its own --user-data-dir).
            args=CHROMIUM_FLAGS,
        )
        try:
            first, first_screen = _open(browser, served)
            started = time.monotonic()
            page, received = first
            _wait_text(page, received, "New game")
            print(f"\ntime to first screen in the browser: {first_screen:.2f} s")
            page.keyboard.press("n")
            _wait_text(page, received, "any key to go on")  # the chapter's title card
            page.keyboard.press(" ")
            _wait_text(page, received, "f5 quick")
            (folder,) = served.players()
            page.keyboard.press("1")
            wait_until(lambda: orders_given(folder) >= 1, GAME_DEADLINE, "the order's autosave")
            page.keyboard.press("F5")  # in the page, F5 is the game's quicksave, not a reload
            _wait_text(page, received, "Quicksaved")
            assert (folder / "saves" / "quick.json").is_file()
            page.keyboard.press("l")
            _wait_text(page, received, "quicksave")  # the Load screen lists it
            assert received.count(CONNECTED) == 1, "the page reloaded (a second game began)"
            page.screenshot(path=str(shot))
            print(f"played in {time.monotonic() - started:.1f} s; screenshot: {shot}")

            (page2, received2), _ = _open(browser, served)
            _wait_text(page2, received2, "New game")
            page2.keyboard.press("l")
            _wait_text(page2, received2, "No saves yet.")
            assert "quicksave" not in screen_text(received2)
            others = [p for p in served.players() if p != folder]
            assert len(others) == 1 and not (others[0] / "saves" / "quick.json").exists()
        finally:
            browser.close()


def _open(browser, served: Served):  # noqa: ANN001, ANN202
    """A new browser context (a new player) on the page; its page, what its terminal received,
    and the seconds from asking for the page to the game's first screen."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    received: list[str] = []

    def on_websocket(ws) -> None:  # noqa: ANN001
        received.append(CONNECTED)
        ws.on(
            "framereceived",
            lambda data: received.append(
                data.decode("utf-8", "replace") if isinstance(data, bytes) else data
            ),
        )

    page.on("websocket", on_websocket)
    start = time.monotonic()
    page.goto(served.url)
    _wait_text(page, received, "New game")
    seconds = time.monotonic() - start
    # Keys go to the terminal's input; a click would land on the title's menu and choose.
    page.focus(".xterm-helper-textarea")
    return (page, received), seconds


def _wait_text(page, received: list[str], text: str) -> None:  # noqa: ANN001
    end = time.monotonic() + GAME_DEADLINE
    while text not in screen_text(received):
        if time.monotonic() > end:
            raise AssertionError(
                f"{text!r} never reached the browser; it shows {screen_text(received)[-300:]!r}"
            )
        page.wait_for_timeout(50)
