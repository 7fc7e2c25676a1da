"""LIF with reset_val (reset to that value) and per-neuron decay constants of shape (2, n)."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

decays = jnp.asarray([[0.5, 0.75, 0.5, 0.875], [0.5, 0.5, 0.75, 0.5]])
lif = snn.LIF(decays, threshold=0.5, reset_val=0.25)
state = lif.init_state((4,), jax.random.PRNGKey(0))
spikes, mems = [], []
for x in cd.dyadic((12, 4), low=0, seed=161) * 2:
    state, out = lif(state, jnp.asarray(x), key=jax.random.PRNGKey(0))
    spikes.append(out)
    mems.append(state[0])
RESULTS = {"spikes": jnp.stack(spikes), "mem": jnp.stack(mems)}
