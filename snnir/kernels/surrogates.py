"""Spike functions with surrogate gradients.

Forward: the Heaviside step H(x) (H(0) = 0, or 1 with ``fire_at_threshold``), in x's dtype.
Backward: the surrogate's formula (x is the membrane minus the threshold). Built with ``jax.custom_jvp``
so forward- and reverse-mode both work, under jit, vmap and grad.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import jax
import jax.numpy as jnp


def _superspike(x, beta):  # Zenke & Ganguli's SuperSpike: 1 / (1 + beta|x|)^2
    return 1.0 / (1.0 + beta * jnp.abs(x)) ** 2


def _superspike_unsquared(x, beta):  # SNNAX's superspike_surrogate: 1 / (1 + beta|x|)
    return 1.0 / (1.0 + beta * jnp.abs(x))


def _boxcar(x, width, height):  # height on |x| < width/2 (strict), else 0
    return jnp.where(jnp.abs(x) < width / 2, height, 0.0).astype(x.dtype)


def _sigmoid(x, beta):  # derivative of sigmoid(beta x); 1 - s(z) = s(-z) avoids cancellation for large z
    return beta * jax.nn.sigmoid(beta * x) * jax.nn.sigmoid(-beta * x)


def _arctan(x, beta):  # Spyx arctan: 1 / (pi (1 + (beta pi x)^2))
    return 1.0 / (math.pi * (1.0 + (beta * math.pi * x) ** 2))


def _tanh(x, beta):  # Spyx tanh: sech^2(beta x) (without the factor beta)
    return 1.0 / jnp.cosh(beta * x) ** 2


def _triangular(x, beta):  # max(0, 1 - |beta x|)
    return jnp.maximum(0.0, 1.0 - jnp.abs(beta * x))


def _ste(x):  # straight-through: gradient 1
    return jnp.ones_like(x)


SURROGATE_GRADIENTS: dict[str, Callable] = {
    "superspike": _superspike,
    "superspike_unsquared": _superspike_unsquared,
    "boxcar": _boxcar,
    "sigmoid": _sigmoid,
    "arctan": _arctan,
    "tanh": _tanh,
    "triangular": _triangular,
    "ste": _ste,
}


@functools.lru_cache(maxsize=None)
def spike_function(name: str, params: tuple[tuple[str, float], ...] = (), fire_at_threshold: bool = False):
    """The spike function for surrogate ``name`` with ``params`` as ((name, value), ...) pairs; for
    "function", params is (("fn", fn),) and the user's spike function is called as it is."""
    if name == "function":
        return _user_spike(dict(params)["fn"])
    gradient = functools.partial(SURROGATE_GRADIENTS[name], **dict(params))

    @jax.custom_jvp
    def spike(x):
        fired = x >= 0 if fire_at_threshold else x > 0
        return fired.astype(x.dtype)

    @spike.defjvp
    def _spike_jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return spike(x), gradient(x).astype(x.dtype) * dx

    return spike


def _user_spike(fn: Callable) -> Callable:
    def spike(x):  # the user's function decides forward and gradient; the program's dtype is kept
        return jnp.asarray(fn(x)).astype(x.dtype)

    return spike
