"""snn.Flatten between a 2-D LIF layer and a dense readout."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    snn.LIF((3, 4), beta=0.75, rngs=rngs),
    snn.Flatten(),
    nnx.Linear(12, 2, rngs=rngs),
    snn.LI((2,), rngs=rngs),
)
cd.set_linear(model.layers[2], seed=36)
xs = jnp.asarray(cd.dyadic((8, 2, 3, 4), low=-2, high=12, seed=361))
traces, state = snn.run(model, xs)
RESULTS = {"traces": traces, "membrane": state[0], "flat": snn.Flatten()(xs[0])}
