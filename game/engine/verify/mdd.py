"""Multi-valued decision diagrams: sets of game states, stored as shared graphs.

A set of assignments to a fixed list of levels (each level one atom of a game state, with a small
finite domain numbered 0..size-1) is one node id. Nodes are hash-consed (equal sets are equal
ids), fully reduced (a node whose children are all the same is that child: the level is free
there), and never freed. 0 is the empty set and 1 the set of every assignment.

Beside union, intersection and difference, a set can be pushed through a relation on one level
(`image`: each value v goes to every value in `rel[v]`) or pulled back through it (`preimage`),
have levels made free (`smear`: "any value", the existential), be counted, and have one member
picked (the cheapest by a cost per value). That is all the search needs: every effect of the
story is a relation on one level, every condition a set.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

Relation = tuple[tuple[int, ...], ...]  # rel[v]: the values v goes to

FALSE = 0
TRUE = 1
_CACHE_LIMIT = 1_000_000


class Mdd:
    """The node table of one family of sets over the same levels (see the module docstring)."""

    def __init__(self, sizes: Sequence[int]) -> None:
        self.sizes = tuple(sizes)
        self.terminal = len(self.sizes)
        self.level: list[int] = [self.terminal, self.terminal]
        self.kids: list[tuple[int, ...]] = [(), ()]
        self._unique: dict[tuple[int, tuple[int, ...]], int] = {}
        self._and: dict[tuple[int, int], int] = {}
        self._or: dict[tuple[int, int], int] = {}
        self._diff: dict[tuple[int, int], int] = {}
        self._image: dict[tuple[int, int, int], int] = {}
        self._pre: dict[tuple[int, int, int], int] = {}
        self._smear: dict[tuple[int, int], int] = {}
        self._relations: dict[Relation, int] = {}
        self._masks: dict[frozenset[int], int] = {}
        if sys.getrecursionlimit() < 4 * len(self.sizes) + 1000:
            sys.setrecursionlimit(4 * len(self.sizes) + 1000)

    @property
    def nodes(self) -> int:
        """How many nodes the table holds."""
        return len(self.level)

    def node(self, level: int, kids: tuple[int, ...]) -> int:
        """The node at `level` with these children (one per value), reduced and shared."""
        first = kids[0]
        if kids.count(first) == len(kids):
            return first
        key = (level, kids)
        found = self._unique.get(key)
        if found is None:
            found = len(self.level)
            self.level.append(level)
            self.kids.append(kids)
            self._unique[key] = found
        return found

    @property
    def weight(self) -> int:
        """Nodes plus cached results: what the table's memory grows with (roughly 250 bytes
        each)."""
        caches = (self._and, self._or, self._diff, self._image, self._pre, self._smear)
        return len(self.level) + sum(len(c) for c in caches)

    def trim(self) -> None:
        """Forget the operation caches once they grow large (the nodes stay)."""
        for cache in (self._and, self._or, self._diff, self._image, self._pre, self._smear):
            if len(cache) > _CACHE_LIMIT:
                cache.clear()

    # --- building sets --------------------------------------------------------------------------

    def literal(self, level: int, values: Sequence[int] | set[int] | frozenset[int]) -> int:
        """Every assignment whose `level` takes one of `values`."""
        allowed = set(values)
        return self.node(
            level, tuple(TRUE if v in allowed else FALSE for v in range(self.sizes[level]))
        )

    def cube(self, values: dict[int, int]) -> int:
        """The assignments with these levels fixed (the rest free)."""
        result = TRUE
        for level in sorted(values, reverse=True):
            kids = [FALSE] * self.sizes[level]
            kids[values[level]] = result
            result = self.node(level, tuple(kids))
        return result

    # --- set algebra ----------------------------------------------------------------------------

    def conj(self, a: int, b: int) -> int:
        """a ∩ b."""
        if a == FALSE or b == FALSE:
            return FALSE
        if a in (TRUE, b):
            return b
        if b == TRUE:
            return a
        if a > b:
            a, b = b, a
        key = (a, b)
        found = self._and.get(key)
        if found is not None:
            return found
        la, lb = self.level[a], self.level[b]
        conj = self.conj
        if la == lb:
            kids = tuple(conj(x, y) for x, y in zip(self.kids[a], self.kids[b], strict=True))
        elif la < lb:
            kids = tuple(conj(x, b) for x in self.kids[a])
        else:
            kids = tuple(conj(a, y) for y in self.kids[b])
            la = lb
        found = self._and[key] = self.node(la, kids)
        return found

    def disj(self, a: int, b: int) -> int:
        """a ∪ b."""
        if a == TRUE or b == TRUE:
            return TRUE
        if a in (FALSE, b):
            return b
        if b == FALSE:
            return a
        if a > b:
            a, b = b, a
        key = (a, b)
        found = self._or.get(key)
        if found is not None:
            return found
        la, lb = self.level[a], self.level[b]
        disj = self.disj
        if la == lb:
            kids = tuple(disj(x, y) for x, y in zip(self.kids[a], self.kids[b], strict=True))
        elif la < lb:
            kids = tuple(disj(x, b) for x in self.kids[a])
        else:
            kids = tuple(disj(a, y) for y in self.kids[b])
            la = lb
        found = self._or[key] = self.node(la, kids)
        return found

    def diff(self, a: int, b: int) -> int:
        """a \\ b."""
        if a in (FALSE, b) or b == TRUE:
            return FALSE
        if b == FALSE:
            return a
        key = (a, b)
        found = self._diff.get(key)
        if found is not None:
            return found
        la, lb = self.level[a], self.level[b]
        diff = self.diff
        if la == lb:
            kids = tuple(diff(x, y) for x, y in zip(self.kids[a], self.kids[b], strict=True))
        elif la < lb:
            kids = tuple(diff(x, b) for x in self.kids[a])
        else:
            kids = tuple(diff(a, y) for y in self.kids[b])
            la = lb
        found = self._diff[key] = self.node(la, kids)
        return found

    def negate(self, a: int) -> int:
        """The complement of a."""
        return self.diff(TRUE, a)

    def union(self, sets: Sequence[int]) -> int:
        """The union of several sets."""
        result = FALSE
        for s in sets:
            result = self.disj(result, s)
        return result

    # --- relations on one level -----------------------------------------------------------------

    def relation(self, rel: Relation) -> int:
        """An id for a relation (so that results can be cached)."""
        found = self._relations.get(rel)
        if found is None:
            found = self._relations[rel] = len(self._relations)
        return found

    def image(self, a: int, level: int, rel: Relation, rid: int) -> int:
        """{x with x[level] = w : some y in a has y[level] = v, w in rel[v], the rest equal}."""
        if a == FALSE:
            return FALSE
        la = self.level[a]
        if la < level:
            key = (a, level, rid)
            found = self._image.get(key)
            if found is None:
                kids = tuple(self.image(c, level, rel, rid) for c in self.kids[a])
                found = self._image[key] = self.node(la, kids)
            return found
        size = self.sizes[level]
        new = [FALSE] * size
        if la > level:  # the level is free in a: every value maps, each to a
            for targets in rel:
                for w in targets:
                    new[w] = a
            return self.node(level, tuple(new))
        key = (a, level, rid)
        found = self._image.get(key)
        if found is None:
            disj = self.disj
            for v, child in enumerate(self.kids[a]):
                if child != FALSE:
                    for w in rel[v]:
                        new[w] = disj(new[w], child)
            found = self._image[key] = self.node(level, tuple(new))
        return found

    def preimage(self, a: int, level: int, rel: Relation, rid: int) -> int:
        """{y : some w in rel[y[level]] has y with level set to w in a}."""
        if a == FALSE:
            return FALSE
        la = self.level[a]
        if la < level:
            key = (a, level, rid)
            found = self._pre.get(key)
            if found is None:
                kids = tuple(self.preimage(c, level, rel, rid) for c in self.kids[a])
                found = self._pre[key] = self.node(la, kids)
            return found
        if la > level:
            return self.node(level, tuple(a if targets else FALSE for targets in rel))
        key = (a, level, rid)
        found = self._pre.get(key)
        if found is None:
            kids = self.kids[a]
            new = []
            for targets in rel:
                got = FALSE
                for w in targets:
                    got = self.disj(got, kids[w])
                new.append(got)
            found = self._pre[key] = self.node(level, tuple(new))
        return found

    def smear(self, a: int, levels: frozenset[int]) -> int:
        """a with every level in `levels` made free (the union over their values)."""
        if not levels or a <= TRUE:
            return a
        mask = self._masks.get(levels)
        if mask is None:
            mask = self._masks[levels] = len(self._masks)
        return self._smear_rec(a, levels, mask)

    def _smear_rec(self, a: int, levels: frozenset[int], mask: int) -> int:
        if a <= TRUE:
            return a
        key = (a, mask)
        found = self._smear.get(key)
        if found is not None:
            return found
        la = self.level[a]
        kids = [self._smear_rec(c, levels, mask) for c in self.kids[a]]
        found = self.union(kids) if la in levels else self.node(la, tuple(kids))
        self._smear[key] = found
        return found

    # --- reading sets ---------------------------------------------------------------------------

    def contains(self, a: int, values: Sequence[int]) -> bool:
        """Whether the assignment `values` (one per level) is in a."""
        while a > TRUE:
            a = self.kids[a][values[self.level[a]]]
        return a == TRUE

    def count(self, a: int, counted: frozenset[int]) -> int:
        """How many assignments of the `counted` levels a holds (other levels are ignored: a
        must leave them free)."""
        sizes = self.sizes
        # product of counted sizes from level i to the end
        suffix = [1] * (self.terminal + 1)
        for i in range(self.terminal - 1, -1, -1):
            suffix[i] = suffix[i + 1] * (sizes[i] if i in counted else 1)
        memo: dict[int, int] = {}

        def below(node: int) -> int:
            # assignments of the counted levels from the node's level down
            if node == FALSE:
                return 0
            if node == TRUE:
                return 1
            found = memo.get(node)
            if found is None:
                level = self.level[node]
                total = 0
                for child in self.kids[node]:
                    if child != FALSE:
                        gap = suffix[level + 1] // suffix[self.level[child]]
                        total += gap * below(child)
                found = memo[node] = total
            return found

        if a == FALSE:
            return 0
        return (suffix[0] // suffix[self.level[a]]) * below(a)

    def pick(self, a: int, cost: Sequence[Sequence[int]]) -> list[int] | None:
        """The member of a with the least total cost (`cost[level][value]`), one value per
        level; None when a is empty."""
        if a == FALSE:
            return None
        cheapest = [min(range(len(c)), key=c.__getitem__) for c in cost]
        best_of = [c[v] for c, v in zip(cost, cheapest, strict=True)]
        free = [0] * (self.terminal + 1)
        for i in range(self.terminal - 1, -1, -1):
            free[i] = free[i + 1] + best_of[i]
        memo: dict[int, tuple[int, int]] = {}

        def best(node: int) -> int:
            # least cost from the node's level down
            if node == TRUE:
                return 0
            got = memo.get(node)
            if got is None:
                level = self.level[node]
                options = []
                for v, child in enumerate(self.kids[node]):
                    if child != FALSE:
                        gap = free[level + 1] - free[self.level[child]]
                        options.append((cost[level][v] + gap + best(child), v))
                got = memo[node] = min(options)
            return got[0]

        best(a) if a != TRUE else 0
        values = list(cheapest)
        node = a
        while node != TRUE:
            level = self.level[node]
            v = memo[node][1]
            values[level] = v
            node = self.kids[node][v]
            if node != TRUE:
                best(node)
        return values
