"""SNNAX's graph machinery over snnir: ``GraphStructure``, ``StatefulModel`` and the forward functions.

A model is described as SNNAX describes it (layers in a list, each fed by earlier or later layers and by
external inputs) and compiled by snnir into one program:

- ``forward_fn=default_forward_fn`` compiles in straight-through mode: a layer reads the layers before
  it in the same step (what SNNAX's docs promise); an edge from a layer declared later (a feedback edge)
  reads the previous step.
- ``forward_fn=debug_forward_fn`` compiles in delayed mode: every edge between layers reads the previous
  step, which is exactly what SNNAX's own code runs. ``model.trace`` gives every layer's output.

In both modes a read of the previous step at step 0 gets the layer's rest value, as SNNAX's ``init_state``
computes it: a stateless layer's response to its sources' rest values (a Linear's bias, a LayerNorm of
that bias), a stateful layer's initial output (docs/semantics.md).

Several sources into one layer are summed, except into a ``Parallel`` (or a ``CompoundLayer`` starting
with one), whose i-th branch takes the i-th source: source layers in connectivity order, then external
inputs (SNNAX's order). States are per sample, as in SNNAX: ``vmap`` the call over a batch.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Any, Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from snnir import passes
from snnir.analysis import infer_shapes
from snnir.ir import Edge, Graph
from snnir.runtime import Program

from .pieces import Piece, SnnaxCompatError, kind
from .convert import layer_piece


def default_forward_fn(*args, **kwargs):
    """Marker for straight-through compilation (snnir compiles the whole model; this is never called)."""
    raise SnnaxCompatError("default_forward_fn marks a StatefulModel's mode; call the model instead")


def debug_forward_fn(*args, **kwargs):
    """Marker for delayed compilation (SNNAX's real timing, every layer's trace available)."""
    raise SnnaxCompatError("debug_forward_fn marks a StatefulModel's mode; call the model instead")


_MODES = {default_forward_fn: "straight", debug_forward_fn: "delayed"}


def _ids(value: Any, what: str) -> tuple[tuple[int, ...], ...]:
    try:
        return tuple(tuple(int(i) for i in row) for row in value)
    except TypeError:
        raise SnnaxCompatError(f"{what} must be a sequence of sequences of layer indices, got {value!r}") from None


@dataclasses.dataclass(frozen=True)
class GraphStructure:
    """SNNAX's description of a model: ``input_layer_ids[i]`` = the external inputs feeding layer i,
    ``input_connectivity[i]`` = the layers feeding layer i, ``final_layer_ids`` = the layers whose
    outputs the model returns (default: the last). Lists are accepted (and stored as tuples)."""

    num_layers: int
    input_layer_ids: Sequence[Sequence[int]]
    final_layer_ids: Sequence[int] | None = None
    input_connectivity: Sequence[Sequence[int]] = ()

    def __post_init__(self):
        n = int(self.num_layers)
        object.__setattr__(self, "num_layers", n)
        object.__setattr__(self, "input_layer_ids", _ids(self.input_layer_ids, "input_layer_ids"))
        conn = _ids(self.input_connectivity, "input_connectivity") or ((),) * n
        object.__setattr__(self, "input_connectivity", conn)
        finals = (n - 1,) if self.final_layer_ids is None else tuple(int(i) for i in self.final_layer_ids)
        object.__setattr__(self, "final_layer_ids", finals)
        for what, rows in (("input_layer_ids", self.input_layer_ids), ("input_connectivity", conn)):
            if len(rows) != n:
                raise SnnaxCompatError(f"GraphStructure: {what} has {len(rows)} entries for {n} layers"
                                       "\n  hint: give one (possibly empty) sequence per layer")
        bad = sorted({j for row in conn for j in row if not 0 <= j < n} | {j for j in finals if not 0 <= j < n})
        if bad:
            raise SnnaxCompatError(f"GraphStructure: layer indices {bad} do not exist (num_layers={n})")

    @property
    def output_layer_ids(self) -> tuple[int, ...]:
        return self.final_layer_ids

    @property
    def num_inputs(self) -> int:
        return max((k + 1 for row in self.input_layer_ids for k in row), default=0)


def gen_feed_forward_struct(num_layers: int) -> GraphStructure:
    """The chain 0 -> 1 -> ... -> n−1, with the external input into layer 0."""
    return GraphStructure(num_layers, ((0,),) + ((),) * (num_layers - 1), None,
                          ((),) + tuple((i,) for i in range(num_layers - 1)))


def layer_name(i: int) -> str:
    return f"layer{i}"


# ------------------------------------------------------------------------------------------ the model
class StatefulModel(eqx.Module):
    """SNNAX's StatefulModel: ``init_state(in_shape, key)``, ``model(states, data, key) -> (states, outs)``
    with ``data`` [T, *shape] for one sample (a list of arrays for several inputs) and ``outs`` the list
    of the final layers' outputs over time. ``model.graph`` (or ``model.to_graph(in_shape)``) is the IR."""

    graph_structure: GraphStructure = eqx.field(static=True)
    layers: tuple
    forward_fn: Callable = eqx.field(static=True)

    def __init__(self, graph_structure: GraphStructure, layers: Sequence[Any],
                 forward_fn: Callable = default_forward_fn, loop_fn: Any = None):
        if forward_fn not in _MODES:
            raise SnnaxCompatError("forward_fn must be default_forward_fn (straight-through) or debug_forward_fn "
                                   "(delayed, SNNAX's own timing)")
        if loop_fn not in (None, jax.lax.scan):
            raise SnnaxCompatError("loop_fn: snnir compiles its own time loop; leave it out")
        if len(layers) != graph_structure.num_layers:
            raise SnnaxCompatError(f"the GraphStructure describes {graph_structure.num_layers} layers but "
                                   f"{len(layers)} were given")
        self.graph_structure = graph_structure
        self.layers = tuple(layers)
        self.forward_fn = forward_fn

    @property
    def mode(self) -> str:
        return _MODES[self.forward_fn]

    # ------------------------------------------------------------------ IR and program
    def to_graph(self, in_shape: Any) -> Graph:
        """The model as a snnir graph for inputs of per-sample shape ``in_shape``, current parameters."""
        return self.program(in_shape).to_graph()

    @property
    def graph(self) -> Graph:
        """The IR, for a model whose input shape its first layer tells (e.g. an ``eqx.nn.Linear``)."""
        return self.to_graph(_shape_from_first_layer(self))

    def program(self, in_shape: Any) -> Program:
        """The compiled program with this model's live parameters bound in."""
        shapes = _in_shapes(in_shape)
        graph, params, modules = build_graph(self, shapes)
        return _bind(_skeleton(self, shapes, graph), params, modules)

    # ------------------------------------------------------------------ SNNAX's calling convention
    def init_state(self, in_shape: Any, key: Any = None) -> dict:
        return self.program(in_shape).init_state(())

    def __call__(self, states: dict, data: Any, key: Any = None, burnin: int = 0):
        prog, xs, outputs = self._prepared(data)
        if burnin:
            first = jax.tree_util.tree_map(lambda x: x[:burnin], xs)
            rest = jax.tree_util.tree_map(lambda x: x[burnin:], xs)
            states, _ = prog(states, first, key=key)
            states = jax.lax.stop_gradient(states)
            key = None if key is None else jax.random.fold_in(key, 1)
            xs = rest
        states, ys = prog(states, xs, key=key)
        return states, [ys[o] for o in outputs]

    def trace(self, states: dict, data: Any, key: Any = None) -> tuple[dict, dict]:
        """Every layer's output at every step: ``{"layer0": [T, ...], ...}`` (and expanded composites)."""
        prog, xs, _ = self._prepared(data)
        states, traces = prog.trace(states, xs, key=key)
        return states, traces

    def _prepared(self, data: Any):
        arrays = list(data) if isinstance(data, (list, tuple)) else [data]
        shapes = [tuple(jnp.shape(a)[1:]) for a in arrays]
        prog = self.program(shapes if len(shapes) > 1 else shapes[0])
        xs = {input_name(k, len(arrays)): jnp.asarray(a) for k, a in enumerate(arrays)}
        return prog, xs, output_names(self.graph_structure)

    def __getitem__(self, i: int):
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)


def input_name(k: int, n: int) -> str:
    return "input" if n == 1 else f"input{k}"


def output_names(struct: GraphStructure) -> list[str]:
    finals = struct.final_layer_ids
    return ["output"] if len(finals) == 1 else [f"output{k}" for k in range(len(finals))]


def _in_shapes(in_shape: Any) -> tuple[tuple[int, ...], ...]:
    if isinstance(in_shape, (int, np.integer)):
        return ((int(in_shape),),)
    in_shape = tuple(in_shape)
    if in_shape and all(isinstance(s, (tuple, list)) for s in in_shape):
        return tuple(tuple(int(d) for d in s) for s in in_shape)
    return (tuple(int(d) for d in in_shape),)


def _shape_from_first_layer(model: StatefulModel) -> tuple[int, ...]:
    first = next((i for i, row in enumerate(model.graph_structure.input_layer_ids) if row), 0)
    layer = model.layers[first]
    if isinstance(layer, eqx.nn.Linear) and isinstance(layer.in_features, int):
        return (layer.in_features,)
    raise SnnaxCompatError("the model cannot tell its input shape from its first layer"
                           "\n  hint: call model.to_graph(in_shape) with the per-sample input shape")


# ------------------------------------------------------------------------------------ building the IR
def build_graph(model: StatefulModel, in_shapes: tuple[tuple[int, ...], ...]):
    """The model's graph, the live parameters {(node id, field): array} and custom modules."""
    struct = model.graph_structure
    n_inputs = max(struct.num_inputs, 1)
    if len(in_shapes) != n_inputs:
        raise SnnaxCompatError(f"the model has {n_inputs} external inputs but {len(in_shapes)} input shapes were given")
    nodes = [kind("Input")(id=input_name(k, n_inputs), shape=s) for k, s in enumerate(in_shapes)]
    edges: list[Edge] = []
    params: dict = {}
    modules: dict = {}
    exits: dict[int, tuple[str, str]] = {}
    out_shapes: dict[int, tuple[int, ...]] = {}
    pieces: dict[int, Piece] = {}
    for i, layer in enumerate(model.layers):
        sources = [("layer", j) for j in struct.input_connectivity[i]] + [("input", k) for k in struct.input_layer_ids[i]]
        aligned = [in_shapes[j] if what == "input" else out_shapes.get(j) for what, j in sources]
        known = [shape for shape in aligned if shape is not None]
        if not known:
            raise SnnaxCompatError(f"layer {i} ({type(layer).__name__}) has no input from an earlier layer or an "
                                   "external input, so its shape is unknown\n  hint: connect an earlier layer to it")
        piece = layer_piece(layer, layer_name(i), known[0], aligned)
        pieces[i] = piece
        nodes.extend(piece.nodes)
        edges.extend(piece.edges)
        params.update(piece.params)
        modules.update(piece.modules)
        exits[i] = piece.exit
        out_shapes[i] = _piece_out_shape(piece, [shape or known[0] for shape in aligned])
    for i, piece in pieces.items():
        sources = [exits[j] for j in struct.input_connectivity[i]] + \
                  [(input_name(k, n_inputs), "out") for k in struct.input_layer_ids[i]]
        if piece.parallel and len(sources) > len(piece.entries):
            raise SnnaxCompatError(f"layer {i} is a Parallel of {len(piece.entries)} branches but has "
                                   f"{len(sources)} sources\n  hint: give it one branch per source")
        for idx, (src, port) in enumerate(sources):
            dst, dst_port = piece.entries[idx] if piece.parallel else piece.entries[0]
            edges.append(Edge(src, dst, src_port=port, dst_port=dst_port))
    for name, j in zip(output_names(struct), struct.final_layer_ids):
        nodes.append(kind("Output")(id=name))
        edges.append(Edge(exits[j][0], name, src_port=exits[j][1]))
    return Graph(nodes=tuple(nodes), edges=tuple(edges)), params, modules


def _piece_out_shape(piece: Piece, in_shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    entries = piece.entries if piece.parallel else piece.entries[:1]
    by_id = {n.id: n for n in piece.nodes}

    def entry_shape(k: int, dst: str, port: str) -> tuple[int, ...]:
        node = by_id[dst]  # a composite knows the shape of each of its ports
        return tuple(node.graph.node(port).shape) if node.kind == "Subgraph" else in_shapes[min(k, len(in_shapes) - 1)]

    inputs = [kind("Input")(id=f"probe_in{k}", shape=entry_shape(k, dst, port)) for k, (dst, port) in enumerate(entries)]
    edges = [Edge(f"probe_in{k}", dst, dst_port=port) for k, (dst, port) in enumerate(entries)]
    probe = Graph(nodes=tuple(inputs) + tuple(piece.nodes) + (kind("Output")(id="probe_out"),),
                  edges=tuple(edges) + tuple(piece.edges) + (Edge(piece.exit[0], "probe_out", src_port=piece.exit[1]),))
    shape = infer_shapes(probe).output(*piece.exit)
    if shape is None:
        raise SnnaxCompatError(f"the output shape of {piece.exit[0]!r} cannot be inferred")
    return tuple(shape)


# -------------------------------------------------------------------------- compiling and binding
_CACHE: "collections.OrderedDict[Any, Program]" = collections.OrderedDict()
_CACHE_SIZE = 64


def _signature(model: StatefulModel, shapes) -> Any:
    leaves, treedef = jax.tree_util.tree_flatten(model)
    sig = tuple((tuple(l.shape), str(l.dtype)) if hasattr(l, "shape") else l for l in leaves)
    return treedef, sig, shapes


def _skeleton(model: StatefulModel, shapes, graph: Graph) -> Program:
    """The compiled program for the model's structure and shapes, compiled from ``graph`` (the model's IR)
    on a cache miss; its parameters are bound afterwards."""
    try:
        key = _signature(model, shapes)
        hash(key)
    except TypeError:
        key = None
    if key is not None and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    program = passes.compile(graph, mode=model.mode)
    if key is not None:
        _CACHE[key] = program
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return program


def _bind(program: Program, params: dict, modules: dict) -> Program:
    """Replace the program's parameter leaves by the layers' live arrays (so gradients reach them)."""
    fields = {(nid, ir): kf for nid, ir, kf, _ in program.param_map}
    items = [(nid, fields[(nid, ir)], value) for (nid, ir), value in params.items() if (nid, ir) in fields]
    dtype = jnp.dtype(program.dtype)
    if items:
        program = eqx.tree_at(lambda p: [getattr(p.kernels[n], f) for n, f, _ in items], program,
                              [jnp.asarray(v).astype(dtype) for _, _, v in items])
    for nid, module in modules.items():
        program = eqx.tree_at(lambda p, n=nid: p.kernels[n].module, program, module)
    return program
