"""SNNAX's spike functions (``snnax.functional``) as snnir surrogates.

Each factory returns a :class:`SpikeFn`: callable like SNNAX's (forward H(x) with H(0) = 1, the
surrogate's gradient backward) and carrying the snnir surrogate that the layer's IR node stores.

| SNNAX (defaults)                | d spike / dx                   | snnir surrogate                  |
|---------------------------------|--------------------------------|----------------------------------|
| superspike_surrogate(beta=10)   | 1 / (1 + beta·abs(x))          | superspike_unsquared(beta)       |
| piecewise_surrogate(beta=0.5)   | 1 on abs(x) < beta             | boxcar(width=2·beta, height=1)   |
| sigmoid_surrogate(beta=1)       | beta·σ(beta·x)·(1 − σ(beta·x)) | sigmoid(beta) (SNNAX's own crashes when differentiated) |
"""

from __future__ import annotations

import equinox as eqx
import jax

from snnir.ir import Surrogate
from snnir.kernels.surrogates import spike_function


class SpikeFn(eqx.Module):
    """A spike function: forward H(x) with H(0) = 1 (SNNAX's ``heaviside(x, 1.)``), surrogate gradient."""

    surrogate: Surrogate = eqx.field(static=True)

    def __call__(self, x: jax.Array) -> jax.Array:
        name, params = self.surrogate.as_static()
        return spike_function(name, params, True)(x)


def surrogate_of(spike_fn) -> Surrogate:
    """The IR surrogate of a layer's ``spike_fn``: a SpikeFn's own, or the user's function itself (an
    in-memory surrogate; ``snnir.register_spike_function`` makes it storable)."""
    if isinstance(spike_fn, SpikeFn):
        return spike_fn.surrogate
    return Surrogate.from_function(spike_fn)


def superspike_surrogate(beta: float = 10.0) -> SpikeFn:
    return SpikeFn(Surrogate(name="superspike_unsquared", params={"beta": beta}))


def piecewise_surrogate(beta: float = 0.5) -> SpikeFn:
    return SpikeFn(Surrogate(name="boxcar", params={"width": 2 * beta, "height": 1.0}))


def sigmoid_surrogate(beta: float = 1.0) -> SpikeFn:
    return SpikeFn(Surrogate(name="sigmoid", params={"beta": beta}))


def straight_through_surrogate() -> SpikeFn:
    return SpikeFn(Surrogate(name="ste"))
