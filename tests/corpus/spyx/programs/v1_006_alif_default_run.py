"""An adaptive LIF (threshold 0.5) with both decays drawn from rngs, run with snn.run."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(params=11)
alif = snn.ALIF((3,), threshold=0.5, rngs=rngs)
xs = jnp.asarray(cd.dyadic((10, 4, 3), low=-2, high=14, seed=6))
spikes, VT = snn.run(alif, xs)

RESULTS = {"spikes": spikes, "state": VT, "beta": alif.beta[...], "gamma": alif.gamma[...]}
