"""Stateless synapse kernels and the elementwise delay line."""

from __future__ import annotations

import dataclasses
import math

import equinox as eqx
import jax
import jax.numpy as jnp

from .base import Kernel
from .precision import synaptic_matmul


class LinearKernel(Kernel):
    """y = x (W ⊙ M)ᵀ + b on the last axis (W stored [out, in]; M an optional int 0/1 mask, never trained).

    ``compute_dtype`` (a program's precision policy) rounds x and W for the product; b and y keep x's dtype.
    ``layout="in_out"``: weight and mask are held transposed, [in, out] (see ``in_out_layout``).
    """

    weight: jax.Array
    bias: jax.Array | None
    mask: jax.Array | None = None
    compute_dtype: str | None = eqx.field(static=True, default=None)
    layout: str = eqx.field(static=True, default="out_in")

    def in_out_layout(self) -> "LinearKernel":
        """This kernel with W (and M) transposed once to [in, out]. A time loop multiplies B rows by W at
        every step, and on XLA:CPU ``x @ W`` with W [in, out] runs faster there than ``x @ W.T`` (about
        1.2x for a 1024-wide layer at batch 16), because the loop does not hoist the transposition."""
        if self.layout == "in_out":
            return self
        mask = None if self.mask is None else self.mask.T
        return dataclasses.replace(self, weight=self.weight.T, mask=mask, layout="in_out")

    def step(self, state, x, key=None):
        w = self.weight if self.mask is None else jnp.where(self.mask != 0, self.weight, jnp.zeros_like(self.weight))
        y = synaptic_matmul(x, w if self.layout == "in_out" else w.T, self.compute_dtype)
        return state, y if self.bias is None else y + self.bias


class ScaleKernel(Kernel):
    """y = s ⊙ x."""

    scale: jax.Array

    def step(self, state, x, key=None):
        return state, self.scale * x


class FlattenKernel(Kernel):
    """Merge per-sample axes [start, end] of an input of per-sample shape ``in_shape``."""

    in_shape: tuple[int, ...] = eqx.field(static=True)
    start: int = eqx.field(static=True)
    end: int = eqx.field(static=True)

    def step(self, state, x, key=None):
        batch = x.shape[: x.ndim - len(self.in_shape)]
        s = self.in_shape
        out = s[: self.start] + (math.prod(s[self.start : self.end + 1]),) + s[self.end + 1 :]
        return state, x.reshape(batch + out)


class DelayKernel(Kernel):
    """y_t[i] = x_{t−d[i]}[i]: a buffer of the last ``depth`` inputs, newest first, batch axes leading."""

    delay: jax.Array  # int32, broadcastable to shape
    shape: tuple[int, ...] = eqx.field(static=True)
    depth: int = eqx.field(static=True)
    feedthrough: bool = eqx.field(static=True)

    def init_state(self, batch_shape, dtype):
        if self.depth == 0:
            return {}
        return {"buffer": jnp.zeros(tuple(batch_shape) + (self.depth,) + self.shape, dtype)}

    def _read(self, buffer: jax.Array) -> jax.Array:
        axis = buffer.ndim - len(self.shape) - 1
        index = jnp.clip(jnp.broadcast_to(self.delay, self.shape) - 1, 0, self.depth - 1)
        index = index.reshape((1,) * axis + (1,) + self.shape)
        index = jnp.broadcast_to(index, buffer.shape[:axis] + (1,) + self.shape)
        return jnp.squeeze(jnp.take_along_axis(buffer, index, axis=axis), axis)

    def output(self, state):
        return self._read(state["buffer"])

    def rest(self, state, x, key=None):
        """At rest the buffer holds the input's rest value at every depth, and so does the output."""
        if self.depth == 0:
            return state, x
        axis = x.ndim - len(self.shape)
        buffer = jnp.broadcast_to(jnp.expand_dims(x, axis), x.shape[:axis] + (self.depth,) + self.shape)
        return {"buffer": buffer.astype(state["buffer"].dtype)}, x

    def step(self, state, x, key=None):
        if self.depth == 0:
            return state, x
        past = self._read(state["buffer"])
        y = jnp.where(self.delay == 0, x, past) if self.feedthrough else past
        axis = x.ndim - len(self.shape)
        buffer = jnp.concatenate([jnp.expand_dims(x, axis), state["buffer"]], axis=axis)
        return {"buffer": jax.lax.slice_in_dim(buffer, 0, self.depth, axis=axis)}, y
