"""Spyx's surrogate gradients (``spyx.axn``) as snnir surrogates.

Each factory returns an :class:`Activation`: callable like Spyx's (``spyx.axn.arctan()(v - θ)`` gives
spikes with the surrogate gradient), and holding the :class:`snnir.Surrogate` that a compat neuron
stores in its IR node (so it serialises). Forward: the strict Heaviside H(x) = [x > 0], as in Spyx.
Gradients (Spyx's formulas):

| Spyx (defaults)              | d spike / dx                    | snnir surrogate            |
|------------------------------|---------------------------------|----------------------------|
| superspike(k=25)             | 1 / (1 + k·abs(x))²             | superspike(beta=k)         |
| arctan(k=2)                  | 1 / (π·(1 + (k·π·x)²))          | arctan(beta=k)             |
| tanh(k=1)                    | sech²(k·x)                      | tanh(beta=k)               |
| boxcar(width=2, height=0.5)  | height on abs(x) < width/2      | boxcar(width, height)      |
| triangular(k=2)              | max(0, 1 − abs(k·x))            | triangular(beta=k)         |
| custom(bwd, fwd)             | bwd(x) (default: x itself)      | the function itself        |
| straight_through() (snnir)   | 1                               | ste                        |

``custom(bwd, fwd)`` is Spyx's ``jax.custom_gradient`` wrapper: forward ``fwd(x)``, gradient
``g·bwd(x)``. Its default ``bwd`` is the identity, so the gradient is g·x, not the straight-through
estimator its docstring promises (Spyx's own behaviour, kept). A model using it runs and trains, but a
model file can only name it after ``snnir.register_spike_function(fn, name)`` on the activation's
``.function``.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from snnir.errors import InvalidArgumentsError
from snnir.ir import Surrogate


class Activation:
    """A Spyx activation: ``activation(x)`` spikes (H(x), strict) with the surrogate gradient, and
    ``activation.surrogate`` is the snnir surrogate a neuron's IR node stores."""

    def __init__(self, surrogate: Surrogate, function: Callable | None = None):
        self.surrogate = surrogate
        self.function = function

    def __call__(self, x):
        if self.function is not None:
            return self.function(x)
        from snnir.kernels import spike_function

        name, params = self.surrogate.as_static()
        x = jnp.asarray(x)
        return spike_function(name, params)(x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.float32))

    def __repr__(self) -> str:
        return f"Activation({self.surrogate})"


def superspike(k: float = 25.0) -> Activation:
    """SuperSpike: gradient 1 / (1 + k·|x|)²."""
    return Activation(Surrogate(name="superspike", params={"beta": float(k)}))


def arctan(k: float = 2.0) -> Activation:
    """Spyx's arctan: gradient 1 / (π·(1 + (k·π·x)²)) (not snnTorch's ATan)."""
    return Activation(Surrogate(name="arctan", params={"beta": float(k)}))


def tanh(k: float = 1.0) -> Activation:
    """tanh: gradient sech²(k·x) = 4 / (e^(−kx) + e^(kx))²."""
    return Activation(Surrogate(name="tanh", params={"beta": float(k)}))


def boxcar(width: float = 2.0, height: float = 0.5) -> Activation:
    """Boxcar: gradient ``height`` where |x| < width/2 (strictly), 0 elsewhere."""
    return Activation(Surrogate(name="boxcar", params={"width": float(width), "height": float(height)}))


def triangular(k: float = 2.0) -> Activation:
    """Triangular: gradient max(0, 1 − |k·x|)."""
    return Activation(Surrogate(name="triangular", params={"beta": float(k)}))


def straight_through() -> Activation:
    """The straight-through estimator (gradient 1), which Spyx names but does not ship."""
    return Activation(Surrogate(name="ste"))


def heaviside(x):
    """The forward step of every Spyx activation: 1 where x > 0, else 0 (H(0) = 0)."""
    return jnp.where(x > 0, 1.0, 0.0).astype(jnp.result_type(x))


def custom(bwd: Callable = lambda x: x, fwd: Callable = lambda x: heaviside(x)) -> Activation:
    """Spyx's ``custom``: forward ``fwd(x)``, gradient ``g·bwd(x)`` (``jax.custom_gradient``). The default
    ``bwd`` is the identity, so the default gradient is g·x, as in Spyx."""

    @jax.custom_gradient
    def spike(x):
        return fwd(x), lambda g: g * bwd(x)

    function = jax.jit(spike)
    return Activation(Surrogate.from_function(function), function)


def as_surrogate(activation) -> Surrogate:
    """Accept what a Spyx user passes as ``activation=``: a factory result, a name or a Surrogate."""
    if isinstance(activation, Activation):
        return activation.surrogate
    if isinstance(activation, Surrogate):
        return activation
    if isinstance(activation, str):
        return Surrogate(name=activation)
    if callable(activation):  # any spike function of x = v − θ, e.g. a jax.custom_gradient of the user's
        return Surrogate.from_function(activation)
    raise InvalidArgumentsError(
        f"activation={activation!r} is not a surrogate snnir can store"
        "\n  hint: use snnir.compat.spyx.axn.superspike() (or arctan, tanh, boxcar, triangular, straight_through)")
