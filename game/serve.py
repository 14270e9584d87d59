"""`handler-one serve`: the console in a browser, one game and one save folder per player.

`textual-serve` (1.1.x) does the serving: its page holds a terminal (xterm.js) that talks over
a websocket to one `handler-one play` process per browser session, run with Textual's web
driver. This module adds what a server open to more than one person needs:

- **A folder per player.** The page sets a cookie holding an anonymous random id
  (`new_player_id`); each game that browser starts runs with `HANDLER_ONE_SAVE_DIR` and
  `HANDLER_ONE_CONFIG_DIR` in `ROOT/<id>/`, so its Load screen, Continue, autosaves and settings
  are its own. An id is accepted only in the exact form the server makes (`player_folder`), so
  no cookie can name a folder outside the root.
- **A bound.** At most `max_games` games run at once; past that the page says the server is
  full, and a websocket that arrives anyway is told so in its terminal and closed.
- **Cleanup.** A game ends when its player quits or its browser goes away (the websocket
  closes, or its heartbeat stops answering), or when no key has come from its page for
  `idle_minutes` (a tab left open must not hold one of the `max_games` for ever): the game is
  asked to quit (it keeps the game as `handler-one play` does on quit), and killed if it has
  not ended within `QUIT_GRACE` seconds. Stopping the server does the same for every game.
- **Forgetting.** The cookie lives `COOKIE_AGE` from the player's last visit (each visit sets it
  again and touches the folder); a folder untouched for longer can no longer be named by any
  cookie, so the server removes it when it starts.
- **Nothing from elsewhere.** textual-serve's page asks Google for its font although the font
  ships with it; the page is served with a `@font-face` for the shipped file instead, so a
  player's browser talks to this server alone.

Only this command imports textual-serve and aiohttp (never the title screen's start-up).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

COOKIE = "handler_one_player"
ID_BYTES = 18
"""An id is `secrets.token_urlsafe(ID_BYTES)`: 24 characters of A-Z a-z 0-9 - _."""
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{24}")
QUIT_GRACE = 10.0
"""Seconds a game has to quit (and keep its game) before it is killed."""
COOKIE_AGE = 365 * 24 * 3600
"""Seconds a player's cookie lives after their last visit; their folder is kept as long."""
GOOGLE_FONT = """<link
      rel="stylesheet"
      href="https://fonts.googleapis.com/css?family=Roboto%20Mono"
    />"""
"""The line of textual-serve's page (1.1.x) that asks Google for the font it ships itself."""
LOCAL_FONT = """<style>
      @font-face {{ font-family: "Roboto Mono"; font-style: normal; font-weight: 100 700;
        src: url("{static}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype"); }}
      @font-face {{ font-family: "Roboto Mono"; font-style: italic; font-weight: 100 700;
        src: url("{static}fonts/RobotoMono-Italic-VariableFont_wght.ttf") format("truetype"); }}
    </style>"""


def new_player_id() -> str:
    """A fresh anonymous player id (random; it names nothing but the player's folder)."""
    return secrets.token_urlsafe(ID_BYTES)


def player_folder(root: Path, player_id: str | None) -> Path | None:
    """The player's folder under `root`, or None when `player_id` is not an id this server
    makes (so nothing a browser sends can name a folder outside `root`)."""
    if not player_id or not ID_PATTERN.fullmatch(player_id):
        return None
    folder = (root / player_id).resolve()
    if folder.parent != root.resolve():
        return None
    return folder


def default_root() -> Path:
    """Where served players' folders live by default: `served/` in the user data folder."""
    import platformdirs

    return Path(platformdirs.user_data_dir("handler-one", appauthor=False)) / "served"


@dataclass(frozen=True)
class ServeOptions:
    """What `handler-one serve` was asked for."""

    host: str = "127.0.0.1"
    port: int = 8086
    max_games: int = 8
    root: Path | None = None
    idle_minutes: float = 30.0
    """A game whose page sends no key for this long is ended (and kept); 0: never."""


FULL_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Handler One: full</title>
<style>body{{background:#0c181f;color:#e8eef2;font:18px/1.5 monospace;display:flex;
align-items:center;justify-content:center;height:100vh;margin:0}}main{{max-width:36em;padding:2em;
background:#12232d}}a{{color:#8fd3ff}}</style></head>
<body><main><h1>Handler One is full</h1>
<p>All {games} games this server runs at once are being played.</p>
<p>Nothing of yours is lost: your saves wait for you. Try again in a few minutes
(<a href="/">reload</a>).</p></main></body></html>
"""
FULL_TERMINAL = (
    "\r\n  Handler One is full: all {games} games are being played.\r\n"
    "  Your saves wait for you; reload the page in a few minutes.\r\n"
)
IDLE_TERMINAL = (
    "\r\n\r\n  Handler One: no key for {minutes} minutes, so this game was saved and closed.\r\n"
    "  Reload the page and choose Continue to go on where you were.\r\n"
)
NO_COOKIE_TERMINAL = (
    "\r\n  Handler One keeps your saves under a cookie this page sets.\r\n"
    "  Allow cookies for this page, then reload it.\r\n"
)


class PlayerGame(AppService):
    """One browser's game: `handler-one play` run directly (no shell) with the player's save
    and settings folders, in its own process group so that it can be ended whole."""

    def __init__(self, argv: list[str], folder: Path, **kwargs: Any) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self.argv = argv
        self.folder = folder
        self.last_input = time.monotonic()
        self.idle_ended = False

    async def send_bytes(self, data: bytes) -> bool:
        """Pass the player's keys to the game, noting when the last one came."""
        self.last_input = time.monotonic()
        return await super().send_bytes(data)

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width=width, height=height)
        environment["HANDLER_ONE_SAVE_DIR"] = str(self.folder / "saves")
        environment["HANDLER_ONE_CONFIG_DIR"] = str(self.folder / "config")
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        self.folder.mkdir(parents=True, exist_ok=True)
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def pid(self) -> int | None:
        """The game's process id, while it has one."""
        return self._process.pid if self._process is not None else None

    async def stop(self) -> None:
        """Ask the game to quit (it keeps the game), wait `QUIT_GRACE` seconds, then end its
        process group; always reap the process. Safe to call more than once at a time (the
        websocket's end and the server's shutdown both call it): later calls wait for the
        first."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    _stopping: asyncio.Future[None] | None = None

    async def _stop(self) -> None:
        task, self._task = self._task, None
        process = self._process
        if task is not None:
            await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
            await self.send_meta({"type": "quit"})
            try:
                await asyncio.wait_for(asyncio.shield(task), QUIT_GRACE)
            except TimeoutError:
                task.cancel()
        if process is None:
            return
        if process.returncode is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, sig)
                try:
                    await asyncio.wait_for(process.wait(), QUIT_GRACE / 2)
                    break
                except TimeoutError:
                    continue
        with contextlib.suppress(ProcessLookupError):
            await process.wait()


class PlayerServer(Server):
    """textual-serve's server with a folder per player, a bound and cleanup (module doc)."""

    def __init__(self, options: ServeOptions, argv: list[str]) -> None:
        super().__init__(" ".join(argv), host=options.host, port=options.port, title="Handler One")
        self.options = options
        self.root = (options.root or default_root()).resolve()
        self.argv = argv
        self.games: set[PlayerGame] = set()
        self.announce: Callable[[str], None] = print

    @property
    def full(self) -> bool:
        """Whether `max_games` games are running."""
        return len(self.games) >= self.options.max_games

    async def _make_app(self) -> web.Application:
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def handle_index(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        """The page: the terminal, or a page saying the server is full. Sets the player's
        cookie when the browser has none (or one this server did not make)."""
        if self.full:
            return web.Response(
                status=503,
                text=FULL_PAGE.format(games=self.options.max_games),
                content_type="text/html",
                headers={"Retry-After": "60"},
            )
        # URLs from the address the browser used, so the cookie set here goes with the
        # websocket (localhost and 127.0.0.1 are different sites to a browser).
        base = f"{request.scheme}://{request.host}"
        scheme = "wss" if request.scheme == "https" else "ws"
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{scheme}://{request.host}/ws",
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},  # the template escapes it
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        assert response.text is not None
        response.text = response.text.replace(
            GOOGLE_FONT, LOCAL_FONT.format(static=context["config"]["static"]["url"])
        )
        # Set on every visit, so the cookie lives COOKIE_AGE from the last one; the folder's
        # time is the visit's too, so `forget_old_players` never takes a folder a cookie names.
        player = request.cookies.get(COOKIE)
        folder = player_folder(self.root, player)
        if folder is None:
            player = new_player_id()
        elif folder.is_dir():
            with contextlib.suppress(OSError):
                os.utime(folder)
        response.set_cookie(
            COOKIE, player, max_age=COOKIE_AGE, path="/", httponly=True, samesite="Strict"
        )
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser session: refuse it in its terminal when full, cross-site or without a
        player cookie; otherwise run the player's game until either side goes away."""
        origin = request.headers.get("Origin")
        if origin is not None and origin.split("://", 1)[-1] != request.host:
            raise web.HTTPForbidden(text="cross-site websocket refused")
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        folder = player_folder(self.root, request.cookies.get(COOKIE))
        refusal = None
        if folder is None:
            refusal = NO_COOKIE_TERMINAL
        elif self.full:
            refusal = FULL_TERMINAL.format(games=self.options.max_games)
        if refusal is not None or folder is None:
            await websocket.send_bytes((refusal or "").encode())
            await websocket.close()
            return websocket
        async def close() -> None:
            # The game has ended (it says so as it exits): say why when it was the idle
            # timer, then close the page's websocket. (`game` is bound before any call.)
            if game.idle_ended:
                with contextlib.suppress(Exception):
                    await websocket.send_bytes(self._idle_text().encode())
            await websocket.close()

        game = PlayerGame(
            self.argv,
            folder,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=close,
            download_manager=self.download_manager,
        )
        self.games.add(game)  # counted before any await: the bound holds under a rush
        watcher: asyncio.Future[None] | None = None
        try:
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            await game.start(width, height)
            watcher = asyncio.ensure_future(self._end_when_idle(game, close))
            await self._process_messages(websocket, game)
        except (asyncio.CancelledError, ConnectionError):
            pass
        except Exception as exc:  # noqa: BLE001 - one player's failure never stops the server
            self.announce(f"handler-one serve: a game failed: {type(exc).__name__}: {exc}")
        finally:
            if watcher is not None:
                watcher.cancel()
            await game.stop()
            self.games.discard(game)
            with contextlib.suppress(Exception):
                await websocket.close()
        return websocket

    def _idle_text(self) -> str:
        return IDLE_TERMINAL.format(minutes=f"{self.options.idle_minutes:g}")

    async def _end_when_idle(self, game: PlayerGame, close: Callable[[], Awaitable[None]]) -> None:
        """End `game` (keeping it) once no key has come from its page for `idle_minutes`."""
        idle = self.options.idle_minutes * 60
        if idle <= 0:
            return
        while True:
            left = game.last_input + idle - time.monotonic()
            if left > 0:
                await asyncio.sleep(left)  # a deadline, re-read: a key may have come meanwhile
                continue
            game.idle_ended = True
            await game.stop()
            await close()  # the game may have closed it already as it exited; then a no-op
            return

    async def on_shutdown(self, app: web.Application) -> None:
        """Stopping the server ends every game the way a closed browser does."""
        await asyncio.gather(*(game.stop() for game in list(self.games)), return_exceptions=True)

    async def run(self, ready: Callable[[str], Awaitable[None]] | None = None) -> None:
        """Serve until SIGINT or SIGTERM; say where and how to stop first."""
        self.root.mkdir(parents=True, exist_ok=True)
        forgotten = forget_old_players(self.root)
        if forgotten:
            self.announce(
                f"handler-one serve: removed {forgotten} player folder(s) unvisited for a year "
                "(no cookie can name them any more)."
            )
        runner = web.AppRunner(await self._make_app(), handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.options.host, self.options.port)
        await site.start()
        server = site._server  # noqa: SLF001 - the one place aiohttp keeps the bound port
        port = server.sockets[0].getsockname()[1] if server and server.sockets else self.port
        host = self.options.host
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{port}/"
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        self.announce(start_message(url, self.root, self.options))
        if ready is not None:
            await ready(url)
        try:
            await stop.wait()
        finally:
            self.announce("handler-one serve: stopping; every game in progress is kept.")
            await runner.cleanup()


def forget_old_players(root: Path, now: float | None = None) -> int:
    """Remove the player folders under `root` unvisited for longer than `COOKIE_AGE` (their
    cookies have expired, so nobody can reach them); return how many. Only folders named as
    this server names them are touched, and a folder is old only if nothing in it is newer."""
    now = time.time() if now is None else now
    removed = 0
    for folder in root.iterdir() if root.is_dir() else ():
        if not ID_PATTERN.fullmatch(folder.name) or folder.is_symlink() or not folder.is_dir():
            continue
        try:
            newest = _newest_time(folder)
        except OSError:
            continue
        if now - newest > COOKIE_AGE:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _newest_time(folder: Path) -> float:
    """The latest modification time of `folder` and everything under it (links not followed)."""
    newest = folder.lstat().st_mtime
    for top, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            newest = max(newest, os.lstat(os.path.join(top, name)).st_mtime)
    return newest


def start_message(url: str, root: Path, options: ServeOptions) -> str:
    """What the server says when it starts: where to play, where saves live, how to stop."""
    lines = [
        f"Handler One is served at {url} (up to {options.max_games} games at once).",
        f"Saves and settings: {root}/<player>/, one folder per browser, named by a cookie.",
        "Stop with ctrl+c (or SIGTERM): every game in progress is saved first.",
    ]
    if options.host not in ("127.0.0.1", "localhost", "::1"):
        lines.append(f"Warning: bound to {options.host}; anyone who can reach it can play here.")
    return "\n".join(lines)


def game_command() -> list[str]:
    """The command each browser session runs: this Python, the game, the console."""
    return [sys.executable, "-m", "game", "play"]


def serve(options: ServeOptions) -> int:
    """`handler-one serve`: run the server until stopped. Returns the exit code."""
    server = PlayerServer(options, game_command())
    try:
        server.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(
            f"handler-one serve: cannot keep saves in {server.root}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    try:
        asyncio.run(server.run())
    except OSError as exc:
        print(
            f"handler-one serve: cannot listen on {options.host}:{options.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
