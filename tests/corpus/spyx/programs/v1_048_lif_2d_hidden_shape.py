"""A LIF over a (2, 3) grid of neurons with per-neuron decays from rngs."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

lif = snn.LIF((2, 3), activation=spyx.axn.tanh(), rngs=nnx.Rngs(8))
xs = jnp.asarray(cd.dyadic((9, 2, 2, 3), low=-2, high=12, seed=48))
spikes, V = snn.run(lif, xs)
RESULTS = {"spikes": spikes, "membrane": V, "beta": lif.beta[...]}
