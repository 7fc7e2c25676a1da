"""An ALIF over a (2, 3) grid: Spyx doubles every axis of its packed state, so the step cannot broadcast."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

alif = snn.ALIF((2, 3), beta=0.5, gamma=0.5, rngs=nnx.Rngs(0))
xs = jnp.asarray(cd.dyadic((4, 2, 2, 3), seed=50))
state = alif.initial_state(2)
spikes, VT = snn.run(alif, xs)
RESULTS = {"state_shape": jnp.asarray(state.shape), "spikes": spikes, "state": VT}
