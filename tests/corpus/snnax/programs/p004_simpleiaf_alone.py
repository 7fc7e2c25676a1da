"""SimpleIAF with a leak and a subtractive reset value, alone."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

iaf = snn.SimpleIAF(leak=0.125, threshold=1.0, reset_val=0.5)
state = iaf.init_state((6,), jax.random.PRNGKey(0))
spikes, mems = [], []
for x in cd.dyadic((12, 6), low=0, seed=4):
    state, out = iaf(state, jnp.asarray(x), key=jax.random.PRNGKey(0))
    spikes.append(out)
    mems.append(state[0])
RESULTS = {"spikes": jnp.stack(spikes), "mem": jnp.stack(mems)}
