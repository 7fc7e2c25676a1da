"""A current-based LIF (alpha=0.5, beta=0.75) stepped by hand; the state packs [V, I]."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

neuron = snn.CuBaLIF((4,), alpha=0.5, beta=0.75, rngs=nnx.Rngs(0))
xs = jnp.asarray(cd.dyadic((10, 2, 4), seed=7))

VI = neuron.initial_state(2)
spikes = []
for x in xs:
    s, VI = neuron(x, VI)
    spikes.append(s)

RESULTS = {"spikes": jnp.stack(spikes), "state": VI}
