"""Spyx's layers without parameters: ActivityRegularization, PopulationCode, Flatten, SumPool."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._base import Layer, out_shape
from ._graph import Unplaceable, Slot, SpyxCompatError, as_shape, kind
from ._layout import CHANNELS_LAST, SAME, FlatPermutation

class ActivityRegularization(Layer):
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


class PopulationCode(Layer):
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
            raise Unplaceable("PopulationCode flattens the batch (as Spyx's does), so it must be the last layer"
                                  "\n  hint: move it to the end, or sum the outputs yourself")
        width = int(np.prod(placer.spyx_shape))
        if width % self.num_classes:
            raise SpyxCompatError(f"PopulationCode({self.num_classes}) needs a width that is a multiple of "
                                  f"{self.num_classes}, got {width}")
        if len(placer.spyx_shape) != 1 or placer.layout is not SAME:
            raise Unplaceable("PopulationCode needs a 1-D input per sample\n  hint: Flatten before it")
        nid = placer.name("PopulationCode", self.name)
        placer.chain(kind("PopulationCode")(id=nid, group_size=self.num_classes))
        placer.advance((width // self.num_classes,))
        return Slot(flat_output=True)


class Flatten(Layer):
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


def _infer_window(ndim: int, size: Any, channel_axis: int | None, legacy: bool = False) -> tuple[int, ...]:
    """Spyx 1.0's window (or strides) for an array of rank ``ndim`` (batch on axis 0): an int pools every
    axis but the batch and the channel axis; a shorter tuple covers the spatial axes; a full one is
    taken as it is. ``legacy``: Spyx ≤ 0.1.20's rule, a shorter tuple covers the *trailing* axes (left
    padded with 1s), so (2, 2) on NHWC pools W and C."""
    if channel_axis and not 0 <= abs(channel_axis) < ndim:
        raise SpyxCompatError(f"invalid channel_axis {channel_axis} for an array of rank {ndim}")
    if channel_axis and channel_axis < 0:
        channel_axis = ndim + channel_axis
    if isinstance(size, (int, np.integer)):
        return (1,) + tuple(int(size) if d != channel_axis else 1 for d in range(1, ndim))
    size = tuple(int(s) for s in size)
    if legacy and len(size) < ndim:
        return (1,) * (ndim - len(size)) + size
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


def sum_pool(value: jax.Array, window_shape, strides, padding: str, channel_axis: int | None = -1, *,
             legacy_windows: bool = False) -> jax.Array:
    """Spyx 1.0 sum_pool: ``lax.reduce_window`` sums; windows as :func:`_infer_window` reads them,
    padding "SAME" or "VALID" (``legacy_windows``: Spyx ≤ 0.1.20's window rule)."""
    if padding not in ("SAME", "VALID"):
        raise SpyxCompatError(f"Invalid padding '{padding}', must be 'SAME' or 'VALID'.")
    window = _infer_window(value.ndim, window_shape, channel_axis, legacy_windows)
    step = _infer_window(value.ndim, strides, channel_axis, legacy_windows)
    return jax.lax.reduce_window(value, jnp.zeros((), value.dtype), jax.lax.add, window, step, padding)


class SumPool(Layer):
    """Spyx SumPool (:func:`sum_pool` as a layer). In a graph it becomes snnir's SumPool1d/2d over the
    spatial axes: channels-last data (``channel_axis=-1``, Spyx's default, after ``nnx.Conv``) or
    channels-first (``channel_axis=1``); windows that pool the batch or the channels are refused."""

    def __init__(self, window_shape, strides, padding: str, channel_axis: int | None = -1, name: str | None = None):
        if padding not in ("SAME", "VALID"):
            raise SpyxCompatError(f"Invalid padding '{padding}', must be 'SAME' or 'VALID'.")
        self.window_shape, self.strides, self.padding, self.channel_axis = window_shape, strides, padding, channel_axis
        self.name = name

    #: Spyx ≤ 0.1.20's window rule (snnir.compat.spyx01)
    LEGACY_WINDOWS = False

    def __call__(self, value: jax.Array) -> jax.Array:
        return sum_pool(value, self.window_shape, self.strides, self.padding, self.channel_axis,
                        legacy_windows=self.LEGACY_WINDOWS)

    def structure(self):
        freeze = lambda v: v if isinstance(v, (int, np.integer)) else tuple(v)  # noqa: E731
        return ("SumPool", self.LEGACY_WINDOWS, freeze(self.window_shape), freeze(self.strides), self.padding, self.channel_axis, self.name)

    def place(self, placer, index, last):
        spyx = tuple(placer.spyx_shape)
        ndim = len(spyx) + 1
        window = _infer_window(ndim, self.window_shape, self.channel_axis, self.LEGACY_WINDOWS)
        step = _infer_window(ndim, self.strides, self.channel_axis, self.LEGACY_WINDOWS)
        channel = None if not self.channel_axis else self.channel_axis % ndim
        if channel is None or channel == 0 or ndim not in (3, 4):
            raise Unplaceable(
                f"SumPool with channel_axis={self.channel_axis} on per-sample shape {spyx} cannot be a snnir pool"
                "\n  hint: pool images (C, L)/(C, H, W) with channel_axis=1 or (L, C)/(H, W, C) with channel_axis=-1")
        if window[0] != 1 or window[channel] != 1 or step[0] != 1 or step[channel] != 1:
            raise Unplaceable(f"SumPool window {window} (strides {step}) pools the batch or the channel axis, "
                                  "which no snnir layer does\n  hint: give the channel and batch axes a window of 1")
        channels_last = channel == ndim - 1
        if channels_last != (placer.layout is CHANNELS_LAST):
            raise Unplaceable(
                f"SumPool with channel_axis={self.channel_axis} meets data laid out "
                f"{'channels-last' if placer.layout is CHANNELS_LAST else 'channels-first'}"
                "\n  hint: use channel_axis=-1 after nnx.Conv (Flax is channels-last), channel_axis=1 otherwise")
        spatial = [d for d in range(1, ndim) if d != channel]
        nid = placer.name("SumPool", self.name)
        node = kind(f"SumPool{len(spatial)}d")(id=nid, kernel_size=tuple(window[d] for d in spatial),
                                               stride=tuple(step[d] for d in spatial),
                                               padding=self.padding.lower())
        placer.chain(node)
        out = out_shape(placer)
        placer.advance(tuple(out[1:]) + (out[0],) if channels_last else out)
        return Slot()

