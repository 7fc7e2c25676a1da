"""Graphviz DOT text for a graph (deterministic: the same graph always gives the same text)."""

from __future__ import annotations

import html

from ..ir import Graph
from . import style as S
from .errors import DrawError
from .scene import Box, DrawEdge, DrawNode, Scene, build_scene


def to_dot(graph: Graph, expand: bool = False, show_errors: bool = False, direction: str = "LR") -> str:
    """The graph as Graphviz DOT text, laid out left to right (inputs left, outputs right; ``direction="TB"``
    puts inputs on top, for deep chains).

    Each node shows its id, kind, output shape and parameter count; edges show their delay and ports;
    feedback edges (marked in the graph, or that the compiler will mark: "feedback (auto)") are dashed
    and red and do not constrain the layout; strongly connected components are boxed as "cycle k";
    composites (ids ``block/inner``) are one node, or a box with ``expand=True``. With
    ``show_errors=True`` the problems ``snnir.check`` finds are drawn on the nodes and edges they name.
    """
    return scene_to_dot(build_scene(graph, expand=expand, show_errors=show_errors), check_direction(direction))


def check_direction(direction: str) -> str:
    if direction not in ("LR", "TB"):
        raise DrawError(f"unknown direction {direction!r}; use \"LR\" (inputs left) or \"TB\" (inputs on top)")
    return direction


def scene_to_dot(scene: Scene, direction: str = "LR") -> str:
    lines = [
        "digraph snnir {",
        f"  graph [rankdir={direction}, newrank=true, fontname={_q(S.FONT)}, fontsize=12, labelloc=t, labeljust=l, "
        f"nodesep=0.25, ranksep=0.45, pad=0.2, label={_graph_label(scene)}];",
        f"  node [shape=box, style=\"rounded,filled\", fontname={_q(S.FONT)}, fontsize=11, "
        f"color={_q(S.BORDER)}, fontcolor={_q(S.TEXT)}, penwidth=1.2, margin=\"0.12,0.05\"];",
        f"  edge [fontname={_q(S.FONT)}, fontsize=9, color={_q(S.EDGE)}, fontcolor={_q(S.MUTED)}, "
        "arrowsize=0.7, penwidth=1.1];",
    ]
    _items(scene, scene.items, lines, "  ")
    inputs = [n.id for n in scene.nodes.values() if n.role == "input"]
    outputs = [n.id for n in scene.nodes.values() if n.role == "output"]
    if inputs:
        lines.append("  { rank=source; " + " ".join(f"{_q(i)};" for i in inputs) + " }")
    if outputs:
        lines.append("  { rank=sink; " + " ".join(f"{_q(i)};" for i in outputs) + " }")
    for k, e in enumerate(scene.edges):
        lines.append(f"  {_q(e.src)} -> {_q(e.dst)} [{_edge_attrs(e, k)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _items(scene: Scene, items, lines: list[str], indent: str) -> None:
    for item in items:
        if isinstance(item, Box):
            lines.append(f"{indent}subgraph {_q('cluster_' + item.name)} {{")
            if item.kind == "cycle":
                attrs = (f"label={_q(item.label)}, style=\"rounded,filled,dashed\", color={_q(S.CYCLE_BORDER)}, "
                         f"fillcolor={_q(S.CYCLE_FILL)}, fontcolor={_q(S.FEEDBACK)}")
            else:
                attrs = (f"label={_q(item.label)}, style=\"rounded,filled\", color={_q(S.COMPOSITE_BORDER)}, "
                         f"fillcolor={_q(S.COMPOSITE_FILL)}, fontcolor={_q(S.MUTED)}")
            lines.append(f"{indent}  graph [{attrs}, fontsize=10, labeljust=l];")
            _items(scene, item.items, lines, indent + "  ")
            lines.append(f"{indent}}}")
        else:
            lines.append(f"{indent}{_q(item)} [{_node_attrs(scene, scene.nodes[item])}];")


def _node_attrs(scene: Scene, n: DrawNode) -> str:
    fill = S.FILL[n.role]
    attrs = [f"id={_q('node:' + n.id)}", f"class={_q(n.role)}"]
    rows = [f"<b>{_h(n.id)}</b>"]
    if n.role == "unknown":
        rows.append(f'<font point-size="9" color="{S.MUTED}">no such node</font>')
        attrs.append('style="rounded,dashed"')
    else:
        rows.append(f'<font point-size="9">{_h(n.lines[0])}</font>')
        rows.extend(f'<font point-size="8" color="{S.MUTED}">{_h(x)}</font>' for x in n.lines[1:])
    if n.role == "composite":
        attrs.append('style="rounded,filled,bold"')
    tooltip = n.tooltip
    if scene.show_errors and n.problems:
        border, fill = S.severity_colours(n.severity)  # type: ignore[misc]
        codes = list(dict.fromkeys(f"{p.severity}: {p.code}" for p in n.problems))
        rows.extend(f'<font point-size="8" color="{border}">{_h(c)}</font>' for c in codes)
        attrs += [f"color={_q(border)}", "penwidth=2.4"]
        tooltip += "".join(f"\n{p.severity} {p.code}: {p.message}" for p in n.problems)
    attrs += [f"fillcolor={_q(fill)}", "label=<" + "<br/>".join(rows) + ">", f"tooltip={_q(tooltip)}"]
    return ", ".join(attrs)


def _edge_attrs(e: DrawEdge, k: int) -> str:
    classes = []
    attrs = {"id": _q(f"edge:{k}")}
    if e.feedback:
        classes += ["feedback", e.feedback]
        attrs.update(style="dashed", color=_q(S.FEEDBACK), fontcolor=_q(S.FEEDBACK), penwidth="1.6")
    elif e.delay:
        classes.append("delayed")
        attrs.update(color=_q(S.DELAYED), fontcolor=_q(S.DELAYED))
    if e.severity:
        classes.append(e.severity)
        colour = _q(S.ERROR if e.severity == "error" else S.WARNING)
        attrs.update(color=colour, fontcolor=colour, penwidth="2.4")
    if not e.constraint:
        attrs["constraint"] = "false"
    if e.label:
        attrs["label"] = _q(" " + e.label + " ")
    if classes:
        attrs["class"] = _q(" ".join(classes))
    attrs["tooltip"] = _q(f"{e.src} -> {e.dst}" + (f" ({e.label})" if e.label else ""))
    return ", ".join(f"{k}={v}" for k, v in attrs.items())


def _graph_label(scene: Scene) -> str:
    rows = [f'<font point-size="12">{_h(scene.title)}</font>']
    for p in scene.notes:
        colour = S.ERROR if p.severity == "error" else S.WARNING
        rows.append(f'<font point-size="10" color="{colour}">{_h(f"{p.severity} {p.code}: {p.message}")}</font>')
    return "<" + "<br align=\"left\"/>".join(rows) + "<br align=\"left\"/>>"


def _q(text: str) -> str:
    """A double-quoted DOT string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _h(text: str) -> str:
    """Text inside an HTML-like DOT label."""
    return html.escape(text, quote=True)
