"""Kernels of the spike counters and the population code (snnir/ir/kinds/readouts.py)."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp

from .base import Kernel


class CounterKernel(Kernel):
    """y = x;  count ← count + x."""

    shape: tuple[int, ...] = eqx.field(static=True)

    def init_state(self, batch_shape, dtype):
        return {"count": jnp.zeros(tuple(batch_shape) + self.shape, dtype)}

    def rest_reads_input(self) -> bool:
        return False

    def rest(self, state, x, key=None):
        """At rest nothing has passed through: "out" is zero (SNNAX's SpikeCounter starts so)."""
        return state, jnp.zeros_like(state["count"])

    def step(self, state, x, key=None):
        return {"count": state["count"] + x}, x


class PopulationCodeKernel(Kernel):
    """y[j] = sum of the flattened sample's units j·C … j·C + C − 1 (any leading batch/time axes)."""

    in_shape: tuple[int, ...] = eqx.field(static=True)
    group_size: int = eqx.field(static=True)

    def step(self, state, x, key=None):
        lead = x.shape[:x.ndim - len(self.in_shape)]
        return {}, x.reshape(lead + (-1, self.group_size)).sum(axis=-1)
