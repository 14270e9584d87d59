"""The story as a graph: scenes and where their orders lead, as Mermaid or Graphviz DOT.

Chapters are grouped (Mermaid subgraphs, DOT clusters), endings are marked, an engagement is one
node, and an order or branch that has a condition is drawn dashed with the condition's source in
its label. Labels show the text as written (`{name}` stays `{name}`), escaped for each format, and
a label cut short is never cut inside a `{name}`.

A `Part` draws a readable piece of a big story: one chapter (`chapter_part`) or the scenes within
a few orders of one scene (`around_part`). Its scenes are drawn in full; a scene outside it that
one of its orders leads to (or that leads into it) is drawn as a small dashed stub, so every way
in and out shows.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from game.engine.diagnostics import one_line
from game.engine.model import Branch, Order, Scene, Story

LABEL_LIMIT = 36


@dataclass(frozen=True, slots=True)
class Node:
    """A scene in the story graph, with what kind of scene it is and the label it is drawn with."""

    id: str
    scene: Scene
    kind: str  # scene | ending | engagement
    label: str


@dataclass(frozen=True, slots=True)
class Edge:
    """A way from one scene to another: the order (or branch) that takes it, and whether an
    `if` on the order or the branch decides it."""

    source: str
    target: str
    label: str
    conditional: bool


_OPEN_INTERPOLATION = re.compile(r"\{[A-Za-z0-9_]*$")


def _short(text: str, limit: int = LABEL_LIMIT) -> str:
    """`text` on one line, cut to `limit` characters with `…`, never inside a `{name}`."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    opened = _OPEN_INTERPOLATION.search(cut)
    if opened is not None and not cut[: opened.start()].endswith("{"):  # `{{` is a brace
        cut = cut[: opened.start()].rstrip()
    return cut + "…"


def node_id(scene_id: str) -> str:
    """A graph id for a scene (prefixed: Mermaid reserves words like `end`)."""
    return f"s_{scene_id}"


def nodes(story: Story) -> list[Node]:
    """One node per scene, in story order."""
    found: list[Node] = []
    for scene in story.scenes.values():
        if scene.ending is not None:
            ending = story.endings[scene.ending]
            found.append(Node(node_id(scene.id), scene, "ending", f"END: {ending.title}"))
        elif scene.engagement is not None:
            rounds = len(scene.engagement.rounds)
            found.append(
                Node(node_id(scene.id), scene, "engagement", f"{scene.title} ({rounds} rounds)")
            )
        else:
            found.append(Node(node_id(scene.id), scene, "scene", scene.title))
    return found


def _order_label(order: Order, number: int | None) -> tuple[str, bool]:
    prefix = f"{number}. " if number is not None else ""
    label = f"{prefix}{_short(order.say)}"
    if order.condition is not None:
        return f"{label} [if {order.condition.source}]", True
    return label, False


def _branch_label(label: str, branch: Branch, many: bool) -> tuple[str, bool]:
    extra: list[str] = []
    if branch.condition is not None:
        extra.append(f"if {branch.condition.source}")
    if branch.weight is not None:
        extra.append(f"weight {branch.weight}")
    if many and not extra:
        extra.append("otherwise")
    text = f"{label} → {', '.join(extra)}" if extra else label
    return text, branch.condition is not None


def edges(story: Story) -> list[Edge]:
    """Every order (and branch) that leads from one scene to another."""
    found: list[Edge] = []

    def add(scene: Scene, label: str, conditional: bool, branches: tuple[Branch, ...]) -> None:
        for branch in branches:
            text, branch_conditional = _branch_label(label, branch, len(branches) > 1)
            found.append(
                Edge(
                    node_id(scene.id), node_id(branch.goto), text, conditional or branch_conditional
                )
            )

    for scene in story.scenes.values():
        if scene.engagement is None:
            for number, order in enumerate(scene.orders, 1):
                label, conditional = _order_label(order, number)
                add(scene, label, conditional, order.branches)
            continue
        engagement = scene.engagement
        orders = [*engagement.orders, *(o for r in engagement.rounds for o in r.orders)]
        for order in orders:
            if order.branches:
                label, conditional = _order_label(order, None)
                add(scene, label, conditional, order.branches)
        add(scene, f"after round {len(engagement.rounds)}", False, engagement.after)
    return found


@dataclass(frozen=True, slots=True)
class Part:
    """The scenes to draw in full, and what the drawing shows (for its title)."""

    scenes: frozenset[str]
    title: str


def chapters_of(story: Story) -> list[int]:
    """Every chapter a scene is in or the manifest declares, in order."""
    return sorted({s.chapter for s in story.scenes.values()} | set(story.chapters))


def chapter_part(story: Story, number: int) -> Part:
    """One chapter's scenes. Raises `ValueError` when the story has no such chapter."""
    if number not in chapters_of(story):
        raise ValueError(f"no chapter {number}")
    scenes = frozenset(s.id for s in story.scenes.values() if s.chapter == number)
    return Part(scenes, f"Chapter {number}: {story.chapter_title(number)}")


def around_part(story: Story, scene_id: str, depth: int) -> Part:
    """The scenes at most `depth` orders away from `scene_id`, following orders either way
    (what leads to it, and where it leads). Raises `ValueError` for an unknown scene or a
    negative depth."""
    if scene_id not in story.scenes:
        raise ValueError(f"no scene '{scene_id}'")
    if depth < 0:
        raise ValueError(f"a depth of {depth}: it counts orders, from 0")
    near: dict[str, set[str]] = {}
    for edge in edges(story):
        near.setdefault(edge.source, set()).add(edge.target)
        near.setdefault(edge.target, set()).add(edge.source)
    start = node_id(scene_id)
    distance = {start: 0}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if distance[here] == depth:
            continue
        for there in near.get(here, ()):
            if there not in distance:
                distance[there] = distance[here] + 1
                queue.append(there)
    scenes = frozenset(s.id for s in story.scenes.values() if node_id(s.id) in distance)
    orders = "order" if depth == 1 else "orders"
    return Part(scenes, f"Around {story.scenes[scene_id].title} ({depth} {orders} either way)")


@dataclass(frozen=True, slots=True)
class Bundle:
    """The edges drawn as one arrow: every order and branch from one scene to another, dashed
    or not alike, each a line of the label (a line said by several, once, with a count)."""

    source: str
    target: str
    conditional: bool
    labels: tuple[str, ...]


def bundles(found: list[Edge]) -> list[Bundle]:
    """`found` drawn as arrows: parallel edges of the same style share one, which keeps a
    scene with many orders to one place from spreading across the page."""
    grouped: dict[tuple[str, str, bool], dict[str, int]] = {}
    for edge in found:
        labels = grouped.setdefault((edge.source, edge.target, edge.conditional), {})
        labels[edge.label] = labels.get(edge.label, 0) + 1
    return [
        Bundle(source, target, conditional, tuple(_counted(t, n) for t, n in labels.items()))
        for (source, target, conditional), labels in grouped.items()
    ]


def _counted(label: str, times: int) -> str:
    return label if times == 1 else f"{label} (×{times})"


@dataclass(frozen=True, slots=True)
class _Drawing:
    """What one drawing holds: nodes by chapter, stubs for scenes outside the part, arrows."""

    chapters: dict[int, list[Node]]
    stubs: list[Node]
    arrows: list[Bundle]
    start: bool  # whether the start marker is drawn
    title: str


def _drawing(story: Story, part: Part | None) -> _Drawing:
    everything = nodes(story)
    if part is None:
        return _Drawing(_chapters(everything), [], bundles(edges(story)), True, story.title)
    inside = {node_id(s) for s in part.scenes}
    drawn = [e for e in edges(story) if e.source in inside or e.target in inside]
    ends = {e.source for e in drawn} | {e.target for e in drawn}
    stubs = [
        Node(n.id, n.scene, "stub", f"{n.label} (chapter {n.scene.chapter})")
        for n in everything
        if n.id in ends and n.id not in inside
    ]
    shown = [n for n in everything if n.id in inside]
    title = f"{story.title}: {part.title}"
    return _Drawing(_chapters(shown), stubs, bundles(drawn), story.start in part.scenes, title)


def _chapters(members: list[Node]) -> dict[int, list[Node]]:
    grouped: dict[int, list[Node]] = {}
    for node in members:
        grouped.setdefault(node.scene.chapter, []).append(node)
    return dict(sorted(grouped.items()))


# --- Mermaid ----------------------------------------------------------------------------------

_MERMAID_ESCAPES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "|": "#124;",
    "`": "#96;",
    "{": "#123;",  # `{name}` as written: Mermaid reads braces as a shape
    "}": "#125;",
}
_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(_MERMAID_ESCAPES)) + "]")


def mermaid_text(text: str) -> str:
    """Text made safe inside a quoted Mermaid label (entity codes for the special characters;
    control characters as visible symbols)."""
    text = one_line(" ".join(text.split()))
    return _MERMAID_SPECIAL.sub(lambda m: _MERMAID_ESCAPES[m.group()], text)


def _chapter_id(number: int) -> str:
    return f"ch_{number}" if number >= 0 else f"ch_m{-number}"


def to_mermaid(story: Story, part: Part | None = None) -> str:
    """A Mermaid flowchart of the story, or of a part of it."""
    drawing = _drawing(story, part)
    lines = ["flowchart TD"]
    if drawing.start:
        lines.append(f'    start_marker(("{mermaid_text("start")}"))')
    shape = {
        "ending": '(["{}"])',
        "engagement": '{{{{"{}"}}}}',
        "scene": '["{}"]',
        "stub": '(["{}"])',
    }
    for number, members in drawing.chapters.items():
        title = mermaid_text(f"Chapter {number}: {story.chapter_title(number)}")
        lines.append(f'    subgraph {_chapter_id(number)}["{title}"]')
        for node in members:
            lines.append(f"        {node.id}{shape[node.kind].format(mermaid_text(node.label))}")
        lines.append("    end")
    for node in drawing.stubs:
        lines.append(f"    {node.id}{shape[node.kind].format(mermaid_text(node.label))}")
    if drawing.start:
        lines.append(f"    start_marker --> {node_id(story.start)}")
    for bundle in drawing.arrows:
        arrow = "-.->" if bundle.conditional else "-->"
        label = "<br>".join(mermaid_text(text) for text in bundle.labels)
        lines.append(f'    {bundle.source} {arrow}|"{label}"| {bundle.target}')
    drawn = [n for members in drawing.chapters.values() for n in members]
    lines.append("    classDef ending fill:#f4e4e4,stroke:#7a1f1f,stroke-width:3px")
    lines.append("    classDef engagement fill:#fff3d6,stroke:#8a6d00")
    classes: dict[str, list[str]] = {"ending": [], "engagement": [], "stub": []}
    for node in [*drawn, *drawing.stubs]:
        classes.get(node.kind, []).append(node.id)
    if drawing.stubs:
        lines.append(
            "    classDef stub fill:#ffffff,stroke:#888888,stroke-dasharray:4,color:#555555"
        )
    for kind, members in classes.items():
        if members:
            lines.append(f"    class {','.join(members)} {kind}")
    return "\n".join(lines) + "\n"


# --- Graphviz DOT -------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    """Text made safe inside a double-quoted DOT string (control characters as visible
    symbols; a backslash stays a backslash, so `\\n` in the text is never a line break)."""
    text = one_line(" ".join(text.split()))
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(story: Story, part: Part | None = None) -> str:
    """A Graphviz digraph of the story, or of a part of it."""
    drawing = _drawing(story, part)
    lines = [
        "digraph story {",
        f'    graph [label="{dot_text(drawing.title)}", labelloc=t, fontname="Helvetica", '
        "rankdir=TB, compound=true];",
        '    node [shape=box, style="rounded", fontname="Helvetica"];',
        '    edge [fontname="Helvetica", fontsize=10];',
    ]
    if drawing.start:
        lines.append('    start_marker [label="start", shape=circle];')
    styles = {
        "scene": "",
        "ending": ', shape=box, peripheries=2, style="rounded,filled", fillcolor="#f4e4e4"',
        "engagement": ', shape=hexagon, style=filled, fillcolor="#fff3d6"',
        "stub": ', style="rounded,dashed", color="#888888", fontcolor="#555555"',
    }
    for number, members in drawing.chapters.items():
        title = dot_text(f"Chapter {number}: {story.chapter_title(number)}")
        lines.append(f"    subgraph cluster_{_chapter_id(number)} {{")
        lines.append(f'        label="{title}";')
        for node in members:
            lines.append(f'        {node.id} [label="{dot_text(node.label)}"{styles[node.kind]}];')
        lines.append("    }")
    for node in drawing.stubs:
        lines.append(f'    {node.id} [label="{dot_text(node.label)}"{styles[node.kind]}];')
    if drawing.start:
        lines.append(f"    start_marker -> {node_id(story.start)};")
    for bundle in drawing.arrows:
        style = ", style=dashed" if bundle.conditional else ""
        label = "\\n".join(dot_text(text) for text in bundle.labels)
        lines.append(f'    {bundle.source} -> {bundle.target} [label="{label}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


FORMATS = {"mermaid": to_mermaid, "dot": to_dot}
