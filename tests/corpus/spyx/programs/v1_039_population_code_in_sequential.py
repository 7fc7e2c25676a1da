"""PopulationCode used as the last layer of a Sequential, driven by snn.run with batch size 1."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(5, 8, use_bias=False, rngs=rngs),
    snn.LIF((8,), beta=0.75, activation=spyx.axn.superspike(), rngs=rngs),
    snn.PopulationCode(2),
)
cd.set_linear(model.layers[0], seed=39)
xs = jnp.asarray(cd.spikes((10, 1, 5), p=0.6, seed=391))
votes, state = snn.run(model, xs)
RESULTS = {"spikes_votes": votes, "membrane": state[1]}
