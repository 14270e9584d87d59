"""Which order an order log's entry meant, told apart from where the order stands in its scene.

The order log (`GameState.log`) names each order given by its machine state and its place in
that state's orders: exact within one version of the story, but an edit that reorders a scene's
orders, or renames a scene, makes those places point elsewhere. Beside each entry the game keeps
the order's *identity* (`GameState.log_ids`): a digest of what Lena says, as written (before any
`{variable}` is filled in), and the order's typed words:

    "3f9a0c1be2d4 report sitrep"

Replaying a log in a story that changed since (a save resumed, an undo after such a load) finds
each entry's order by that identity (`find_order`): the order that says the same words, else the
one with the same typed words. A scene that was renamed is the one the story now leads to where
it led to the old one, and that offers the order given there, word for word (`renamed`). An
entry whose identity is "" (a save from before identities were kept) is found by its place, as
before. Nothing here imports msgspec, Textual or the runtime.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from game.engine.model import Order, Story, split_state

DIGEST_CHARS = 12
UNKNOWN = ""


def order_id(order: Order) -> str:
    """The order's identity: a digest of its `say` as written, then its typed words."""
    digest = hashlib.sha256(order.say.encode("utf-8", "surrogatepass")).hexdigest()
    return " ".join((digest[:DIGEST_CHARS], *order.words))


def _said(identity: str) -> str:
    return identity.partition(" ")[0]


def _words(identity: str) -> str:
    return identity.partition(" ")[2]


def find_order(
    identity: str, index: int, ids: Sequence[str], *, same_scene: bool = True
) -> int | None:
    """The index, among a state's orders (whose identities are `ids`), of the order a log entry
    names: `identity` and `index` are the entry's. None when no order there is that order.

    An order saying the same words comes first (the entry's own place preferred when several
    do); else, in the same scene, the order with the same typed words (one whose text was
    edited). In a scene recognised as renamed (`same_scene=False`), only the words said count.
    An unknown identity is trusted to its place, in the same scene only.
    """
    if identity == UNKNOWN:
        return index if same_scene and 0 <= index < len(ids) else None
    said = _said(identity)
    found = [n for n, other in enumerate(ids) if _said(other) == said]
    if not found and same_scene and _words(identity):
        words = _words(identity)
        found = [n for n, other in enumerate(ids) if _words(other) == words]
    if not found:
        return None
    return index if index in found else found[0]


def renamed(story: Story, saved: str, here: str) -> bool:
    """Whether the machine state `saved` (from an older story) may be `here` under a new name:
    the story no longer has the scene `saved` names, and both are the same round (or neither
    is in an engagement)."""
    old_scene, old_round = split_state(saved)
    new_scene, new_round = split_state(here)
    return old_scene not in story.scenes and old_round == new_round and old_scene != new_scene
