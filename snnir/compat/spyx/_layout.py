"""How a per-sample array in Spyx's layout maps onto the one snnir computes with.

Spyx (Flax NNX) keeps images channels-last, (H, W, C); snnir's convolutions and pools are
channels-first, (C, H, W). Rather than transposing inside the graph, a chain is compiled in snnir's
layout and each array crossing the boundary (the input, the output, every layer's state) is moved once:

* ``SAME``: the two layouts agree;
* ``CHANNELS_LAST``: snnir's array is Spyx's with its last axis moved to the front of the sample axes;
* ``FlatPermutation(perm)``: a flattened channels-last image; Spyx's vector is snnir's taken at
  ``perm`` (``spyx_flat = ir_flat[perm]``). A Linear after it reads snnir's order by permuting its
  weight's columns instead of the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np


class Layout:
    """The identity: Spyx's per-sample arrays are snnir's."""

    name = "same"

    def ir_shape(self, spyx_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(spyx_shape)

    def to_ir(self, a, sample_rank: int):
        return a

    def from_ir(self, a, sample_rank: int):
        return a

    def key(self) -> tuple:
        return (self.name,)


class _ChannelsLast(Layout):
    """Spyx (..., C) per sample is snnir (C, ...)."""

    name = "channels_last"

    def ir_shape(self, spyx_shape):
        return (spyx_shape[-1],) + tuple(spyx_shape[:-1])

    def to_ir(self, a, sample_rank):
        return jnp.moveaxis(a, -1, a.ndim - sample_rank)

    def from_ir(self, a, sample_rank):
        return jnp.moveaxis(a, a.ndim - sample_rank, -1)


@dataclass(frozen=True, eq=False)
class FlatPermutation(Layout):
    """A flattened channels-last image: ``spyx_flat = ir_flat[perm]``."""

    perm: np.ndarray
    name = "flat_permutation"

    @classmethod
    def of_channels_last(cls, spyx_shape: tuple[int, ...]) -> "FlatPermutation":
        """The permutation that flattening a channels-last image of ``spyx_shape`` gives."""
        ir_shape = _ChannelsLast().ir_shape(spyx_shape)
        order = np.arange(int(np.prod(ir_shape))).reshape(ir_shape)
        return cls(np.moveaxis(order, 0, -1).ravel())

    def to_ir(self, a, sample_rank):
        return jnp.take(a, np.argsort(self.perm), axis=-1)

    def from_ir(self, a, sample_rank):
        return jnp.take(a, self.perm, axis=-1)

    def linear_weight(self, kernel):
        """snnir's [out, in] weight for a Spyx kernel [in, out] that reads Spyx's order."""
        return jnp.take(kernel.T, np.argsort(self.perm), axis=1)

    def key(self) -> tuple:
        return (self.name, self.perm.tobytes())


SAME = Layout()
CHANNELS_LAST = _ChannelsLast()
