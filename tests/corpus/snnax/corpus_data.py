"""Data and weights for the corpus programs: numpy only, dyadic values, the same under every JAX version.

Every value is a multiple of 1/8 (or 1/16) of small magnitude, so sums of a few dozen products are exact
in float32 and a spike train does not depend on the order of additions.
"""

from __future__ import annotations

import numpy as np


def rng(seed: int) -> np.random.RandomState:
    return np.random.RandomState(seed)


def spikes(shape, p: float = 0.3, seed: int = 0) -> np.ndarray:
    """Bernoulli spikes in float32."""
    return (rng(seed).uniform(size=shape) < p).astype(np.float32)


def dyadic(shape, scale: int = 8, low: int = -6, high: int = 10, seed: int = 0) -> np.ndarray:
    """Integers in [low, high) divided by ``scale``, float32."""
    return (rng(seed).randint(low, high, size=shape) / scale).astype(np.float32)


def set_linear(linear, seed: int, bias: bool = True, scale: int = 8):
    """An ``eqx.nn.Linear`` with dyadic weights (and bias) in place of its random ones."""
    import equinox as eqx
    import jax.numpy as jnp

    w = jnp.asarray(dyadic(linear.weight.shape, scale=scale, seed=seed))
    if linear.bias is None or not bias:
        return eqx.tree_at(lambda l: l.weight, linear, w)
    b = jnp.asarray(dyadic(linear.bias.shape, scale=scale, low=-2, high=4, seed=seed + 1000))
    return eqx.tree_at(lambda l: (l.weight, l.bias), linear, (w, b))


def set_conv(conv, seed: int, scale: int = 8):
    """An ``eqx.nn.Conv`` with dyadic weights and bias."""
    import equinox as eqx
    import jax.numpy as jnp

    w = jnp.asarray(dyadic(conv.weight.shape, scale=scale, seed=seed))
    if conv.bias is None:
        return eqx.tree_at(lambda c: c.weight, conv, w)
    b = jnp.asarray(dyadic(conv.bias.shape, scale=scale, low=-2, high=4, seed=seed + 1000))
    return eqx.tree_at(lambda c: (c.weight, c.bias), conv, (w, b))


def flat_states(states, prefix: str = "state") -> dict:
    """A nested list of state arrays as ``{prefix_i_j...: array}`` (SNNAX's list-of-lists layout)."""
    out = {}

    def walk(node, path):
        if isinstance(node, (list, tuple)):
            for i, child in enumerate(node):
                walk(child, path + (str(i),))
        elif node is not None:
            out["_".join((prefix,) + path)] = np.asarray(node)

    walk(states, ())
    return out
