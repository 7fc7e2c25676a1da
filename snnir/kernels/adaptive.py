"""Kernels of AdaptiveLIF, ALIF, SigmaDelta and SRM (equations in snnir/ir/kinds/adaptive.py)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .neurons import SUPERSPIKE, Bounds, Spiker, clamp, gain, reset_term


def _zeros(batch_shape, shape, dtype, *names: str) -> dict[str, jax.Array]:
    return {name: jnp.zeros(tuple(batch_shape) + tuple(shape), dtype) for name in names}


class AdaptiveLIFKernel(Spiker):
    """u = α·v + g·(x + A);  s = H(u − θ);  A ← (1 − β_a)·a·u + β_a·A − b·sg(s);  v ← u − R(u, s)."""

    decay: jax.Array
    ada_decay: jax.Array
    ada_step: jax.Array
    ada_coupling: jax.Array
    threshold: jax.Array
    reset_value: jax.Array | None
    shape: tuple[int, ...] = eqx.field(static=True)
    reset: str = eqx.field(static=True, default="subtract")
    detach_reset: bool = eqx.field(static=True, default=True)
    input_scale: str = eqx.field(static=True, default="one")
    decay_clamp: Bounds = eqx.field(static=True, default=None)
    coupling_clamp: Bounds = eqx.field(static=True, default=None)
    step_clamp: Bounds = eqx.field(static=True, default=None)
    fire_at_threshold: bool = eqx.field(static=True, default=False)
    surrogate: tuple = eqx.field(static=True, default=SUPERSPIKE)

    def init_state(self, batch_shape, dtype):
        return _zeros(batch_shape, self.shape, dtype, "v", "a")

    def step(self, state, x, key=None):
        alpha = clamp(self.decay, self.decay_clamp)
        beta_a = clamp(self.ada_decay, self.decay_clamp)
        a = clamp(self.ada_coupling, self.coupling_clamp)
        b = clamp(self.ada_step, self.step_clamp)
        u = alpha * state["v"] + gain(alpha, self.input_scale) * (x + state["a"])
        s = self.spike(u - self.threshold)
        adaptation = (1.0 - beta_a) * a * u + beta_a * state["a"] - b * jax.lax.stop_gradient(s)
        v = u - reset_term(self.reset, u, s, self.threshold, self.reset_value, self.detach_reset)
        return {"v": v, "a": adaptation}, s


class ALIFKernel(Spiker):
    """Θ = θ + T;  s = H(u − Θ) ("post") or H(v − Θ) ("pre");  u = β·v + g·x;  v ← u − R(u, s)
    with R = Θ·s (subtract), u·s (zero) or 0;  T ← γ·T + (1 − γ)·s."""

    decay: jax.Array
    adapt_decay: jax.Array
    threshold: jax.Array
    shape: tuple[int, ...] = eqx.field(static=True)
    spike_from: str = eqx.field(static=True, default="post")
    reset: str = eqx.field(static=True, default="subtract")
    detach_reset: bool = eqx.field(static=True, default=True)
    input_scale: str = eqx.field(static=True, default="one")
    decay_clamp: Bounds = eqx.field(static=True, default=None)
    fire_at_threshold: bool = eqx.field(static=True, default=False)
    surrogate: tuple = eqx.field(static=True, default=SUPERSPIKE)

    def init_state(self, batch_shape, dtype):
        return _zeros(batch_shape, self.shape, dtype, "v", "t")

    def output(self, state):
        return self.spike(state["v"] - (self.threshold + state["t"]))

    def step(self, state, x, key=None):
        beta = clamp(self.decay, self.decay_clamp)
        gamma = clamp(self.adapt_decay, self.decay_clamp)
        adapted = self.threshold + state["t"]
        if self.spike_from == "pre":
            s = self.spike(state["v"] - adapted)
        u = beta * state["v"] + gain(beta, self.input_scale) * x
        if self.spike_from == "post":
            s = self.spike(u - adapted)
        # the subtractive reset removes the adapted threshold Θ, as Spyx does
        v = u - reset_term(self.reset, u, s, adapted, None, self.detach_reset)
        return {"v": v, "t": gamma * state["t"] + (1.0 - gamma) * s}, s


class SigmaDeltaKernel(Spiker):
    """σ ← d_in·σ + x;  m ← d_mem·m + σ − f;  s = H(m − θ);  f ← d_fb·f + s.  State: sigma, v (= m), f."""

    in_decay: jax.Array
    mem_decay: jax.Array
    fb_decay: jax.Array
    threshold: jax.Array
    shape: tuple[int, ...] = eqx.field(static=True)
    decay_clamp: Bounds = eqx.field(static=True, default=None)
    fire_at_threshold: bool = eqx.field(static=True, default=False)
    surrogate: tuple = eqx.field(static=True, default=SUPERSPIKE)

    def init_state(self, batch_shape, dtype):
        return _zeros(batch_shape, self.shape, dtype, "sigma", "v", "f")

    def step(self, state, x, key=None):
        d_in, d_mem, d_fb = (clamp(d, self.decay_clamp) for d in (self.in_decay, self.mem_decay, self.fb_decay))
        sigma = d_in * state["sigma"] + x
        m = d_mem * state["v"] + (sigma - state["f"])
        s = self.spike(m - self.threshold)
        return {"sigma": sigma, "v": m, "f": d_fb * state["f"] + s}, s


class SRMKernel(Spiker):
    """ρ ← γ·ρ + r·sg(s_{t−1});  V = x − r·ρ;  s = H(V − θ).  State: rho, s (the last spike), v (= V)."""

    r_decay: jax.Array
    refractory: jax.Array
    threshold: jax.Array
    shape: tuple[int, ...] = eqx.field(static=True)
    decay_clamp: Bounds = eqx.field(static=True, default=None)
    refractory_clamp: Bounds = eqx.field(static=True, default=None)
    fire_at_threshold: bool = eqx.field(static=True, default=False)
    surrogate: tuple = eqx.field(static=True, default=SUPERSPIKE)

    def init_state(self, batch_shape, dtype):
        return _zeros(batch_shape, self.shape, dtype, "rho", "s", "v")

    def step(self, state, x, key=None):
        gamma = clamp(self.r_decay, self.decay_clamp)
        r = clamp(self.refractory, self.refractory_clamp)
        rho = gamma * state["rho"] + r * jax.lax.stop_gradient(state["s"])
        v = x - r * rho
        s = self.spike(v - self.threshold)
        return {"rho": rho, "s": s, "v": v}, s
