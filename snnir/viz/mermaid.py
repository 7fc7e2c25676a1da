"""Mermaid flowchart text for a graph (renders in GitHub, GitLab and many Markdown viewers)."""

from __future__ import annotations

import json

from ..ir import Graph
from . import style as S
from .dot import check_direction
from .scene import Box, Scene, build_scene


def to_mermaid(graph: Graph, expand: bool = False, show_errors: bool = False, direction: str = "LR") -> str:
    """The graph as a Mermaid ``flowchart LR``: the same content as :func:`snnir.viz.to_dot`.

    Node ids become ``n0, n1, ...`` (Mermaid ids cannot hold every snnir id); labels show the real ids.
    Feedback edges are dotted (``-.->``) and red; cycles and composites are subgraphs.
    """
    return scene_to_mermaid(build_scene(graph, expand=expand, show_errors=show_errors), check_direction(direction))


def scene_to_mermaid(scene: Scene, direction: str = "LR") -> str:
    ref = {nid: f"n{i}" for i, nid in enumerate(scene.nodes)}
    box_ids = {box.name: f"box{i}" for i, box in enumerate(scene.boxes())}
    # a JSON string is a valid YAML double-quoted string, whatever the graph's name holds
    lines = ["---", f"title: {json.dumps(scene.title, ensure_ascii=False)}", "---", f"flowchart {direction}"]
    for p in scene.notes:
        lines.append(f"  %% {p.severity} {p.code}: {' '.join(p.message.split())}")

    def emit(items, indent: str) -> None:
        for item in items:
            if isinstance(item, Box):
                lines.append(f'{indent}subgraph {box_ids[item.name]}["{_text(item.label)}"]')
                emit(item.items, indent + "  ")
                lines.append(f"{indent}end")
            else:
                lines.append(f'{indent}{ref[item]}["{_label(scene, item)}"]')

    emit(scene.items, "  ")
    styles: list[str] = []
    for k, e in enumerate(scene.edges):
        arrow = "-.->" if e.feedback else "-->"
        label = f'|"{_text(e.label)}"|' if e.label else ""
        lines.append(f"  {ref[e.src]} {arrow}{label} {ref[e.dst]}")
        if e.severity:
            colour = S.ERROR if e.severity == "error" else S.WARNING
            styles.append(f"  linkStyle {k} stroke:{colour},stroke-width:2.5px")
        elif e.feedback:
            styles.append(f"  linkStyle {k} stroke:{S.FEEDBACK},stroke-width:1.6px")
        elif e.delay:
            styles.append(f"  linkStyle {k} stroke:{S.DELAYED}")
    for role, fill in S.FILL.items():
        dash = ",stroke-dasharray:4 3" if role == "unknown" else ""
        lines.append(f"  classDef {role} fill:{fill},stroke:{S.BORDER}{dash}")
    lines.append(f"  classDef error fill:{S.ERROR_FILL},stroke:{S.ERROR},stroke-width:2.5px")
    lines.append(f"  classDef warning fill:{S.WARNING_FILL},stroke:{S.WARNING},stroke-width:2px")
    by_class: dict[str, list[str]] = {}
    for nid, n in scene.nodes.items():
        cls = n.severity if (scene.show_errors and n.severity) else n.role
        by_class.setdefault(cls, []).append(ref[nid])
    for cls, refs in by_class.items():
        lines.append(f"  class {','.join(refs)} {cls}")
    for box in scene.boxes():
        colour = (S.CYCLE_FILL, S.CYCLE_BORDER) if box.kind == "cycle" else (S.COMPOSITE_FILL, S.COMPOSITE_BORDER)
        lines.append(f"  style {box_ids[box.name]} fill:{colour[0]},stroke:{colour[1]}")
    lines.extend(styles)
    return "\n".join(lines) + "\n"


def _label(scene: Scene, nid: str) -> str:
    n = scene.nodes[nid]
    rows = [f"<b>{_text(n.id)}</b>"]
    rows.extend(_text(x) for x in (("no such node",) if n.role == "unknown" else n.lines))
    if scene.show_errors:
        rows.extend(_text(f"{p.severity}: {p.code}") for p in n.problems)
    return "<br/>".join(dict.fromkeys(rows))


def _text(text: str) -> str:
    """Text safe inside a quoted Mermaid label (quotes and brackets become entities)."""
    table = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "|": "#124;", "[": "#91;", "]": "#93;", "{": "#123;",
             "}": "#125;", "#": "#35;", "\n": " "}
    return "".join(table.get(c, c) for c in text)
