"""A current-based LIF whose alpha and beta come from its rngs, run over time."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

neuron = snn.CuBaLIF((5,), rngs=nnx.Rngs(7))
xs = jnp.asarray(cd.dyadic((12, 2, 5), low=-2, high=12, seed=8))
spikes, VI = snn.run(neuron, xs)

RESULTS = {"spikes": spikes, "state": VI, "alpha": neuron.alpha[...], "beta": neuron.beta[...]}
