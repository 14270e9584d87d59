"""Line coverage: how often each conditional radio line was heard, each order given and each
branch taken, over the games a playtest plays (as ChoiceScript reports hit counts per line).

What is counted, each at its `FILE:LINE:COL`:

- **lines**: every radio line with an `if` or `once` (a line without either is heard whenever
  its scene, order or branch is): a scene's and a round's lines on arriving, an order's lines
  after its effects, a branch's lines after the branch's effects, judged as the engine judges
  them;
- **orders**: every order written, each time it is given (an engagement's shared order once,
  whatever the round);
- **branches**: every branch of an order (or of an engagement's `after`) that has more than
  one, each time it is taken.

Random playtests count games; the exhaustive one counts distinct game states (each once). The
branch an order takes is worked out on a copy of the game before the order is given, as the
machine works it out (the same roll from the same generator), so counting changes nothing in
the games played.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from game.engine.machine import StateFacts, apply_effects, resolve_round
from game.engine.model import Branch, Line, Order, Story, split_state
from game.engine.playtest import all_orders, branch_targets
from game.engine.runtime import Engine
from game.engine.state import SaidLine


@dataclass(frozen=True, slots=True)
class Item:
    """One thing counted: its kind ("line", "order", "branch"), where it is written, and a
    few words to recognise it by."""

    kind: str
    mark: str
    text: str


class Coverage:
    """Hit counts for one story's conditional lines, orders and branches (see the module
    docstring). Call `arrived` in each game state reached and `giving` before each order."""

    def __init__(self, story: Story) -> None:
        self.story = story
        self.items: dict[int, Item] = {}
        self.hits: Counter[int] = Counter()
        self._objects: list[object] = []  # keeps the ids above meaning the same objects
        for scene in story.scenes.values():
            self._lines(scene.radio)
            if scene.engagement is not None:
                for round_ in scene.engagement.rounds:
                    self._lines(round_.radio)
                self._branches(scene.engagement.after, "after")
            for order in all_orders(story, scene.id):
                self._add(order, Item("order", str(order.mark), _short(order.say)))
                self._lines(order.radio)
                self._branches(order.branches, _short(order.say))

    def _add(self, thing: object, item: Item) -> None:
        if id(thing) not in self.items:
            self._objects.append(thing)
            self.items[id(thing)] = item

    def _lines(self, lines: tuple[Line, ...]) -> None:
        for line in lines:
            if line.condition is not None or line.once:
                self._add(
                    line, Item("line", str(line.mark), f"{line.speaker}: {_short(line.text)}")
                )
            # a branch's own lines (in `after`) are added with the branch

    def _branches(self, branches: tuple[Branch, ...], what: str) -> None:
        for k, branch in enumerate(branches):
            self._lines(branch.radio)
            if len(branches) > 1:
                self._add(
                    branch, Item("branch", str(branch.mark), f"{what} -> {branch.goto} ({k + 1})")
                )

    # --- counting -----------------------------------------------------------------------------

    def arrived(self, engine: Engine) -> None:
        """Count the lines heard on arriving where the game stands."""
        state = engine.state
        scene_id, number = split_state(state.scene)
        scene = self.story.scenes[scene_id]
        lines: tuple[Line, ...] = scene.radio if number == 1 else ()
        if scene.engagement is not None:
            lines += scene.engagement.rounds[number - 1].radio
        first_visit = state.visits.get(scene_id, 0) <= 1
        hits, items = self.hits, self.items
        for line in lines:
            if id(line) not in items or (line.once and not first_visit):
                continue
            if line.condition is None or line.condition(engine):
                hits[id(line)] += 1

    def giving(self, engine: Engine, index: int) -> None:
        """Count the order about to be given, its lines heard and the branch it will take."""
        from game.engine.verify.concrete import _branch_taken

        story = self.story
        here = engine.state.scene
        scene_id, number = split_state(here)
        scene = story.scenes[scene_id]
        order: Order = story.orders_at(here)[index]
        self.hits[id(order)] += 1
        after = engine.state.copy(log=False)
        facts = StateFacts(after)
        said: list[SaidLine] = []
        apply_effects(story, engine.machine, after, order.effects, said)
        self._heard(order.radio, facts)
        routes = branch_targets(story, here, order)
        counted = len(routes) > 1 or any(id(line) in self.items for b in routes for line in b.radio)
        if not counted:
            return
        if scene.engagement is not None:
            resolve_round(story, scene, number, order, facts, said)
        k = _branch_taken(story, here, order, after, facts)
        if k is None:
            return
        branch = routes[k]
        if id(branch) in self.items:
            self.hits[id(branch)] += 1
        apply_effects(story, engine.machine, after, branch.effects, said)
        self._heard(branch.radio, facts)

    def _heard(self, lines: tuple[Line, ...], facts: StateFacts) -> None:
        for line in lines:
            if id(line) in self.items and (line.condition is None or line.condition(facts)):
                self.hits[id(line)] += 1

    # --- the report ---------------------------------------------------------------------------

    def never(self) -> list[Item]:
        """What no game heard, gave or took, in the files' order."""
        missed = [item for key, item in self.items.items() if not self.hits[key]]
        return sorted(missed, key=_place)

    def to_json(self) -> dict[str, Any]:
        """Per kind: how many there are, how many were hit, and every one's mark, words and
        hit count (in the files' order)."""
        out: dict[str, Any] = {}
        for kind in ("line", "order", "branch"):
            entries = sorted(
                ((item, self.hits[key]) for key, item in self.items.items() if item.kind == kind),
                key=lambda pair: _place(pair[0]),
            )
            out["branches" if kind == "branch" else f"{kind}s"] = {
                "total": len(entries),
                "hit": sum(1 for _, n in entries if n),
                "items": [{"at": i.mark, "text": i.text, "hits": n} for i, n in entries],
            }
        return out


def _place(item: Item) -> tuple[str, int, int]:
    path, _, rest = item.mark.rpartition(":")
    path2, _, line = path.rpartition(":")
    try:
        return (path2, int(line), int(rest))
    except ValueError:
        return (item.mark, 0, 0)


def _short(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
