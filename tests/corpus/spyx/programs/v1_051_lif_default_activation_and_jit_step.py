"""A single LIF step jitted with nnx.jit and differentiated w.r.t. the input (default superspike)."""
import jax
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

lif = snn.LIF((6,), beta=0.625, rngs=nnx.Rngs(0))
V = jnp.asarray(cd.dyadic((3, 6), low=0, high=16, seed=51))
x = jnp.asarray(cd.dyadic((3, 6), seed=511))
step = nnx.jit(lambda n, x, V: n(x, V))
s, V1 = step(lif, x, V)
s2, V2 = step(lif, x, V1)
grad_x = jax.grad(lambda x: jnp.sum(lif(x, lif(x, V)[1])[0]))(x)
RESULTS = {"spikes_1": s, "spikes_2": s2, "membrane_1": V1, "membrane_2": V2, "grad_x": grad_x}
