"""Neuron kernels. The equations are those of snnir/ir/kinds/neurons.py (see docs/semantics.md)."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from .base import Kernel
from .surrogates import spike_function


def _gain(decay: jax.Array | None, input_scale: str) -> Any:
    return 1.0 - decay if (decay is not None and input_scale == "one_minus_decay") else 1.0


def _leak(decay: jax.Array | None, v: jax.Array) -> jax.Array:
    return v if decay is None else decay * v


class LIFKernel(Kernel):
    """The spiking family: IF (decay None), LIF, and CubaLIF (syn_decay set: a leaky current stage).

    One step, with the options' meanings from the IR docs:
        [cuba]  i ← α·i + g_α·x;  x ← i
        pre:    s = H(v − θ)
        u = β·v + g·x
        next:   u ← u − R(u, H(v − θ))
        post:   s = H(u − θ)
        same:   u ← u − R(u, s)
        v ← u;  y = s
    """

    decay: jax.Array | None
    threshold: jax.Array
    reset_value: jax.Array | None
    syn_decay: jax.Array | None
    shape: tuple[int, ...] = eqx.field(static=True)
    reset: str = eqx.field(static=True, default="subtract")
    spike_from: str = eqx.field(static=True, default="post")
    reset_at: str = eqx.field(static=True, default="same")
    input_scale: str = eqx.field(static=True, default="one")
    fire_at_threshold: bool = eqx.field(static=True, default=False)
    detach_reset: bool = eqx.field(static=True, default=True)
    surrogate: tuple = eqx.field(static=True, default=("superspike", (("beta", 10.0),)))

    def init_state(self, batch_shape, dtype):
        zeros = jnp.zeros(tuple(batch_shape) + self.shape, dtype)
        return {"v": zeros} if self.syn_decay is None else {"v": zeros, "i": zeros}

    def _spike(self, z: jax.Array) -> jax.Array:
        name, params = self.surrogate
        return spike_function(name, params, self.fire_at_threshold)(z)

    def _reset_term(self, m: jax.Array, s: jax.Array) -> Any:
        if self.reset == "subtract":
            r = self.threshold * s
        elif self.reset == "zero":
            r = m * s
        elif self.reset == "to_value":
            r = (m - self.reset_value) * s
        else:
            return 0.0
        return jax.lax.stop_gradient(r) if self.detach_reset else r

    def output(self, state):
        return self._spike(state["v"] - self.threshold)

    def step(self, state, x, key=None):
        new_state = {}
        if self.syn_decay is not None:
            x = self.syn_decay * state["i"] + _gain(self.syn_decay, self.input_scale) * x
            new_state["i"] = x
        v = state["v"]
        if self.spike_from == "pre":
            s = self._spike(v - self.threshold)
        u = _leak(self.decay, v) + _gain(self.decay, self.input_scale) * x
        if self.reset_at == "next":
            u = u - self._reset_term(u, self._spike(v - self.threshold))
        if self.spike_from == "post":
            s = self._spike(u - self.threshold)
        if self.reset_at == "same":
            u = u - self._reset_term(u, s)
        new_state["v"] = u
        return new_state, s


class LIKernel(Kernel):
    """Leaky integrator: v ← β·v + g·x;  y = v."""

    decay: jax.Array
    shape: tuple[int, ...] = eqx.field(static=True)
    input_scale: str = eqx.field(static=True, default="one")

    def init_state(self, batch_shape, dtype):
        return {"v": jnp.zeros(tuple(batch_shape) + self.shape, dtype)}

    def step(self, state, x, key=None):
        v = self.decay * state["v"] + _gain(self.decay, self.input_scale) * x
        return {"v": v}, v
