"""The answer for a story too large for the exact search: boxes, real games, refined alarms.

1. `box.analyse` over-approximates every game: what it rules out is proved impossible (a
   machine state it never reaches, an order whose `if` cannot hold, a dead end or a dead voice
   it leaves no game state for).
2. Every question it leaves open is an alarm. Real games on the engine settle most of them
   (`concrete`): breadth-first for the shortest witnesses near the start, then seeded random
   games and persona games, then best-first towards each alarm still open. A game that shows
   an alarm is its witness.
3. What is still open is refined (`refine`): a set search that tracks only the atoms the alarm
   depends on, grown where a replay shows the abstraction too coarse, until it refutes the alarm
   or a replay confirms it. What the budget leaves is "undecided", by name.

Budget shares of `seconds`: the real games stop once every alarm has a witness, or when their
share is spent; refinement takes the rest.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from game.engine.conditions import Value
from game.engine.model import Story, split_state
from game.engine.playtest import order_key, order_keys
from game.engine.runtime import Engine
from game.engine.verify import Problem, Verdict, Witness, _message
from game.engine.verify.box import analyse, box_space
from game.engine.verify.concrete import (
    Sighting,
    Target,
    Tracker,
    breadth_first,
    directed,
    persona_games,
    random_games,
)
from game.engine.verify.live import Liveness, watched_lines
from game.engine.verify.refine import Refiner, Settled
from game.engine.verify.search import Found

BFS_SHARE = 0.05
GAMES_SHARE = 0.25
DIRECTED_SHARE = 0.15
STALE_CHUNKS = 3  # chunks of games in a row that show nothing new end the games
BFS_MAX_STATES = 50_000
CHUNK = 100  # games between checks of what is still open


def abstract_verdict(
    story: Story,
    *,
    seconds: float,
    warp: str | None,
    presets: Mapping[str, Value],
    seed_tries: int,
    witnesses: bool,
    questions: str = "all",
    progress: Callable[[int, int], None] | None = None,
    raw: bool = False,
) -> Verdict:
    """The verdict by the over-approximation (see the module docstring). `questions` is "all",
    "dead_ends" (dead ends alone) or "validate" (scenes, orders, endings and dead ends, without
    the dead voices: what `validate` asks; its dead ends are refined first)."""
    began = time.monotonic()
    deadline = began + max(0.0, seconds)
    presets = dict(presets)
    watched = watched_lines(story) if questions == "all" else ()
    liveness = Liveness(story, watched)
    space = box_space(story, liveness, presets)
    engine = Engine.new(story, 0, warp=warp, sets=presets)
    boxes = analyse(
        story,
        space,
        engine.state.scene,
        space.encode(engine.state),
        watched,
        deadline=deadline,
    )
    phases: dict[str, float] = {"seconds_boxes": round(time.monotonic() - began, 2)}
    states = story.states()
    reach: list[Target] = []
    if questions in ("all", "validate"):
        reach += [Target("state", s) for s in states]
        reach += [Target("order", s, i) for s in states for i in range(len(story.orders_at(s)))]
        reach += [Target("ending", ending=e) for e in story.endings]
    dead_ends = [
        Target("no_orders", s) for s in states if story.scenes[split_state(s)[0]].ending is None
    ]
    dead_ends += [Target("no_branch", s, i) for s in states for i in range(len(story.orders_at(s)))]
    # validate's budget is seconds: its dead ends (an error when found) are settled first
    targets = [*dead_ends, *reach] if questions == "validate" else [*reach, *dead_ends]
    voice_index = {id(w): n for n, w in enumerate(watched)}
    targets += [Target("dead_voice", voice=n) for n in range(len(watched))]
    possible_voices = {voice_index[id(w)] for w in boxes.dead_voices}

    def possible(t: Target) -> bool:
        # a box that stopped early, or clamped a value leaving its tracked range, proves nothing
        if not boxes.complete or boxes.open:
            return True
        if t.kind == "state":
            return t.state in boxes.at
        if t.kind == "order":
            return (t.state, t.order) in boxes.offered
        if t.kind == "ending":
            return any(story.scenes[split_state(s)[0]].ending == t.ending for s in boxes.at)
        if t.kind == "no_orders":
            return t.state in boxes.no_orders
        if t.kind == "no_branch":
            return (t.state, t.order) in boxes.no_branch
        return t.voice in possible_voices

    alarms = [t for t in targets if possible(t)]
    proved = {t for t in targets if not possible(t)}
    tracker = Tracker(story, watched)
    total = len(targets)

    def open_alarms() -> list[Target]:
        return [t for t in alarms if not tracker.seen(t)]

    def report() -> None:
        if progress is not None:
            progress(total - len(open_alarms()), total)

    report()
    games = 0
    mark = time.monotonic()
    if boxes.complete and open_alarms():
        now = time.monotonic()
        breadth_first(
            story,
            tracker,
            max_states=BFS_MAX_STATES,
            deadline=min(deadline, now + BFS_SHARE * seconds),
            warp=warp,
            sets=presets,
        )
        report()
        stop = min(deadline, time.monotonic() + GAMES_SHARE * seconds)
        run = 0
        stale = 0
        personas = bool(story.personas)
        while open_alarms() and time.monotonic() < stop and stale < STALE_CHUNKS:
            before = len(open_alarms())
            play = persona_games if personas and run % 2 else random_games
            games += play(
                story,
                tracker,
                games=CHUNK,
                deadline=stop,
                seed=run * CHUNK,
                warp=warp,
                sets=presets,
            )
            run += 1
            stale = stale + 1 if len(open_alarms()) == before else 0
            report()
        phases["seconds_games"] = round(time.monotonic() - mark, 2)
        mark = time.monotonic()
        stop = min(deadline, time.monotonic() + DIRECTED_SHARE * seconds)
        left = open_alarms()
        for n, target in enumerate(left):
            now = time.monotonic()
            if now > stop:
                break
            if tracker.seen(target):
                continue
            share = (stop - now) / max(1, len(left) - n)
            directed(
                story,
                tracker,
                target,
                expansions=2_000,
                deadline=min(stop, now + share),
                warp=warp,
                sets=presets,
            )
            report()
        phases["seconds_directed"] = round(time.monotonic() - mark, 2)
    mark = time.monotonic()
    settled: dict[Target, Settled] = {}
    refiner = Refiner(story, boxes, tracker, warp=warp, sets=presets)
    if boxes.complete and not boxes.open:
        left = open_alarms()
        for n, target in enumerate(left):
            now = time.monotonic()
            if now > deadline:
                break
            if tracker.seen(target):
                continue
            share = max((deadline - now) / max(1, len(left) - n), min(5.0, deadline - now))
            settled[target] = refiner.settle(
                target,
                deadline=min(deadline, now + share),
                seed_seconds=min(2.0, share / 3),
                seed_tries=seed_tries,
            )
            report()
    phases["seconds_refining"] = round(time.monotonic() - mark, 2)
    verdict = _verdict(
        story,
        began,
        boxes,
        targets,
        proved,
        tracker,
        settled,
        refiner,
        watched,
        games,
        warp,
        presets,
        questions,
        raw,
    )
    verdict.figures.update(phases)
    return verdict


def _verdict(
    story: Story,
    began: float,
    boxes: Any,
    targets: list[Target],
    proved: set[Target],
    tracker: Tracker,
    settled: dict[Target, Settled],
    refiner: Refiner,
    watched: tuple,
    games: int,
    warp: str | None,
    presets: dict[str, Value],
    questions: str,
    raw: bool,
) -> Verdict:
    def status(t: Target) -> str:
        if tracker.seen(t):
            return "reachable"
        if t in proved:
            return "unreachable"
        found = settled.get(t)
        if found is not None and found.status == "refuted":
            return "unreachable"
        if found is not None and found.status == "found":
            return "reachable"
        return "undecided"

    def witness(t: Target) -> Witness | None:
        sighting: Sighting | None = tracker.best.get(t)
        if sighting is not None:
            return Witness(list(sighting.log), [], sighting.seed, 1)
        found = settled.get(t)
        if found is not None and found.status == "found" and found.path is not None:
            path = found.path
            return Witness(
                path.log, [b for _, _, b in path.steps], None, found.tried, list(found.outcomes)
            )
        return None

    by_kind: dict[str, list[Target]] = {}
    for t in targets:
        by_kind.setdefault(t.kind, []).append(t)
    undecided: list[str] = []
    scenes: dict[str, int | None] = dict.fromkeys(story.scenes)
    scene_status: dict[str, str] = {}
    extra: dict[str, Witness] = {}
    for t in by_kind.get("state", []):
        assert t.state is not None
        scene_id, number = split_state(t.state)
        if number != 1:
            continue
        s = status(t)
        scene_status[scene_id] = s
        w = witness(t)
        if s == "reachable" and w is not None:
            scenes[scene_id] = len(w.orders)
            extra[f"scene:{scene_id}"] = w
        if s == "undecided":
            undecided.append(f"scene {scene_id}")
    orders: dict[str, bool] = dict.fromkeys(order_keys(story), False)
    order_status: dict[str, str] = {}
    for t in by_kind.get("order", []):
        assert t.state is not None and t.order is not None
        key = order_key(story, t.state, t.order)
        s = status(t)
        known = order_status.get(key)
        # an engagement's shared order is one order in every round: reachable in any of them
        rank = {"reachable": 2, "undecided": 1, "unreachable": 0}
        if known is None or rank[s] > rank[known]:
            order_status[key] = s
            w = witness(t)
            if s == "reachable" and w is not None:
                extra[f"order:{key}"] = w
        if s == "reachable":
            orders[key] = True
    undecided += [f"order {k}" for k, s in order_status.items() if s == "undecided"]
    endings: dict[str, Witness | None] = dict.fromkeys(story.endings)
    ending_status: dict[str, str] = {}
    for t in by_kind.get("ending", []):
        assert t.ending is not None
        s = status(t)
        ending_status[t.ending] = s
        if s == "reachable":
            endings[t.ending] = witness(t) or Witness([], [], None, 0, traced=False)
        if s == "undecided":
            undecided.append(f"ending {t.ending}")
    dead_ends: list[Problem] = []
    dead_voices: list[Problem] = []
    for t in [*by_kind.get("no_orders", []), *by_kind.get("no_branch", [])]:
        s = status(t)
        if s == "undecided":
            where = t.state if t.kind == "no_orders" else f"{t.state} order {t.order}"
            undecided.append(f"dead end? {where}")
        elif s == "reachable":
            found = Found(t.kind, t.state or "", t.order, 0, 0)
            dead_ends.append(
                Problem(t.kind, t.state or "", t.order, _message(story, found), witness(t))
            )
    for t in by_kind.get("dead_voice", []):
        assert t.voice is not None
        w: Any = watched[t.voice]
        s = status(t)
        if s == "undecided":
            undecided.append(f"dead voice? {w.pilot} in {w.state}")
        elif s == "reachable":
            found = Found("dead_voice", w.state, w.order, 0, 0, w, w.branch)
            dead_voices.append(
                Problem("dead_voice", w.state, w.order, _message(story, found), witness(t), w.pilot)
            )
    complete = boxes.complete and not boxes.open and not undecided
    judge = boxes.judge
    raw_states = len(story.states()) * math.prod(len(d) for d in judge.domains)
    refined = [s for s in settled.values()]
    figures: dict[str, Any] = {
        "atoms": len(judge.domains),
        "machine_states_reached": len(boxes.at),
        "box_passes": boxes.passes,
        "abstract_states": boxes.size(),
        "raw_states": raw_states,
        "log10_abstract": round(math.log10(max(1, boxes.size())), 1),
        "log10_raw": round(math.log10(max(1, raw_states)), 1),
        "questions": len(targets),
        "proved_by_boxes": len(proved),
        "alarms": len(targets) - len(proved),
        "witnessed_by_games": sum(1 for t in targets if tracker.seen(t)),
        "games": tracker.games,
        "orders_given_in_games": tracker.steps,
        "refined": len(refined),
        "refuted": sum(1 for s in refined if s.status == "refuted"),
        "confirmed": sum(1 for s in refined if s.status in ("confirmed", "found")),
        "tracked_most": max((len(s.tracked) for s in refined), default=0),
        "refinement_searches": refiner.searches,
        "replays": refiner.replays,
    }
    stopped = None
    if not boxes.complete or undecided:
        stopped = "time"
    verdict = Verdict(
        story,
        complete,
        stopped,
        time.monotonic() - began,
        boxes.size(),
        raw_states if raw else None,
        0,
        boxes.passes,
        scenes,
        orders,
        endings,
        dead_ends,
        dead_voices,
        sorted(boxes.open),
        sorted(boxes.pending),
        warp,
        dict(presets),
        method="abstract",
        status={"scenes": scene_status, "orders": order_status, "endings": ending_status},
        undecided=undecided,
        witnesses=extra,
        figures=figures,
        questions=questions,
        boxes=boxes,
    )
    return verdict
