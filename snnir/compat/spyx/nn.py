"""Spyx's ``spyx.nn`` layers as snnir objects.

Every layer works two ways:

* the Spyx way, one step at a time: ``state = n.initial_state(batch_size)``, ``out, state = n(x, state)``
  (``x`` is [batch, *hidden_shape]); the state is snnir's state dict rather than Spyx's packed array;
* as IR: ``n.graph`` is the layer as a small snnir graph (Input "in" -> nodes -> Output "out"), and
  :class:`Sequential` (or :func:`fragment`) splices layers into one graph that snnir compiles as a whole.

Spyx semantics kept exactly (see docs/neurons.md for the equations): spikes come from the membrane
before the update with a strict Heaviside (H(0) = 0), the reset subtracts θ and is not detached, every
decay is clipped to [0, 1] when used. Decays follow Spyx: a float gives a trainable scalar starting at
that value; ``None`` gives a trainable per-neuron parameter drawn from a normal(0.5, 0.25) truncated to
[0, 1] with the ``key=`` argument (LI starts every neuron at 0.8 instead); ``trainable=False`` freezes
the decays. Recurrent layers (RIF, RLIF, RCuBaLIF) are a neuron plus a Linear from its spikes back to
its input: the graph shows the cycle, and since the neuron spikes from its previous membrane the cycle
needs no extra delay. ``recurrent_w`` is an [N, N] matrix in Spyx's layout (rows presynaptic, applied as
``s @ W``); snnir stores its transpose as the Linear weight ([out, in]).

Where Spyx 0.1.x and 1.0 differ, snnir follows 1.0: CuBaLIF subtracts its reset once (0.1.x subtracts
it twice), and ``beta=0.0`` means a decay of 0, not "learnable".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from snnir import passes
from snnir.errors import InvalidArgumentsError, SnnirError
from snnir.ir import Edge, Graph, Node, node_kinds
from snnir.runtime import Program

from .axn import as_surrogate, superspike


class SpyxCompatError(SnnirError, ValueError):
    """A Spyx-style layer was given arguments snnir cannot turn into a model."""


#: Spyx's neuron options in snnir's terms
_SPYX_SPIKING = dict(spike_from="pre", reset="subtract", detach_reset=False, fire_at_threshold=False,
                     decay_clamp=(0.0, 1.0))

_UNSET = object()


@dataclass(frozen=True)
class Fragment:
    """A layer's nodes and inner edges, plus where the layer's input enters and its output leaves."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    entries: tuple[tuple[str, str], ...]  # (node id, port) fed by the layer's input
    exits: tuple[tuple[str, str], ...]  # (node id, port) whose values are the layer's output


def _shape(hidden_shape: Any) -> tuple[int, ...]:
    shape = (hidden_shape,) if isinstance(hidden_shape, int) else tuple(hidden_shape)
    if not shape or not all(isinstance(d, (int, np.integer)) and d > 0 for d in shape):
        raise SpyxCompatError(f"hidden_shape must be a positive int or a tuple of them, got {hidden_shape!r}")
    return tuple(int(d) for d in shape)


def _decay(name: str, value: Any, shape: tuple[int, ...], key: Any, start: float | None = None) -> np.ndarray:
    """A Spyx decay parameter: the given value (a scalar), or per-neuron values when ``value`` is None."""
    if value is not None:
        return np.asarray(value, np.float32)
    if start is not None:
        return np.full(shape, start, np.float32)
    if key is None:
        raise SpyxCompatError(
            f"{name}=None asks for a learnable per-neuron {name} drawn at random, which needs a key"
            f"\n  hint: pass key=jax.random.key(0), or give {name} as a float")
    draw = jax.random.truncated_normal(key, -2.0, 2.0, shape) * 0.25 + 0.5  # Spyx's TruncatedNormal(.25, .5)
    return np.asarray(draw, np.float32)


def _recurrent_weight(recurrent_w: Any, shape: tuple[int, ...], key: Any) -> np.ndarray:
    if len(shape) != 1:
        raise SpyxCompatError(f"recurrent layers need a 1-D hidden_shape, got {shape}"
                              "\n  hint: flatten before the layer (Spyx has the same limit)")
    (n,) = shape
    if recurrent_w is None:
        if key is None:
            raise SpyxCompatError("a recurrent layer without recurrent_w draws its weights at random, which "
                                  "needs a key\n  hint: pass key=jax.random.key(0) or recurrent_w=...")
        recurrent_w = jax.random.truncated_normal(key, -2.0, 2.0, (n, n)) * 0.01  # Spyx 1.0's initialiser
    w = np.asarray(recurrent_w, np.float32)
    if w.shape != (n, n):
        raise SpyxCompatError(f"recurrent_w has shape {w.shape}, expected {(n, n)} for hidden_shape {shape}")
    return w.T  # Spyx applies s @ W (rows presynaptic); a snnir Linear computes W_ir @ s


def _keys(key: Any, n: int) -> list[Any]:
    if key is None:
        return [None] * n
    key = jax.random.key(key) if isinstance(key, int) else key
    return list(jax.random.split(key, n))


def _kind(name: str) -> type[Node]:
    return node_kinds()[name]


class _Compiled(eqx.Module):
    """A compiled snnir program called the Spyx way (its leaves are the parameters)."""

    program: Program

    @property
    def graph(self) -> Graph:
        """The layer as a snnir graph (Input "in" -> ... -> Output "out"), with current parameters."""
        return self.program.to_graph()

    def initial_state(self, batch_size: int | None = None) -> dict:
        """The state before the first step, for ``batch_size`` samples (None: no batch axis)."""
        return self.program.init_state(() if batch_size is None else (int(batch_size),))

    def __call__(self, x: jax.Array, state: dict) -> tuple[jax.Array, dict]:
        """One step, Spyx's way: ``out, new_state = layer(x, state)``."""
        state, ys = self.program.step(state, x)
        return ys["out"], state


class Layer(_Compiled):
    """A Spyx-style layer: a compiled one-layer snnir program."""

    name: str = eqx.field(static=True)

    def fragment(self, name: str | None = None) -> Fragment:
        """The layer's nodes, renamed for ``name`` (default: the layer's own name)."""
        return _fragment_of(self.graph, self.name, name or self.name)


def _fragment_of(graph: Graph, old: str, new: str) -> Fragment:
    inner = {n.id for n in graph.nodes if n.kind not in ("Input", "Output")}

    def rename(nid: str) -> str:
        return new + nid[len(old):] if nid.startswith(old) else f"{new}_{nid}"

    nodes = tuple(graph.node(nid).replace(id=rename(nid)) for nid in graph.node_ids if nid in inner)
    edges = tuple(e.replace(src=rename(e.src), dst=rename(e.dst))
                  for e in graph.edges if e.src in inner and e.dst in inner)
    entries = tuple((rename(e.dst), e.dst_port) for e in graph.edges if e.src not in inner)
    exits = tuple((rename(e.src), e.src_port) for e in graph.edges if e.dst not in inner)
    return Fragment(nodes, edges, entries, exits)


def _layer(name: str, shape_in: tuple[int, ...], nodes: list[Node], edges: list[Edge], entry: str,
           exit_: str) -> Layer:
    io = [_kind("Input")(id="in", shape=shape_in)]
    graph = Graph(nodes=tuple(io + nodes + [_kind("Output")(id="out")]),
                  edges=tuple([Edge("in", entry)] + edges + [Edge(exit_, "out")]))
    return Layer(program=passes.compile(graph, mode="straight", strategy="fused-scan"), name=name)


def _neuron(kind: str, name: str, shape: tuple[int, ...], trainable: bool, recurrent: np.ndarray | None,
            **fields: Any) -> Layer:
    node = _kind(kind)(id=name, shape=shape, **fields, **({} if trainable else {"trainable": ()}))
    nodes, edges = [node], []
    if recurrent is not None:
        rec = _kind("Linear")(id=f"{name}_rec", weight=recurrent)
        nodes.append(rec)
        edges = [Edge(name, rec.id), Edge(rec.id, name)]
    return _layer(name, shape, nodes, edges, name, name)


# ---------------------------------------------------------------------------------------------- neurons
def IF(hidden_shape, threshold=1.0, activation=None, name="IF") -> Layer:
    """Spyx IF: s = H(V − θ);  V' = V + x − s·θ  (snnir IF with spike_from="pre")."""
    shape = _shape(hidden_shape)
    return _neuron("IF", name, shape, True, None, threshold=threshold,
                   surrogate=as_surrogate(activation or superspike()),
                   **{k: v for k, v in _SPYX_SPIKING.items() if k != "decay_clamp"})


def LIF(hidden_shape, beta=None, threshold=1.0, activation=None, name="LIF", *, key=None,
        trainable=True) -> Layer:
    """Spyx LIF: s = H(V − θ);  V' = clip(β, 0, 1)·V + x − s·θ."""
    shape = _shape(hidden_shape)
    return _neuron("LIF", name, shape, trainable, None, decay=_decay("beta", beta, shape, key),
                   threshold=threshold, surrogate=as_surrogate(activation or superspike()), **_SPYX_SPIKING)


def LI(layer_shape, beta=None, name="LI", *, trainable=True) -> Layer:
    """Spyx LI (readout): V' = clip(β, 0, 1)·V + x; the output is V' (β=None: 0.8 for every neuron)."""
    shape = _shape(layer_shape)
    return _neuron("LI", name, shape, trainable, None, decay=_decay("beta", beta, shape, None, start=0.8),
                   decay_clamp=(0.0, 1.0))


def CuBaLIF(hidden_shape, alpha=None, beta=None, threshold=1.0, activation=None, name="CuBaLIF", *,
            key=None, trainable=True) -> Layer:
    """Spyx CuBaLIF (1.0): s = H(V − θ);  I' = α·I + x;  V' = β·(V − s·θ) + I'  (α, β clipped to [0, 1])."""
    shape = _shape(hidden_shape)
    k_alpha, k_beta = _keys(key, 2)
    return _neuron("CubaLIF", name, shape, trainable, None, syn_decay=_decay("alpha", alpha, shape, k_alpha),
                   mem_decay=_decay("beta", beta, shape, k_beta), threshold=threshold,
                   surrogate=as_surrogate(activation or superspike()), reset_before_leak=True, **_SPYX_SPIKING)


def ALIF(hidden_shape, beta=None, gamma=None, threshold=1.0, activation=None, name="ALIF", *, key=None,
         trainable=True) -> Layer:
    """Spyx ALIF: Θ = θ + T;  s = H(V − Θ);  V' = β·V + x − s·Θ;  T' = γ·T + (1 − γ)·s."""
    shape = _shape(hidden_shape)
    k_beta, k_gamma = _keys(key, 2)
    return _neuron("ALIF", name, shape, trainable, None, decay=_decay("beta", beta, shape, k_beta),
                   adapt_decay=_decay("gamma", gamma, shape, k_gamma), threshold=threshold,
                   surrogate=as_surrogate(activation or superspike()), **_SPYX_SPIKING)


def RIF(hidden_shape, threshold=1.0, activation=None, name="RIF", *, recurrent_w=None, key=None) -> Layer:
    """Spyx RIF: s = H(V − θ);  V' = V + x + s·W − s·θ."""
    shape = _shape(hidden_shape)
    return _neuron("IF", name, shape, True, _recurrent_weight(recurrent_w, shape, key), threshold=threshold,
                   surrogate=as_surrogate(activation or superspike()),
                   **{k: v for k, v in _SPYX_SPIKING.items() if k != "decay_clamp"})


def RLIF(hidden_shape, beta=None, threshold=1.0, activation=None, name="RLIF", *, recurrent_w=None, key=None,
         trainable=True) -> Layer:
    """Spyx RLIF: s = H(V − θ);  V' = β·V + x + s·W − s·θ."""
    shape = _shape(hidden_shape)
    k_beta, k_w = _keys(key, 2)
    return _neuron("LIF", name, shape, trainable, _recurrent_weight(recurrent_w, shape, k_w),
                   decay=_decay("beta", beta, shape, k_beta), threshold=threshold,
                   surrogate=as_surrogate(activation or superspike()), **_SPYX_SPIKING)


def RCuBaLIF(hidden_shape, alpha=None, beta=None, threshold=1.0, activation=None, name="RCuBaLIF", *,
             recurrent_w=None, key=None, trainable=True) -> Layer:
    """Spyx RCuBaLIF: s = H(V − θ);  I' = α·I + x + s·W;  V' = β·(V − s·θ) + I'."""
    shape = _shape(hidden_shape)
    k_alpha, k_beta, k_w = _keys(key, 3)
    return _neuron("CubaLIF", name, shape, trainable, _recurrent_weight(recurrent_w, shape, k_w),
                   syn_decay=_decay("alpha", alpha, shape, k_alpha), mem_decay=_decay("beta", beta, shape, k_beta),
                   threshold=threshold, surrogate=as_surrogate(activation or superspike()),
                   reset_before_leak=True, **_SPYX_SPIKING)


# ------------------------------------------------------------------------------ shape-free layers
class ShapeFreeLayer(eqx.Module):
    """A Spyx layer without parameters whose node needs the input shape (known inside a Sequential)."""

    name: str = eqx.field(static=True)

    def node(self, in_shape: tuple[int, ...]) -> Node:
        raise NotImplementedError


class ActivityRegularization(ShapeFreeLayer):
    """Spyx ActivityRegularization: the identity on spikes, with a running spike count as state.

    Spyx way (1.0): ``spikes, count = act_reg(spikes, count)`` with ``count = None`` at the start.
    In a graph it is snnir's ActivityRegularization node; its "count" port gives the counts.
    """

    def __init__(self, name: str = "ActReg"):
        self.name = name

    def __call__(self, spikes: jax.Array, count: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
        return spikes, spikes + (0.0 if count is None else count)

    def node(self, in_shape):
        return _kind("ActivityRegularization")(id=self.name, shape=in_shape)


class PopulationCode(ShapeFreeLayer):
    """Spyx PopulationCode(C): per sample, y[j] = x[j·C] + ... + x[j·C + C − 1], the sums of runs of C
    consecutive units (N / C outputs), exactly as Spyx's code computes; Spyx also flattens the batch into
    those runs, snnir keeps it."""

    num_classes: int = eqx.field(static=True)

    def __init__(self, num_classes: int, name: str = "PopulationCode"):
        self.num_classes = int(num_classes)
        self.name = name

    def __call__(self, x: jax.Array) -> jax.Array:
        flat = x.reshape(x.shape[0], -1)
        if flat.shape[1] % self.num_classes:
            raise SpyxCompatError(f"PopulationCode({self.num_classes}) needs a width that is a multiple of "
                                  f"{self.num_classes}, got {flat.shape[1]}")
        return flat.reshape(x.shape[0], -1, self.num_classes).sum(-1)

    def node(self, in_shape):
        return _kind("PopulationCode")(id=self.name, group_size=self.num_classes)


def _window(value: int | Sequence[int], n: int, what: str) -> tuple[int, ...]:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise SpyxCompatError(f"{what} {value} needs one entry per pooled axis ({n})")
    return value


def sum_pool(value: jax.Array, window_shape, strides, padding: str, channel_axis: int | None = -1) -> jax.Array:
    """Spyx 1.0 sum_pool: window sums over every axis except the batch (0) and ``channel_axis``.

    ``window_shape`` and ``strides`` are an int (the same for every pooled axis) or one int per pooled
    axis; ``padding`` is "SAME" or "VALID".
    """
    if str(padding).upper() not in ("SAME", "VALID"):
        raise SpyxCompatError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    ndim = value.ndim
    skip = {0} | ({channel_axis % ndim} if channel_axis is not None else set())
    pooled = [a for a in range(ndim) if a not in skip]
    win, step = _window(window_shape, len(pooled), "window_shape"), _window(strides, len(pooled), "strides")
    dims, strd = [1] * ndim, [1] * ndim
    for a, w, s in zip(pooled, win, step):
        dims[a], strd[a] = w, s
    return jax.lax.reduce_window(value, jnp.zeros((), value.dtype), jax.lax.add, dims, strd, str(padding).upper())


class SumPool(ShapeFreeLayer):
    """Spyx SumPool: :func:`sum_pool` as a layer. In a graph it becomes snnir's channels-first
    SumPool1d/2d, so there the per-sample layout must be (C, *spatial), i.e. ``channel_axis=1`` on
    batched arrays."""

    window_shape: Any = eqx.field(static=True)
    strides: Any = eqx.field(static=True)
    padding: str = eqx.field(static=True)
    channel_axis: int | None = eqx.field(static=True)

    def __init__(self, window_shape, strides, padding: str, channel_axis: int | None = -1, name: str | None = None):
        self.window_shape, self.strides, self.padding, self.channel_axis = window_shape, strides, padding, channel_axis
        self.name = name or "SumPool"

    def __call__(self, value: jax.Array) -> jax.Array:
        return sum_pool(value, self.window_shape, self.strides, self.padding, self.channel_axis)

    def node(self, in_shape):
        n = len(in_shape) - 1
        if self.channel_axis not in (1, -len(in_shape) - 1) or n not in (1, 2):
            raise SpyxCompatError(
                f"SumPool {self.name!r}: in a snnir graph pooling is channels-first, (C, L) or (C, H, W) per "
                f"sample; got channel_axis={self.channel_axis} for per-sample shape {in_shape}"
                "\n  hint: keep data as [batch, C, ...] and pass channel_axis=1")
        kind = _kind(f"SumPool{n}d")
        return kind(id=self.name, kernel_size=_window(self.window_shape, n, "window_shape"),
                    stride=_window(self.strides, n, "strides"), padding=str(self.padding).lower())


# ----------------------------------------------------------------------------------- whole models
def _linear_node(layer: eqx.nn.Linear, name: str) -> Node:
    weight = np.asarray(layer.weight, np.float32)
    bias = None if layer.bias is None else np.asarray(layer.bias, np.float32)
    return _kind("Linear")(id=name, weight=weight, bias=bias)


class Sequential(_Compiled):
    """A chain of Spyx-style layers, ``eqx.nn.Linear`` modules and snnir nodes, compiled as one graph.

        net = Sequential(eqx.nn.Linear(16, 64, key=k1), LIF((64,), key=k2), eqx.nn.Linear(64, 10, key=k3),
                         LI((10,)))
        state = net.initial_state(batch_size)
        out, state = net(x_t, state)            # one step (Spyx's RNNCore way)
        outs, state = run(net, xs)              # all steps, time-major xs [T, B, ...]

    ``net.graph`` is the snnir graph (ids: each layer's name, ``linear_i`` for Linear modules).
    """

    def __init__(self, *layers: Any, input_shape: Sequence[int] | None = None, mode: str = "straight",
                 strategy: str = "auto"):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise SpyxCompatError("Sequential needs at least one layer")
        shape = _first_shape(layers[0], input_shape)
        nodes: list[Node] = [_kind("Input")(id="in", shape=shape)]
        edges: list[Edge] = []
        exits: tuple[tuple[str, str], ...] = (("in", "out"),)
        for i, layer in enumerate(layers):
            part = _as_fragment(layer, i, shape)
            nodes.extend(part.nodes)
            edges.extend(part.edges)
            edges.extend(Edge(src, dst, src_port=sp, dst_port=dp) for src, sp in exits for dst, dp in part.entries)
            exits = part.exits
            shape = _out_shape(Graph(nodes=tuple(nodes), edges=tuple(edges)), exits[0])
        nodes.append(_kind("Output")(id="out"))
        edges.extend(Edge(src, "out", src_port=sp) for src, sp in exits)
        graph = Graph(nodes=tuple(nodes), edges=tuple(edges))
        self.program = passes.compile(graph, mode=mode, strategy=strategy)


def run(model: Sequential | Layer, xs: jax.Array, state: dict | None = None, *,
        batch_major: bool = False) -> tuple[jax.Array, dict]:
    """Run ``model`` over all steps of ``xs`` ([T, B, ...], or [B, T, ...] with ``batch_major=True``),
    as Spyx 1.0's ``nn.run``: returns ``(outputs, final_state)`` in the same layout as ``xs``."""
    xs = jnp.asarray(xs)
    if batch_major:
        xs = jnp.swapaxes(xs, 0, 1)
    if state is None:
        state = model.initial_state(xs.shape[1])
    state, ys = model.program(state, xs)
    out = ys["out"]
    return (jnp.swapaxes(out, 0, 1) if batch_major else out), state


def _first_shape(layer: Any, input_shape: Sequence[int] | None) -> tuple[int, ...]:
    if input_shape is not None:
        return tuple(int(d) for d in input_shape)
    if isinstance(layer, eqx.nn.Linear):
        return (int(layer.in_features),)
    if isinstance(layer, Layer):
        return tuple(layer.graph.node("in").shape)
    raise SpyxCompatError(f"cannot tell the input shape from the first layer {type(layer).__name__}"
                          "\n  hint: pass input_shape=(...) (the per-sample shape)")


def _as_fragment(layer: Any, index: int, in_shape: tuple[int, ...]) -> Fragment:
    if isinstance(layer, Layer):
        return layer.fragment()
    if isinstance(layer, eqx.nn.Linear):
        node = _linear_node(layer, f"linear_{index}")
    elif isinstance(layer, ShapeFreeLayer):
        node = layer.node(in_shape)
    elif isinstance(layer, Node):
        node = layer
    else:
        raise InvalidArgumentsError(
            f"layer {index} is a {type(layer).__name__}, which snnir.compat.spyx.Sequential cannot place in a graph"
            "\n  hint: use the layers of snnir.compat.spyx, eqx.nn.Linear, or snnir nodes")
    return Fragment((node,), (), ((node.id, node.INPUT_PORTS[0]),), ((node.id, "out"),))


def _out_shape(graph: Graph, exit_: tuple[str, str]) -> tuple[int, ...]:
    from snnir.analysis import infer_shapes

    return tuple(infer_shapes(graph).output(*exit_))
