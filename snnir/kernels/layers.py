"""Stateless layer kernels: convolution, pooling, layer normalisation, concatenation.

Inputs carry any number of leading batch axes before the per-sample shape, which is channels-first
(C, *spatial) for convolutions and pooling. Padding arrives resolved to explicit (lo, hi) pairs.
The equations are those of the IR kinds (docs/layers.md).
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..errors import MissingKeyError
from .base import Kernel
from .precision import synaptic_operands
from .surrogates import spike_function

Pairs = tuple[tuple[int, int], ...]


def _split_batch(x: jax.Array, sample_ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    cut = x.ndim - sample_ndim
    return tuple(x.shape[:cut]), tuple(x.shape[cut:])


class ConvKernel(Kernel):
    """N-d cross-correlation with weight [C_out, C_in/groups, *kernel] (PyTorch layout), channels-first.

    The leading batch axes are flattened into one for ``lax.conv_general_dilated`` and restored after.
    ``compute_dtype`` (a program's precision policy) rounds input and weight; the result keeps x's dtype.
    """

    weight: jax.Array
    bias: jax.Array | None
    stride: tuple[int, ...] = eqx.field(static=True)
    padding: Pairs = eqx.field(static=True)
    dilation: tuple[int, ...] = eqx.field(static=True)
    groups: int = eqx.field(static=True, default=1)
    compute_dtype: str | None = eqx.field(static=True, default=None)

    @property
    def ndim(self) -> int:
        return self.weight.ndim - 2

    def step(self, state, x, key=None):
        n = self.ndim
        batch, sample = _split_batch(x, n + 1)
        lhs = x.reshape((math.prod(batch),) + sample)
        spatial = "HWD"[:n] if n <= 3 else None
        numbers = ("NC" + spatial, "OI" + spatial, "NC" + spatial)
        lhs, rhs, accumulate = synaptic_operands(lhs, self.weight, self.compute_dtype)
        y = jax.lax.conv_general_dilated(
            lhs, rhs, window_strides=self.stride, padding=self.padding,
            rhs_dilation=self.dilation, dimension_numbers=numbers, feature_group_count=self.groups, **accumulate,
        )
        if self.bias is not None:
            y = y + (self.bias.reshape(self.bias.shape + (1,) * n) if self.bias.ndim == 1 else self.bias)
        return state, y.reshape(batch + y.shape[1:])


class PoolKernel(Kernel):
    """Window reduction over the trailing ``len(kernel)`` axes: "max", "sum" or "avg" (sum / window size).

    With ``spiking`` (max only), y = H(maxpool(x) − θ) with the surrogate's gradient.
    """

    threshold: jax.Array | None
    op: str = eqx.field(static=True)
    kernel: tuple[int, ...] = eqx.field(static=True)
    stride: tuple[int, ...] = eqx.field(static=True)
    padding: Pairs = eqx.field(static=True)
    spiking: bool = eqx.field(static=True, default=False)
    fire_at_threshold: bool = eqx.field(static=True, default=False)
    surrogate: tuple = eqx.field(static=True, default=("superspike", (("beta", 10.0),)))

    def step(self, state, x, key=None):
        lead = x.ndim - len(self.kernel)
        window = (1,) * lead + self.kernel
        strides = (1,) * lead + self.stride
        pads = ((0, 0),) * lead + self.padding
        # the initial values must be concrete numpy scalars: lax then uses its differentiable
        # max/sum window primitives (a traced initial value gives a generic, non-differentiable reduction)
        if self.op == "max":
            m = jax.lax.reduce_window(x, np.array(-np.inf, x.dtype), jax.lax.max, window, strides, pads)
            if not self.spiking:
                return state, m
            name, params = self.surrogate
            return state, spike_function(name, params, self.fire_at_threshold)(m - self.threshold)
        y = jax.lax.reduce_window(x, np.array(0, x.dtype), jax.lax.add, window, strides, pads)
        if self.op == "avg":
            y = y * jnp.asarray(1.0 / math.prod(self.kernel), y.dtype)
        return state, y


class LayerNormKernel(Kernel):
    """y = (x − μ) / sqrt(σ² + ε) · γ + β over the trailing ``axes`` axes (biased variance)."""

    weight: jax.Array | None
    bias: jax.Array | None
    axes: int = eqx.field(static=True)
    eps: float = eqx.field(static=True, default=1e-5)

    def step(self, state, x, key=None):
        axes = tuple(range(x.ndim - self.axes, x.ndim))
        mean = jnp.mean(x, axis=axes, keepdims=True)
        centred = x - mean
        var = jnp.mean(centred * centred, axis=axes, keepdims=True)
        y = centred * jax.lax.rsqrt(var + jnp.asarray(self.eps, x.dtype))
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return state, y


class BatchNormKernel(Kernel):
    """Batch normalisation (snnir/ir/kinds/layers.py BatchNorm): batch statistics and running-statistic
    updates in training, the running statistics in inference."""

    weight: jax.Array | None
    bias: jax.Array | None
    shape: tuple[int, ...] = eqx.field(static=True)
    per_channel: bool = eqx.field(static=True)
    eps: float = eqx.field(static=True, default=1e-5)
    momentum: float = eqx.field(static=True, default=0.1)
    axis_name: str | None = eqx.field(static=True, default=None)
    inference: bool = False

    def _stat_shape(self) -> tuple[int, ...]:
        return self.shape[:1] if self.per_channel else self.shape

    def _spread(self, stat: jax.Array) -> jax.Array:
        """A per-statistic array [..., *stat] (or a scalar) broadcast against samples [..., *shape]."""
        if not self.per_channel or stat.ndim == 0:
            return stat
        return stat.reshape(stat.shape + (1,) * (len(self.shape) - 1))

    def _mean(self, x: jax.Array, axes: tuple[int, ...]) -> jax.Array:
        mean = jnp.mean(x, axis=axes, keepdims=True)
        return mean if self.axis_name is None else jax.lax.pmean(mean, self.axis_name)

    def init_state(self, batch_shape, dtype):
        shape = tuple(batch_shape) + self._stat_shape()
        return {"mean": jnp.zeros(shape, dtype), "var": jnp.ones(shape, dtype)}

    def rest_reads_input(self) -> bool:
        return False

    def rest(self, state, x, key=None):
        """BatchNorm holds state (its running statistics), so like every stateful kind it starts from its
        initial output, zero (as SNNAX's BatchNormLayer, a StatefulLayer, does)."""
        mean = state["mean"]
        batch = mean.shape[: mean.ndim - len(self._stat_shape())]
        return state, jnp.zeros(batch + self.shape, mean.dtype)

    def step(self, state, x, key=None):
        n_batch = x.ndim - len(self.shape)
        if self.inference:
            mean, var, new_state = self._spread(state["mean"]), self._spread(state["var"]), state
        else:
            axes = tuple(range(n_batch)) + (tuple(range(n_batch + 1, x.ndim)) if self.per_channel else ())
            mean = self._mean(x, axes)
            var = self._mean(jnp.square(x - mean), axes)
            n = max(int(np.prod([x.shape[a] for a in axes])), 1)
            if self.axis_name is not None:
                n = n * jax.lax.psum(1, self.axis_name)
            stat = self._stat_shape()
            batch_mean = jnp.broadcast_to(mean.reshape(stat), state["mean"].shape)
            batch_var = jnp.broadcast_to(var.reshape(stat), state["var"].shape) * (n / jnp.maximum(n - 1, 1))
            m = jnp.asarray(self.momentum, x.dtype)
            new_state = {"mean": (1 - m) * state["mean"] + m * batch_mean,
                         "var": (1 - m) * state["var"] + m * batch_var}
        y = (x - mean) * jax.lax.rsqrt(var + jnp.asarray(self.eps, x.dtype))
        if self.weight is not None:
            y = y * self._spread(self.weight)
        if self.bias is not None:
            y = y + self._spread(self.bias)
        return new_state, y


class ConcatKernel(Kernel):
    """y = concat(x[port] for port in ``ports``) along per-sample axis ``axis`` of rank-``ndim`` samples."""

    ports: tuple[str, ...] = eqx.field(static=True)
    axis: int = eqx.field(static=True)
    ndim: int = eqx.field(static=True)

    def step(self, state, x, key=None):
        parts = [x[p] for p in self.ports]
        lead = parts[0].ndim - self.ndim
        return state, jnp.concatenate(parts, axis=lead + self.axis)


class DropoutKernel(Kernel):
    """Inverted dropout with a fresh key every step; the identity when ``inference`` is True (set it for
    the whole program with ``eqx.nn.inference_mode(prog)``) or p = 0."""

    p: float = eqx.field(static=True)
    node: str = eqx.field(static=True)
    inference: bool = False

    def rest(self, state, x, key=None):
        """At rest Dropout passes its input's rest value on unchanged (its expected value: no mask is
        drawn before step 0)."""
        return state, x

    def step(self, state, x, key=None):
        if self.inference or self.p == 0.0:
            return state, x
        if key is None:
            raise MissingKeyError(
                f"Dropout {self.node!r} needs a key in training: call prog(state, xs, key=jax.random.key(0)), "
                "or switch to inference with eqx.nn.inference_mode(prog)")
        keep = jax.random.bernoulli(key, 1.0 - self.p, x.shape)
        return state, jnp.where(keep, x / jnp.asarray(1.0 - self.p, x.dtype), jnp.zeros_like(x))
