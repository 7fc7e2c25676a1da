"""SimpleLIF on its own, SNNAX's way: init_state(shape, key), then state, out = layer(state, x, key=key)."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

layer = snn.SimpleLIF([0.5], threshold=1.0)
key = jax.random.PRNGKey(0)
state = layer.init_state((6,), key)
spikes, mems = [], []
for x in cd.dyadic((12, 6), seed=1) * 2:
    state, out = layer(state, jnp.asarray(x), key=key)
    spikes.append(out)
    mems.append(state[0])
RESULTS = {"spikes": jnp.stack(spikes), "mem": jnp.stack(mems)}
