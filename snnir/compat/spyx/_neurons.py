"""Spyx's neurons (equations in :mod:`snnir.compat.spyx.nn`), as Flax modules that place snnir nodes."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _graph
from ._base import Layer, current, nnx, per_neuron
from ._chain import single_step
from ._graph import Unplaceable, Placer, Slot, SpyxCompatError, as_shape, kind
from ._layout import SAME, Layout
from .axn import as_surrogate, superspike

#: every Spyx spiking neuron in snnir's terms
_SPYX_SPIKING = dict(spike_from="pre", reset="subtract", detach_reset=False, fire_at_threshold=False)
#: Spyx's decays: clipped to [0, 1] with jnp.clip's gradient
_SPYX_CLIP = dict(decay_clamp=(0.0, 1.0), decay_clamp_op="clip")


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



class _Neuron(Layer):
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
        return single_step(self, x, state)

    # the graph
    def _options(self) -> dict:
        return dict(surrogate=as_surrogate(self.spike), **_SPYX_SPIKING)

    def _threshold(self) -> jax.Array:
        return jnp.asarray(self.threshold, jnp.float32)

    def structure(self):
        params = tuple((a, tuple(jnp.shape(current(getattr(self, a))))) for a in self.PARAMS)
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
        value = current(getattr(self, attr))
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
        out = {(nid, f): per_neuron(current(getattr(self, a)), layout) for a, f in self.PARAMS.items()}
        out[(nid, "threshold")] = per_neuron(self._threshold(), layout)
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
        return ("LI", self.hidden_shape, tuple(jnp.shape(current(self.beta))), self.name)

    def _node(self, nid, placer):
        return kind("LI")(id=nid, shape=placer.ir_shape, decay=self._zeros("beta", placer.layout), **_SPYX_CLIP)

    def values(self, nids, layout):
        return {(nids[0], "decay"): per_neuron(current(self.beta), layout)}


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
            raise Unplaceable(f"{type(self).__name__} after a flattened image is not supported"
                                  "\n  hint: put a Linear layer before it")
        nid = placer.name(type(self).__name__, self.name)
        n = self.hidden_shape[0]
        rec = kind("Linear")(id=f"{nid}_rec", weight=np.zeros((n, n), np.float32))
        placer.chain(self._node(nid, placer), extra=[rec],
                     extra_edges=[_graph.Edge(nid, rec.id), _graph.Edge(rec.id, nid)])
        return Slot(state_node=nid, state_vars=self.VARS)

    def values(self, nids, layout):
        out = super().values(nids, layout)
        out[(nids[1], "weight")] = current(self.recurrent_w).T  # Spyx computes s @ W; snnir W_ir @ s
        return out

    def structure(self):
        return super().structure() + (tuple(jnp.shape(current(self.recurrent_w))),)


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
        from .nn import run

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

