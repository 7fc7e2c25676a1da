"""networkx views of a Graph. Edges naming unknown nodes or ports are left out (verify reports them)."""

from __future__ import annotations

import networkx as nx

from ..ir import Graph


def declaration_index(graph: Graph) -> dict[str, int]:
    """Node id -> position in the graph's node list (the first occurrence of a duplicated id wins)."""
    index: dict[str, int] = {}
    for i, n in enumerate(graph.nodes):
        index.setdefault(n.id, i)
    return index


def known_edges(graph: Graph) -> list[tuple[int, object]]:
    """(edge index, edge) for edges whose endpoints and ports exist."""
    nodes = {n.id: n for n in graph.nodes}
    out = []
    for i, e in enumerate(graph.edges):
        src, dst = nodes.get(e.src), nodes.get(e.dst)
        if src is None or dst is None:
            continue
        if e.src_port not in src.OUTPUT_PORTS or e.dst_port not in dst.INPUT_PORTS:
            continue
        out.append((i, e))
    return out


def to_networkx(graph: Graph) -> nx.MultiDiGraph:
    """Every known edge, keyed by its index in ``graph.edges``; node attribute ``node`` holds the IR node."""
    g = nx.MultiDiGraph()
    for n in graph.nodes:
        if n.id not in g:
            g.add_node(n.id, node=n)
    for i, e in known_edges(graph):
        g.add_edge(e.src, e.dst, key=i, edge=e)
    return g


def dependency_graph(graph: Graph) -> nx.MultiDiGraph:
    """Same-step dependencies: u -> v when v reads u's value of this very step.

    That is an edge with effective delay 0 (no delay, not feedback) whose source port has direct
    feedthrough. An edge out of a port without feedthrough reads a value computed from the source's
    state before the step, so it orders nothing.
    """
    nodes = {n.id: n for n in graph.nodes}
    g = nx.MultiDiGraph()
    g.add_nodes_from(nodes)
    for i, e in known_edges(graph):
        if e.effective_delay == 0 and nodes[e.src].feedthrough(e.src_port):
            g.add_edge(e.src, e.dst, key=i, edge=e)
    return g
