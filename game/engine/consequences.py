"""Which orders have a consequence a player can see later, counted the same way every time.

An order counts (issue 14: "choices differ in consequence, not wording") when any of these holds:

- **route**: it leads where no other order of its scene leads (the set of scenes its branches
  go to is its own), so the next scene differs with this choice;
- **record**: it reveals evidence (the dossier shows it), teaches a name or marks one asked (the
  roster and the roll call show it), or changes a pilot's status;
- **remembered**: it sets a true/false or text variable that a condition or a `{name}` in
  *another* scene reads: a line, an order or a branch later on differs because of it.

Changes to int variables alone (trust, standing and the other meters) do not count: they move a
bar, and every order moves one. Orders in ending scenes are not choices and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from game.engine.conditions import Name, walk
from game.engine.model import Effects, Order, Story, split_state, state_name
from game.engine.playtest import all_orders, branch_targets
from game.engine.text import placeholders


@dataclass
class Consequences:
    """The count: orders with a later consequence, of all orders outside ending scenes, and
    which orders have none (scene id and what Lena says)."""

    total: int = 0
    seen: int = 0
    by_kind: dict[str, int] = field(
        default_factory=lambda: {"route": 0, "record": 0, "remembered": 0}
    )
    without: list[tuple[str, str]] = field(default_factory=list)

    @property
    def share(self) -> float:
        """Orders with a later consequence, as a share of all (0..1)."""
        return self.seen / self.total if self.total else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "total": self.total,
            "seen_later": self.seen,
            "share": round(self.share, 4),
            "by_kind": dict(self.by_kind),
            "without": [{"scene": s, "say": say} for s, say in self.without],
        }


def _readers(story: Story) -> dict[str, set[str]]:
    """Variable name -> the scenes whose conditions or text read it."""
    readers: dict[str, set[str]] = {}

    def note(name: str, scene: str) -> None:
        readers.setdefault(name, set()).add(scene)

    for scene in story.scenes.values():
        expressions = []
        texts = [scene.title, *(line.text for line in scene.radio)]
        if scene.engagement is not None:
            eng = scene.engagement
            expressions.append(eng.danger)
            for rnd in eng.rounds:
                texts += [line.text for line in rnd.radio]
                expressions += [line.condition for line in rnd.radio]
                texts.append(rnd.warning or "")
            for branch in eng.after:
                expressions.append(branch.condition)
                texts += [line.text for line in branch.radio]
                expressions += [line.condition for line in branch.radio]
        expressions += [line.condition for line in scene.radio]
        for order in all_orders(story, scene.id):
            expressions += [order.condition, order.hint_if]
            texts += [order.say, *(line.text for line in order.radio)]
            expressions += [line.condition for line in order.radio]
            for branch in order.branches:
                expressions.append(branch.condition)
                texts += [line.text for line in branch.radio]
                expressions += [line.condition for line in branch.radio]
        for expression in expressions:
            if expression is None:
                continue
            for node in walk(expression.tree):
                if isinstance(node, Name):
                    note(node.name, scene.id)
        for text in texts:
            for name in placeholders(text):
                note(name, scene.id)
    return readers


def _effects(order: Order) -> list[Effects]:
    return [order.effects, *(branch.effects for branch in order.branches)]


def _kind(
    story: Story,
    readers: dict[str, set[str]],
    scene: str,
    order: Order,
    routes: list[frozenset[str]],
    index: int,
) -> str | None:
    """The first kind of later consequence the order has, or None."""
    others = routes[:index] + routes[index + 1 :]
    if others and routes[index] not in others:
        return "route"
    if any(fx.reveal or fx.learn or fx.asked or fx.status for fx in _effects(order)):
        return "record"
    written = {
        name for fx in _effects(order) for name, _ in fx.set if story.variables[name].type != "int"
    }
    if any(readers.get(name, set()) - {scene} for name in written):
        return "remembered"
    return None


def consequences(story: Story) -> Consequences:
    """Count the orders with a consequence a player can see later (see the module docstring)."""
    readers = _readers(story)
    result = Consequences()
    for scene in story.scenes.values():
        if scene.ending is not None:
            continue
        # Each order once: a scene's orders, or an engagement's shared orders (as the first
        # round offers them) and each round's own.
        groups = [(scene.id, story.orders_at(scene.id), range(len(story.orders_at(scene.id))))]
        if scene.engagement is not None:
            shared = len(scene.engagement.orders)
            groups = [(scene.id, story.orders_at(scene.id), range(len(story.orders_at(scene.id))))]
            for number in range(2, len(scene.engagement.rounds) + 1):
                state = state_name(scene.id, number)
                groups.append(
                    (state, story.orders_at(state), range(shared, len(story.orders_at(state))))
                )
        for state, orders, counted in groups:
            routes = [
                frozenset(split_state(b.goto)[0] for b in branch_targets(story, state, o))
                for o in orders
            ]
            for index in counted:
                kind = _kind(story, readers, scene.id, orders[index], routes, index)
                result.total += 1
                if kind is None:
                    result.without.append((scene.id, orders[index].say))
                else:
                    result.seen += 1
                    result.by_kind[kind] += 1
    return result
