"""Deterministic text form of a graph: one line per node, in declaration order.

    graph(schema=1) {
      x: Input shape=(3,)
      lif: LIF(x, rec{feedback}) shape=(8,) decay=0.9 ...
    }

Each line shows the node's in-edges (``src``, ``src.port``, ``{delay=2,feedback}``, ``port=src``).
Edges whose destination is not a node are listed at the end, so invalid graphs still print fully.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from .graph import Graph


def node_line(graph: "Graph", index: int) -> str:
    node = graph.nodes[index]
    ins = [e.label() for e in graph.in_edges(node.id)]
    call = f"{node.kind}({', '.join(ins)})" if node.INPUT_PORTS or ins else node.kind
    summary = node.summary()
    return f"{node.id}: {call}" + (f" {summary}" if summary else "")


def format_graph(graph: "Graph", marks: dict[str, str] | None = None) -> str:
    """The whole graph; ``marks`` maps node ids to a note appended to their line (e.g. an error code)."""
    marks = marks or {}
    lines = [f"graph(schema={graph.schema_version}) {{"]
    for i, node in enumerate(graph.nodes):
        note = f"    # {marks[node.id]}" if node.id in marks else ""
        lines.append("  " + node_line(graph, i) + note)
    ids = set(graph.node_ids)
    for e in graph.edges:
        if e.dst not in ids:
            lines.append(f"  # dangling edge {e}")
    lines.append("}")
    return "\n".join(lines)


def context(graph: "Graph", node_ids: Iterable[str], radius: int = 1, pointer: str = "  <-- here") -> str:
    """A few printed lines around the named nodes, with the named ones pointed at (as JAX errors do)."""
    hits = sorted(i for i in (graph.index_of(n) for n in set(node_ids)) if i is not None)
    if not hits:
        return ""
    keep: set[int] = set()
    for h in hits:
        keep.update(range(max(0, h - radius), min(len(graph.nodes), h + radius + 1)))
    out, last = [], None
    for i in sorted(keep):
        if last is not None and i != last + 1:
            out.append("    ...")
        line = "    " + node_line(graph, i)
        out.append(line + (pointer if i in hits else ""))
        last = i
    return "\n".join(out)
