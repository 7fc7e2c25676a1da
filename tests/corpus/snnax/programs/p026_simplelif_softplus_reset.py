"""SimpleLIF with reset_val: SNNAX subtracts softplus(reset_val) on a spike."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

layer = snn.SimpleLIF([0.5], threshold=0.5, reset_val=0.0)
state = layer.init_state((5,), jax.random.PRNGKey(0))
spikes, mems = [], []
for x in cd.dyadic((10, 5), low=0, seed=171) * 2:
    state, out = layer(state, jnp.asarray(x), key=jax.random.PRNGKey(0))
    spikes.append(out)
    mems.append(state[0])
RESULTS = {"spikes": jnp.stack(spikes), "mem": jnp.stack(mems)}
