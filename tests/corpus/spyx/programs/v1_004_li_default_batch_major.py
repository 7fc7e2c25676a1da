"""A leaky-integrator readout (learnable decay, starting at 0.8) run on batch-major data."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

readout = snn.LI((3,), rngs=nnx.Rngs(0))
x_btc = jnp.asarray(cd.dyadic((2, 9, 3), seed=4))
traces, V = snn.run(readout, x_btc, batch_major=True)

RESULTS = {"traces": traces, "final": V, "beta": readout.beta[...]}
