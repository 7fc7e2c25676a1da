"""SigmaDelta with its three decays, alone."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

sd = snn.SigmaDelta([0.5, 0.5, 0.5], threshold=0.5)
state = sd.init_state((4,), jax.random.PRNGKey(0))
spikes = []
for x in cd.dyadic((10, 4), seed=8):
    state, out = sd(state, jnp.asarray(x), key=jax.random.PRNGKey(0))
    spikes.append(out)
RESULTS = {"spikes": jnp.stack(spikes), **cd.flat_states(state, "final")}
