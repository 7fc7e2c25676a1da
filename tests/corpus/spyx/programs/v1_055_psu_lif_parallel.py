"""spyx.nn.PSU_LIF, the reset-free LIF: stepped with snn.run and scored at once with .parallel."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

neuron = snn.PSU_LIF((4,), beta=0.5, rngs=nnx.Rngs(0))
xs = jnp.asarray(cd.dyadic((8, 2, 4), seed=55))
stepped, V = snn.run(neuron, xs)
RESULTS = {"spikes_stepped": stepped, "spikes_parallel": neuron.parallel(xs), "membrane": V}
