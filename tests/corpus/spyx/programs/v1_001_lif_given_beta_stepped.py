"""A LIF with a given decay, stepped by hand over a short spike train."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

lif = snn.LIF((4,), beta=0.75, rngs=nnx.Rngs(0))
xs = jnp.asarray(cd.dyadic((8, 2, 4), seed=1))

state = lif.initial_state(2)
spikes = []
for x_t in xs:
    out, state = lif(x_t, state)
    spikes.append(out)

RESULTS = {"spikes": jnp.stack(spikes), "membrane": state, "beta": lif.beta[...]}
