"""An integrate-and-fire neuron with threshold 0.5, stepped by hand."""
import jax.numpy as jnp
import spyx.nn as snn

import corpus_data as cd

neuron = snn.IF((6,), threshold=0.5)
xs = jnp.asarray(cd.dyadic((7, 2, 6), low=-3, high=5, seed=3))

V = neuron.initial_state(2)
trace, potentials = [], []
for x in xs:
    s, V = neuron(x, V)
    trace.append(s)
    potentials.append(V)

RESULTS = {"spikes": jnp.stack(trace), "membrane": jnp.stack(potentials)}
