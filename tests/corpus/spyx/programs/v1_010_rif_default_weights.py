"""A recurrent IF layer with its default recurrent weights (truncated normal drawn from rngs)."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

rif = snn.RIF((4,), threshold=0.5, rngs=nnx.Rngs(5))
xs = jnp.asarray(cd.dyadic((8, 3, 4), seed=11))
spikes, V = snn.run(rif, xs)

RESULTS = {"spikes": spikes, "membrane": V, "recurrent_w": rif.recurrent_w[...]}
