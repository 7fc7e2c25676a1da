"""``spyx.data`` with Spyx ≤ 0.1.20's numbers (see :mod:`snnir.compat.spyx01`)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from snnir.compat.spyx.data import *  # noqa: F401,F403 - the 1.0 functions, unchanged unless below
from snnir.compat.spyx.data import __all__ as _ALL

__all__ = list(_ALL)


def angle_code(neuron_count, min_val, max_val):
    """Spyx 0.1.20's angle code: ``one_hot(digitize(x, linspace(min_val, max_val, neuron_count)))``.
    Unlike 1.0 there is no shift by one and no clip: x below min_val gives channel 0, x at or above
    max_val gives index ``neuron_count``, which one_hot turns into all zeros."""
    bins = jnp.linspace(min_val, max_val, neuron_count)

    def encode(obs):
        return jax.nn.one_hot(jnp.digitize(obs, bins), neuron_count)

    return jax.jit(encode)
