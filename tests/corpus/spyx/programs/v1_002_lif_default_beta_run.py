"""A LIF whose decays are drawn from its rngs (Spyx's truncated normal), run over time with snn.run."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

lif = snn.LIF((5,), rngs=nnx.Rngs(3))
xs = jnp.asarray(cd.dyadic((10, 3, 5), seed=2))
spikes, V = snn.run(lif, xs)

RESULTS = {"spikes": spikes, "membrane": V, "beta": lif.beta[...]}
