"""Shape inference: every port's per-sample shape, found by iterating each kind's rule to a fixed point.

Cycles are fine as long as some node in them knows its shape on its own (a neuron's ``shape``, an Input).
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Mapping

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
    """Every port's shape, by a worklist in declaration order: a node is evaluated again only when the
    shape of a node it reads changed, and at most len(nodes) + 1 times (a cycle whose shapes keep
    growing, e.g. a Concat fed back into itself, stops there)."""
    nodes = {}
    for n in graph.nodes:
        nodes.setdefault(n.id, n)
    edges = [e for _, e in known_edges(graph)]
    into: dict[tuple[str, str], list] = {}
    readers: dict[str, list[str]] = {nid: [] for nid in nodes}
    for e in edges:
        into.setdefault((e.dst, e.dst_port), []).append(e)
        readers[e.src].append(e.dst)
    outputs: dict[str, dict[str, ShapeT]] = {nid: {} for nid in nodes}
    inputs: dict[str, dict[str, ShapeT]] = {nid: {} for nid in nodes}
    problems: dict[str, ShapeProblemAt] = {}

    budget = {nid: len(nodes) + 1 for nid in nodes}
    queue = collections.deque(nodes)
    queued = set(nodes)
    while queue:
        nid = queue.popleft()
        queued.discard(nid)
        if nid in problems or budget[nid] == 0:
            continue
        budget[nid] -= 1
        node = nodes[nid]
        port_shapes, mismatch = _gather_inputs(nid, node, into, outputs)
        if mismatch is not None:
            problems[nid] = mismatch
            continue
        try:
            result = node.infer_shapes(port_shapes)
        except ShapeProblem as p:
            problems[nid] = ShapeProblemAt(nid, p.message, p.hint, tuple(e.key for e in edges if e.dst == nid))
            continue
        known_inputs = {p: s for p, s in port_shapes.items() if s is not None}
        inputs[nid] = known_inputs
        if result != outputs[nid]:
            outputs[nid] = dict(result)
            for reader in readers[nid]:
                if reader not in queued:
                    queued.add(reader)
                    queue.append(reader)
    return ShapeInfo(outputs=outputs, inputs=inputs, problems=tuple(problems.values()))


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
