"""LIFSoftReset with reset_val=1 (the benchmarks' setting), alone."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

lif = snn.LIFSoftReset([0.5, 0.5], reset_val=1.0)
state = lif.init_state((6,), jax.random.PRNGKey(0))
spikes, mems = [], []
for x in cd.dyadic((12, 6), low=0, seed=6) * 4:
    state, out = lif(state, jnp.asarray(x), key=jax.random.PRNGKey(0))
    spikes.append(out)
    mems.append(state[0])
RESULTS = {"spikes": jnp.stack(spikes), "mem": jnp.stack(mems)}
