"""Shape inference: every port's per-sample shape, found by iterating each kind's rule to a fixed point.

Cycles are fine as long as some node in them knows its shape on its own (a neuron's ``shape``, an Input).
"""

from __future__ import annotations

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
    nodes = {}
    for n in graph.nodes:
        nodes.setdefault(n.id, n)
    edges = [e for _, e in known_edges(graph)]
    outputs: dict[str, dict[str, ShapeT]] = {nid: {} for nid in nodes}
    inputs: dict[str, dict[str, ShapeT]] = {nid: {} for nid in nodes}
    problems: dict[str, ShapeProblemAt] = {}

    for _ in range(len(nodes) + 1):
        changed = False
        for nid, node in nodes.items():
            if nid in problems:
                continue
            port_shapes, mismatch = _gather_inputs(nid, node, edges, outputs)
            if mismatch is not None:
                problems[nid] = mismatch
                continue
            try:
                result = node.infer_shapes(port_shapes)
            except ShapeProblem as p:
                problems[nid] = ShapeProblemAt(nid, p.message, p.hint, tuple(e.key for e in edges if e.dst == nid))
                continue
            known_inputs = {p: s for p, s in port_shapes.items() if s is not None}
            if result != outputs[nid] or known_inputs != inputs[nid]:
                outputs[nid] = dict(result)
                inputs[nid] = known_inputs
                changed = True
        if not changed:
            break
    return ShapeInfo(outputs=outputs, inputs=inputs, problems=tuple(problems.values()))


def _gather_inputs(nid, node, edges, outputs):
    """Input shape per port (None while no source is known); a mismatch problem if known sources disagree."""
    port_shapes: dict[str, ShapeT | None] = {}
    for port in node.INPUT_PORTS:
        into = [e for e in edges if e.dst == nid and e.dst_port == port]
        shapes = {e.key: outputs[e.src].get(e.src_port) for e in into}
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
