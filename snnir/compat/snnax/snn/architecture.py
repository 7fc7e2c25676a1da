"""SNNAX's graph machinery over snnir: ``GraphStructure``, ``StatefulModel`` and the forward functions.

A model is described as SNNAX describes it (layers in a list, each fed by earlier or later layers and by
external inputs) and compiled by snnir into one program:

- ``forward_fn=default_forward_fn`` (the default, and ``debug_forward_fn``) compiles in delayed mode:
  every edge between layers reads the previous step, which is what SNNAX's code runs (its docstring
  says same-step; its code reads the carry). ``model.trace`` gives every layer's output.
- ``forward_fn=straight_forward_fn`` compiles straight-through: a layer reads the layers before it in the
  same step; an edge from a layer declared later (a feedback edge) reads the previous step.
- any other forward function (or a ``loop_fn`` other than ``lax.scan``) is run as SNNAX runs it:
  ``loop_fn(partial(forward_fn, layers, struct, key), states, data)``, each layer stepping on its own.

States are SNNAX's: a list per layer whose last element is the layer's output (the carry); they are
converted to the program's state dict and back on every call (:mod:`..layout`). At step 0 the carry is
what ``init_state`` computed, as in SNNAX: a stateless layer's response to its sources' initial outputs
(a Linear's bias, a LayerNorm of that bias), a stateful layer's initial output.

Several sources into one layer are summed, except into a ``Parallel`` (or a ``CompoundLayer`` starting
with one), whose i-th branch takes the i-th source: source layers in connectivity order, then external
inputs (SNNAX's order). States are per sample, as in SNNAX: ``vmap`` the call over a batch.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from typing import Any, Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from snnir import passes
from snnir.analysis import infer_shapes
from snnir.ir import Edge, Graph
from snnir.runtime import Program

from ..convert import layer_piece, user_overridden
from ..equinox_layers import dropout_off, dropout_scale
from ..layout import OUT, SIGMA_DELTA_ERROR, Layout, to_dict, to_list
from ..neurons import SnnaxLayer
from ..pieces import Piece, SnnaxCompatError, kind
from ..standalone import is_stateful, run_any


def _carry(state: Any) -> Any:
    """A layer's output in SNNAX's carry: the last element of its list (of its last sub-list for a
    CompoundLayer)."""
    while isinstance(state, (list, tuple)):
        state = state[-1]
    return state


def _snnax_step(layers, struct, key, states, data, same_step: bool):
    keys = [None] * len(layers) if key is None else list(jax.random.split(key, len(layers)))
    data = list(data) if isinstance(data, (list, tuple)) else [data]
    new_states, new_outs = [], []
    for i, (k, state, layer) in enumerate(zip(keys, states, layers)):
        read = [new_states[j] if same_step and j < i else states[j] for j in struct.input_connectivity[i]]
        inputs = [_carry(s) for s in read] + [data[m] for m in struct.input_layer_ids[i]]
        if len(inputs) == 1:
            x = inputs[0]
        else:  # several sources: a Parallel takes them as a list, anything else their sum (as in the IR)
            x = inputs if _takes_list(layer) else sum(inputs[1:], inputs[0])
        new_state, out = run_any(layer, state, x, k)
        new_states.append(new_state)
        if i == len(layers) - 1:
            new_outs.append(out)
    return new_states, new_outs


def _takes_list(layer: Any) -> bool:
    from .composed import CompoundLayer, Parallel

    return isinstance(layer, Parallel) or (isinstance(layer, CompoundLayer) and isinstance(layer.layers[0], Parallel))


def default_forward_fn(layers, struct, key, states, data):
    """One step of SNNAX's forward function, what SNNAX's code runs: every layer reads its sources'
    outputs of the previous step (the carry), external inputs of this step. A ``StatefulModel`` with this
    forward function compiles the whole model in snnir's delayed mode instead of calling it; calling it
    directly (e.g. from a user's own forward function) runs the layers one by one."""
    return _snnax_step(layers, struct, key, states, data, same_step=False)


def debug_forward_fn(layers, struct, key, states, data):
    """The same timing as :func:`default_forward_fn` (SNNAX's older name); ``model.trace`` gives every
    layer's output."""
    return _snnax_step(layers, struct, key, states, data, same_step=False)


def straight_forward_fn(layers, struct, key, states, data):
    """The straight-through reading of SNNAX's docs (opt-in): a layer reads the layers before it in the
    same step; an edge from a later layer reads the previous step. Compiled in snnir's straight mode."""
    return _snnax_step(layers, struct, key, states, data, same_step=True)


_MODES = {default_forward_fn: "delayed", debug_forward_fn: "delayed", straight_forward_fn: "straight"}


def _ids(value: Any, what: str) -> tuple[tuple[int, ...], ...]:
    try:
        return tuple(tuple(int(i) for i in row) for row in value)
    except TypeError:
        raise SnnaxCompatError(f"{what} must be a sequence of sequences of layer indices, got {value!r}") from None


@dataclasses.dataclass(frozen=True)
class GraphStructure:
    """SNNAX's description of a model, ``GraphStructure(num_layers, input_layer_ids, input_connectivity)``:
    ``input_layer_ids[i]`` = the external inputs feeding layer i, ``input_connectivity[i]`` = the layers
    feeding layer i. ``final_layer_ids=`` (keyword only; SNNAX's older API) = the layers whose outputs
    the model returns (default: the last). Lists are accepted (and stored as tuples)."""

    num_layers: int
    input_layer_ids: Sequence[Sequence[int]]
    input_connectivity: Sequence[Sequence[int]] = ()
    final_layer_ids: Sequence[int] | None = dataclasses.field(default=None, kw_only=True)

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
    return GraphStructure(num_layers, ((0,),) + ((),) * (num_layers - 1),
                          ((),) + tuple((i,) for i in range(num_layers - 1)))


def layer_name(i: int) -> str:
    return f"layer{i}"


# ------------------------------------------------------------------------------------------ the model
class StatefulModel(eqx.Module):
    """SNNAX's StatefulModel: ``StatefulModel(graph_structure, layers, forward_fn, loop_fn)``,
    ``init_state(in_shape, key)`` -> SNNAX's states (a list per layer, its output last),
    ``model(states, data, key) -> (states, outs)`` with ``data`` [T, *shape] for one sample (a list of
    arrays for several inputs) and ``outs`` the list of the final layers' outputs over time.
    ``model.graph`` (or ``model.to_graph(in_shape)``) is the IR; ``model.state_dict(states, in_shape)``
    the program's state dict for SNNAX's states."""

    graph_structure: GraphStructure = eqx.field(static=True)
    layers: tuple
    forward_fn: Callable = eqx.field(static=True)
    loop_fn: Callable = eqx.field(static=True)

    def __init__(self, graph_structure: GraphStructure, layers: Sequence[Any],
                 forward_fn: Callable = default_forward_fn, loop_fn: Callable = jax.lax.scan):
        if not callable(forward_fn):
            raise SnnaxCompatError(f"forward_fn must be callable, got {forward_fn!r}")
        if not callable(loop_fn):
            raise SnnaxCompatError(f"loop_fn must be callable like jax.lax.scan, got {loop_fn!r}")
        if len(layers) != graph_structure.num_layers:
            raise SnnaxCompatError(f"the GraphStructure describes {graph_structure.num_layers} layers but "
                                   f"{len(layers)} were given")
        self.graph_structure = graph_structure
        self.layers = tuple(layers)
        self.forward_fn = forward_fn
        self.loop_fn = loop_fn

    @property
    def compiled(self) -> bool:
        """Whether calls compile the whole model (SNNAX's forward functions with ``lax.scan``); a user's
        own forward or loop function is run step by step as SNNAX runs it, the layers one at a time."""
        return self.forward_fn in _MODES and self.loop_fn is jax.lax.scan

    @property
    def mode(self) -> str:
        return _MODES.get(self.forward_fn, "delayed")

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
        graph, params, modules, _ = build_graph(self, shapes)
        return bind(_skeleton(self, shapes, graph), params, modules)

    def layouts(self) -> list[Layout]:
        return [layout_for(layer, layer_name(i)) for i, layer in enumerate(self.layers)]

    # ------------------------------------------------------------------ SNNAX's calling convention
    def init_state(self, in_shape: Any, key: Any = None) -> list:
        """SNNAX's initial states: for each layer in list order, a stateful layer's ``init_state`` (with
        its own key of ``split(key, num_layers)``), and ``[out]`` for a stateless one, ``out`` its
        response to its sources' initial outputs (external inputs zero; a later layer feeding back
        adds nothing yet), as SNNAX's ``init_state`` computes it."""
        shapes = _in_shapes(in_shape)
        struct = self.graph_structure
        graph, _, _, layer_in = build_graph(self, shapes)
        _skeleton(self, shapes, graph)  # compiles (and verifies) the model once, here rather than at the first call
        keys = [None] * len(self.layers) if key is None else list(jax.random.split(key, len(self.layers)))
        states: list = []
        for i, (layer, k) in enumerate(zip(self.layers, keys)):
            shape = layer_in[i]
            if is_stateful(layer):
                states.append(layer.init_state(shape, k))
                continue
            inputs = [_carry(states[j]) for j in struct.input_connectivity[i] if j < i]
            inputs += [jnp.zeros(shapes[m]) for m in struct.input_layer_ids[i]]
            if _takes_list(layer):
                x = inputs
            else:
                x = sum(inputs[1:], inputs[0]) if inputs else jnp.zeros(shape)
            out = layer(x, key=k) if isinstance(layer, eqx.Module) else layer(x)
            states.append([out])
        return states

    def __call__(self, states: Any, data: Any, key: Any = None, burnin: int = 0):
        if not self.compiled:
            step = functools.partial(self.forward_fn, self.layers, self.graph_structure, key)
            if burnin:
                states, _ = self.loop_fn(step, states, _slice(data, None, burnin))
                states = jax.lax.stop_gradient(states)
                data = _slice(data, burnin, None)
            return self.loop_fn(step, states, data)
        return _compiled_call(self, states, data, key, burnin)

    def trace(self, states: Any, data: Any, key: Any = None) -> tuple[list, dict]:
        """Every layer's output at every step: ``{"layer0": [T, ...], ...}`` (and expanded composites)."""
        prog, _, _ = self._prepared(data)
        nodes = tuple(p.id for p in prog.plan if p.role == "node")
        states, _, traces = self._run(states, data, key, 0, traced=nodes)
        return states, traces

    def state_dict(self, states: Any, in_shape: Any) -> dict:
        """SNNAX's states as the program's state dict ``{node id: {var: array}}`` (docs/compat.md)."""
        prog = self.program(in_shape)
        return self._to_dict(prog, states)

    def _to_dict(self, prog: Program, states: Any) -> dict:
        sdict = {nid: dict(entry) for nid, entry in prog.init_state(()).items()}
        if len(states) != len(self.layers):
            raise SnnaxCompatError(f"the states hold {len(states)} layers but the model has {len(self.layers)}"
                                   "\n  hint: pass what model.init_state(in_shape, key) returned")
        for layout, lst in zip(self.layouts(), states):
            to_dict(layout, lst, sdict)
        return sdict

    def _run(self, states, data, key, burnin, traced):
        prog, xs, outputs = self._prepared(data)
        layouts = self.layouts()
        finals = [layouts[j] for j in self.graph_structure.final_layer_ids]
        wanted = tuple(dict.fromkeys([*traced, *[e for l in layouts for e in l.all_exits()], *outputs,
                                      *[e for l in finals for e in _child_exits(l)]]))
        sdict = self._to_dict(prog, states)
        scales = dropout_scales(self.layers, [layer_name(i) for i in range(len(self.layers))], key, prog)
        if scales:
            prog = bind(prog, scales, {})
        if burnin:
            sdict, _ = prog(sdict, _slice(xs, None, burnin), key=key)
            sdict = jax.lax.stop_gradient(sdict)
            key = None if key is None else jax.random.fold_in(key, 1)
            xs = _slice(xs, burnin, None)
        errors = [l.node for l in _leaves(layouts) if SIGMA_DELTA_ERROR in l.entries]
        sdict, traces = prog.trace(sdict, xs, nodes=wanted, key=key, state_vars=bool(errors))
        last = {nid: v[-1] for nid, v in traces.items()}
        for nid in errors:  # SigmaDelta's error needs the feedback trace one step before the end
            if traces[f"{nid}:f"].shape[0] > 1:
                last[f"{nid}:f@previous"] = traces[f"{nid}:f"][-2]
        new_states = [to_list(layout, sdict, last, old) for layout, old in zip(layouts, states)]
        outs = []
        for name, layout in zip(outputs, finals):
            if layout.nested:  # SNNAX returns a final CompoundLayer's outputs of every sublayer
                outs.append([_sum([traces[e] for e in c.out_nodes()]) for c in layout.children])
            else:
                outs.append(traces[name])
        return new_states, outs, {k: v for k, v in traces.items() if k in traced}

    def _prepared(self, data: Any):
        arrays = list(data) if isinstance(data, (list, tuple)) else [data]
        shapes = [tuple(jnp.shape(a)[1:]) for a in arrays]
        _check_one_sample(self, shapes)
        prog = self.program(shapes if len(shapes) > 1 else shapes[0])
        xs = {input_name(k, len(arrays)): jnp.asarray(a) for k, a in enumerate(arrays)}
        return prog, xs, output_names(self.graph_structure)

    def __getitem__(self, i: int):
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)


@eqx.filter_jit(inline=True)
def _compiled_call(model: StatefulModel, states: Any, data: Any, key: Any, burnin: int):
    """A compiled model's call, as one JAX computation: an eager call runs a cached executable (building
    the IR's pieces, converting SNNAX's lists and computing rest values happen once per structure, at
    trace time); inside the caller's jit, grad or vmap it adds its equations to that trace."""
    states, outs, _ = model._run(states, data, key, burnin, traced=())
    return states, outs


def _check_one_sample(model: StatefulModel, shapes: list) -> None:
    """A model call takes ONE sample, [T, *shape]; a batch [B, T, *shape] needs jax.vmap, as in SNNAX."""
    try:
        natural = _shape_from_first_layer(model)
    except SnnaxCompatError:
        return
    if len(shapes) == 1 and shapes[0] != natural:
        if shapes[0][1:] == natural:
            raise SnnaxCompatError(
                f"the model was given data of shape {shapes[0]} per step: that looks like a batch "
                f"[B, T, {', '.join(map(str, natural))}] passed without jax.vmap\n  hint: a model call takes one sample "
                "[T, *shape]; batch with jax.vmap(lambda x: model(states, x, key))(batch), as in SNNAX")
        first = next((i for i, row in enumerate(model.graph_structure.input_layer_ids) if row), 0)
        raise layer_shape_error(first, model.layers[first], shapes[0], "the data's per-step shape does not fit it")


def _slice(data: Any, start, stop):
    return jax.tree_util.tree_map(lambda x: x[start:stop], data)


def _sum(parts: list):
    return sum(parts[1:], parts[0])


def _leaves(layouts) -> list[Layout]:
    return [leaf for l in layouts for leaf in (_leaves(l.children) if l.nested else [l])]


def _child_exits(layout: Layout) -> tuple[str, ...]:
    return tuple(e for c in layout.children for e in c.out_nodes()) if layout.nested else ()


def dropout_scales(layers, names, key, prog: Program) -> dict:
    """{(node id, "scale"): mask / (1 − p)} for every training-mode Dropout, from the keys SNNAX gives it:
    ``split(key, len(layers))[i]`` for layer i (the same at every step), split again inside a
    CompoundLayer."""
    from .composed import CompoundLayer

    found = {}
    keys = None
    for i, (layer, name) in enumerate(zip(layers, names)):
        if isinstance(layer, CompoundLayer) or (isinstance(layer, eqx.nn.Dropout) and not dropout_off(layer)):
            if key is None:
                raise SnnaxCompatError(f"{name} ({type(layer).__name__}) holds an eqx.nn.Dropout in training mode, "
                                       "which needs a key\n  hint: pass key to the model call, or wrap the model "
                                       "in eqx.nn.inference_mode(model) to evaluate it")
            keys = list(jax.random.split(key, len(layers))) if keys is None else keys
        if isinstance(layer, CompoundLayer):
            found.update(dropout_scales(layer.layers, [f"{name}/l{j}" for j in range(len(layer.layers))], keys[i], prog))
        elif isinstance(layer, eqx.nn.Dropout) and not dropout_off(layer):
            shape = prog.kernels[name].scale.shape
            found[(name, "scale")] = dropout_scale(layer, tuple(shape), keys[i])
    return found


def layout_for(layer: Any, name: str) -> Layout:
    """How ``layer``'s SNNAX state list maps onto the program's state (see :mod:`..layout`)."""
    from .composed import SRM, CompoundLayer, Parallel, ResNetBlock

    if isinstance(layer, CompoundLayer):
        return Layout(name, children=tuple(layout_for(l, f"{name}/l{j}") for j, l in enumerate(layer.layers)))
    if isinstance(layer, Parallel):
        exits = tuple(e for k, l in enumerate(layer.layers) for e in layout_for(l, f"{name}/b{k}").out_nodes())
        return Layout(name, (OUT,), exits)
    if isinstance(layer, SRM):  # SNNAX's [P, Q, R, S]: the two filters, the refractory trace, the spikes
        return Layout(name, ("p:v", "q:v", "s:rho", "s:s"), (f"{name}/s",))
    if isinstance(layer, ResNetBlock):
        last = f"{name}/s{len(layer.layers) - 1}"
        return Layout(last, (OUT,), (last,))
    if isinstance(layer, SnnaxLayer) and not user_overridden(layer):
        return layer.snnax_layout(name)
    if is_stateful(layer):
        return Layout(name, (OUT,), (name,), custom=True)
    return Layout(name, (OUT,), (name,))


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
    """The model's graph, the live parameters {(node id, field): array}, custom modules and each
    layer's input shape. The graph and shapes are built once per model structure and input shapes
    (cached); later calls only collect the live parameters from the layers."""
    key = _signature(model, in_shapes)
    try:
        cached = _GRAPHS.get(key)
    except TypeError:  # an unhashable static field: no caching
        key, cached = None, None
    if cached is not None:
        _GRAPHS.move_to_end(key)
        graph, layer_in, layer_shapes = cached
        params, modules = {}, {}
        for i, layer in enumerate(model.layers):
            piece = layer_piece(layer, layer_name(i), layer_shapes[i][0], layer_shapes[i][1])
            params.update(piece.params)
            modules.update(piece.modules)
        return graph, params, modules, layer_in
    graph, params, modules, layer_in, layer_shapes = _build_graph(model, in_shapes)
    if key is not None:
        _GRAPHS[key] = (graph, layer_in, layer_shapes)
        while len(_GRAPHS) > _CACHE_SIZE:
            _GRAPHS.popitem(last=False)
    return graph, params, modules, layer_in


def _build_graph(model: StatefulModel, in_shapes: tuple[tuple[int, ...], ...]):
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
    layer_in: dict[int, tuple[int, ...]] = {}
    layer_shapes: dict[int, tuple] = {}  # what layer_piece was given: (in_shape, per-source shapes)
    for i, layer in enumerate(model.layers):
        sources = [("layer", j) for j in struct.input_connectivity[i]] + [("input", k) for k in struct.input_layer_ids[i]]
        aligned = [in_shapes[j] if what == "input" else out_shapes.get(j) for what, j in sources]
        known = [shape for shape in aligned if shape is not None]
        if not known:
            raise SnnaxCompatError(f"layer {i} ({type(layer).__name__}) has no input from an earlier layer or an "
                                   "external input, so its shape is unknown\n  hint: connect an earlier layer to it")
        layer_in[i] = tuple(known[0])
        if _takes_list(layer):  # one shape per source, a feedback source's from the branch it feeds
            from .composed import CompoundLayer, _port_shapes

            branches = (layer.layers[0] if isinstance(layer, CompoundLayer) else layer).layers
            layer_in[i] = _port_shapes(list(branches), aligned)
        layer_shapes[i] = (known[0], aligned)
        try:
            piece = layer_piece(layer, layer_name(i), known[0], aligned)
        except _LayerShapeError as err:
            raise layer_shape_error(i, layer, known[0], str(err)) from None
        pieces[i] = piece
        nodes.extend(piece.nodes)
        edges.extend(piece.edges)
        params.update(piece.params)
        modules.update(piece.modules)
        exits[i] = piece.exit
        try:
            out_shapes[i] = _piece_out_shape(piece, [shape or known[0] for shape in aligned])
        except _LayerShapeError as err:
            raise layer_shape_error(i, layer, known[0], str(err)) from None
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
    return Graph(nodes=tuple(nodes), edges=tuple(edges)), params, modules, layer_in, layer_shapes


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
    info = infer_shapes(probe)
    shape = info.output(*piece.exit)
    if shape is None:
        reasons = "; ".join(p.message for p in info.problems) or "its output shape cannot be inferred"
        raise _LayerShapeError(reasons)
    return tuple(shape)


class _LayerShapeError(Exception):
    """A layer that cannot take its input shape (build_graph turns it into SNNAX terms)."""


def expected_input(layer: Any) -> str | None:
    """What ``layer`` takes, in its own terms, where it says so."""
    if isinstance(layer, eqx.nn.Linear) and isinstance(layer.in_features, int):
        return f"({layer.in_features},) (in_features={layer.in_features})"
    if isinstance(layer, (eqx.nn.Conv1d, eqx.nn.Conv2d)):
        return f"{layer.in_channels} channels first, (C, *spatial) with C = {layer.in_channels}"
    if isinstance(layer, eqx.nn.LayerNorm):
        return f"{tuple(layer.shape) if isinstance(layer.shape, tuple) else (layer.shape,)}"
    return None


def layer_shape_error(i: int, layer: Any, received: Any, reason: str) -> SnnaxCompatError:
    expected = expected_input(layer)
    return SnnaxCompatError(
        f"layer {i} ({type(layer).__name__}, id {layer_name(i)!r}) receives inputs of shape {tuple(received)}"
        + (f" but takes {expected}" if expected else "") + f": {reason}"
        "\n  hint: make the layer before it give that shape (or change this layer's size), and give "
        "init_state the shape of ONE sample, without batch or time axes")


# -------------------------------------------------------------------------- compiling and binding
_CACHE: "collections.OrderedDict[Any, Program]" = collections.OrderedDict()
_CACHE_SIZE = 64
_GRAPHS: "collections.OrderedDict[Any, tuple]" = collections.OrderedDict()  # signature -> graph and shapes


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


def bind(program: Program, params: dict, modules: dict) -> Program:
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
