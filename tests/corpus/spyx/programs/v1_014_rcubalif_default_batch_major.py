"""A recurrent current-based LIF with parameters drawn from rngs, on batch-major input."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

neuron = snn.RCuBaLIF((4,), rngs=nnx.Rngs(2))
x = jnp.asarray(cd.dyadic((3, 10, 4), low=-2, high=12, seed=17))
spikes, VI = snn.run(neuron, x, batch_major=True)

RESULTS = {"spikes": spikes, "state": VI, "alpha": neuron.alpha[...], "beta": neuron.beta[...],
           "recurrent_w": neuron.recurrent_w[...]}
