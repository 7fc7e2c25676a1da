"""spyx.axn.custom: its defaults, a straight-through estimator and a sigmoid forward."""
import jax
import jax.numpy as jnp
import spyx
from spyx import axn

x = jnp.linspace(-2.0, 2.0, 17)

default = axn.custom()
ste = axn.custom(bwd=lambda v: jnp.ones_like(v))
sigmoid = axn.custom(bwd=lambda v: jax.nn.sigmoid(v) * (1 - jax.nn.sigmoid(v)), fwd=jax.nn.sigmoid)
fast_sigmoid = spyx.axn.custom(lambda v: 1 / (1 + 4 * jnp.abs(v)) ** 2)

RESULTS = {}
for name, f in [("default", default), ("ste", ste), ("sigmoid", sigmoid), ("fast_sigmoid", fast_sigmoid)]:
    RESULTS[f"out_{name}"] = f(x)
    RESULTS[f"grad_{name}"] = jax.grad(lambda v: jnp.sum(f(v) * jnp.arange(17.0)))(x)
