"""Data and weights for the Spyx corpus programs: numpy only, dyadic values, the same under every JAX version.

Every value is a multiple of 1/8 (or 1/16) of small magnitude, so sums of a few dozen products are exact
in float32, a spike train does not depend on the order of additions, and no membrane lands on a threshold
by rounding.
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


def unit(shape, steps: int = 16, seed: int = 0) -> np.ndarray:
    """Values k/steps in [0, 1], float32 (pixel intensities for the encoders)."""
    return (rng(seed).randint(0, steps + 1, size=shape) / steps).astype(np.float32)


def labels(n: int, classes: int, seed: int = 0) -> np.ndarray:
    return rng(seed).randint(0, classes, size=(n,)).astype(np.int32)


def set_linear(linear, seed: int, scale: int = 8):
    """Give an ``nnx.Linear`` dyadic weights (and bias, if it has one) in place of its random ones."""
    import jax.numpy as jnp

    linear.kernel[...] = jnp.asarray(dyadic(linear.kernel.shape, scale=scale, seed=seed))
    if getattr(linear, "bias", None) is not None:
        linear.bias[...] = jnp.asarray(dyadic(linear.bias.shape, scale=scale, low=-2, high=4, seed=seed + 1000))
    return linear


def set_conv(conv, seed: int, scale: int = 8):
    """Give an ``nnx.Conv`` dyadic weights and bias."""
    return set_linear(conv, seed, scale)


def flat(tree, prefix: str) -> dict:
    """Every array leaf of a pytree (an ``nnx.State``, a list of states, ...) as ``{prefix_path: array}``."""
    import jax

    out = {}
    for path, leaf in jax.tree_util.tree_leaves_with_path(tree):
        parts = []
        for p in path:
            for attr in ("key", "idx", "name"):
                if hasattr(p, attr):
                    v = getattr(p, attr)
                    break
            if v != "value":
                parts.append(str(v))
        out["_".join([prefix, *parts])] = np.asarray(leaf)
    return out
