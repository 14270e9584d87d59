"""`make bench`: speed and memory, each figure a median taken side by side with its baseline.

Prints a table for people, then, as the last line of stdout, one JSON object for tools. Ratios
compare us with the floor our own libraries set (a bare YAML parse, a bare `transitions`
trigger, a minimal Textual app) in the same run, so they mean the same on any machine.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.perf.generate import generate  # noqa: E402

TARGETS = {
    "startup_ratio": 1.3,
    "cold_load_ratio": 1.5,
    "warm_load_ratio": 0.1,
    "step_ratio": 2.0,
    "idle_cpu_percent": 1.0,
    "log_latency_ratio": 1.5,
}


def median_time(run: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of `run` in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def side_by_side(
    ours: Callable[[], object], base: Callable[[], object], repeat: int = 5
) -> tuple[float, float]:
    """Median times of two functions run alternately, so both see the same machine."""
    a, b = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        base()
        b.append(time.perf_counter() - started)
        started = time.perf_counter()
        ours()
        a.append(time.perf_counter() - started)
    return statistics.median(a), statistics.median(b)


# --- loading ---------------------------------------------------------------------------------


def bench_loading(story_dir: Path, report: dict[str, object]) -> None:
    import yaml

    from game.engine.cache import load_story_cached
    from game.engine.loader import load_story

    files = sorted(story_dir.rglob("*.yaml"))

    def parse() -> None:
        for path in files:
            yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)  # noqa: S506

    cold, base = side_by_side(lambda: load_story(story_dir), parse, repeat=3)
    cache_dir = Path(tempfile.mkdtemp(prefix="h1-cache-"))
    try:
        load_story_cached(story_dir, cache_dir)
        warm, base2 = side_by_side(lambda: load_story_cached(story_dir, cache_dir), parse, repeat=5)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    report["parse_s"] = round(base, 3)
    report["cold_load_s"] = round(cold, 3)
    report["warm_load_s"] = round(warm, 4)
    report["cold_load_ratio"] = round(cold / base, 3)
    report["warm_load_ratio"] = round(warm / base2, 4)


def bench_memory(story_dir: Path, report: dict[str, object]) -> None:
    code = (
        "import resource, sys; sys.path.insert(0, sys.argv[2]);"
        "from game.engine.loader import load_story; from game.engine.runtime import Engine;"
        "e = Engine.new(load_story(sys.argv[1]), 1);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(story_dir), str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
    )
    report["rss_mb_full_story"] = round(int(out.stdout.strip()) / 1024, 1)


# --- stepping --------------------------------------------------------------------------------


def bench_step(story_dir: Path, report: dict[str, object]) -> None:
    from transitions import Machine

    from game.engine.loader import load_story
    from game.engine.runtime import Engine

    story = load_story(story_dir)
    states = story.states()
    bare = Machine(states=states, initial=states[0], auto_transitions=False)
    for source, dest in zip(states, states[1:], strict=False):
        bare.add_transition("go", source, dest)
        bare.add_transition("go", source, states[0], conditions=[lambda: False])

    steps = 1000

    def bare_run() -> None:
        bare.set_state(states[0])
        for _ in range(steps):
            bare.trigger("go")

    rng = random.Random(5)

    def engine_run() -> None:
        engine = Engine.new(story, 7)
        for _ in range(steps):
            if engine.ending is not None:
                engine = Engine.new(story, 7)
            views = [v for v in engine.orders() if v.enabled]
            engine.choose(rng.choice(views).index)
            engine.radio()

    ours, base = side_by_side(engine_run, bare_run, repeat=5)
    report["step_us"] = round(ours / steps * 1e6, 1)
    report["bare_trigger_us"] = round(base / steps * 1e6, 1)
    report["step_ratio"] = round(ours / base, 2)


# --- the shipped story: playtest and saves -------------------------------------------------


def bench_playtest(report: dict[str, object]) -> None:
    from game.engine import playtest
    from game.engine.loader import load_story
    from game.paths import scenes_dir

    story = load_story(scenes_dir())
    runs = 200
    elapsed = median_time(lambda: playtest.random_playtest(story, runs=runs, seed=1), repeat=3)
    report["playtest_runs_per_s"] = round(runs / elapsed, 1)
    budget = 20_000
    started = time.perf_counter()
    result = playtest.explore(story, seed=1, max_states=budget)
    elapsed = time.perf_counter() - started
    report["playtest_exhaustive_states_per_s"] = round(result.states / elapsed, 1)


def bench_saves(report: dict[str, object]) -> None:
    from game.engine.loader import load_story
    from game.engine.runtime import Engine
    from game.engine.saves import SaveStore
    from game.paths import scenes_dir

    story = load_story(scenes_dir())
    rng = random.Random(3)
    engine = Engine.new(story, 3)
    # A late game: play until the last chapter or as far as 400 orders go.
    for _ in range(400):
        if engine.ending is not None or engine.scene.chapter >= 5:
            break
        views = [v for v in engine.orders() if v.enabled]
        engine.choose(rng.choice(views).index)
    folder = Path(tempfile.mkdtemp(prefix="h1-saves-"))
    try:
        store = SaveStore(folder)
        save = median_time(lambda: store.save("bench", engine, 3600.0), repeat=7)
        load = median_time(lambda: store.load("bench", story), repeat=7)
        report["save_ms"] = round(save * 1000, 2)
        report["load_ms"] = round(load * 1000, 2)
        report["save_bytes"] = (
            (folder / "bench.json").stat().st_size
            if (folder / "bench.json").exists()
            else sum(
                p.stat().st_size
                for p in folder.glob("bench*")
                if p.is_file() and not p.name.endswith(".bak")
            )
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- the console, in a real terminal --------------------------------------------------------

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Static

class Minimal(App):
    def compose(self):
        yield Static("minimal ready")

Minimal().run()
"""


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def _time_to_screen(command: str, needle: str, session: str, timeout: float = 20.0) -> float:
    _tmux("kill-session", "-t", session)
    started = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True
    )
    try:
        while time.perf_counter() - started < timeout:
            if needle in _tmux("capture-pane", "-p", "-t", session):
                return time.perf_counter() - started
            time.sleep(0.01)
        raise RuntimeError(f"'{needle}' never appeared for: {command}")
    finally:
        _tmux("kill-session", "-t", session)


def bench_startup(report: dict[str, object], scratch: Path) -> None:
    if not shutil.which("tmux"):
        report["startup_ratio"] = None
        report["startup_note"] = "tmux is not installed"
        return
    minimal = scratch / "minimal.py"
    minimal.write_text(MINIMAL_APP)
    env = (
        f"env HANDLER_ONE_CONFIG_DIR={scratch / 'config'} HANDLER_ONE_CACHE_DIR={scratch / 'cache'}"
    )
    game = f"{env} {sys.executable} -m game --save-dir {scratch / 'saves'}"
    base = f"{sys.executable} {minimal}"
    ours_times, base_times = [], []
    _time_to_screen(
        game, "New game", "h1bench"
    )  # fills the story cache once, as a player's first run does
    for _ in range(5):
        base_times.append(_time_to_screen(base, "minimal ready", "h1bench"))
        ours_times.append(_time_to_screen(game, "New game", "h1bench"))
    ours, base_median = statistics.median(ours_times), statistics.median(base_times)
    report["startup_s"] = round(ours, 3)
    report["minimal_app_s"] = round(base_median, 3)
    report["startup_ratio"] = round(ours / base_median, 2)


def bench_idle_cpu(report: dict[str, object], scratch: Path) -> None:
    if not shutil.which("tmux"):
        report["idle_cpu_percent"] = None
        return
    session = "h1idle"
    env = (
        f"env HANDLER_ONE_CONFIG_DIR={scratch / 'config'} HANDLER_ONE_CACHE_DIR={scratch / 'cache'}"
    )
    command = f"{env} {sys.executable} -m game --seed 1 --save-dir {scratch / 'saves'}"
    _tmux("kill-session", "-t", session)
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True
    )
    try:
        deadline = time.time() + 20
        while (
            "New game" not in _tmux("capture-pane", "-p", "-t", session) and time.time() < deadline
        ):
            time.sleep(0.05)
        _tmux("send-keys", "-t", session, "n")
        time.sleep(6)  # let the radio lines finish arriving
        pid = int(_tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())
        target = _python_child(pid)
        before = _cpu_seconds(target)
        time.sleep(10)
        after = _cpu_seconds(target)
        report["idle_cpu_percent"] = round((after - before) / 10 * 100, 2)
    finally:
        _tmux("kill-session", "-t", session)


def _python_child(pid: int) -> int:
    """The game's own process: the pane's process, or its child when a shell sits between."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        kids = children.read_text().split()
        if kids:
            return int(kids[0])
    return pid


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def bench_log_latency(report: dict[str, object]) -> None:
    """Keypress to repaint with a long radio log, against the same with a short one."""
    try:
        from game.tui.benchhooks import log_latency
    except ImportError:
        report["log_latency_ratio"] = None
        report["log_latency_note"] = "the console has no bench hook yet"
        return
    import asyncio

    short = asyncio.run(log_latency(10))
    long = asyncio.run(log_latency(5000))
    report["log_latency_short_ms"] = round(short * 1000, 2)
    report["log_latency_long_ms"] = round(long * 1000, 2)
    report["log_latency_ratio"] = round(long / short, 2)


# --- report ----------------------------------------------------------------------------------


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="h1-bench-"))
    report: dict[str, object] = {}
    try:
        story_dir = scratch / "full"
        generate(story_dir, scenes=2000, words=700_000)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("loading", lambda: bench_loading(story_dir, report)),
            ("memory", lambda: bench_memory(story_dir, report)),
            ("step", lambda: bench_step(story_dir, report)),
            ("playtest", lambda: bench_playtest(report)),
            ("saves", lambda: bench_saves(report)),
            ("startup", lambda: bench_startup(report, scratch)),
            ("idle", lambda: bench_idle_cpu(report, scratch)),
            ("log", lambda: bench_log_latency(report)),
        ]
        for name, step in steps:
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - one failed measurement must not hide the rest
                report[f"{name}_error"] = f"{type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _table(report)
    print(json.dumps(report, sort_keys=True))
    return 0


def _table(report: dict[str, object]) -> None:
    print(f"{'measure':<34} {'value':>12}  target")
    for key in sorted(report):
        value = report[key]
        target = TARGETS.get(key)
        verdict = ""
        if target is not None and isinstance(value, int | float):
            verdict = f"<= {target}  {'ok' if value <= target else 'MISSED'}"
        shown = value if not isinstance(value, str) else value[:60]
        print(f"{key:<34} {shown!s:>12}  {verdict}")


if __name__ == "__main__":
    raise SystemExit(main())
