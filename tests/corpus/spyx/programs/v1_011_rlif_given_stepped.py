"""A recurrent LIF with a given decay and hand-set feedback weights, stepped by hand."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

rlif = snn.RLIF((4,), beta=0.5, rngs=nnx.Rngs(1))
rlif.recurrent_w[...] = jnp.asarray(cd.dyadic((4, 4), low=-4, high=5, seed=12))
xs = jnp.asarray(cd.dyadic((10, 2, 4), seed=13))

V = rlif.initial_state(2)
spikes = []
for x in xs:
    s, V = rlif(x, V)
    spikes.append(s)

RESULTS = {"spikes": jnp.stack(spikes), "membrane": V}
