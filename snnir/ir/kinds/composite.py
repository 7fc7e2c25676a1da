"""Composite nodes: a nested graph used as one node.

A ``Subgraph`` holds a ``graph`` whose Input nodes are the composite's input ports and whose Output
nodes are its output ports (port name = the inner node's id; the usual single ports are "in" and
"out"). An edge into port p of the composite feeds whatever the inner Input p feeds; an edge out of
port q reads the sum of the inner Output q's in-edges. The ``expand`` pass inlines every Subgraph into
plain nodes with ids ``block/inner`` before lowering, so a composite computes exactly what its inner
graph computes, wired in place.

``same_step`` decides its timing in delayed mode: a same-step composite (CompoundLayer, Parallel,
ResNetBlock) is one layer whose inside runs within the step; the edges inside any other composite
(Sequential, SequentialLocalFeedback, GraphStructure) are edges between layers and get delayed mode's
extra step like top-level edges. Straight mode treats both alike. See docs/composites.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Mapping

from pydantic import Field, PlainSerializer, PlainValidator, SerializationInfo, WithJsonSchema

from ..graph import Graph
from ..node import Node, ShapeProblem, register_kind

def _validate_graph(value: Any) -> Graph:
    # Validated through Graph at call time, not through a schema frozen when this class was built:
    # Graph's union of node kinds is rebuilt whenever a kind registers, so nesting keeps up with it.
    if isinstance(value, Graph):
        return value
    if isinstance(value, dict):
        return Graph.model_validate(value)
    raise ValueError(f"expected a snnir.Graph or its dict form, got {type(value).__name__}")


def _serialize_graph(value: Graph, info: SerializationInfo) -> dict:
    return value.model_dump(mode=info.mode)


NestedGraph = Annotated[
    Graph, PlainValidator(_validate_graph), PlainSerializer(_serialize_graph),
    WithJsonSchema({"type": "object", "required": ["nodes"],
                    "description": "the nested graph: an object of the same form as the whole graph "
                                   "(nodes, edges, metadata, schema_version)"}),
]

# the constructor that made a composite (informative: drawings and printing show it)
CompositeLabel = Literal["Subgraph", "Sequential", "Parallel", "Compound", "LocalFeedback", "ResNetBlock",
                         "GraphStructure"]


@register_kind
class Subgraph(Node):
    """A nested graph used as one node (see the module docstring).

    Ports: ``INPUT_PORTS`` = the ids of the inner Input nodes, ``OUTPUT_PORTS`` = the ids of the inner
    Output nodes, both in declaration order. The value on output port q at step t is what the inner
    graph's Output q returns at step t when its Input p receives the composite's port p:

        y_t[q] = inner_graph(x[p] for p in ports)_t[q]

    ``same_step=True`` keeps the inside within one step in delayed mode (the composite is one layer).
    """

    kind: Literal["Subgraph"] = "Subgraph"
    graph: NestedGraph
    same_step: bool = Field(default=False, description="True: one layer in delayed mode (its inside runs "
                                                       "within the step); False: inner edges are delayed too")
    composite: CompositeLabel = Field(default="Subgraph", description="the constructor that built it")

    @property
    def INPUT_PORTS(self) -> tuple[str, ...]:  # noqa: N802  (the per-instance form of the class variable)
        return tuple(n.id for n in self.graph.nodes if n.kind == "Input")

    @property
    def OUTPUT_PORTS(self) -> tuple[str, ...]:  # noqa: N802
        return tuple(n.id for n in self.graph.nodes if n.kind == "Output")

    def holds_state(self) -> bool:
        return any(n.holds_state() for n in self.graph.nodes)

    def feedthrough(self, port: str = "out") -> bool:
        # Conservative: the compiler expands composites before it orders anything, so this only
        # matters for analyses run on the unexpanded graph.
        return True

    def port_shapes(self) -> dict[str, tuple[int, ...]]:
        """The declared shape of each input port (the inner Input's shape)."""
        return {n.id: tuple(n.shape) for n in self.graph.nodes if n.kind == "Input"}

    def infer_shapes(self, inputs: Mapping[str, tuple[int, ...] | None]) -> dict[str, tuple[int, ...]]:
        declared = self.port_shapes()
        for port, got in inputs.items():
            if got is not None and port in declared and tuple(got) != declared[port]:
                raise ShapeProblem(
                    f"{self.composite} {self.id!r} takes shape {declared[port]} on port {port!r} but receives {tuple(got)}",
                    f"feed port {port!r} inputs of shape {declared[port]}, or rebuild the composite for {tuple(got)}")
        outputs, problem = inner_shapes(self.graph)
        if problem is not None:
            node, message, hint = problem
            raise ShapeProblem(f"inside {self.composite} {self.id!r}, node {self.id}/{node}: {message}", hint)
        return {port: outputs[port] for port in self.OUTPUT_PORTS if port in outputs}

    def summary(self) -> str:
        """``composite=... same_step {`` then the inner graph's lines, indented, and ``}``."""
        head = []
        if self.composite != "Subgraph":
            head.append(f"composite={self.composite}")
        if self.same_step:
            head.append("same_step")
        inner = str(self.graph).splitlines()[1:-1]  # drop "graph(schema=..) {" and "}"
        return " ".join(head + ["{"]) + "".join("\n  " + line for line in inner) + "\n  }"

    def __repr__(self) -> str:
        return (f"Subgraph(id={self.id!r} composite={self.composite} {len(self.graph.nodes)} nodes, "
                f"ports {list(self.INPUT_PORTS)} -> {list(self.OUTPUT_PORTS)})")

    __str__ = __repr__

    def __hash__(self) -> int:
        return hash((self.kind, self.id, self.same_step, self.composite, self.graph))


def inner_shapes(graph: Graph) -> tuple[dict[str, tuple[int, ...]], tuple[str, str, str] | None]:
    """Output shapes of a composite's inner graph, by iterating each node's rule to a fixed point.

    Returns ``({inner Output id: shape}, None)``, or the first problem as ``(node id, message, hint)``.
    (A small version of snnir.analysis.infer_shapes: the IR layer cannot use the analysis layer.)"""
    nodes = {n.id: n for n in graph.nodes}
    out: dict[tuple[str, str], tuple[int, ...]] = {}
    received: dict[str, tuple[int, ...]] = {}
    for _ in range(len(nodes) + 1):
        changed = False
        for nid, node in nodes.items():
            ins: dict[str, Any] = {}
            for port in node.INPUT_PORTS:
                known = {out[(e.src, e.src_port)] for e in graph.edges
                         if e.dst == nid and e.dst_port == port and (e.src, e.src_port) in out}
                if len(known) > 1:
                    return {}, (nid, f"edges summed into port {port!r} disagree in shape: {sorted(known)}",
                                "every edge into one port must carry the same shape")
                ins[port] = next(iter(known)) if known else None
            try:
                result = node.infer_shapes(ins)
            except ShapeProblem as p:
                return {}, (nid, p.message, p.hint)
            if node.kind == "Output" and ins.get("in") is not None and received.get(nid) != ins["in"]:
                received[nid] = tuple(ins["in"])
                changed = True
            for port, shape in result.items():
                if out.get((nid, port)) != tuple(shape):
                    out[(nid, port)] = tuple(shape)
                    changed = True
        if not changed:
            break
    return received, None


__all__ = ["Subgraph", "inner_shapes"]
