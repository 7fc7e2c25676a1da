"""A recurrent LIF with every parameter drawn from rngs (feedback weights first, then beta)."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

rlif = snn.RLIF((5,), rngs=nnx.Rngs(21))
xs = jnp.asarray(cd.dyadic((9, 2, 5), low=-2, high=12, seed=14))
spikes, V = snn.run(rlif, xs)

RESULTS = {"spikes": spikes, "membrane": V, "beta": rlif.beta[...], "recurrent_w": rlif.recurrent_w[...]}
