"""A recurrent IF layer with hand-set recurrent weights (rows presynaptic), run with snn.run."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

rif = snn.RIF((3,), rngs=nnx.Rngs(0))
rif.recurrent_w[...] = jnp.asarray(cd.dyadic((3, 3), low=-4, high=4, seed=9))
xs = jnp.asarray(cd.dyadic((10, 2, 3), seed=10))
spikes, V = snn.run(rif, xs)

RESULTS = {"spikes": spikes, "membrane": V}
