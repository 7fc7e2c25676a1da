"""Constructors of composite nodes (SNNAX's composed models) and of graphs from SNNAX's GraphStructure.

Each returns a :class:`~snnir.ir.kinds.composite.Subgraph` (or, for :func:`graph_structure`, a whole
:class:`~snnir.ir.Graph`) made of the nodes given; the ``expand`` pass later inlines it with ids
``block/inner``. Timing in delayed mode (docs/composites.md):

* same-step composites, one layer whose inside runs within the step: :func:`compound`
  (SNNAX CompoundLayer), :func:`parallel` (Parallel), :func:`resnet_block` (ResNetBlock);
* composites whose inner edges are edges between layers, delayed like top-level ones:
  :func:`sequential` (Sequential), :func:`local_feedback` (SequentialLocalFeedback) and
  :func:`subgraph` by default.

Several sources into one layer are summed, as everywhere in snnir, except into a layer with several
input ports (a Parallel, or a compound starting with one): its i-th port gets the i-th source, sources
in SNNAX's order (the layers listed in the connectivity, then the external inputs).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import InvalidIRError, UnknownKindError
from .edge import Edge
from .graph import Graph
from .kinds import Conv2d, Input, LayerNorm, Linear, Output
from .kinds.composite import Subgraph
from .node import Node, ShapeProblem, node_kinds

Shape = tuple[int, ...]


# ---------------------------------------------------------------------- generic
def subgraph(id: str, graph: Graph, *, same_step: bool = False, composite: str = "Subgraph") -> Subgraph:  # noqa: A002
    """A composite from a whole graph: its Input nodes become the input ports, its Output nodes the
    output ports (port name = node id)."""
    _check_ids(id, [n.id for n in graph.nodes])
    return Subgraph(id=id, graph=graph, same_step=same_step, composite=composite)


def graph_structure(num_layers: int, input_layer_ids: Sequence[Sequence[int]], final_layer_ids: Sequence[int],
                    input_connectivity: Sequence[Sequence[int]], layers: Sequence[Node], *,
                    in_shapes: Sequence[Shape] | None = None, input_ids: Sequence[str] | None = None,
                    output_ids: Sequence[str] | None = None) -> Graph:
    """The graph of SNNAX's ``GraphStructure`` + ``StatefulModel``.

    ``input_layer_ids[i]``: the external inputs (indices) feeding layer i; ``input_connectivity[i]``: the
    layers feeding layer i (a layer may list itself or later layers: a recurrence); ``final_layer_ids``:
    the layers whose outputs are returned. External input k becomes Input ``input_ids[k]`` ("in", or
    "in0", "in1", ... for several) of shape ``in_shapes[k]`` (by default the shape the first layer it
    feeds takes: a Linear's input width, a neuron's shape, a composite's port shape); final layer j
    becomes Output ``output_ids[j]`` ("out", or "out0", ...). Layers keep their ids and list order.
    """
    if num_layers != len(layers) or len(input_layer_ids) != num_layers or len(input_connectivity) != num_layers:
        raise InvalidIRError(
            f"graph structure of {num_layers} layers got {len(layers)} layers, {len(input_layer_ids)} "
            f"input_layer_ids entries and {len(input_connectivity)} input_connectivity entries"
            "\n  hint: give one entry per layer in each")
    _check_ids(None, [n.id for n in layers])
    n_inputs = max([k + 1 for ks in input_layer_ids for k in ks] + [len(in_shapes or ())])
    for i, srcs in enumerate(input_connectivity):
        bad = [j for j in srcs if not 0 <= j < num_layers]
        if bad:
            raise InvalidIRError(f"layer {i} ({layers[i].id!r}) is fed by layer indices {bad}, outside 0..{num_layers - 1}"
                                 "\n  hint: input_connectivity lists layer indices")
    bad_final = [j for j in final_layer_ids if not 0 <= j < num_layers]
    if bad_final or not final_layer_ids:
        raise InvalidIRError(f"final_layer_ids {list(final_layer_ids)} must name at least one layer in 0..{num_layers - 1}")
    in_ids = list(input_ids) if input_ids is not None else _names("in", n_inputs)
    out_ids = list(output_ids) if output_ids is not None else _names("out", len(final_layer_ids))
    if len(in_ids) != n_inputs or len(out_ids) != len(final_layer_ids):
        raise InvalidIRError(f"got {len(in_ids)} input ids for {n_inputs} inputs and {len(out_ids)} output ids "
                             f"for {len(final_layer_ids)} final layers\n  hint: give one id each")

    edges: list[Edge] = []
    first_use: dict[int, tuple[Node, str]] = {}
    for i, layer in enumerate(layers):
        sources = [(layers[j].id, _out_port(layers[j])) for j in input_connectivity[i]]
        sources += [(in_ids[k], "out") for k in input_layer_ids[i]]
        ports = _ports_for(layer, len(sources))
        for (src, src_port), port in zip(sources, ports):
            edges.append(Edge(src, layer.id, src_port=src_port, dst_port=port))
        for k, port in zip(input_layer_ids[i], ports[len(input_connectivity[i]):]):
            first_use.setdefault(k, (layer, port))
    inputs = []
    for k, name in enumerate(in_ids):
        shape = tuple(in_shapes[k]) if in_shapes is not None and k < len(in_shapes) else None
        if shape is None and k in first_use:
            shape = _natural_in_shape(*first_use[k])
        if shape is None:
            raise InvalidIRError(f"cannot tell the shape of external input {k} ({name!r}) from the layer it feeds"
                                 "\n  hint: pass in_shapes=[...] (per sample, no batch or time)")
        inputs.append(Input(id=name, shape=shape))
    outputs = [Output(id=name) for name in out_ids]
    edges += [Edge(layers[j].id, name, src_port=_out_port(layers[j])) for j, name in zip(final_layer_ids, out_ids)]
    return Graph(nodes=(*inputs, *layers, *outputs), edges=tuple(edges))


# ---------------------------------------------------------------------- SNNAX's composed models
def sequential(id: str, nodes: Sequence[Node], *, in_shape: Shape | None = None) -> Subgraph:  # noqa: A002
    """SNNAX ``Sequential``: a chain, layer i feeding layer i + 1. Its inner edges are edges between
    layers (delayed in delayed mode). Ports: those of the first layer ("in"), and "out"."""
    nodes = _nodes(id, nodes)
    g = _chain_graph(nodes, [[i - 1] if i else [] for i in range(len(nodes))], in_shape)
    return Subgraph(id=id, graph=g, composite="Sequential")


def compound(id: str, nodes: Sequence[Node], *, in_shape: Shape | None = None) -> Subgraph:  # noqa: A002
    """SNNAX ``CompoundLayer``: a chain that is one layer; in delayed mode its inside runs within the
    step (only the edges around it are delayed). Starting it with a :func:`parallel` gives it that
    Parallel's input ports."""
    nodes = _nodes(id, nodes)
    g = _chain_graph(nodes, [[i - 1] if i else [] for i in range(len(nodes))], in_shape)
    return Subgraph(id=id, graph=g, same_step=True, composite="Compound")


def parallel(id: str, branches: Sequence[Node | Sequence[Node]], *, in_shapes: Sequence[Shape] | None = None,  # noqa: A002
             shared_input: bool = False) -> Subgraph:
    """SNNAX ``Parallel``: branch i (a node, or a list of nodes run as a chain) reads input port
    ``in{i}``; the output "out" is the sum of the branches' outputs. One layer in delayed mode.
    ``shared_input=True`` gives a single port "in" that feeds every branch."""
    chains = [[b] if isinstance(b, Node) else list(b) for b in branches]
    if not chains or any(not c for c in chains):
        raise InvalidIRError(f"parallel {id!r} needs at least one branch, each with at least one node")
    _check_ids(id, [n.id for c in chains for n in c])
    names = ["in"] if shared_input else [f"in{i}" for i in range(len(chains))]
    nodes: list[Node] = []
    edges: list[Edge] = []
    for i, chain in enumerate(chains):
        port = names[0] if shared_input else names[i]
        edges.append(Edge(port, chain[0].id, dst_port=chain[0].INPUT_PORTS[0] if chain[0].INPUT_PORTS else "in"))
        edges += [Edge(a.id, b.id, src_port=_out_port(a)) for a, b in zip(chain, chain[1:])]
        edges.append(Edge(chain[-1].id, "out", src_port=_out_port(chain[-1])))
        nodes += chain
    inputs = []
    for k, name in enumerate(names):
        shape = tuple(in_shapes[k]) if in_shapes is not None else _natural_in_shape(chains[k][0], "in")
        if shape is None:
            raise InvalidIRError(f"parallel {id!r}: cannot tell the shape of port {name!r} from {chains[k][0].id!r}"
                                 "\n  hint: pass in_shapes=[...] (one per port, per sample)")
        inputs.append(Input(id=name, shape=shape))
    g = Graph(nodes=(*inputs, *nodes, Output(id="out")), edges=tuple(edges))
    return Subgraph(id=id, graph=g, same_step=True, composite="Parallel")


def local_feedback(id: str, nodes: Sequence[Node], feedback: Mapping[int, int] | Sequence[tuple[int, int]] | None = None,  # noqa: A002
                   *, in_shape: Shape | None = None) -> Subgraph:
    """SNNAX ``SequentialLocalFeedback``: a chain plus feedback edges.

    ``feedback`` maps a source layer index to the layer it feeds back into, as SNNAX's
    ``feedback_layers={k: v}`` (edge from layer k into layer v; pairs ``[(k, v), ...]`` allow several
    per source). Without it, every :func:`compound` in the chain feeds back into itself. A layer with
    several input ports takes its sources in SNNAX's order: the previous layer, the feedback sources,
    then the external input. The edges are plain edges: straight mode marks the one that closes each
    cycle (docs/semantics.md), delayed mode delays them like every edge between layers.
    """
    nodes = _nodes(id, nodes)
    conn = [[i - 1] if i else [] for i in range(len(nodes))]
    if feedback is None:
        pairs = [(i, i) for i, n in enumerate(nodes) if n.kind == "Subgraph" and n.composite == "Compound"]
    else:
        pairs = list(feedback.items()) if isinstance(feedback, Mapping) else [tuple(p) for p in feedback]
    for src, dst in pairs:
        if not (0 <= src < len(nodes) and 0 <= dst < len(nodes)):
            raise InvalidIRError(f"local_feedback {id!r}: feedback {src} -> {dst} names a layer outside 0..{len(nodes) - 1}"
                                 "\n  hint: feedback maps a source layer index to the index of the layer it feeds")
        conn[dst].append(src)
    g = _chain_graph(nodes, conn, in_shape)
    return Subgraph(id=id, graph=g, composite="LocalFeedback")


def resnet_block(id: str, layer_order: str = "ccl", layer_params: Sequence[Sequence[int]] = (), *,  # noqa: A002
                 in_shape: Shape, neuron: str = "LIF", neuron_params: Mapping[str, Any] | None = None,
                 norm: str | None = None, key: int = 0, dtype: str = "float32") -> Subgraph:
    """SNNAX ``ResNetBlock`` with its skip connection.

    For each letter of ``layer_order``: 'c' a Conv2d from ``[in_channels, out_channels, kernel_size,
    stride, padding]`` or 'l' a Linear from ``[in_features, out_features]`` (no bias, weights uniform in
    ±1/sqrt(fan_in) from ``key``), then a LayerNorm if ``norm="layer"`` (SNNAX's batch-statistics norm
    has no snnir kind), then a ``neuron`` layer (a registered kind name such as "LIF" or "SigmaDelta",
    built with its ``shape`` and ``neuron_params``; LIF defaults to decay 0.9). The skip connection adds
    the block's input to the input of the last neuron layer, so the output shape must equal ``in_shape``.
    (SNNAX's code builds the layers but never adds the input; snnir does.) One layer in delayed mode.
    """
    if not layer_order or set(layer_order) - {"c", "l"} or len(layer_params) != len(layer_order):
        raise InvalidIRError(f"resnet_block {id!r}: layer_order must be a string of 'c' and 'l' with one "
                             f"layer_params entry per letter, got {layer_order!r} and {len(layer_params)} entries")
    cls = node_kinds().get(neuron)
    if cls is None or "shape" not in cls.model_fields:
        raise UnknownKindError(f"resnet_block {id!r}: neuron kind {neuron!r} is not a registered neuron kind"
                               f"\n  hint: use one of {sorted(k for k, c in node_kinds().items() if 'shape' in c.model_fields and k not in ('Input', 'Output'))}")
    rng = np.random.default_rng(key)
    params = dict(neuron_params or {})
    if neuron == "LIF":
        params.setdefault("decay", 0.9)
    nodes: list[Node] = []
    edges: list[Edge] = []
    shape, src = tuple(in_shape), "in"
    for i, (letter, p) in enumerate(zip(layer_order, layer_params)):
        if letter == "c":
            if not 3 <= len(p) <= 5:
                _bad_params(id, i, p)
            c_in, c_out, k, stride, pad = list(p) + [1, 0][len(p) - 3:]  # stride 1, padding 0 by default
            weight = _uniform(rng, (c_out, c_in, k, k), c_in * k * k, dtype)
            layer: Node = Conv2d(id=f"conv{i}", weight=weight, stride=(stride, stride), padding=(pad, pad))
        else:
            if len(p) != 2:
                _bad_params(id, i, p)
            layer = Linear(id=f"fc{i}", weight=_uniform(rng, (p[1], p[0]), p[0], dtype))
        chain = [layer] + ([LayerNorm(id=f"norm{i}")] if norm == "layer" else [])
        for node in chain:
            edges.append(Edge(src, node.id))
            shape = _shape_after(id, node, shape)
            nodes.append(node)
            src = node.id
        cell = cls(id=f"{neuron.lower()}{i}", shape=shape, **params)
        edges.append(Edge(src, cell.id))
        nodes.append(cell)
        src = cell.id
    if shape != tuple(in_shape):
        raise InvalidIRError(f"resnet_block {id!r}: the block's output shape {shape} differs from its input shape "
                             f"{tuple(in_shape)}, so the skip connection cannot add them"
                             "\n  hint: choose layer_params that give back the input shape")
    edges.append(Edge("in", nodes[-1].id))  # the skip connection, summed into the last neuron's input
    edges.append(Edge(nodes[-1].id, "out"))
    g = Graph(nodes=(Input(id="in", shape=tuple(in_shape)), *nodes, Output(id="out")), edges=tuple(edges))
    return Subgraph(id=id, graph=g, same_step=True, composite="ResNetBlock")


# ---------------------------------------------------------------------- helpers
def _chain_graph(nodes: list[Node], conn: list[list[int]], in_shape: Shape | None) -> Graph:
    """Layers wired by ``conn`` (sources per layer), the first one fed by the composite's input ports."""
    first_ports = nodes[0].INPUT_PORTS
    n_ext = max(1, len(first_ports) - len(conn[0]))
    ext = [list(range(n_ext))] + [[] for _ in nodes[1:]]
    names = list(first_ports[len(conn[0]):]) if len(first_ports) > 1 else ["in"]
    shapes = [tuple(in_shape)] * n_ext if in_shape is not None else None
    return graph_structure(len(nodes), ext, [len(nodes) - 1], conn, nodes, in_shapes=shapes, input_ids=names,
                           output_ids=["out"])


def _ports_for(layer: Node, n_sources: int) -> list[str]:
    """The input port of each source: all into the one port, or source i into port i."""
    ports = list(layer.INPUT_PORTS)
    if not ports:
        raise InvalidIRError(f"{layer.kind} {layer.id!r} takes no inputs but is given {n_sources} source(s)")
    if len(ports) == 1:
        return ports * n_sources
    if n_sources not in (0, len(ports)):
        raise InvalidIRError(
            f"{layer.kind} {layer.id!r} has {len(ports)} input ports {ports} but is given {n_sources} sources"
            "\n  hint: a layer with several ports takes one source per port, in order (connected layers first, "
            "then external inputs)")
    return ports[:n_sources]


def _out_port(node: Node) -> str:
    return node.OUTPUT_PORTS[0] if node.OUTPUT_PORTS else "out"


def _natural_in_shape(node: Node, port: str) -> Shape | None:
    """The per-sample input shape a node's first use implies, if it implies one."""
    if node.kind == "Subgraph":
        return node.port_shapes().get(port)
    if node.kind == "Linear":
        return (int(node.weight.shape[1]),)
    if node.kind == "LayerNorm" and node.normalized_shape is not None:
        return tuple(node.normalized_shape)
    if node.kind not in ("Input", "Output") and isinstance(getattr(node, "shape", None), tuple):
        return tuple(node.shape)  # neuron populations declare their shape
    return None


def _shape_after(block: str, node: Node, shape: Shape) -> Shape:
    try:
        return tuple(node.infer_shapes({"in": shape})["out"])
    except ShapeProblem as p:
        raise InvalidIRError(f"resnet_block {block!r}: {p.message}\n  hint: {p.hint}") from None


def _uniform(rng: np.random.Generator, shape: Shape, fan_in: int, dtype: str) -> np.ndarray:
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def _bad_params(block: str, i: int, p: Any):
    raise InvalidIRError(f"resnet_block {block!r}: layer_params[{i}] = {list(p)} does not fit its letter"
                         "\n  hint: 'c' takes [in_channels, out_channels, kernel_size, stride, padding], "
                         "'l' takes [in_features, out_features]")


def _nodes(block: str, nodes: Sequence[Node]) -> list[Node]:
    nodes = list(nodes)
    if not nodes or not all(isinstance(n, Node) for n in nodes):
        raise InvalidIRError(f"composite {block!r} needs a non-empty list of nodes")
    _check_ids(block, [n.id for n in nodes])
    return nodes


def _check_ids(block: str | None, ids: list[str]) -> None:
    """'/' is reserved for the ids of expanded composites; refuse it early, with the fix."""
    for name in ([block] if block else []) + ids:
        if "/" in name:
            raise InvalidIRError(f"id {name!r} contains '/', which is reserved for the ids of expanded composites "
                                 f"(block/inner)\n  hint: rename it without '/' (e.g. {name.replace('/', '_')!r})")


def _names(stem: str, n: int) -> list[str]:
    return [stem] if n == 1 else [f"{stem}{i}" for i in range(n)]


__all__ = ["subgraph", "graph_structure", "sequential", "compound", "parallel", "local_feedback", "resnet_block"]
