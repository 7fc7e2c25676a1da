"""Shape inference: every port's per-sample shape, from each kind's rule, in dependency order.

Cycles are fine as long as some node in them knows its shape on its own (a neuron's ``shape``, an Input):
the rule is iterated to a fixed point inside each cycle only.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Mapping

import networkx as nx

from ..ir import Graph, ShapeProblem
from .views import known_edges

ShapeT = tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class ShapeProblemAt:
    node: str
    message: str
    hint: str
    edges: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class ShapeInfo:
    """``outputs[node][port]`` and ``inputs[node][port]`` shapes (batch and time excluded)."""

    outputs: Mapping[str, Mapping[str, ShapeT]]
    inputs: Mapping[str, Mapping[str, ShapeT]]
    problems: tuple[ShapeProblemAt, ...]

    def output(self, node: str, port: str = "out") -> ShapeT | None:
        return self.outputs.get(node, {}).get(port)

    def input(self, node: str, port: str = "in") -> ShapeT | None:
        return self.inputs.get(node, {}).get(port)


def infer_shapes(graph: Graph) -> ShapeInfo:
    """Every port's shape, in one pass over the strongly connected components of the graph (every known
    edge, delayed and feedback ones included) in dependency order: a node outside every cycle is
    evaluated once, after all its sources. Inside a cycle the members are evaluated in declaration order
    and again only when the shape of a member they read changed, each at most (cycle size + 1) times (a
    cycle whose shapes keep growing, e.g. a Concat fed back into itself, stops there). So a graph of n
    nodes and e edges costs O(n + e) evaluations when its cycles are small, whatever its declaration
    order."""
    nodes = {}
    for n in graph.nodes:
        nodes.setdefault(n.id, n)
    edges = [e for _, e in known_edges(graph)]
    into: dict[tuple[str, str], list] = {}
    readers: dict[str, list[str]] = {nid: [] for nid in nodes}
    into_node: dict[str, list] = {nid: [] for nid in nodes}  # every edge into a node, in edge order
    for e in edges:
        into.setdefault((e.dst, e.dst_port), []).append(e)
        into_node[e.dst].append(e)
        readers[e.src].append(e.dst)
    state = _Inference(nodes, into, into_node, readers)
    index = {nid: i for i, nid in enumerate(nodes)}
    for members in _components_in_order(nodes, readers, index):
        state.settle(members)
    return ShapeInfo(outputs=state.outputs, inputs=state.inputs, problems=tuple(state.problems.values()))


def _components_in_order(nodes: Mapping, readers: Mapping[str, list[str]], index: Mapping[str, int]):
    """The strongly connected components (members in declaration order), each after every component it
    reads from; ties between independent components keep declaration order."""
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from((src, dst) for src, dsts in readers.items() for dst in dsts)
    condensed = nx.condensation(g)
    members = {c: sorted(condensed.nodes[c]["members"], key=index.__getitem__) for c in condensed}
    for c in nx.lexicographical_topological_sort(condensed, key=lambda c: index[members[c][0]]):
        yield members[c]


class _Inference:
    """The shapes found so far, and the evaluation of one component."""

    def __init__(self, nodes, into, into_node, readers):
        self.nodes, self.into, self.into_node, self.readers = nodes, into, into_node, readers
        self.outputs: dict[str, dict[str, ShapeT]] = {nid: {} for nid in nodes}
        self.inputs: dict[str, dict[str, ShapeT]] = {nid: {} for nid in nodes}
        self.problems: dict[str, ShapeProblemAt] = {}

    def settle(self, members: list[str]) -> None:
        """Evaluate one component: once per member outside a cycle, to a fixed point inside one."""
        if len(members) == 1 and members[0] not in self.readers[members[0]]:
            self.evaluate(members[0])
            return
        inside = set(members)
        budget = {nid: len(members) + 1 for nid in members}
        queue = collections.deque(members)
        queued = set(members)
        while queue:
            nid = queue.popleft()
            queued.discard(nid)
            if nid in self.problems or budget[nid] == 0:
                continue
            budget[nid] -= 1
            if self.evaluate(nid):
                for reader in self.readers[nid]:
                    if reader in inside and reader not in queued:
                        queued.add(reader)
                        queue.append(reader)

    def evaluate(self, nid: str) -> bool:
        """Apply the node's shape rule to what its sources give; return whether its outputs changed."""
        node = self.nodes[nid]
        port_shapes, mismatch = _gather_inputs(nid, node, self.into, self.outputs)
        if mismatch is not None:
            self.problems[nid] = mismatch
            return False
        try:
            result = node.infer_shapes(port_shapes)
        except ShapeProblem as p:
            self.problems[nid] = ShapeProblemAt(nid, p.message, p.hint, tuple(e.key for e in self.into_node[nid]))
            return False
        self.inputs[nid] = {p: s for p, s in port_shapes.items() if s is not None}
        if result == self.outputs[nid]:
            return False
        self.outputs[nid] = dict(result)
        return True


def _gather_inputs(nid, node, into, outputs):
    """Input shape per port (None while no source is known); a mismatch problem if known sources disagree."""
    port_shapes: dict[str, ShapeT | None] = {}
    for port in node.INPUT_PORTS:
        shapes = {e.key: outputs[e.src].get(e.src_port) for e in into.get((nid, port), ())}
        known = {k: s for k, s in shapes.items() if s is not None}
        if len(set(known.values())) > 1:
            listing = ", ".join(f"{src} gives {s}" for (src, _), s in known.items())
            return port_shapes, ShapeProblemAt(
                nid,
                f"edges summed into {nid}.{port} disagree in shape: {listing}",
                "every edge into one port must carry the same shape; add a Linear or Flatten to match them",
                tuple(known),
            )
        # One known source fixes the port's shape; the others must agree once they are known (this lets
        # a cycle of shape-preserving nodes take its shape from the edge that enters it).
        port_shapes[port] = next(iter(known.values())) if known else None
    return port_shapes, None
