"""Cycles, strongly connected components and the feedback rule.

The feedback rule (deterministic, from the declaration order of the nodes and the order of the edges
only, never from metadata, names or dictionary order):

1. **Candidates.** Inside a strongly connected component of the same-step dependency graph, a
   zero-delay edge u -> v is a candidate when v is declared no later than u (a self-loop always is).
   The other edges of the component go forward in declaration order, so they never close a cycle.
2. **One break per loop.** The candidates are considered one at a time, the edge into the latest
   declared node first (edges into one node in the order of ``graph.edges``). A candidate stays
   unmarked when the unmarked edges stay acyclic with it; otherwise it closes a cycle and is marked.

Every cycle gets a mark (its candidates cannot all stay unmarked: they would close it), and the marks
are a minimal set: unmarking any one of them closes a cycle through no other mark. The edges into the
earliest declared nodes (the edge back towards the input) are the ones that end up marked.

The acyclicity test keeps a topological order of the unmarked edges and, for each candidate that goes
against it, searches only the nodes between its ends in that order (Pearce and Kelly's dynamic
topological sort), so a graph of n nodes and e edges is marked in about O(n + e) when its cycles are
small, as in every usual network.
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
    """Zero-delay cycles made only of stateless nodes: the SCCs of the dependency graph restricted to
    stateless nodes, each in declaration order. The feedback rule breaks them like any other cycle;
    verification names them in a warning, since nothing in them holds a value across steps."""
    dep = dependency_graph(graph)
    index = declaration_index(graph)
    nodes: dict = {}
    for n in graph.nodes:
        nodes.setdefault(n.id, n)  # the first of duplicated ids, as declaration_index
    loops: list[tuple[str, ...]] = []
    for comp in _ordered_components(dep, index):  # only a cycle can hold a stateless cycle
        stateless = [m for m in comp if not nodes[m].holds_state()]
        if stateless:
            loops += _ordered_components(dep.subgraph(stateless).copy(), index)
    return tuple(sorted(loops, key=lambda c: index[c[0]]))


def backward_edges(graph: Graph) -> tuple[int, ...]:
    """Indices (into ``graph.edges``) of the candidates of the feedback rule: zero-delay edges u -> v
    inside a cycle of the dependency graph with v declared no later than u."""
    index = declaration_index(graph)
    return tuple(sorted(key for _, edges in _components_with_edges(graph, index)
                        for key, u, v in edges if index[v] <= index[u]))


def feedback_candidates(graph: Graph) -> tuple[int, ...]:
    """Indices (into ``graph.edges``) of the edges the mark-feedback rule marks: a minimal set of
    backward edges that breaks every zero-delay cycle once (see the module docstring)."""
    index = declaration_index(graph)
    marked: list[int] = []
    for members, edges in _components_with_edges(graph, index):
        marked += _break_component(members, edges, index)
    return tuple(sorted(marked))


def _components_with_edges(graph: Graph, index: dict[str, int]):
    """Each non-trivial SCC of the dependency graph (members in declaration order) with its inner edges
    as (edge index, src, dst), in the order of ``graph.edges``."""
    dep = dependency_graph(graph)
    comps = _ordered_components(dep, index)
    comp_of = {n: k for k, comp in enumerate(comps) for n in comp}
    inner: list[list[tuple[int, str, str]]] = [[] for _ in comps]
    for u, v, key in dep.edges(keys=True):
        k = comp_of.get(u)
        if k is not None and comp_of.get(v) == k:
            inner[k].append((key, u, v))
    for comp, edges in zip(comps, inner):
        yield comp, sorted(edges)


def _break_component(members: tuple[str, ...], edges: list[tuple[int, str, str]],
                     index: dict[str, int]) -> list[int]:
    """The marks of one SCC: the forward edges are kept; each candidate, edges into later declared
    nodes first, is kept if it closes no cycle with the kept edges, else marked."""
    pos = {n: p for p, n in enumerate(members)}  # a topological order of the kept edges
    succ: dict[str, list[str]] = {n: [] for n in members}
    pred: dict[str, list[str]] = {n: [] for n in members}
    candidates = []
    for key, u, v in edges:
        if index[v] <= index[u]:
            candidates.append((key, u, v))
        else:
            succ[u].append(v)
            pred[v].append(u)
    candidates.sort(key=lambda c: (-index[c[2]], c[0]))
    return [key for key, u, v in candidates if not _keep_acyclic(u, v, pos, succ, pred)]


def _keep_acyclic(u: str, v: str, pos: dict[str, int], succ: dict, pred: dict) -> bool:
    """Add u -> v to the kept edges if they stay acyclic (updating the topological order ``pos``);
    return whether it was added."""
    lo, hi = pos[v], pos[u]
    if u == v:
        return False
    if lo > hi:  # already in order
        succ[u].append(v)
        pred[v].append(u)
        return True
    ahead = _search(v, succ, pos, lambda p: p <= hi, stop=u)
    if ahead is None:  # v reaches u: u -> v would close a cycle
        return False
    behind = _search(u, pred, pos, lambda p: p >= lo)
    # the nodes that reach u move before those v reaches, within the positions they held
    moved = sorted(behind, key=pos.__getitem__) + sorted(ahead, key=pos.__getitem__)
    for p, n in zip(sorted(pos[n] for n in moved), moved):
        pos[n] = p
    succ[u].append(v)
    pred[v].append(u)
    return True


def _search(start: str, adj: dict, pos: dict[str, int], inside, stop: str | None = None) -> list[str] | None:
    """The nodes reached from ``start`` along ``adj`` through positions ``inside`` accepts (``start``
    included); None as soon as ``stop`` is reached."""
    seen, todo = {start}, [start]
    while todo:
        for w in adj[todo.pop()]:
            if w == stop:
                return None
            if w not in seen and inside(pos[w]):
                seen.add(w)
                todo.append(w)
    return list(seen)


def cycles(graph: Graph, limit: int = 100) -> tuple[tuple[str, ...], ...]:
    """Up to ``limit`` simple cycles of the whole graph, each as node ids starting at its earliest node."""
    g = nx.DiGraph(to_networkx(graph))
    index = declaration_index(graph)
    found = []
    for cyc in itertools.islice(nx.simple_cycles(g), limit):
        start = min(range(len(cyc)), key=lambda i: index[cyc[i]])
        found.append(tuple(cyc[start:] + cyc[:start]))
    return tuple(sorted(found, key=lambda c: [index[n] for n in c]))
