"""The story as a graph: scenes and where their orders lead, as Mermaid or Graphviz DOT.

Chapters are grouped (Mermaid subgraphs, DOT clusters), endings are marked, an engagement is one
node, and an order or branch that has a condition is drawn dashed with the condition's source in
its label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def _short(text: str, limit: int = LABEL_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def _chapters(story: Story) -> dict[int, list[Node]]:
    grouped: dict[int, list[Node]] = {}
    for node in nodes(story):
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
}
_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(_MERMAID_ESCAPES)) + "]")


def mermaid_text(text: str) -> str:
    """Text made safe inside a quoted Mermaid label (entity codes for the special characters)."""
    text = " ".join(text.split())
    return _MERMAID_SPECIAL.sub(lambda m: _MERMAID_ESCAPES[m.group()], text)


def _chapter_id(number: int) -> str:
    return f"ch_{number}" if number >= 0 else f"ch_m{-number}"


def to_mermaid(story: Story) -> str:
    """A Mermaid flowchart of the story."""
    lines = ["flowchart TD", f'    start_marker(("{mermaid_text("start")}"))']
    for number, members in _chapters(story).items():
        title = mermaid_text(f"Chapter {number}: {story.chapter_title(number)}")
        lines.append(f'    subgraph {_chapter_id(number)}["{title}"]')
        for node in members:
            text = mermaid_text(node.label)
            shape = {"ending": '(["{}"])', "engagement": '{{{{"{}"}}}}', "scene": '["{}"]'}
            lines.append(f"        {node.id}{shape[node.kind].format(text)}")
        lines.append("    end")
    lines.append(f"    start_marker --> {node_id(story.start)}")
    for edge in edges(story):
        arrow = "-.->" if edge.conditional else "-->"
        lines.append(f'    {edge.source} {arrow}|"{mermaid_text(edge.label)}"| {edge.target}')
    endings = [n.id for n in nodes(story) if n.kind == "ending"]
    engagements = [n.id for n in nodes(story) if n.kind == "engagement"]
    lines.append("    classDef ending fill:#f4e4e4,stroke:#7a1f1f,stroke-width:3px")
    lines.append("    classDef engagement fill:#fff3d6,stroke:#8a6d00")
    if endings:
        lines.append(f"    class {','.join(endings)} ending")
    if engagements:
        lines.append(f"    class {','.join(engagements)} engagement")
    return "\n".join(lines) + "\n"


# --- Graphviz DOT -------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    """Text made safe inside a double-quoted DOT string."""
    text = " ".join(text.split())
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(story: Story) -> str:
    """A Graphviz digraph of the story."""
    lines = [
        "digraph story {",
        f'    graph [label="{dot_text(story.title)}", labelloc=t, fontname="Helvetica", '
        "rankdir=TB, compound=true];",
        '    node [shape=box, style="rounded", fontname="Helvetica"];',
        '    edge [fontname="Helvetica", fontsize=10];',
        '    start_marker [label="start", shape=circle];',
    ]
    styles = {
        "scene": "",
        "ending": ', shape=box, peripheries=2, style="rounded,filled", fillcolor="#f4e4e4"',
        "engagement": ', shape=hexagon, style=filled, fillcolor="#fff3d6"',
    }
    for number, members in _chapters(story).items():
        title = dot_text(f"Chapter {number}: {story.chapter_title(number)}")
        lines.append(f"    subgraph cluster_{_chapter_id(number)} {{")
        lines.append(f'        label="{title}";')
        for node in members:
            lines.append(f'        {node.id} [label="{dot_text(node.label)}"{styles[node.kind]}];')
        lines.append("    }")
    lines.append(f"    start_marker -> {node_id(story.start)};")
    for edge in edges(story):
        style = ", style=dashed" if edge.conditional else ""
        lines.append(f'    {edge.source} -> {edge.target} [label="{dot_text(edge.label)}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


FORMATS = {"mermaid": to_mermaid, "dot": to_dot}
