"""Inlining composites: a graph with Subgraph nodes -> the same network with plain nodes only.

Each Subgraph ``blk`` is replaced by its inner nodes, renamed ``blk/inner`` (nested composites give
``outer/inner/leaf``; ``/`` is reserved for this). Edges are rewired through the ports: an edge into
port p of ``blk`` and an inner edge out of the inner Input p become one edge; an inner edge into the
inner Output q and an edge out of port q become one edge. Joining edges a -> b keeps the timing:

    delay = a.delay + b.delay (+ 1 if both are marked feedback),  feedback = a.feedback or b.feedback

so the effective delay (delay + 1 per feedback mark) is the sum of the two. Several edges meeting at a
port give every combination, so sums into ports stay sums. Delayed mode's timing is applied before
inlining (passes/delay_all.py), while the composite boundaries are still there.
"""

from __future__ import annotations

from .edge import Edge
from .graph import Graph
from .node import Node

_PORT_KINDS = ("Input", "Output")


def has_composites(graph: Graph) -> bool:
    return any(n.kind == "Subgraph" for n in graph.nodes)


def inline(graph: Graph) -> Graph:
    """The graph with every Subgraph (at every depth) replaced by its inner nodes; see the module
    docstring. A graph without composites is returned unchanged. Edges into a port a composite does
    not have are kept as they are (verify reports them)."""
    if not has_composites(graph):
        return graph
    nodes: list[Node] = []
    outer: list[Edge] = list(graph.edges)
    inner_edges: list[Edge] = []
    ports: list[tuple[str, str]] = []
    for node in graph.nodes:
        if node.kind != "Subgraph":
            nodes.append(node)
            continue
        flat = inline(node.graph)
        prefix = node.id + "/"
        for n in flat.nodes:
            nodes.append(n.model_copy(update={"id": prefix + n.id}))
            if n.kind in _PORT_KINDS:
                ports.append((prefix + n.id, n.kind))
        inner_edges += [e.replace(src=prefix + e.src, dst=prefix + e.dst) for e in flat.edges]
        outer = [_through_port(e, node) for e in outer]
    edges = outer + inner_edges
    for port, kind in ports:
        edges = _join_at(edges, port, at_source=kind == "Input")
    port_set = {p for p, _ in ports}
    return graph.replace(nodes=tuple(n for n in nodes if n.id not in port_set), edges=tuple(edges))


def _through_port(e: Edge, node: Node) -> Edge:
    """An outer edge touching composite ``node`` redirected to the inner port node it means."""
    if e.dst == node.id and e.dst_port in node.INPUT_PORTS:
        e = e.replace(dst=f"{node.id}/{e.dst_port}", dst_port="in")
    if e.src == node.id and e.src_port in node.OUTPUT_PORTS:
        e = e.replace(src=f"{node.id}/{e.src_port}", src_port="out")
    return e


def _join_at(edges: list[Edge], port: str, at_source: bool) -> list[Edge]:
    """Remove the port node ``port``: every edge into it joined with every edge out of it. The joined
    edges take the place of the outer edge (the one into an input port, out of an output port), so the
    expanded edge list follows the outer graph's order, inner edges after."""
    ins = [e for e in edges if e.dst == port]
    outs = [e for e in edges if e.src == port]
    out: list[Edge] = []
    for e in edges:
        if at_source and e.dst == port:
            out += [_join(e, b) for b in outs]
        elif not at_source and e.src == port:
            out += [_join(a, e) for a in ins]
        elif port not in (e.src, e.dst):
            out.append(e)
    return out


def _join(a: Edge, b: Edge) -> Edge:
    both = a.feedback and b.feedback
    return Edge(a.src, b.dst, delay=a.delay + b.delay + (1 if both else 0), src_port=a.src_port,
                dst_port=b.dst_port, feedback=a.feedback or b.feedback)





def with_parameters_from(graph: Graph, flat: Graph) -> Graph:
    """``graph`` (with composites) with each node's array parameters taken from the node of the same
    expanded id (``block/inner``) in ``flat``, e.g. ``prog.to_graph()`` after training. Nodes missing
    from ``flat`` keep theirs."""
    found = {n.id: n for n in flat.nodes}
    return _take_parameters(graph, found, "")


def _take_parameters(graph: Graph, found: dict[str, Node], prefix: str) -> Graph:
    nodes = []
    for n in graph.nodes:
        if n.kind == "Subgraph":
            n = n.replace(graph=_take_parameters(n.graph, found, f"{prefix}{n.id}/"))
        elif f"{prefix}{n.id}" in found:
            source = found[f"{prefix}{n.id}"]
            if type(source) is type(n):
                n = n.replace(**source.params())
        nodes.append(n)
    return graph.replace(nodes=tuple(nodes))
__all__ = ["inline", "has_composites", "with_parameters_from"]
