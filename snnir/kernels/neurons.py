"""Neuron kernels. The equations are those of snnir/ir/kinds/neurons.py (see docs/semantics.md)."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from .base import Kernel
from .surrogates import spike_function

Bounds = tuple | None  # (lo, hi) or (lo, hi, "clip"): see clamp()


def clamp(value: jax.Array | None, bounds: Bounds) -> jax.Array | None:
    """``value`` clipped to [lo, hi] in the forward pass; gradient 1 strictly inside, 0 outside. At
    exactly a bound the gradient is 0 for ``(lo, hi)`` (``lax.clamp``, as SNNAX clamps its decays) and
    1/2 for ``(lo, hi, "clip")`` (``jnp.clip``, whose max/min split a tie's gradient, as Spyx)."""
    if value is None or bounds is None:
        return value
    lo, hi = bounds[0], bounds[1]
    if len(bounds) > 2 and bounds[2] == "clip":
        return jnp.clip(value, lo, hi)
    return jax.lax.clamp(jnp.asarray(lo, value.dtype), value, jnp.asarray(hi, value.dtype))


def clamp_spec(bounds: Bounds, op: str = "clamp") -> Bounds:
    """The static clamp a kernel stores: ``(lo, hi)``, or ``(lo, hi, "clip")`` for jnp.clip's gradient."""
    if bounds is None or op == "clamp":
        return None if bounds is None else tuple(bounds)
    return (*bounds, op)


def gain(decay: jax.Array | None, input_scale: str) -> Any:
    """The input gain g: 1, or 1 − decay with ``input_scale="one_minus_decay"`` (1 without a decay)."""
    return 1.0 - decay if (decay is not None and input_scale == "one_minus_decay") else 1.0


def _leak(decay: jax.Array | None, v: jax.Array) -> jax.Array:
    return v if decay is None else decay * v


def reset_term(mode: str, m: jax.Array, s: jax.Array, threshold: jax.Array, reset_value: jax.Array | None,
               detach: bool) -> Any:
    """R(m, s): θ·s (subtract), m·s (zero), (m − v_r)·s (to_value), v_r·s (subtract_value), 0 (none);
    sg(R) when ``detach``."""
    if mode == "subtract":
        r = threshold * s
    elif mode == "zero":
        r = m * s
    elif mode == "to_value":
        r = (m - reset_value) * s
    elif mode == "subtract_value":
        r = reset_value * s
    else:
        return 0.0
    return jax.lax.stop_gradient(r) if detach else r


SUPERSPIKE = ("superspike", (("beta", 10.0),))


class Spiker(Kernel):
    """Shared by the spiking kernels, which declare the static fields ``surrogate`` and
    ``fire_at_threshold``: the spike function H with the node's surrogate gradient."""

    def spike(self, z: jax.Array) -> jax.Array:
        name, params = self.surrogate
        return spike_function(name, params, self.fire_at_threshold)(z)

    def rest_reads_input(self) -> bool:
        return False

    def rest(self, state, x, key=None):
        """At rest a spiking node has emitted no spike: "out" is zero (its other ports give the initial
        state, e.g. the initial membrane on port "v")."""
        return state, jnp.zeros_like(state["v"])


class LIFKernel(Spiker):
    """The spiking family: IF (decay None), LIF, and CubaLIF (syn_decay set: a leaky current stage).

    One step, with the options' meanings from the IR docs (clamped decays, λ = leak or 0):
        [cuba]  i' = α·i + g_α·x;  drive = i (current_lag) or i';  i ← i'     [else drive = x]
        pre:                 s = H(v − θ)
        reset_before_leak:   v ← v − R(v, s if pre else s_prev)   (s_prev: the spike carried in state "s")
        u = β·v + g·drive − λ
        double_reset:        u ← u − R(u, s)
        next (not before):   u ← u − R(u, H(v_stored − θ))
        post:                s = H(u − θ)
        same (not before):   u ← u − R(u, s)
        v ← u;  y = s
    """

    decay: jax.Array | None
    threshold: jax.Array
    reset_value: jax.Array | None
    syn_decay: jax.Array | None
    leak: jax.Array | None = None
    shape: tuple[int, ...] = eqx.field(static=True, default=())
    reset: str = eqx.field(static=True, default="subtract")
    spike_from: str = eqx.field(static=True, default="post")
    reset_at: str = eqx.field(static=True, default="same")
    reset_before_leak: bool = eqx.field(static=True, default=False)
    double_reset: bool = eqx.field(static=True, default=False)
    current_lag: bool = eqx.field(static=True, default=False)
    input_scale: str = eqx.field(static=True, default="one")
    detach_reset: bool = eqx.field(static=True, default=True)
    decay_clamp: Bounds = eqx.field(static=True, default=None)
    fire_at_threshold: bool = eqx.field(static=True, default=False)
    surrogate: tuple = eqx.field(static=True, default=SUPERSPIKE)

    @property
    def carries_spike(self) -> bool:
        """Whether the state keeps the last spike ("s"): a reset before the leak with the previous step's
        spike (SNNAX's LIF) uses the spike as emitted, which starts at 0 whatever the initial membrane,
        and is a constant before the first step (no surrogate gradient reaches the threshold there)."""
        return self.reset_before_leak and self.spike_from == "post"

    def init_state(self, batch_shape, dtype):
        zeros = jnp.zeros(tuple(batch_shape) + self.shape, dtype)
        state = {"v": zeros} if self.syn_decay is None else {"v": zeros, "i": zeros}
        if self.carries_spike:
            state["s"] = zeros
        return state

    def _reset(self, m: jax.Array, s: jax.Array) -> Any:
        return reset_term(self.reset, m, s, self.threshold, self.reset_value, self.detach_reset)

    def _membrane(self, v: jax.Array, drive: jax.Array, previous: jax.Array | None = None):
        """The membrane after the step and the step's spike, for the membrane input ``drive``;
        ``previous`` is the carried spike of the step before (``carries_spike``)."""
        beta = clamp(self.decay, self.decay_clamp)
        stored = v
        if self.spike_from == "pre":
            s = self.spike(v - self.threshold)
        if self.reset_before_leak:
            p = s if self.spike_from == "pre" else previous
            v = v - self._reset(v, p)
        u = _leak(beta, v) + gain(beta, self.input_scale) * drive
        if self.leak is not None:
            u = u - self.leak
        if self.double_reset:  # Spyx <= 0.1.20's CuBaLIF: the reset subtracted again after the leak
            u = u - self._reset(u, s)
        if self.reset_at == "next" and not self.reset_before_leak:
            u = u - self._reset(u, self.spike(stored - self.threshold))
        if self.spike_from == "post":
            s = self.spike(u - self.threshold)
        if self.reset_at == "same" and not self.reset_before_leak:
            u = u - self._reset(u, s)
        return u, s

    def output(self, state):
        if self.spike_from == "pre":
            return self.spike(state["v"] - self.threshold)
        # current_lag: the step reads the state only
        return self._membrane(state["v"], state["i"], state.get("s"))[1]

    def step(self, state, x, key=None):
        new_state = {}
        drive = x
        if self.syn_decay is not None:
            alpha = clamp(self.syn_decay, self.decay_clamp)
            current = alpha * state["i"] + gain(alpha, self.input_scale) * x
            drive = state["i"] if self.current_lag else current
            new_state["i"] = current
        new_state["v"], s = self._membrane(state["v"], drive, state.get("s"))
        if self.carries_spike:
            new_state["s"] = s
        return new_state, s


class LIKernel(Kernel):
    """Leaky integrator: v ← β·v + g·x;  y = v (β clamped by ``decay_clamp`` when set)."""

    decay: jax.Array
    shape: tuple[int, ...] = eqx.field(static=True)
    input_scale: str = eqx.field(static=True, default="one")
    decay_clamp: Bounds = eqx.field(static=True, default=None)

    def init_state(self, batch_shape, dtype):
        return {"v": jnp.zeros(tuple(batch_shape) + self.shape, dtype)}

    def rest_reads_input(self) -> bool:
        return False

    def rest(self, state, x, key=None):
        """At rest the output is the initial membrane."""
        return state, state["v"]

    def step(self, state, x, key=None):
        beta = clamp(self.decay, self.decay_clamp)
        v = beta * state["v"] + gain(beta, self.input_scale) * x
        return {"v": v}, v
