"""A recurrent current-based LIF (feedback into the current, threshold 0.75) stepped by hand."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

neuron = snn.RCuBaLIF((3,), alpha=0.75, beta=0.5, threshold=0.75, activation=spyx.axn.boxcar(),
                      rngs=nnx.Rngs(0))
neuron.recurrent_w[...] = jnp.asarray(cd.dyadic((3, 3), low=-4, high=4, seed=15))
xs = jnp.asarray(cd.dyadic((10, 2, 3), seed=16))

VI = neuron.initial_state(2)
spikes = []
for x in xs:
    s, VI = neuron(x, VI)
    spikes.append(s)

RESULTS = {"spikes": jnp.stack(spikes), "state": VI}
