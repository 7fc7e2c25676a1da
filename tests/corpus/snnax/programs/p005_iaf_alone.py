"""IAF with a synaptic current (one decay constant, given as a list), alone."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

iaf = snn.IAF([0.5])
state = iaf.init_state((5,), jax.random.PRNGKey(0))
spikes, mems = [], []
for x in cd.dyadic((12, 5), low=0, seed=5) * 2:
    state, out = iaf(state, jnp.asarray(x), key=jax.random.PRNGKey(0))
    spikes.append(out)
    mems.append(state[0])
RESULTS = {"spikes": jnp.stack(spikes), "mem": jnp.stack(mems)}
