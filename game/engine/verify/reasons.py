"""Why a scene, order or ending is never reached: the reasons `validate` gives with W023-W025.

A reason is read from the boxes (`box.Boxes`) the proof came from, so it states only what holds
in every game: the values each atom a condition reads can take where it is judged ("there,
status(matchstick) is always active"), and, for a scene, how each way into it is closed. When
the proof came from elsewhere (a refinement, the exact search) or the boxes do not show it,
there is no reason, and the diagnostic says so by pointing at `handler-one verify`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from game.engine.model import Story, split_state
from game.engine.playtest import branch_targets, order_key

if TYPE_CHECKING:
    from game.engine.verify import Verdict
    from game.engine.verify.box import Box, Boxes, Key

MAX_WAYS = 3  # ways into a scene named in its reason


def _boxes(verdict: Verdict) -> Boxes | None:
    boxes = verdict.boxes
    if boxes is None or not boxes.complete or boxes.open:
        return None  # an unfinished or clamped over-approximation proves nothing
    return boxes


def order_places(story: Story, key: str) -> list[tuple[str, int]]:
    """The machine states and indices where the order named `key` (`playtest.order_key`) is
    offered: one for a scene's order, one per round for an engagement's shared order."""
    scene_id = key.split("/")[0].split("#")[0]
    return [
        (state, index)
        for state in story.states()
        if split_state(state)[0] == scene_id
        for index in range(len(story.orders_at(state)))
        if order_key(story, state, index) == key
    ]


def why_never_offered(verdict: Verdict, key: str) -> str:
    """Why the order `key` (proved never offered) is never offered, as a clause: no game
    reaches where it is given, or its `if` never holds there, with the values the boxes give
    what the `if` reads ("there, trust is between 0 and 3") when they show it."""
    story = verdict.story
    places = order_places(story, key)
    state, index = places[0]
    order = story.orders_at(state)[index]
    boxes = _boxes(verdict)
    if order.condition is None or (boxes is not None and not any(s in boxes.at for s, _ in places)):
        return f"no game reaches '{state}'" if len(places) == 1 else "no game reaches its rounds"
    clause = f"its 'if' ({order.condition.source}) never holds in '{split_state(state)[0]}'"
    if boxes is None:
        return clause
    facts: dict[str, None] = {}
    judge = boxes.judge
    for place, _ in places:
        box = boxes.at.get(place)
        if box is None:
            continue
        if judge.can(box, order.condition.tree):
            return clause  # refuted by a finer search than the box: no fact of the box says why
        facts.update(dict.fromkeys(_facts(boxes, box, judge.keys(order.condition.tree))))
    return f"{clause} (there, {'; '.join(facts)})" if facts else clause


def why_never_reached(verdict: Verdict, scene_id: str) -> str | None:
    """Why no game reaches the scene: how each way into it (an order's branch leading there)
    is closed, the first `MAX_WAYS` of them. None when the boxes do not show it."""
    boxes = _boxes(verdict)
    story = verdict.story
    if boxes is None:
        return None
    closed: list[str] = []
    for state in story.states():
        for index, order in enumerate(story.orders_at(state)):
            for k, branch in enumerate(branch_targets(story, state, order)):
                if branch.goto != scene_id:
                    continue
                if state not in boxes.at:
                    why = f"'{state}' is never reached"
                elif (state, index) not in boxes.offered:
                    why = f"\"{_short(order.say)}\" in '{state}' is never offered"
                elif (state, index, k) not in boxes.taken:
                    if branch.condition is not None:
                        why = (
                            f"the branch of \"{_short(order.say)}\" in '{state}' needs "
                            f"'{branch.condition.source}', which never holds there"
                        )
                    else:
                        why = (
                            f"the branch of \"{_short(order.say)}\" in '{state}' is always "
                            "passed over for one before it"
                        )
                else:
                    return None  # taken in the boxes: refuted by a finer search
                closed.append(why)
    if not closed:
        return None
    more = len(closed) - MAX_WAYS
    tail = f"; and {more} more way(s) in" if more > 0 else ""
    return "; ".join(dict.fromkeys(closed[:MAX_WAYS])) + tail


def _facts(boxes: Boxes, box: Box, keys: list[Key]) -> list[str]:
    """What every game state of the box says of each atom in `keys`, in words."""
    judge = boxes.judge
    narrowed: list[str] = []
    every: list[str] = []
    for key in keys:
        values = judge.values(box, key)
        if not values:
            continue
        fact = f"{_atom_name(key)} {_values_in_words(boxes, key, values)}"
        level = judge.level.get(key)
        whole = level is not None and len(values) == len(judge.domains[level])
        every.append(fact)
        if not whole:
            narrowed.append(fact)
    # what the box narrows says why; when it narrows nothing, the values of each part do
    return narrowed or every


def _atom_name(key: Key) -> str:
    kind, name = key
    return {
        "var": name,
        "visits": f"visits({name})",
        "ev": f"has({name})",
        "ded": f"deduced({name})",
        "status": f"status({name})",
        "known": f"knows({name})",
        "losses": f"losses({name})",
    }.get(kind, f"{name}()")


def _values_in_words(boxes: Boxes, key: Key, values: list[Any]) -> str:
    judge = boxes.judge
    level = judge.level.get(key)
    if key[0] == "visits" and level is not None:
        # the top of a visit count's domain stands for "that many or more"
        top = judge.domains[level][-1]
        low, high = min(values), max(values)
        if high == top:
            return f"is at least {low}" if low else "may be anything"
        return f"is always {low}" if low == high else f"is between {low} and {high}"
    if all(isinstance(v, bool) for v in values):
        return f"is always {str(values[0]).lower()}" if len(values) == 1 else "may be either"
    if all(isinstance(v, int) for v in values) and len(values) > 2:
        low, high = min(values), max(values)
        if list(values) == list(range(low, high + 1)):
            return f"is between {low} and {high}"
    if len(values) == 1:
        return f"is always {_show(values[0])}"
    return "is one of " + ", ".join(_show(v) for v in values)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
