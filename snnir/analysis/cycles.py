"""Cycles, strongly connected components and the feedback rule.

The feedback rule (deterministic, declaration-order based): inside a strongly connected component of the
same-step dependency graph, a zero-delay edge u -> v is feedback when v is declared no later than u.
Around any cycle the declaration index cannot increase forever, so every cycle has such an edge and
marking them all breaks every cycle. A component made only of stateless nodes is an algebraic loop
(an error: nothing in it holds a value across steps), and is left unmarked.
"""

from __future__ import annotations

import itertools

import networkx as nx

from ..ir import Graph
from .views import declaration_index, dependency_graph, to_networkx


def _ordered_components(g: nx.MultiDiGraph, index: dict[str, int]) -> tuple[tuple[str, ...], ...]:
    comps = []
    for comp in nx.strongly_connected_components(g):
        if len(comp) > 1 or any(g.has_edge(n, n) for n in comp):
            comps.append(tuple(sorted(comp, key=index.__getitem__)))
    return tuple(sorted(comps, key=lambda c: index[c[0]]))


def sccs(graph: Graph) -> tuple[tuple[str, ...], ...]:
    """Non-trivial SCCs of the whole graph (every edge, delayed or not), nodes in declaration order."""
    return _ordered_components(to_networkx(graph), declaration_index(graph))


def dependency_sccs(graph: Graph) -> tuple[tuple[str, ...], ...]:
    """Non-trivial SCCs of the same-step dependency graph: cycles that still need a feedback mark."""
    return _ordered_components(dependency_graph(graph), declaration_index(graph))


def algebraic_loops(graph: Graph) -> tuple[tuple[str, ...], ...]:
    """Cycles of stateless feedthrough nodes with no delay: SCCs of the dependency graph restricted to
    stateless nodes."""
    dep = dependency_graph(graph)
    stateless = [n.id for n in graph.nodes if not n.holds_state() and n.id in dep]
    return _ordered_components(dep.subgraph(stateless).copy(), declaration_index(graph))


def feedback_candidates(graph: Graph) -> tuple[int, ...]:
    """Indices (into ``graph.edges``) of the edges the feedback rule marks.

    Components that contain an algebraic loop get no marks, so verify still reports the loop.
    """
    dep = dependency_graph(graph)
    index = declaration_index(graph)
    loops = {n for loop in algebraic_loops(graph) for n in loop}
    marked = []
    for comp in _ordered_components(dep, index):
        if loops & set(comp):
            continue
        members = set(comp)
        for u, v, key in dep.subgraph(comp).edges(keys=True):
            if u in members and v in members and index[v] <= index[u]:
                marked.append(key)
    return tuple(sorted(marked))


def cycles(graph: Graph, limit: int = 100) -> tuple[tuple[str, ...], ...]:
    """Up to ``limit`` simple cycles of the whole graph, each as node ids starting at its earliest node."""
    g = nx.DiGraph(to_networkx(graph))
    index = declaration_index(graph)
    found = []
    for cyc in itertools.islice(nx.simple_cycles(g), limit):
        start = min(range(len(cyc)), key=lambda i: index[cyc[i]])
        found.append(tuple(cyc[start:] + cyc[:start]))
    return tuple(sorted(found, key=lambda c: [index[n] for n in c]))
