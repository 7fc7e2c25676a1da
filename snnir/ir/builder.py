"""GraphBuilder: a network in a few readable lines, with key-driven, fan-in-scaled weights.

    b = GraphBuilder(key=0)
    x = b.input("x", shape=(20,))
    s = b.lif(b.linear(x, 64), decay=0.9, id="lif")
    b.connect(b.linear(s, 64, id="rec"), s)           # a recurrent edge: the compiler marks feedback
    b.output(b.li(b.linear(s, 10), decay=0.8), id="y")
    graph = b.build()

Every helper adds one node fed by its source(s) and returns the new node's id, so calls nest. Sources are
node ids, or ``"id.port"`` for another output port (e.g. ``"lif.v"``). Shapes are per sample (no batch or
time axes) and inferred from the sources as nodes are added, so a shape error is raised at the line that
causes it. Weights (Linear, Conv1d, Conv2d) are drawn uniformly from [-gain/sqrt(fan_in), gain/sqrt(fan_in)]
(as PyTorch and Equinox do) with a key folded from the builder's key and the count of layers drawn so far,
so the same key always gives the same graph. Every float parameter of a node the builder makes, scalars
and defaults included, is stored in the builder's dtype.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import jax
import numpy as np

from ..diagnostics import did_you_mean
from ..errors import InvalidIRError
from .arrays import FLOAT_DTYPES
from .edge import Edge
from .graph import Graph
from .kinds import ALIF, IF, LI, LIF, SRM, ActivityRegularization, AdaptiveLIF, CubaLIF, Delay, Flatten, Input
from .kinds import Linear, Output, PopulationCode, Scale, SigmaDelta, SpikeCounter
from .kinds import AvgPool1d, AvgPool2d, BatchNorm, Concat, Conv1d, Conv2d, Dropout, LayerNorm, MaxPool1d, MaxPool2d
from .kinds import SumPool1d, SumPool2d
from .node import Node, ShapeProblem

Size = int | Sequence[int]


class GraphBuilder:
    """Builds a :class:`~snnir.Graph` one node at a time; :meth:`build` returns it.

    Parameters:
        key: an int seed or a JAX PRNG key (default 0). Each layer with random weights draws from
            ``fold_in(key, n)`` for the n-th such layer, so equal keys give equal graphs.
        dtype: the dtype of every float parameter the builder makes: ``"float32"`` (default),
            ``"float64"``, ``"float16"`` or ``"bfloat16"``.

    Helpers take their source(s) first and return the id of the node they add. ``id=None`` picks a free id
    from the kind (``linear1``, ``lif2``, ...). Keyword ``**fields`` go to the node's constructor unchanged
    (e.g. ``threshold=``, ``reset=``, ``trainable=``); ``help(snnir.LIF)`` and the other kinds' docstrings
    list them with their equations.

    Raises :class:`~snnir.InvalidIRError` for an id already in use, an unknown source, a source whose
    shape does not fit the new node, or an invalid field.
    """

    def __init__(self, key: Any = 0, dtype: Any = "float32"):
        self._key = jax.random.key(key) if isinstance(key, int) else key
        name = dtype if isinstance(dtype, str) else np.dtype(dtype).name
        if name not in FLOAT_DTYPES:
            raise InvalidIRError(f"unsupported dtype {name!r}; use one of {sorted(FLOAT_DTYPES)}")
        self._dtype = FLOAT_DTYPES[name]
        self._nodes: list[Node] = []
        self._edges: list[Edge] = []
        self._shapes: dict[tuple[str, str], tuple[int, ...]] = {}
        self._draws = 0

    @property
    def dtype(self) -> str:
        """The name of the parameter dtype, e.g. ``"float32"``."""
        return self._dtype.name

    # ------------------------------------------------------------------ generic
    def add(self, node: Node, *sources: str, delay: int = 0) -> str:
        """Add ``node`` (any kind, e.g. a ``Custom`` layer) fed on its "in" port by each of ``sources``.

        ``delay`` is the delay in steps of every edge added. The node is taken as given (its parameters
        keep their dtype). Returns its id."""
        edges = [self._edge(src, node.id, delay=delay) for src in sources]
        return self._commit(node, edges)

    def connect(self, src: str, dst: str, *, delay: int = 0, dst_port: str = "in", feedback: bool = False) -> None:
        """Add an edge from ``src`` ("id" or "id.port") into port ``dst_port`` of node ``dst``.

        Use it for edges a helper does not add: recurrent edges (``connect(rec, lif)``), skips, delayed
        edges (``delay`` steps), or an explicit ``feedback=True`` mark. Returns nothing."""
        self._edges.append(self._edge(src, dst, delay=delay, dst_port=dst_port, feedback=feedback))

    def build(self, metadata: dict | None = None) -> Graph:
        """The graph built so far, with optional JSON ``metadata``. The builder stays usable."""
        return Graph(nodes=tuple(self._nodes), edges=tuple(self._edges), metadata=metadata or {})

    def shape_of(self, src: str) -> tuple[int, ...]:
        """The per-sample shape of ``src`` ("id" or "id.port"), as inferred when it was added."""
        node, port = self._split(src)
        try:
            return self._shapes[(node, port)]
        except KeyError:
            ids = [n.id for n in self._nodes]
            guess = did_you_mean(node, ids) if node not in ids else ""
            raise InvalidIRError(
                f"no known shape for {src!r}" + (f" ({guess})" if guess else "")
                + "\n  hint: add a node before using it as a source; ports are named 'id.port', e.g. 'lif.v'"
            ) from None

    # ------------------------------------------------------------------ inputs and outputs
    def input(self, id: str, shape: Size) -> str:  # noqa: A002
        """Add an :class:`~snnir.Input` ``id`` with per-sample ``shape`` (an int or a tuple); its data is
        ``xs[id]`` of shape [T, *batch, *shape] at run time. Returns ``id``."""
        return self.add(Input(id=id, shape=_shape(shape)))

    def output(self, src: str, id: str = "y") -> str:  # noqa: A002
        """Add an :class:`~snnir.Output` ``id`` (default ``"y"``) fed by ``src``; the program returns its
        values as ``ys[id]``. Returns ``id``."""
        return self.add(Output(id=id), src)

    # ------------------------------------------------------------------ synapses
    def linear(self, src: str, features: int, *, id: str | None = None, bias: bool = True,  # noqa: A002
               gain: float = 1.0, **fields: Any) -> str:
        """Add a :class:`~snnir.Linear` from the last axis of ``src`` to ``features`` outputs.

        Shape (..., in) -> (..., features). The weight [features, in] and the bias [features] (none with
        ``bias=False``) are drawn from U(-b, b), b = gain/sqrt(in); ``gain`` (default 1) scales that bound,
        e.g. to start a recurrent weight small. ``fields`` such as ``mask=`` go to the node."""
        fan_in = self._last_axis(src, "linear")
        k_w, k_b = jax.random.split(self._next_key())
        bound = gain / np.sqrt(fan_in)
        weight = _uniform(k_w, (features, fan_in), bound)
        b = _uniform(k_b, (features,), bound) if bias else None
        return self._make(Linear, "linear", id, [src], weight=weight, bias=b, **fields)

    def conv1d(self, src: str, out_channels: int, kernel_size: Size, *, stride: Size = 1, padding: Any = 0,
               dilation: Size = 1, groups: int = 1, bias: bool = True, gain: float = 1.0,
               id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add a :class:`~snnir.Conv1d` over a channels-first source (C_in, L) -> (out_channels, L_out).

        ``kernel_size``, ``stride``, ``dilation``: an int or a 1-tuple; ``padding``: an int, a (lo, hi)
        pair in a 1-tuple, ``"same"`` or ``"valid"`` (default 0). The weight [out_channels,
        C_in/groups, K] and the bias [out_channels] are drawn from U(-b, b), b = gain/sqrt(C_in/groups·K)."""
        return self._conv(Conv1d, "conv", src, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                          gain, id, fields)

    def conv2d(self, src: str, out_channels: int, kernel_size: Size, *, stride: Size = 1, padding: Any = 0,
               dilation: Size = 1, groups: int = 1, bias: bool = True, gain: float = 1.0,
               id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add a :class:`~snnir.Conv2d` over a channels-first source (C_in, H, W) -> (out_channels, H_out, W_out).

        ``kernel_size``, ``stride``, ``dilation``: an int or a pair; ``padding``: an int, a pair, two
        (lo, hi) pairs, ``"same"`` or ``"valid"`` (default 0). The weight [out_channels, C_in/groups, KH, KW]
        and the bias [out_channels] are drawn from U(-b, b), b = gain/sqrt(C_in/groups·KH·KW)."""
        return self._conv(Conv2d, "conv", src, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                          gain, id, fields)

    def scale(self, src: str, scale: Any, *, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add a :class:`~snnir.Scale`: y = scale ⊙ x, ``scale`` a number or an array broadcasting to the
        source's shape. Shape unchanged."""
        return self._make(Scale, "scale", id, [src], scale=scale, **fields)

    # ------------------------------------------------------------------ stateless layers
    def max_pool1d(self, src: str, kernel_size: Size, *, stride: Size | None = None, padding: Any = 0,
                   id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add a :class:`~snnir.MaxPool1d`: (C, L) -> (C, L_out). Spiking by default (a spike where the
        window maximum exceeds ``threshold``, default 1); ``spiking=False`` gives plain max pooling.
        ``stride`` None means the kernel size."""
        return self._pool(MaxPool1d, "maxpool", src, kernel_size, stride, padding, id, fields)

    def max_pool2d(self, src: str, kernel_size: Size, *, stride: Size | None = None, padding: Any = 0,
                   id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add a :class:`~snnir.MaxPool2d`: (C, H, W) -> (C, H_out, W_out); spiking as in :meth:`max_pool1d`."""
        return self._pool(MaxPool2d, "maxpool", src, kernel_size, stride, padding, id, fields)

    def avg_pool1d(self, src: str, kernel_size: Size, *, stride: Size | None = None, padding: Any = 0,
                   id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add an :class:`~snnir.AvgPool1d` (mean over each window, padding counted): (C, L) -> (C, L_out)."""
        return self._pool(AvgPool1d, "avgpool", src, kernel_size, stride, padding, id, fields)

    def avg_pool2d(self, src: str, kernel_size: Size, *, stride: Size | None = None, padding: Any = 0,
                   id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add an :class:`~snnir.AvgPool2d`: (C, H, W) -> (C, H_out, W_out)."""
        return self._pool(AvgPool2d, "avgpool", src, kernel_size, stride, padding, id, fields)

    def sum_pool1d(self, src: str, kernel_size: Size, *, stride: Size | None = None, padding: Any = 0,
                   id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add a :class:`~snnir.SumPool1d` (spike counts per window): (C, L) -> (C, L_out)."""
        return self._pool(SumPool1d, "sumpool", src, kernel_size, stride, padding, id, fields)

    def sum_pool2d(self, src: str, kernel_size: Size, *, stride: Size | None = None, padding: Any = 0,
                   id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add a :class:`~snnir.SumPool2d`: (C, H, W) -> (C, H_out, W_out)."""
        return self._pool(SumPool2d, "sumpool", src, kernel_size, stride, padding, id, fields)

    def layer_norm(self, src: str, *, normalized_shape: Size | None = None, eps: float = 1e-5, affine: bool = True,
                   id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add a :class:`~snnir.LayerNorm` over the trailing ``normalized_shape`` axes (None, the default:
        the whole sample). With ``affine`` (default) γ = ones and β = zeros of the normalised shape, both
        trained; ``affine=False`` leaves them out. Shape unchanged."""
        shape = self.shape_of(src)
        norm = shape if normalized_shape is None else _shape(normalized_shape)
        affine_params = dict(weight=np.ones(norm), bias=np.zeros(norm)) if affine else {}
        return self._make(LayerNorm, "layernorm", id, [src], normalized_shape=normalized_shape, eps=eps,
                          **{**affine_params, **fields})

    def batch_norm(self, src: str, *, over: str = "channel", eps: float = 1e-5, momentum: float = 0.1,
                   affine: bool = True, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add a :class:`~snnir.BatchNorm`: statistics per channel (``over="channel"``, the first axis) or
        per element (``over="element"``), running mean and variance kept in the state. With ``affine``
        (default) γ = ones and β = zeros of the statistic's shape. Shape unchanged."""
        shape = self.shape_of(src)
        stat = shape[:1] if over == "channel" else shape
        affine_params = dict(weight=np.ones(stat), bias=np.zeros(stat)) if affine else {}
        return self._make(BatchNorm, "batchnorm", id, [src], over=over, eps=eps, momentum=momentum,
                          **{**affine_params, **fields})

    def dropout(self, src: str, p: float = 0.5, *, id: str | None = None) -> str:  # noqa: A002
        """Add a :class:`~snnir.Dropout` dropping each element with probability ``p`` (default 0.5) in
        training (a fresh mask every step; the program call then needs a ``key``). Shape unchanged."""
        return self._make(Dropout, "dropout", id, [src], p=p)

    def concat(self, *sources: str, axis: int = 0, id: str | None = None) -> str:  # noqa: A002
        """Add a :class:`~snnir.Concat` joining ``sources`` along per-sample ``axis`` (default 0, the
        channel axis), source i on port ``in{i}``. The sources agree on every other axis."""
        if not sources:
            raise InvalidIRError("concat needs at least one source\n  hint: pass the ids to join: b.concat(a, c)")
        return self._make(Concat, "concat", id, list(sources), inputs=len(sources), axis=axis)

    def flatten(self, src: str, *, start_dim: int = 0, end_dim: int = -1, id: str | None = None,  # noqa: A002
                **fields: Any) -> str:
        """Add a :class:`~snnir.Flatten` merging per-sample axes ``start_dim`` .. ``end_dim`` (default: the
        whole sample, e.g. (C, H, W) -> (C·H·W,))."""
        return self._make(Flatten, "flatten", id, [src], start_dim=start_dim, end_dim=end_dim, **fields)

    def delay(self, src: str, steps: Any, *, id: str | None = None) -> str:  # noqa: A002
        """Add a :class:`~snnir.Delay`: y_t = x_{t - steps}, ``steps`` an int or one int per element (zeros
        before step 0). Shape unchanged."""
        return self._make(Delay, "delay", id, [src], steps=steps)

    def population_code(self, src: str, group_size: int, *, id: str | None = None) -> str:  # noqa: A002
        """Add a :class:`~snnir.PopulationCode` summing runs of ``group_size`` consecutive units:
        N units -> (N / group_size,)."""
        return self._make(PopulationCode, "popcode", id, [src], group_size=group_size)

    # ------------------------------------------------------------------ neurons
    # A population takes the shape of its source unless ``shape=`` is given (then the two must agree).
    def lif(self, src: str, *, decay: Any, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add a :class:`~snnir.LIF` population with membrane ``decay`` β (a number or one per neuron);
        ``threshold`` (default 1), ``reset`` and the other options go in ``fields``. Ports "out" (spikes)
        and "v"."""
        return self._population(LIF, "lif", src, id, decay=decay, **fields)

    def if_(self, src: str, *, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add an :class:`~snnir.IF` (integrate-and-fire, no leak) population. Ports "out" and "v"."""
        return self._population(IF, "if", src, id, **fields)

    def li(self, src: str, *, decay: Any, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add an :class:`~snnir.LI` leaky integrator (a non-spiking readout): v <- decay·v + x; y = v."""
        return self._population(LI, "li", src, id, decay=decay, **fields)

    def cuba_lif(self, src: str, *, syn_decay: Any, mem_decay: Any, id: str | None = None,  # noqa: A002
                 **fields: Any) -> str:
        """Add a :class:`~snnir.CubaLIF` (current-based LIF) with synaptic ``syn_decay`` α and membrane
        ``mem_decay`` β (None: no membrane leak). Ports "out", "v" and "i"."""
        return self._population(CubaLIF, "cubalif", src, id, syn_decay=syn_decay, mem_decay=mem_decay, **fields)

    def adaptive_lif(self, src: str, *, decay: Any, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add an :class:`~snnir.AdaptiveLIF` (SNNAX's: an adaptation current following the membrane) with
        membrane ``decay``; ``ada_decay``, ``ada_step``, ``ada_coupling`` in ``fields``. Ports "out", "v", "a"."""
        return self._population(AdaptiveLIF, "adaptivelif", src, id, decay=decay, **fields)

    def alif(self, src: str, *, decay: Any, adapt_decay: Any, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add an :class:`~snnir.ALIF` (Spyx's: an adaptive threshold) with membrane ``decay`` and threshold
        adaptation ``adapt_decay``. Ports "out", "v" and "t"."""
        return self._population(ALIF, "alif", src, id, decay=decay, adapt_decay=adapt_decay, **fields)

    def sigma_delta(self, src: str, *, in_decay: Any, mem_decay: Any, fb_decay: Any, id: str | None = None,  # noqa: A002
                    **fields: Any) -> str:
        """Add a :class:`~snnir.SigmaDelta` neuron with input, membrane and feedback decays. Ports "out", "v"."""
        return self._population(SigmaDelta, "sigmadelta", src, id, in_decay=in_decay, mem_decay=mem_decay,
                                fb_decay=fb_decay, **fields)

    def srm(self, src: str, *, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        """Add an :class:`~snnir.SRM` (spike-response neuron's spiking end); ``r_decay`` (default 0.9) and
        ``refractory`` (default 0) in ``fields``. Ports "out", "v"."""
        return self._population(SRM, "srm", src, id, **fields)

    def spike_counter(self, src: str, *, id: str | None = None) -> str:  # noqa: A002
        """Add a :class:`~snnir.SpikeCounter`: passes its input on ("out") and counts it ("count"); a
        legitimate sink, nothing needs to read it."""
        return self._population(SpikeCounter, "counter", src, id)

    def activity_regularization(self, src: str, *, id: str | None = None) -> str:  # noqa: A002
        """Add an :class:`~snnir.ActivityRegularization` (Spyx's spike counter for a regularising loss);
        ports "out" and "count", a legitimate sink."""
        return self._population(ActivityRegularization, "actreg", src, id)

    # ------------------------------------------------------------------ helpers
    def _population(self, cls, prefix, src, id, **fields):  # noqa: A002
        fields.setdefault("shape", self.shape_of(src))
        return self._make(cls, prefix, id, [src], **fields)

    def _conv(self, cls, prefix, src, out_channels, kernel_size, stride, padding, dilation, groups, bias, gain,
              id, fields):  # noqa: A002
        shape = self._channels_first(src, cls)
        kernel = _per_axis(kernel_size, cls.NDIM)
        if shape[0] % groups:
            raise InvalidIRError(f"{_kind(cls)} {id or prefix!r}: groups={groups} does not divide the "
                                 f"{shape[0]} input channels of {src!r}\n  hint: choose groups dividing {shape[0]}")
        fan_in = shape[0] // groups * math.prod(kernel)
        k_w, k_b = jax.random.split(self._next_key())
        bound = gain / np.sqrt(fan_in)
        weight = _uniform(k_w, (out_channels, shape[0] // groups, *kernel), bound)
        b = _uniform(k_b, (out_channels,), bound) if bias else None
        return self._make(cls, prefix, id, [src], weight=weight, bias=b, stride=stride, padding=padding,
                          dilation=dilation, groups=groups, **fields)

    def _pool(self, cls, prefix, src, kernel_size, stride, padding, id, fields):  # noqa: A002
        self._channels_first(src, cls)
        return self._make(cls, prefix, id, [src], kernel_size=kernel_size, stride=stride, padding=padding, **fields)

    def _make(self, cls, prefix: str, id: str | None, sources: list[str], **fields: Any) -> str:  # noqa: A002
        """Build a ``cls`` node with every float parameter in the builder's dtype and add it, fed by
        ``sources`` (one source on "in"; several on "in0", "in1", ... for a Concat)."""
        node = cls(id=id or self._auto_id(prefix), **fields)
        cast = {p: v.astype(self._dtype) for p, v in node.params().items()
                if p in node.float_params() and v.dtype != self._dtype}
        node = node.replace(**cast) if cast else node
        ports = node.INPUT_PORTS if len(sources) > 1 else ("in",) * len(sources)
        edges = [self._edge(src, node.id, dst_port=port) for src, port in zip(sources, ports)]
        return self._commit(node, edges)

    def _commit(self, node: Node, edges: list[Edge]) -> str:
        """Add ``node`` and its in-edges, inferring its shapes; nothing is added if they do not fit."""
        if any(n.id == node.id for n in self._nodes):
            raise InvalidIRError(f"node id {node.id!r} is already used\n  hint: pick another id")
        ids = [n.id for n in self._nodes]
        for e in edges:  # a source must be added before it feeds anything
            if e.src not in ids:
                guess = did_you_mean(e.src, ids)
                raise InvalidIRError(f"source {e.src!r} of {node.id!r} is not a node of this builder"
                                     + (f" ({guess})" if guess else "") + "\n  hint: add the source first")
        self._nodes.append(node)
        self._edges.extend(edges)
        try:
            self._infer(node)
        except InvalidIRError:
            self._nodes.pop()
            del self._edges[len(self._edges) - len(edges):]
            raise
        return node.id

    def _edge(self, src: str, dst: str, **fields: Any) -> Edge:
        node, port = self._split(src)
        return Edge(node, dst, src_port=port, **fields)

    def _channels_first(self, src: str, cls) -> tuple[int, ...]:
        shape = self.shape_of(src)
        if len(shape) != cls.NDIM + 1:
            axes = "(C, L)" if cls.NDIM == 1 else "(C, H, W)"
            raise InvalidIRError(
                f"{_kind(cls)} needs a channels-first source {axes}, but {src!r} has shape {shape}"
                f"\n  hint: give the Input a shape like {(1,) + (8,) * cls.NDIM} or reshape before this layer")
        return shape

    def _last_axis(self, src: str, what: str) -> int:
        shape = self.shape_of(src)
        if not shape:
            raise InvalidIRError(f"{what} needs a source with at least one axis; {src!r} is a scalar per sample")
        return shape[-1]

    def _next_key(self):
        self._draws += 1
        return jax.random.fold_in(self._key, self._draws)

    def _auto_id(self, prefix: str) -> str:
        taken = {n.id for n in self._nodes}
        i = 1
        while f"{prefix}{i}" in taken:
            i += 1
        return f"{prefix}{i}"

    def _split(self, src: str) -> tuple[str, str]:
        """(node id, port) of a source; ids may contain '.', so a whole known id wins over a port."""
        if any(n.id == src for n in self._nodes):
            return src, "out"
        node, dot, port = src.rpartition(".")
        return (node, port) if dot else (src, "out")

    def _infer(self, node: Node) -> None:
        ins = {}
        for port in node.INPUT_PORTS:
            shapes = [self._shapes.get((e.src, e.src_port)) for e in self._edges if e.dst == node.id and e.dst_port == port]
            ins[port] = shapes[0] if shapes and all(s is not None for s in shapes) else None
        try:
            out = node.infer_shapes(ins)
        except ShapeProblem as p:
            raise InvalidIRError(f"{p.message}\n  hint: {p.hint}") from None
        for port, shape in out.items():
            self._shapes[(node.id, port)] = tuple(shape)


def _kind(cls) -> str:
    return cls.model_fields["kind"].default


def _uniform(key, shape: tuple[int, ...], bound: float) -> np.ndarray:
    """U(-bound, bound) samples as a numpy array (cast to the builder's dtype when the node is made)."""
    return np.asarray(jax.random.uniform(key, shape, minval=-bound, maxval=bound))


def _shape(shape: Size) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else tuple(shape)


def _per_axis(value: Size, n: int) -> tuple[int, ...]:
    return (int(value),) * n if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)
