"""Spyx's surrogate gradients (``spyx.axn``) as snnir surrogates.

Each factory returns a :class:`snnir.Surrogate`, which a compat neuron stores in its IR node (so it
serialises). Forward: the strict Heaviside H(x) = [x > 0], as in Spyx. Gradients (Spyx's formulas):

| Spyx (defaults)              | d spike / dx                    | snnir surrogate            |
|------------------------------|---------------------------------|----------------------------|
| superspike(k=25)             | 1 / (1 + k·abs(x))²             | superspike(beta=k)         |
| arctan(k=2)                  | 1 / (π·(1 + (k·π·x)²))          | arctan(beta=k)             |
| tanh(k=1)                    | sech²(k·x)                      | tanh(beta=k)               |
| boxcar(width=2, height=0.5)  | height on abs(x) < width/2      | boxcar(width, height)      |
| triangular(k=2)              | max(0, 1 − abs(k·x))            | triangular(beta=k)         |
| straight_through()           | 1                               | ste                        |

Spyx's ``custom(bwd, fwd)`` takes arbitrary Python functions, which a model file cannot store; use a
custom snnir kernel for that. ``heaviside`` is the forward step itself (no surrogate: use
``straight_through`` when a gradient is needed).
"""

from __future__ import annotations

import jax.numpy as jnp

from snnir.errors import InvalidArgumentsError
from snnir.ir import Surrogate


def superspike(k: float = 25.0) -> Surrogate:
    return Surrogate(name="superspike", params={"beta": k})


def arctan(k: float = 2.0) -> Surrogate:
    return Surrogate(name="arctan", params={"beta": k})


def tanh(k: float = 1.0) -> Surrogate:
    return Surrogate(name="tanh", params={"beta": k})


def boxcar(width: float = 2.0, height: float = 0.5) -> Surrogate:
    return Surrogate(name="boxcar", params={"width": width, "height": height})


def triangular(k: float = 2.0) -> Surrogate:
    return Surrogate(name="triangular", params={"beta": k})


def straight_through() -> Surrogate:
    return Surrogate(name="ste")


def heaviside(x):
    """The forward step of every Spyx activation: 1 where x > 0, else 0 (H(0) = 0)."""
    return jnp.where(x > 0, 1.0, 0.0).astype(jnp.result_type(x))


def custom(*args, **kwargs):
    raise InvalidArgumentsError(
        "spyx.axn.custom(bwd, fwd) wraps arbitrary Python functions, which snnir cannot store in a graph"
        "\n  hint: pick a named surrogate (superspike, arctan, tanh, boxcar, triangular, straight_through)")


def as_surrogate(activation) -> Surrogate:
    """Accept what a Spyx user passes as ``activation=``: a factory result, a name or a Surrogate."""
    if isinstance(activation, Surrogate):
        return activation
    if isinstance(activation, str):
        return Surrogate(name=activation)
    raise InvalidArgumentsError(
        f"activation={activation!r} is not a surrogate snnir can store"
        "\n  hint: use snnir.compat.spyx.axn.superspike() (or arctan, tanh, boxcar, triangular, straight_through)")
