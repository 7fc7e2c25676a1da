"""SNNAX's composed models and composite layers over snnir.

``Sequential`` and ``SequentialLocalFeedback`` are StatefulModels with a generated GraphStructure.
``CompoundLayer``, ``Parallel``, ``SRM`` and ``ResNetBlock`` are composite layers: each becomes one snnir
``Subgraph`` with ``same_step=True``, so it is one layer in delayed mode (its inside runs within the
step, as in SNNAX) and expands into nodes named ``layerI/...`` for traces and errors.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp

from snnir.ir import Edge, Graph

from .architecture import GraphStructure, StatefulModel, default_forward_fn, gen_feed_forward_struct
from ..convert import layer_piece
from ..functional.surrogate import SpikeFn, superspike_surrogate, surrogate_of
from ..neurons import LIF, SNNAX_CLAMP, SRM_CLAMP, BatchNormLayer, SigmaDelta, _array, _scalar_or_array
from ..pieces import Piece, SnnaxCompatError, concrete, kind
from .. import standalone
from ..standalone import is_stateful, run_any


def _last(state):
    while isinstance(state, (list, tuple)):
        state = state[-1]
    return state


def _as_list(layers: tuple) -> list:
    if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
        return list(layers[0])
    return list(layers)


# ------------------------------------------------------------------------------------- models
class Sequential(StatefulModel):
    """A feed-forward chain: ``Sequential(*layers)`` or ``Sequential([layers])``."""

    def __init__(self, *layers: Any, forward_fn: Callable = default_forward_fn):
        layers = _as_list(layers)
        super().__init__(gen_feed_forward_struct(len(layers)), layers, forward_fn)


class SequentialLocalFeedback(StatefulModel):
    """A chain with local feedback, as SNNAX's code runs it: the feedback connections are worked out
    (``feedback_layers=None``: every CompoundLayer into itself; ``{k: v}``: layer k into layer v) and kept
    in ``feedback_structure``, but the model runs the feed-forward ``graph_structure``, because SNNAX's last
    commit passes that one on. ``apply_feedback=True`` (keyword only, not in SNNAX) runs the feedback
    structure instead, which is what SNNAX's docs describe."""

    feedback_structure: GraphStructure = eqx.field(static=True)

    def __init__(self, *layers: Any, forward_fn: Callable = default_forward_fn,
                 feedback_layers: dict[int, int] | None = None, apply_feedback: bool = False):
        layers = _as_list(layers)
        base = gen_feed_forward_struct(len(layers))
        conn = [list(row) for row in base.input_connectivity]
        if feedback_layers is None:
            for i, layer in enumerate(layers):
                if isinstance(layer, CompoundLayer):
                    conn[i].append(i)
        else:
            for src, dst in feedback_layers.items():
                conn[int(dst)].append(int(src))
        feedback = GraphStructure(len(layers), base.input_layer_ids, tuple(tuple(r) for r in conn))
        self.feedback_structure = feedback
        super().__init__(feedback if apply_feedback else base, layers, forward_fn)


# ------------------------------------------------------------------------------------- composites
class Composite(eqx.Module):
    """A layer made of layers; ``to_piece_multi(name, in_shapes)`` gives one same-step Subgraph."""

    def to_piece_multi(self, name: str, in_shapes: list) -> Piece:
        raise NotImplementedError

    def takes_several(self) -> bool:
        """Whether its i-th input port takes the i-th source (a Parallel, or a compound starting with one)."""
        return False

    def _subgraph(self, name: str, label: str, nodes: list, edges: list, inner: list[Piece],
                  entries: tuple, parallel: bool = False) -> Piece:
        graph = Graph(nodes=tuple(nodes), edges=tuple(edges))
        node = kind("Subgraph")(id=name, graph=graph, same_step=True, composite=label)
        params = {(f"{name}/{nid}", field): v for p in inner for (nid, field), v in p.params.items()}
        modules = {f"{name}/{nid}": m for p in inner for nid, m in p.modules.items()}
        return Piece((node,), (), tuple((name, port) for port in entries), (name, "out"), params, modules,
                     parallel=parallel)


def _port_shapes(branches: list, in_shapes: list) -> list[tuple[int, ...]]:
    """One input shape per branch: the source's where known, else what the branch's first layer takes (a
    feedback source is built after the layer it feeds)."""
    known = [s for s in in_shapes if s is not None]
    shapes = []
    for k, branch in enumerate(branches):
        shape = in_shapes[k] if k < len(in_shapes) else None
        if shape is None:
            shape = _natural_in_shape(branch) or (known[0] if known else None)
        if shape is None:
            raise SnnaxCompatError(f"the input shape of branch {k} cannot be told")
        shapes.append(tuple(shape))
    return shapes


def _natural_in_shape(layer: Any) -> tuple[int, ...] | None:
    while isinstance(layer, CompoundLayer):
        layer = layer.layers[0]
    if isinstance(layer, eqx.nn.Linear) and isinstance(layer.in_features, int):
        return (layer.in_features,)
    return None


def _chain(layers: list, names: list[str], first_in: list[tuple[str, str]], in_shapes: list):
    """Pieces for ``layers`` in a chain fed from ``first_in``; returns (pieces, nodes, edges, exit)."""
    from .architecture import _piece_out_shape

    pieces, nodes, edges = [], [], []
    sources, shapes = first_in, in_shapes
    for layer, name in zip(layers, names):
        piece = layer_piece(layer, name, shapes[0], shapes)
        if piece.parallel and len(sources) > len(piece.entries):
            raise SnnaxCompatError(f"{name!r} has {len(piece.entries)} branches but receives {len(sources)} inputs")
        for k, (src, port) in enumerate(sources):
            dst, dst_port = piece.entries[k] if piece.parallel else piece.entries[0]
            edges.append(Edge(src, dst, src_port=port, dst_port=dst_port))
        pieces.append(piece)
        nodes.extend(piece.nodes)
        edges.extend(piece.edges)
        shapes = [_piece_out_shape(piece, shapes)]
        sources = [piece.exit]
    return pieces, nodes, edges, sources[0]


class CompoundLayer(Composite):
    """Layers run one after another within the same step, used as one layer. A CompoundLayer whose first
    layer is a Parallel takes one input per branch (SNNAX's pattern for local recurrence)."""

    layers: tuple

    def __init__(self, *layers: Any, init_fn: Any = None):
        self.layers = tuple(_as_list(layers))
        if not self.layers:
            raise SnnaxCompatError("CompoundLayer needs at least one layer")

    STATEFUL = True  # SNNAX's CompoundLayer is a StatefulLayer: its state is the list of its layers' states

    def takes_several(self):
        return isinstance(self.layers[0], Parallel)

    def init_state(self, shape, key=None) -> list:
        """SNNAX's: each layer's initial state in order (``[out]`` for a stateless one, its output on
        zeros; a leading Parallel gets one zero input per shape in ``shape``)."""
        keys = [None] * len(self.layers) if key is None else list(jax.random.split(key, len(self.layers)))
        states = []
        for layer, k in zip(self.layers, keys):
            if is_stateful(layer):
                state = layer.init_state(shape, k)
                out = layer.init_out(shape, key=k) if hasattr(layer, "init_out") else state[-1]
            elif isinstance(layer, Parallel):
                out = layer([jnp.zeros(s) for s in shape], key=k)
                state = [out]
            else:
                out = layer(jnp.zeros(shape), key=k)
                state = [out]
            states.append(state)
            shape = jnp.shape(out)
        return states

    def init_out(self, shape, *, key=None):
        """Zeros of the last layer's output shape (SNNAX returned the input's shape, which breaks a
        compound that changes width)."""
        return jnp.zeros_like(_last(self.init_state(shape, key)))

    def __call__(self, state, synaptic_input, *, key=None):
        """One step of one sample: the layers in order within the step; returns ``(states, outs)`` with
        every layer's output, as SNNAX."""
        keys = [None] * len(self.layers) if key is None else list(jax.random.split(key, len(self.layers)))
        h, new_states, outs = synaptic_input, [], []
        for k, old, layer in zip(keys, state, self.layers):
            new, h = run_any(layer, old, h, k)
            new_states.append(new)
            outs.append(h)
        return new_states, outs

    def to_piece_multi(self, name, in_shapes):
        parallel = isinstance(self.layers[0], Parallel)
        branches = list(self.layers[0].layers) if parallel else [self.layers[0]]
        ports = [f"in{k}" for k in range(len(branches))] if parallel else ["in"]
        shapes = _port_shapes(branches, list(in_shapes))
        inputs = [kind("Input")(id=p, shape=shape) for p, shape in zip(ports, shapes)]
        names = [f"l{j}" for j in range(len(self.layers))]
        pieces, nodes, edges, exit_ = _chain(list(self.layers), names, [(p, "out") for p in ports],
                                             [tuple(i.shape) for i in inputs])
        out = kind("Output")(id="out")
        return self._subgraph(name, "Compound", inputs + nodes + [out], edges + [Edge(exit_[0], "out", src_port=exit_[1])],
                              pieces, tuple(ports), parallel=parallel)


class Parallel(Composite):
    """Branches summed: branch i takes the i-th input (``Parallel(layers)`` or ``Parallel(*layers)``)."""

    layers: tuple

    def __init__(self, *layers: Any, forward_fn: Any = None):
        self.layers = tuple(_as_list(layers))

    def takes_several(self):
        return True

    def __call__(self, inputs, key=None):
        """The sum of each branch applied to its input (one sample)."""
        # a stateful branch (snnir allows them; SNNAX's Parallel took stateless layers) runs from rest
        outs = [run_any(layer, layer.init_state(jnp.shape(x), None) if is_stateful(layer) else None, x, None)[1]
                for layer, x in zip(self.layers, inputs)]
        return sum(outs[1:], outs[0])

    def to_piece_multi(self, name, in_shapes):
        ports = [f"in{k}" for k in range(len(self.layers))]
        shapes = _port_shapes(list(self.layers), list(in_shapes))
        inputs = [kind("Input")(id=p, shape=shape) for p, shape in zip(ports, shapes)]
        nodes, edges, pieces = list(inputs), [], []
        for k, layer in enumerate(self.layers):
            piece = layer_piece(layer, f"b{k}", tuple(inputs[k].shape))
            pieces.append(piece)
            nodes.extend(piece.nodes)
            edges.extend(piece.edges)
            edges.append(Edge(ports[k], piece.entries[0][0], dst_port=piece.entries[0][1]))
            edges.append(Edge(piece.exit[0], "out", src_port=piece.exit[1]))
        nodes.append(kind("Output")(id="out"))
        return self._subgraph(name, "Parallel", nodes, edges, pieces, tuple(ports), parallel=True)


class SRM(Composite):
    """SNNAX's spike response model: the input is filtered twice, then weighted by ``layer``, then a
    refractory threshold unit spikes:

        P_t = α·P + (1 − α)·x_t;  Q_t = β·Q + (1 − β)·P_t;  R_t = γ·R + r·sg(S_{t−1})
        V_t = layer(Q_t) − r·R_t;  S_t = H(V_t − θ)

    with α, β, γ clamped to [.5, 1] and r = reset_val clamped to [0, 2] (None: r = 0, no refractoriness).
    snnir: LI -> LI -> layer -> SRM inside one same-step Subgraph."""

    layer: Any
    decay_constants: jax.Array
    r_decay_constants: jax.Array
    threshold: Any
    reset_val: Any
    spike_fn: SpikeFn = eqx.field(static=True)
    stop_reset_grad: bool = eqx.field(static=True)
    STATEFUL = True

    def init_state(self, shape, key=None, *args, **kwargs) -> list:
        """SNNAX's [P, Q, R, S]: P and Q of the input's shape, R and S of ``layer``'s output shape."""
        out = jax.eval_shape(lambda x: self.layer(x), jax.ShapeDtypeStruct(tuple(shape), jnp.float32)).shape
        return [jnp.zeros(shape), jnp.zeros(shape), jnp.zeros(out), jnp.zeros(out)]

    def init_out(self, shape, *, key=None):
        return jnp.zeros_like(self.init_state(shape)[-1])

    def __call__(self, state, synaptic_input, *, key=None):
        from .architecture import layout_for

        return standalone.step(self, layout_for(self, standalone.NAME), state, synaptic_input, key)

    def __init__(self, layer, decay_constants, r_decay_constants=(0.9,), spike_fn=None, threshold=1.0,
                 reset_val=None, stop_reset_grad=True, init_fn=None, input_shape=None, shape=None, key=None):
        self.layer = layer
        self.decay_constants = _array(decay_constants)
        self.r_decay_constants = _array(r_decay_constants)
        self.threshold = _scalar_or_array(threshold)
        self.reset_val = 0.0 if reset_val is None else _scalar_or_array(reset_val)
        self.spike_fn = spike_fn if spike_fn is not None else superspike_surrogate(10.0)
        self.stop_reset_grad = bool(stop_reset_grad)

    def to_piece_multi(self, name, in_shapes):
        from .architecture import _piece_out_shape

        shape = tuple(in_shapes[0])
        filt = dict(input_scale="one_minus_decay", decay_clamp=SNNAX_CLAMP)
        p = kind("LI")(id="p", shape=shape, decay=concrete(self.decay_constants[0]), **filt)
        q = kind("LI")(id="q", shape=shape, decay=concrete(self.decay_constants[1]), **filt)
        inner = layer_piece(self.layer, "w", shape)
        out_shape = _piece_out_shape(inner, [shape])
        srm = kind("SRM")(id="s", shape=out_shape, r_decay=concrete(self.r_decay_constants[0]),
                          refractory=concrete(self.reset_val), threshold=concrete(self.threshold),
                          decay_clamp=SNNAX_CLAMP, refractory_clamp=SRM_CLAMP, fire_at_threshold=True,
                          surrogate=surrogate_of(self.spike_fn))  # R reads sg(S) always, as SNNAX's SRM
        nodes = [kind("Input")(id="in", shape=shape), p, q, *inner.nodes, srm, kind("Output")(id="out")]
        edges = [Edge("in", "p"), Edge("p", "q"), Edge("q", inner.entries[0][0], dst_port=inner.entries[0][1]),
                 *inner.edges, Edge(inner.exit[0], "s", src_port=inner.exit[1]), Edge("s", "out")]
        own = Piece((), (), (), ("s", "out"), {
            ("p", "decay"): self.decay_constants[0], ("q", "decay"): self.decay_constants[1],
            ("s", "r_decay"): self.r_decay_constants[0],
            **({("s", "refractory"): self.reset_val} if hasattr(self.reset_val, "shape") else {}),
            **({("s", "threshold"): self.threshold} if hasattr(self.threshold, "shape") else {})})
        return self._subgraph(name, "Subgraph", nodes, edges, [own, inner], ("in",))


class ResNetBlock(Composite):
    """A residual block: for each letter of ``layer_order`` a weight layer ('c': Conv2d(in, out, kernel,
    stride, padding) without bias; 'l': Linear(in, out) without bias), a BatchNormLayer and a stateful
    layer (LIF([.9, .7]) or SigmaDelta). The block's input is added to the last batch norm's output,
    before the last stateful layer: y = S_last(BN_last(W_last(...)) + x). (SNNAX documents the skip
    connection but its code never adds it; snnir does.)"""

    layers: tuple

    def __init__(self, layer_order: Sequence[str] = "ccl", layer_params: Sequence[Sequence[int]] = (),
                 stateful_layer_type: str = "LIF", key: Any = None):
        if stateful_layer_type not in ("LIF", "SigmaDelta"):
            raise SnnaxCompatError(f"stateful_layer_type must be 'LIF' or 'SigmaDelta', got {stateful_layer_type!r}")
        if len(layer_params) != len(layer_order):
            raise SnnaxCompatError("ResNetBlock needs one entry of layer_params per letter of layer_order")
        key = jax.random.key(0) if key is None else key
        layers = []
        for letter, params, k in zip(layer_order, layer_params, jax.random.split(key, len(layer_order))):
            if letter == "c":
                c_in, c_out, size, stride, padding = params
                weight = eqx.nn.Conv2d(c_in, c_out, size, stride, padding, use_bias=False, key=k)
            elif letter == "l":
                weight = eqx.nn.Linear(params[0], params[1], use_bias=False, key=k)
            else:
                raise SnnaxCompatError(f"layer_order letters are 'c' (conv) or 'l' (linear), got {letter!r}")
            neuron = LIF([0.9, 0.7]) if stateful_layer_type == "LIF" else SigmaDelta()
            layers.append((weight, BatchNormLayer(1e-10, 0.2, 0.7), neuron))
        self.layers = tuple(layers)

    STATEFUL = True

    def init_state(self, shape, key=None, *args, **kwargs) -> list:
        """``[out]``: the block's output only (its inner states start at rest at every call; not yet in
        the list)."""
        prog = standalone.layer_program(self, tuple(shape))
        return [jnp.zeros(prog.output_shapes["output"])]

    def init_out(self, shape, *, key=None):
        return self.init_state(shape)[0]

    def __call__(self, state, synaptic_input, *, key=None):
        from .architecture import layout_for

        return standalone.step(self, layout_for(self, standalone.NAME), state, synaptic_input, key)

    def to_piece_multi(self, name, in_shapes):
        from .architecture import _piece_out_shape

        shape = tuple(in_shapes[0])
        nodes, edges, pieces = [kind("Input")(id="in", shape=shape)], [], []
        source, shapes = ("in", "out"), [shape]
        for j, triple in enumerate(self.layers):
            for part, layer in zip(("w", "bn", "s"), triple):
                piece = layer_piece(layer, f"{part}{j}", shapes[0])
                pieces.append(piece)
                nodes.extend(piece.nodes)
                edges.extend(piece.edges)
                edges.append(Edge(source[0], piece.entries[0][0], src_port=source[1], dst_port=piece.entries[0][1]))
                if part == "s" and j == len(self.layers) - 1:
                    edges.append(Edge("in", piece.entries[0][0], dst_port=piece.entries[0][1]))  # the skip
                source, shapes = piece.exit, [_piece_out_shape(piece, shapes)]
        nodes.append(kind("Output")(id="out"))
        edges.append(Edge(source[0], "out", src_port=source[1]))
        return self._subgraph(name, "ResNetBlock", nodes, edges, pieces, ("in",))
