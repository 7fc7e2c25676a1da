"""Spyx's ``spyx.nn`` (Spyx 1.0, Flax NNX) over snnir.

A Spyx 1.0 program runs with only its import changed (``import snnir.compat.spyx as spyx``,
``import snnir.compat.spyx.nn as snn``) and keeps Flax: the layers are ``nnx.Module`` objects whose
attributes are Spyx's (``beta``, ``alpha``, ``gamma``, ``recurrent_w`` as ``nnx.Param``; ``threshold``
a plain number; ``spike`` the activation), drawn from the caller's ``rngs`` in Spyx's order, so the
same seed gives the same parameters. ``nnx.Optimizer(model, tx, wrt=nnx.Param)``, ``nnx.grad`` and
``nnx.jit`` work as with Spyx. States are Spyx's arrays (two-variable neurons concatenate them on the
last axis, e.g. ``[V, I]``).

What changes is underneath: :class:`Sequential` and :func:`run` compile the whole chain into one snnir
program (a single ``lax.scan``, Linear and Conv layers hoisted out of the time loop where snnir's
scheduler can), and ``model.graph`` is that chain as a snnir graph, to verify, draw, save or export.

Spyx's equations (docs/neurons.md; θ = threshold, x the input, H the strict Heaviside, decays used as
``jnp.clip(p, 0, 1)``, whose gradient is 1/2 at exactly 0 or 1):

* IF:       s = H(V − θ);  V' = V + x − s·θ
* LIF:      s = H(V − θ);  V' = β·V + x − s·θ
* LI:       V' = β·V + x;  the output is V'
* ALIF:     Θ = θ + T;  s = H(V − Θ);  V' = β·V + x − s·Θ;  T' = γ·T + (1 − γ)·s   (state [V, T])
* CuBaLIF:  s = H(V − θ);  I' = α·I + x;  V' = β·(V − s·θ) + I'              (state [V, I])
            ``double_reset=True``: V' = β·(V − s·θ) + I' − s·θ  (Spyx ≤ 0.1.20's bug, for old models)
* RIF, RLIF, RCuBaLIF: as IF, LIF, CuBaLIF with the feedback s·W added to the input (RCuBaLIF: to
  the current); W = ``recurrent_w`` [N, N], rows presynaptic.
* PSU_LIF:  V' = β·V + x;  s = H(V' − θ)   (no reset)

Spikes come from the membrane before the update, so a spiking layer's output lags its input by one step;
the reset is not detached. Decays follow Spyx: ``None`` draws a per-neuron parameter from
truncated_normal(0.25) + 0.5 with ``rngs.params()`` (LI starts at 0.8), a number gives a trainable
scalar. Spyx 0.1.x's calling convention (no ``rngs``, a ``name=``) is accepted too wherever no random
draw is needed; Haiku itself is not emulated.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

try:
    from flax import nnx
except ImportError as err:  # pragma: no cover - the test extra installs flax
    from ._graph import SpyxCompatError

    raise SpyxCompatError("snnir.compat.spyx speaks Spyx 1.0, whose layers are Flax NNX modules, and needs flax"
                          "\n  hint: pip install 'snnir[spyx]'") from err

from . import _graph
from ._graph import Placer, Slot, SpyxCompatError, as_shape, kind
from ._layout import CHANNELS_LAST, SAME, FlatPermutation, Layout
from .axn import as_surrogate, superspike

__all__ = ["ALIF", "IF", "LI", "LIF", "CuBaLIF", "RIF", "RLIF", "RCuBaLIF", "PSU_LIF", "AssociativeLIF",
           "ActivityRegularization", "PopulationCode", "SumPool", "sum_pool", "Flatten", "Sequential", "run",
           "StatefulLayer", "SpyxCompatError"]

#: every Spyx spiking neuron in snnir's terms
_SPYX_SPIKING = dict(spike_from="pre", reset="subtract", detach_reset=False, fire_at_threshold=False)
#: Spyx's decays: clipped to [0, 1] with jnp.clip's gradient
_SPYX_CLIP = dict(decay_clamp=(0.0, 1.0), decay_clamp_op="clip")


class StatefulLayer:
    """The contract of a Spyx neuron: ``initial_state(batch_size)`` and ``layer(x, state) -> (out, state)``
    (documentation, as in Spyx; layers do not inherit from it)."""

    def initial_state(self, batch_size: int) -> Any: ...

    def __call__(self, x: Any, state: Any) -> tuple[Any, Any]: ...


def _decay(value: Any, shape: tuple[int, ...], rngs: Any, what: str, layer: str, start: float | None = None):
    """A Spyx decay parameter: a trainable scalar for a number, else per neuron (drawn, or ``start``)."""
    if value is not None:
        return nnx.Param(jnp.full((), value))
    if start is not None:
        return nnx.Param(jnp.full(shape, start))
    return nnx.Param(nnx.initializers.truncated_normal(stddev=0.25)(_params_key(rngs, what, layer), shape) + 0.5)


def _params_key(rngs: Any, what: str, layer: str):
    if rngs is None:
        raise SpyxCompatError(f"{layer}: {what} is drawn at random, which needs rngs"
                              f"\n  hint: pass rngs=nnx.Rngs(0), or give {what} as a number")
    return rngs.params()


def _current(param: Any) -> jax.Array:
    return param[...] if isinstance(param, nnx.Variable) else jnp.asarray(param)


class _Layer(nnx.Module):
    """A layer :class:`Sequential` can place in a snnir graph."""

    def structure(self) -> tuple:
        """What the compiled graph depends on (parameter values excluded)."""
        raise NotImplementedError

    def place(self, placer: Placer, index: int, last: bool) -> Slot:
        raise NotImplementedError

    def values(self, nids: tuple[str, ...], layout: Layout) -> dict:
        """The current parameter values, keyed by (node id, IR field)."""
        return {}


def _per_neuron(value: jax.Array, layout: Layout) -> jax.Array:
    """A parameter in snnir's layout: scalars as they are, per-neuron arrays moved like the data."""
    return value if jnp.ndim(value) == 0 else layout.to_ir(value, jnp.ndim(value))


# ------------------------------------------------------------------------------------------- neurons
class _Neuron(_Layer):
    """Shared by Spyx's neurons: shape, threshold, activation; one step through snnir."""

    KIND = ""
    VARS: tuple[str, ...] = ("v",)
    #: Spyx attribute -> IR field of the neuron node
    PARAMS: dict[str, str] = {}

    def _setup(self, hidden_shape, threshold, activation, name):
        self.hidden_shape = as_shape(hidden_shape)
        self.threshold = threshold
        self.spike = activation if activation is not None else superspike()
        self.name = name

    # the Spyx contract
    def initial_state(self, batch_size: int) -> jax.Array:
        shape = self.hidden_shape[:-1] + (self.hidden_shape[-1] * len(self.VARS),)
        return jnp.zeros((int(batch_size),) + shape)

    def __call__(self, x: jax.Array, state: jax.Array) -> tuple[jax.Array, jax.Array]:
        """One step, Spyx's way: ``spikes, new_state = neuron(x, state)``."""
        return _single_step(self, x, state)

    # the graph
    def _options(self) -> dict:
        return dict(surrogate=as_surrogate(self.spike), **_SPYX_SPIKING)

    def _threshold(self) -> jax.Array:
        return jnp.asarray(self.threshold, jnp.float32)

    def structure(self):
        params = tuple((a, tuple(jnp.shape(_current(getattr(self, a))))) for a in self.PARAMS)
        surrogate = as_surrogate(self.spike)
        return (type(self).__name__, self.hidden_shape, tuple(jnp.shape(self._threshold())), params,
                surrogate.as_static(), self.name, self._extra_structure())

    def _extra_structure(self) -> tuple:
        return ()

    def _check_shape(self, placer: Placer) -> None:
        if tuple(placer.spyx_shape) != self.hidden_shape:
            raise SpyxCompatError(
                f"{type(self).__name__} with hidden_shape {self.hidden_shape} receives inputs of shape "
                f"{tuple(placer.spyx_shape)}\n  hint: give it hidden_shape={tuple(placer.spyx_shape)}, or change the "
                "layer before it")

    def _zeros(self, attr: str, layout: Layout) -> np.ndarray:
        value = _current(getattr(self, attr))
        if value.ndim == 0:
            return np.zeros((), np.float32)
        return np.zeros(layout.ir_shape(value.shape), np.float32)

    def _node(self, nid: str, placer: Placer):
        fields = {f: self._zeros(a, placer.layout) for a, f in self.PARAMS.items()}
        threshold = self._threshold()
        fields["threshold"] = np.zeros(() if threshold.ndim == 0 else placer.layout.ir_shape(threshold.shape),
                                       np.float32)
        return kind(self.KIND)(id=nid, shape=placer.ir_shape, **fields, **self._options())

    def place(self, placer, index, last):
        self._check_shape(placer)
        nid = placer.name(type(self).__name__, self.name)
        placer.chain(self._node(nid, placer))
        return Slot(state_node=nid, state_vars=self.VARS)

    def values(self, nids, layout):
        nid = nids[0]
        out = {(nid, f): _per_neuron(_current(getattr(self, a)), layout) for a, f in self.PARAMS.items()}
        out[(nid, "threshold")] = _per_neuron(self._threshold(), layout)
        return out


class IF(_Neuron):
    """Spyx IF: s = H(V − θ);  V' = V + x − s·θ."""

    KIND = "IF"

    def __init__(self, hidden_shape, threshold=1, activation=None, *, rngs=None, name=None):
        del rngs  # parameterless; accepted for a uniform constructor, as Spyx does
        self._setup(hidden_shape, threshold, activation, name)


class LIF(_Neuron):
    """Spyx LIF: s = H(V − θ);  V' = clip(β, 0, 1)·V + x − s·θ."""

    KIND = "LIF"
    PARAMS = {"beta": "decay"}

    def __init__(self, hidden_shape, beta=None, threshold=1.0, activation=None, *, rngs=None, name=None):
        self._setup(hidden_shape, threshold, activation, name)
        self.beta = _decay(beta, self.hidden_shape, rngs, "beta", "LIF")

    def _options(self):
        return dict(super()._options(), **_SPYX_CLIP)


class LI(_Neuron):
    """Spyx LI (readout): V' = clip(β, 0, 1)·V + x; the output is V' (β=None: 0.8 for every neuron)."""

    KIND = "LI"
    PARAMS = {"beta": "decay"}

    def __init__(self, layer_shape, beta=None, *, rngs=None, name=None):
        self.hidden_shape = self.layer_shape = as_shape(layer_shape)
        self.name = name
        self.beta = _decay(beta, self.hidden_shape, rngs, "beta", "LI", start=0.8)

    def structure(self):
        return ("LI", self.hidden_shape, tuple(jnp.shape(_current(self.beta))), self.name)

    def _node(self, nid, placer):
        return kind("LI")(id=nid, shape=placer.ir_shape, decay=self._zeros("beta", placer.layout), **_SPYX_CLIP)

    def values(self, nids, layout):
        return {(nids[0], "decay"): _per_neuron(_current(self.beta), layout)}


class ALIF(_Neuron):
    """Spyx ALIF: Θ = θ + T;  s = H(V − Θ);  V' = β·V + x − s·Θ;  T' = γ·T + (1 − γ)·s  (state [V, T])."""

    KIND = "ALIF"
    VARS = ("v", "t")
    PARAMS = {"beta": "decay", "gamma": "adapt_decay"}

    def __init__(self, hidden_shape, beta=None, gamma=None, threshold=1, activation=None, *, rngs=None,
                 name=None):
        self._setup(hidden_shape, threshold, activation, name)
        self.beta = _decay(beta, self.hidden_shape, rngs, "beta", "ALIF")
        self.gamma = _decay(gamma, self.hidden_shape, rngs, "gamma", "ALIF")

    def _options(self):
        return dict(super()._options(), **_SPYX_CLIP)


class CuBaLIF(_Neuron):
    """Spyx CuBaLIF (1.0): s = H(V − θ);  I' = α·I + x;  V' = β·(V − s·θ) + I'  (state [V, I]).

    ``double_reset=True`` gives Spyx ≤ 0.1.20's numbers, V' = β·(V − s·θ) + I' − s·θ: that version
    subtracts the reset twice (a bug fixed in 1.0). Use it only to reload models trained with it.
    """

    KIND = "CubaLIF"
    VARS = ("v", "i")
    PARAMS = {"alpha": "syn_decay", "beta": "mem_decay"}

    def __init__(self, hidden_shape, alpha=None, beta=None, threshold=1, activation=None, *, rngs=None,
                 name=None, double_reset: bool = False):
        self._setup(hidden_shape, threshold, activation, name)
        self.double_reset = bool(double_reset)
        self.alpha = _decay(alpha, self.hidden_shape, rngs, "alpha", "CuBaLIF")
        self.beta = _decay(beta, self.hidden_shape, rngs, "beta", "CuBaLIF")

    def _options(self):
        return dict(super()._options(), reset_before_leak=True, double_reset=self.double_reset, **_SPYX_CLIP)

    def _extra_structure(self):
        return (self.double_reset,)


class _Recurrent(_Neuron):
    """A neuron plus a Linear from its spikes back to its input: the graph shows the cycle, and since
    the neuron spikes from its previous membrane the cycle needs no delay."""

    def _recurrent(self, rngs: Any):
        n = self.hidden_shape
        if len(n) != 1:
            raise SpyxCompatError(f"{type(self).__name__} needs a 1-D hidden_shape, got {n}"
                                  "\n  hint: flatten before the layer (Spyx's recurrent weight has the same limit)")
        draw = nnx.initializers.truncated_normal()(_params_key(rngs, "recurrent_w", type(self).__name__), n + n)
        self.recurrent_w = nnx.Param(draw)

    def place(self, placer, index, last):
        self._check_shape(placer)
        if placer.layout is not SAME:
            raise SpyxCompatError(f"{type(self).__name__} after a flattened image is not supported"
                                  "\n  hint: put a Linear layer before it")
        nid = placer.name(type(self).__name__, self.name)
        n = self.hidden_shape[0]
        rec = kind("Linear")(id=f"{nid}_rec", weight=np.zeros((n, n), np.float32))
        placer.chain(self._node(nid, placer), extra=[rec],
                     extra_edges=[_graph.Edge(nid, rec.id), _graph.Edge(rec.id, nid)])
        return Slot(state_node=nid, state_vars=self.VARS)

    def values(self, nids, layout):
        out = super().values(nids, layout)
        out[(nids[1], "weight")] = _current(self.recurrent_w).T  # Spyx computes s @ W; snnir W_ir @ s
        return out

    def structure(self):
        return super().structure() + (tuple(jnp.shape(_current(self.recurrent_w))),)


class RIF(_Recurrent):
    """Spyx RIF: s = H(V − θ);  V' = V + x + s·W − s·θ."""

    KIND = "IF"

    def __init__(self, hidden_shape, threshold=1, activation=None, *, rngs=None, name=None):
        self._setup(hidden_shape, threshold, activation, name)
        self._recurrent(rngs)


class RLIF(_Recurrent):
    """Spyx RLIF: s = H(V − θ);  V' = β·V + x + s·W − s·θ."""

    KIND = "LIF"
    PARAMS = {"beta": "decay"}

    def __init__(self, hidden_shape, beta=None, threshold=1, activation=None, *, rngs=None, name=None):
        self._setup(hidden_shape, threshold, activation, name)
        self._recurrent(rngs)
        self.beta = _decay(beta, self.hidden_shape, rngs, "beta", "RLIF")

    def _options(self):
        return dict(super()._options(), **_SPYX_CLIP)


class RCuBaLIF(_Recurrent):
    """Spyx RCuBaLIF: s = H(V − θ);  I' = α·I + x + s·W;  V' = β·(V − s·θ) + I'  (state [V, I])."""

    KIND = "CubaLIF"
    VARS = ("v", "i")
    PARAMS = {"alpha": "syn_decay", "beta": "mem_decay"}

    def __init__(self, hidden_shape, alpha=None, beta=None, threshold=1, activation=None, *, rngs=None,
                 name=None):
        self._setup(hidden_shape, threshold, activation, name)
        self._recurrent(rngs)
        self.alpha = _decay(alpha, self.hidden_shape, rngs, "alpha", "RCuBaLIF")
        self.beta = _decay(beta, self.hidden_shape, rngs, "beta", "RCuBaLIF")

    def _options(self):
        return dict(super()._options(), reset_before_leak=True, **_SPYX_CLIP)


class PSU_LIF(_Neuron):
    """Spyx 1.0's reset-free LIF (experimental there): V' = clip(β, 0, 1)·V + x;  s = H(V' − θ).
    Its spikes do not lag (they come from the updated membrane)."""

    KIND = "LIF"
    PARAMS = {"beta": "decay"}

    def __init__(self, hidden_shape, beta=None, threshold=1.0, activation=None, *, rngs=None, name=None):
        self._setup(hidden_shape, threshold, activation, name)
        self.beta = _decay(beta, self.hidden_shape, rngs, "beta", type(self).__name__)

    def _options(self):
        return dict(surrogate=as_surrogate(self.spike), spike_from="post", reset="none", **_SPYX_CLIP)

    def parallel(self, x: jax.Array) -> jax.Array:
        """The spikes of a whole time-major sequence ``x`` [T, B, ...] (Spyx computes it with an
        associative scan; the numbers are the step-by-step ones)."""
        return run(self, x)[0]


class AssociativeLIF(PSU_LIF):
    """Spyx's alias of :class:`PSU_LIF`."""

    @staticmethod
    def beta_from_snntorch(beta_snn):
        """The decay matching snnTorch StateLeaky's beta: exp(−(1 − β_snn))."""
        return jnp.exp(-(1.0 - jnp.asarray(beta_snn)))

    @staticmethod
    def snntorch_beta_from_beta(beta):
        """The inverse: β_snn = 1 + ln β."""
        return 1.0 + jnp.log(jnp.asarray(beta))


# ------------------------------------------------------------------------------ layers without params
class ActivityRegularization(_Layer):
    """Spyx ActivityRegularization: the identity on spikes, with the running spike count as its state
    (``spikes, count = layer(spikes, count)``). Spyx 1.0 takes the shape (``ActivityRegularization((H,))``);
    Spyx 0.1.x's ``ActivityRegularization(name="ActReg")`` is accepted too (the shape then comes from the
    layer before it in a :class:`Sequential`)."""

    def __init__(self, hidden_shape: Any = None, batch_size: int = 1, dtype=jnp.float32, *, name: str | None = None):
        if isinstance(hidden_shape, str):  # 0.1.x: the first argument is the name
            hidden_shape, name = None, hidden_shape
        self.hidden_shape = None if hidden_shape is None else as_shape(hidden_shape)
        self.dtype = dtype
        self.name = name

    def initial_state(self, batch_size: int) -> jax.Array:
        if self.hidden_shape is None:
            raise SpyxCompatError("ActivityRegularization without a shape cannot make its own state"
                                  "\n  hint: give the shape, ActivityRegularization((H,)), as in Spyx 1.0")
        return jnp.zeros((int(batch_size),) + self.hidden_shape, dtype=self.dtype)

    def __call__(self, spikes: jax.Array, spike_count: jax.Array) -> tuple[jax.Array, jax.Array]:
        return spikes, spike_count + spikes.astype(self.dtype)

    def structure(self):
        return ("ActivityRegularization", self.hidden_shape, self.name)

    def place(self, placer, index, last):
        if self.hidden_shape is not None and self.hidden_shape != tuple(placer.spyx_shape):
            raise SpyxCompatError(f"ActivityRegularization{self.hidden_shape} receives inputs of shape "
                                  f"{tuple(placer.spyx_shape)}\n  hint: give it the shape of the layer before it")
        nid = placer.name("ActReg", self.name)
        placer.chain(kind("ActivityRegularization")(id=nid, shape=placer.ir_shape))
        return Slot(state_node=nid, state_vars=("count",))


class PopulationCode(_Layer):
    """Spyx PopulationCode(C): ``sum(reshape(x, (-1, C)), axis=-1)``, the sums of runs of C consecutive
    units. As in Spyx the batch is flattened into those runs, so [B, N] gives [B·N/C]; inside a
    :class:`Sequential` it must be the last layer (snnir keeps the batch inside and flattens the output
    the same way at the end)."""

    def __init__(self, num_classes: int, name: str | None = None):
        self.num_classes = int(num_classes)
        self.name = name

    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.sum(jnp.reshape(x, (-1, self.num_classes)), axis=-1)

    def structure(self):
        return ("PopulationCode", self.num_classes, self.name)

    def place(self, placer, index, last):
        if not last:
            raise SpyxCompatError("PopulationCode flattens the batch (as Spyx's does), so it must be the last layer"
                                  "\n  hint: move it to the end, or sum the outputs yourself")
        width = int(np.prod(placer.spyx_shape))
        if width % self.num_classes:
            raise SpyxCompatError(f"PopulationCode({self.num_classes}) needs a width that is a multiple of "
                                  f"{self.num_classes}, got {width}")
        if len(placer.spyx_shape) != 1 or placer.layout is not SAME:
            raise SpyxCompatError("PopulationCode needs a 1-D input per sample\n  hint: Flatten before it")
        nid = placer.name("PopulationCode", self.name)
        placer.chain(kind("PopulationCode")(id=nid, group_size=self.num_classes))
        placer.advance((width // self.num_classes,))
        return Slot(flat_output=True)


class Flatten(_Layer):
    """Spyx 1.0 Flatten: (B, ...) -> (B, prod(...))."""

    def __init__(self, name: str | None = None):
        self.name = name

    def __call__(self, x: jax.Array) -> jax.Array:
        return x.reshape(x.shape[0], -1)

    def structure(self):
        return ("Flatten", self.name)

    def place(self, placer, index, last):
        nid = placer.name("Flatten", self.name)
        width = int(np.prod(placer.spyx_shape))
        layout = FlatPermutation.of_channels_last(placer.spyx_shape) if placer.layout is CHANNELS_LAST else SAME
        placer.chain(kind("Flatten")(id=nid))
        placer.advance((width,), layout)
        return Slot()


def _infer_window(ndim: int, size: Any, channel_axis: int | None) -> tuple[int, ...]:
    """Spyx 1.0's window (or strides) for an array of rank ``ndim`` (batch on axis 0): an int pools every
    axis but the batch and the channel axis; a shorter tuple covers the spatial axes; a full one is
    taken as it is."""
    if channel_axis and not 0 <= abs(channel_axis) < ndim:
        raise SpyxCompatError(f"invalid channel_axis {channel_axis} for an array of rank {ndim}")
    if channel_axis and channel_axis < 0:
        channel_axis = ndim + channel_axis
    if isinstance(size, (int, np.integer)):
        return (1,) + tuple(int(size) if d != channel_axis else 1 for d in range(1, ndim))
    size = tuple(int(s) for s in size)
    if len(size) < ndim:
        spatial = [d for d in range(ndim) if d != 0 and d != channel_axis]
        if len(size) == len(spatial):
            window = [1] * ndim
            for axis, s in zip(spatial, size):
                window[axis] = s
            return tuple(window)
        return (1,) * (ndim - len(size)) + size
    if len(size) != ndim:
        raise SpyxCompatError(f"a window of {len(size)} entries for an array of rank {ndim}")
    return size


def sum_pool(value: jax.Array, window_shape, strides, padding: str, channel_axis: int | None = -1) -> jax.Array:
    """Spyx 1.0 sum_pool: ``lax.reduce_window`` sums; windows as :func:`_infer_window` reads them,
    padding "SAME" or "VALID"."""
    if padding not in ("SAME", "VALID"):
        raise SpyxCompatError(f"Invalid padding '{padding}', must be 'SAME' or 'VALID'.")
    window = _infer_window(value.ndim, window_shape, channel_axis)
    step = _infer_window(value.ndim, strides, channel_axis)
    return jax.lax.reduce_window(value, jnp.zeros((), value.dtype), jax.lax.add, window, step, padding)


class SumPool(_Layer):
    """Spyx SumPool (:func:`sum_pool` as a layer). In a graph it becomes snnir's SumPool1d/2d over the
    spatial axes: channels-last data (``channel_axis=-1``, Spyx's default, after ``nnx.Conv``) or
    channels-first (``channel_axis=1``); windows that pool the batch or the channels are refused."""

    def __init__(self, window_shape, strides, padding: str, channel_axis: int | None = -1, name: str | None = None):
        if padding not in ("SAME", "VALID"):
            raise SpyxCompatError(f"Invalid padding '{padding}', must be 'SAME' or 'VALID'.")
        self.window_shape, self.strides, self.padding, self.channel_axis = window_shape, strides, padding, channel_axis
        self.name = name

    def __call__(self, value: jax.Array) -> jax.Array:
        return sum_pool(value, self.window_shape, self.strides, self.padding, self.channel_axis)

    def structure(self):
        freeze = lambda v: v if isinstance(v, (int, np.integer)) else tuple(v)  # noqa: E731
        return ("SumPool", freeze(self.window_shape), freeze(self.strides), self.padding, self.channel_axis, self.name)

    def place(self, placer, index, last):
        spyx = tuple(placer.spyx_shape)
        ndim = len(spyx) + 1
        window = _infer_window(ndim, self.window_shape, self.channel_axis)
        step = _infer_window(ndim, self.strides, self.channel_axis)
        channel = None if not self.channel_axis else self.channel_axis % ndim
        if channel is None or channel == 0 or ndim not in (3, 4):
            raise SpyxCompatError(
                f"SumPool with channel_axis={self.channel_axis} on per-sample shape {spyx} cannot be a snnir pool"
                "\n  hint: pool images (C, L)/(C, H, W) with channel_axis=1 or (L, C)/(H, W, C) with channel_axis=-1")
        if window[0] != 1 or window[channel] != 1 or step[0] != 1 or step[channel] != 1:
            raise SpyxCompatError(f"SumPool window {window} (strides {step}) pools the batch or the channel axis, "
                                  "which no snnir layer does\n  hint: give the channel and batch axes a window of 1")
        channels_last = channel == ndim - 1
        if channels_last != (placer.layout is CHANNELS_LAST):
            raise SpyxCompatError(
                f"SumPool with channel_axis={self.channel_axis} meets data laid out "
                f"{'channels-last' if placer.layout is CHANNELS_LAST else 'channels-first'}"
                "\n  hint: use channel_axis=-1 after nnx.Conv (Flax is channels-last), channel_axis=1 otherwise")
        spatial = [d for d in range(1, ndim) if d != channel]
        nid = placer.name("SumPool", self.name)
        node = kind(f"SumPool{len(spatial)}d")(id=nid, kernel_size=tuple(window[d] for d in spatial),
                                               stride=tuple(step[d] for d in spatial),
                                               padding=self.padding.lower())
        placer.chain(node)
        out = _out_shape(placer)
        placer.advance(tuple(out[1:]) + (out[0],) if channels_last else out)
        return Slot()


def _out_shape(placer: Placer) -> tuple[int, ...]:
    """The snnir shape leaving the last placed node."""
    from snnir.analysis import infer_shapes

    graph = _graph.Graph(nodes=tuple(placer.nodes), edges=tuple(placer.edges))
    return tuple(infer_shapes(graph).output(*placer.exits[0]))


# ------------------------------------------------------------------------------- Flax's own layers
class _FlaxLinear:
    """``nnx.Linear`` in a chain: snnir's Linear with weight = kernelᵀ (columns permuted after a
    flattened channels-last image)."""

    @staticmethod
    def structure(layer) -> tuple:
        return ("nnx.Linear", layer.in_features, layer.out_features, layer.bias is not None)

    @staticmethod
    def place(layer, placer: Placer) -> Slot:
        if len(placer.spyx_shape) != 1:
            raise SpyxCompatError(f"nnx.Linear on per-sample shape {tuple(placer.spyx_shape)} (Flax applies it to "
                                  "the last axis) has no snnir layer\n  hint: Flatten before it")
        if placer.spyx_shape[0] != layer.in_features:
            raise SpyxCompatError(f"nnx.Linear({layer.in_features}, {layer.out_features}) receives "
                                  f"{placer.spyx_shape[0]} features\n  hint: give it in_features={placer.spyx_shape[0]}")
        nid = placer.name("linear")
        bias = None if layer.bias is None else np.zeros((layer.out_features,), np.float32)
        placer.chain(kind("Linear")(id=nid, weight=np.zeros((layer.out_features, layer.in_features), np.float32),
                                    bias=bias))
        placer.advance((layer.out_features,), SAME)
        return Slot()

    @staticmethod
    def values(layer, nids, layout) -> dict:
        kernel = _current(layer.kernel)
        weight = layout.linear_weight(kernel) if isinstance(layout, FlatPermutation) else kernel.T
        out = {(nids[0], "weight"): weight}
        if layer.bias is not None:
            out[(nids[0], "bias")] = _current(layer.bias)
        return out


def _tuple(value: Any, n: int) -> tuple[int, ...]:
    return (int(value),) * n if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)


class _FlaxConv:
    """``nnx.Conv`` (channels-last, kernel [*k, C_in/groups, C_out]) as snnir's channels-first Conv."""

    @staticmethod
    def structure(layer) -> tuple:
        padding = layer.padding if isinstance(layer.padding, str) else repr(layer.padding)
        return ("nnx.Conv", tuple(layer.kernel_shape), layer.bias is not None, repr(layer.strides), padding,
                repr(layer.kernel_dilation), repr(layer.input_dilation), layer.feature_group_count)

    @staticmethod
    def place(layer, placer: Placer) -> Slot:
        n = len(layer.kernel_size)
        if n not in (1, 2) or len(placer.spyx_shape) != n + 1:
            raise SpyxCompatError(f"nnx.Conv with a {n}-D kernel on per-sample shape {tuple(placer.spyx_shape)}: "
                                  "snnir has Conv1d on (L, C) and Conv2d on (H, W, C)\n  hint: check the input shape")
        if placer.layout is not CHANNELS_LAST:
            raise SpyxCompatError("nnx.Conv reads channels-last images, but the data here is not one"
                                  "\n  hint: feed [B, H, W, C] images to the first layer")
        if _tuple(layer.input_dilation, n) != (1,) * n:
            raise SpyxCompatError("nnx.Conv with input_dilation has no snnir layer\n  hint: use input_dilation=1")
        padding = layer.padding
        if isinstance(padding, str):
            if padding.upper() not in ("SAME", "VALID"):
                raise SpyxCompatError(f"nnx.Conv padding {padding!r} has no snnir layer\n  hint: use 'SAME' or 'VALID'")
            padding = padding.lower()
        elif isinstance(padding, (int, np.integer)):
            padding = ((int(padding), int(padding)),) * n
        else:
            padding = tuple((p, p) if isinstance(p, (int, np.integer)) else tuple(int(q) for q in p) for p in padding)
        if placer.spyx_shape[-1] != layer.in_features:
            raise SpyxCompatError(f"nnx.Conv expects {layer.in_features} channels but receives "
                                  f"{placer.spyx_shape[-1]}\n  hint: give it in_features={placer.spyx_shape[-1]}")
        nid = placer.name("conv")
        *k, c_in, c_out = layer.kernel_shape
        bias = None if layer.bias is None else np.zeros((c_out,), np.float32)
        placer.chain(kind(f"Conv{n}d")(id=nid, weight=np.zeros((c_out, c_in, *k), np.float32), bias=bias,
                                       stride=_tuple(layer.strides, n), padding=padding,
                                       dilation=_tuple(layer.kernel_dilation, n), groups=layer.feature_group_count))
        out = _out_shape(placer)
        placer.advance(tuple(out[1:]) + (out[0],))
        return Slot()

    @staticmethod
    def values(layer, nids, layout) -> dict:
        kernel = _current(layer.kernel)  # [*k, C_in/groups, C_out] -> [C_out, C_in/groups, *k]
        n = kernel.ndim - 2
        out = {(nids[0], "weight"): jnp.transpose(kernel, (n + 1, n) + tuple(range(n)))}
        if layer.bias is not None:
            out[(nids[0], "bias")] = _current(layer.bias)
        return out


class _Placed:
    """One entry of a chain as :mod:`._graph` sees it: a compat layer, or a Flax layer with its adapter."""

    def __init__(self, layer: Any, index: int):
        self.layer = layer
        if isinstance(layer, _Layer):
            self.adapter = None
        elif isinstance(layer, nnx.Linear):
            self.adapter = _FlaxLinear
        elif isinstance(layer, nnx.Conv):
            self.adapter = _FlaxConv
        else:
            raise SpyxCompatError(
                f"layer {index} is a {type(layer).__name__}, which snnir.compat.spyx cannot place in a graph"
                "\n  hint: use the layers of snnir.compat.spyx.nn, nnx.Linear or nnx.Conv")

    def structure(self):
        return self.layer.structure() if self.adapter is None else self.adapter.structure(self.layer)

    def place(self, placer, index, last):
        if self.adapter is None:
            return self.layer.place(placer, index, last)
        return self.adapter.place(self.layer, placer)

    def values(self, nids, layout):
        return self.layer.values(nids, layout) if self.adapter is None else self.adapter.values(self.layer, nids, layout)

    def initial_state(self, batch_size):
        return self.layer.initial_state(batch_size)


def _entries(layers: Sequence[Any]) -> list[_Placed]:
    return [_Placed(layer, i) for i, layer in enumerate(layers)]


def _input_layout(layers: Sequence[Any], sample_rank: int) -> Layout:
    """Channels-last input when the first layer that cares about layout is a Conv or a channels-last pool."""
    for layer in layers:
        if isinstance(layer, nnx.Conv):
            return CHANNELS_LAST
        if isinstance(layer, SumPool):
            channel = layer.channel_axis
            return CHANNELS_LAST if channel is not None and channel != 0 and channel % (sample_rank + 1) == sample_rank \
                and sample_rank >= 2 else SAME
        if isinstance(layer, (nnx.Linear, Flatten, PopulationCode)):
            return SAME
    return SAME


def _plan(layers: Sequence[Any], sample_shape: tuple[int, ...]):
    entries = _entries(layers)
    plan = _graph.plan_for(entries, sample_shape, _input_layout(layers, len(sample_shape)))
    return entries, plan


def _program(entries, plan):
    """The plan's program holding the entries' current parameters."""
    return _graph.filled(plan, [_WithLayout(e, _layout_in(plan, i)) for i, e in enumerate(entries)])


def _layout_in(plan, i: int) -> Layout:
    """The layout of the data entering layer ``i`` (what its parameters must follow)."""
    return plan.input_layout if i == 0 else plan.slots[i - 1].layout


class _WithLayout:
    """A chain entry whose ``values`` uses the layout of the data it reads (neurons: the data they hold)."""

    def __init__(self, entry: _Placed, layout_in: Layout):
        self.entry, self.layout_in = entry, layout_in

    def values(self, nids):
        return self.entry.values(nids, self.layout_in)


def _single_step(layer: _Layer, x: jax.Array, state: Any):
    x = jnp.asarray(x)
    entries, plan = _plan([layer], tuple(x.shape[1:]))
    prog = _program(entries, plan)
    ir_state = _graph.to_ir_state(plan, [state], x.shape[0])
    ir_state, ys = prog.step(ir_state, plan.input_layout.to_ir(x, x.ndim - 1))
    out = _graph.from_ir_output(plan, ys["out"], 1)
    return out, _graph.from_ir_state(plan, ir_state)[0]


# ---------------------------------------------------------------------------------------- models
class Sequential(nnx.Sequential):
    """Spyx's Sequential: layers applied in order, each stateful one with its own state.

        model = snn.Sequential(nnx.Linear(16, 64, rngs=rngs), snn.LIF((64,), rngs=rngs),
                               nnx.Linear(64, 10, rngs=rngs), snn.LI((10,), rngs=rngs))
        state = model.initial_state(batch_size)      # one entry per layer, None for stateless ones
        out, state = model(x_t, state)               # one step
        outs, state = snn.run(model, xs)             # all steps, time-major xs [T, B, ...]

    The chain is one snnir program; ``model.graph`` is it as a snnir graph with the current parameters
    (node ids: neuron class names and ``linear``/``conv``, numbered from the second on: ``LIF``, ``LIF_1``).
    """

    def initial_state(self, batch_size: int) -> list:
        return _graph.initial_states(self.layers, batch_size)

    def __call__(self, x: jax.Array, state: Sequence[Any]):
        x = jnp.asarray(x)
        entries, plan = _plan(self.layers, tuple(x.shape[1:]))
        prog = _program(entries, plan)
        ir_state = _graph.to_ir_state(plan, state, x.shape[0])
        ir_state, ys = prog.step(ir_state, plan.input_layout.to_ir(x, x.ndim - 1))
        return _graph.from_ir_output(plan, ys["out"], 1), _graph.from_ir_state(plan, ir_state)

    def graph_for(self, input_shape: Sequence[int]):
        """The chain as a snnir graph for per-sample inputs of ``input_shape`` (Spyx's layout), holding the
        current parameters (channels-last images become channels-first inside)."""
        entries, plan = _plan(self.layers, tuple(int(d) for d in input_shape))
        return _program(entries, plan).to_graph()

    @property
    def graph(self):
        """The chain as a snnir graph (the input shape read from the first layer)."""
        return self.graph_for(_first_shape(self.layers))


def _first_shape(layers: Sequence[Any]) -> tuple[int, ...]:
    first = layers[0]
    if isinstance(first, nnx.Linear):
        return (first.in_features,)
    if getattr(first, "hidden_shape", None) is not None:
        return tuple(first.hidden_shape)
    raise SpyxCompatError(f"cannot tell the input shape from the first layer ({type(first).__name__})"
                          "\n  hint: use model.graph_for(input_shape)")


def run(model: Any, x: jax.Array, state: Any = None, *, batch_major: bool = False):
    """Spyx 1.0's ``nn.run``: the model over all steps of ``x`` (time-major [T, B, ...], or [B, T, ...]
    with ``batch_major=True``); returns ``(outputs, final_state)`` with outputs in the input's layout.

    A :class:`Sequential` of snnir-placeable layers, or one such layer, runs as one compiled snnir
    program; any other model with Spyx's contract runs Spyx's own ``lax.scan`` loop.
    """
    x = jnp.asarray(x)
    if batch_major:
        x = jnp.swapaxes(x, 0, 1)
    if isinstance(model, Sequential):
        layers, single = list(model.layers), False
    elif isinstance(model, _Layer) and hasattr(model, "initial_state"):
        layers, single = [model], True
    else:
        layers = None
    if state is None:
        if not hasattr(model, "initial_state"):
            raise SpyxCompatError("run: the model has no initial_state and no state= was given"
                                  "\n  hint: wrap stateless layers in snn.Sequential, or pass state=")
        state = model.initial_state(x.shape[1])
    if layers is None:
        final, outputs = _graph.scan_run(model, state, x)
    else:
        entries, plan = _plan(layers, tuple(x.shape[2:]))
        prog = _program(entries, plan)
        ir_state = _graph.to_ir_state(plan, [state] if single else state, x.shape[1])
        ir_state, ys = prog(ir_state, plan.input_layout.to_ir(x, x.ndim - 2))
        outputs = _graph.from_ir_output(plan, ys["out"], 2)
        final = _graph.from_ir_state(plan, ir_state)
        final = final[0] if single else final
    if batch_major:
        outputs = jnp.swapaxes(outputs, 0, 1)
    return outputs, final
