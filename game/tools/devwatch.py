"""Watch a story folder while an author plays: re-validate on every save, report the result.

    watcher = StoryWatcher(root, on_update)   # on_update(update) runs on the watcher's thread
    watcher.start()
    ...
    update = watcher.poll()                   # or poll from the front end's own loop
    watcher.stop()

A `StoryUpdate` carries either the new `Story` (it loaded) or the diagnostics that stopped it.
A front end then calls `game.engine.reload.reload(engine, update.story)` to carry the game over.
The Textual console can pass `lambda u: app.call_from_thread(handle, u)` as `on_update`.

`play --plain --dev` uses `DevInput`: it stands in for stdin, and while the player is at the
prompt it prints "story reloaded" (and the scene again) or the errors, without ending the game.
"""

from __future__ import annotations

import os
import queue
import select
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from game.engine.diagnostics import Diagnostic
from game.engine.loader import check_story
from game.engine.model import Story
from game.tools.common import check_warp, load_or_exit, parse_sets, story_dir

WATCHED_SUFFIXES = (".yaml", ".yml", ".txt")


@dataclass(frozen=True)
class StoryUpdate:
    """The result of re-validating after a change: `story` is None when it has errors."""

    story: Story | None
    diagnostics: tuple[Diagnostic, ...]
    changed: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the story loaded."""
        return self.story is not None

    @property
    def errors(self) -> list[Diagnostic]:
        """Only the errors (a story that loaded may still carry warnings)."""
        return [d for d in self.diagnostics if d.severity == "error"]


def check(root: Path | str, changed: Iterable[str] = ()) -> StoryUpdate:
    """Load the story now and wrap the outcome as an update."""
    story, diagnostics = check_story(root)
    return StoryUpdate(story, tuple(diagnostics), tuple(sorted(changed)))


def _story_file(_change: object, path: str) -> bool:
    name = os.path.basename(path)
    return path.endswith(WATCHED_SUFFIXES) and not name.startswith(".")


class StoryWatcher:
    """Watches `root` on a background thread (with `watchfiles`); each batch of changes to YAML
    files (or maps) re-validates the story and delivers a `StoryUpdate`: to `on_update` if given,
    and always to the queue that `poll` drains."""

    def __init__(
        self,
        root: Path | str,
        on_update: Callable[[StoryUpdate], None] | None = None,
        *,
        debounce_ms: int = 150,
    ) -> None:
        self.root = Path(root)
        self.on_update = on_update
        self.debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._updates: queue.Queue[StoryUpdate] = queue.Queue()
        self._ready = threading.Event()

    def start(self) -> None:
        """Start watching (returns at once; the first change after this is seen)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="story-watcher", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=2)

    def stop(self) -> None:
        """Stop watching and wait for the thread to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def poll(self) -> StoryUpdate | None:
        """The newest update not yet taken (older ones are superseded), or None."""
        newest = None
        while True:
            try:
                newest = self._updates.get_nowait()
            except queue.Empty:
                return newest

    def _run(self) -> None:
        from watchfiles import watch

        watcher = watch(
            self.root,
            watch_filter=_story_file,
            debounce=self.debounce_ms,
            step=50,
            stop_event=self._stop,
            rust_timeout=200,
            yield_on_timeout=True,
            raise_interrupt=False,
        )
        for changes in watcher:
            self._ready.set()  # the first yield (a timeout at the latest) means it is armed
            if self._stop.is_set():
                break
            if not changes:
                continue
            update = check(self.root, (path for _, path in changes))
            self._updates.put(update)
            if self.on_update is not None:
                self.on_update(update)


class DevInput:
    """Stands in for stdin in line mode: hands back lines as typed, and while waiting for one
    applies story updates to the game (through `apply`). Uses `select` on the file descriptor,
    so it works for terminals and pipes; without one it checks between lines only."""

    def __init__(
        self,
        source: TextIO,
        watcher: StoryWatcher,
        apply: Callable[[StoryUpdate], None],
        *,
        interval: float = 0.1,
    ) -> None:
        self.source = source
        self.watcher = watcher
        self.apply = apply
        self.interval = interval
        self._buffer = b""
        try:
            self._fd: int | None = source.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None

    def _check(self) -> None:
        update = self.watcher.poll()
        if update is not None:
            self.apply(update)

    def readline(self) -> str:
        """The next line of input ('' at the end), applying updates while waiting."""
        self._check()
        if self._fd is None or sys.platform == "win32":
            line = self.source.readline()
            self._check()
            return line
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([self._fd], [], [], self.interval)
            if not ready:
                self._check()
                continue
            chunk = os.read(self._fd, 4096)
            if not chunk:
                break
            self._buffer += chunk
        line, sep, rest = self._buffer.partition(b"\n")
        self._buffer = rest
        return (line + sep).decode("utf-8", errors="replace")


def play_dev(args: object) -> int:
    """`play --plain --dev`: line mode that reloads the story when its files change."""
    from game.plain import LineMode
    from game.session import Session

    root = story_dir(args.story)  # type: ignore[attr-defined]
    story = load_or_exit(args.story)  # type: ignore[attr-defined]
    sets = parse_sets(args.set, story)  # type: ignore[attr-defined]
    warp = args.warp  # type: ignore[attr-defined]
    check_warp(warp, story)
    session = Session(story, seed=args.seed, warp=warp, sets=sets)  # type: ignore[attr-defined]
    session.new_game()
    mode = LineMode(session)

    def apply(update: StoryUpdate) -> None:
        mode.say()
        if update.story is None:
            errors = update.errors
            mode.say(
                f"[dev] the story has {len(errors)} error(s); still playing the last good one:"
            )
            for diagnostic in errors[:20]:
                mode.say(f"  {diagnostic}")
            if len(errors) > 20:
                mode.say(f"  ... and {len(errors) - 20} more: run 'handler-one validate'")
        else:
            message = session.reload(update.story)
            mode.say("[dev] story reloaded" + (f": {message}" if message else ""))
            mode.show_scene()
        mode.out.write("> ")
        mode.out.flush()

    watcher = StoryWatcher(root)
    watcher.start()
    mode.say(f"[dev] watching {root} for changes")
    try:
        return mode.run(DevInput(sys.stdin, watcher, apply))  # type: ignore[arg-type]
    finally:
        watcher.stop()
