"""Spyx 0.1's axn.custom: the default backward (identity, not straight-through) and a user surrogate."""
import jax
import jax.numpy as jnp
import spyx

x = jnp.linspace(-2, 2, 9)
default = spyx.axn.custom()
gaussian = spyx.axn.custom(bwd=lambda v: jnp.exp(-v ** 2))
RESULTS = {"spikes_default": default(x), "grad_default": jax.grad(lambda v: default(v).sum())(x),
           "spikes_gaussian": gaussian(x), "grad_gaussian": jax.grad(lambda v: (gaussian(v) * v).sum())(x)}
