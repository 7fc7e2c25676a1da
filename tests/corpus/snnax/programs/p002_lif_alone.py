"""LIF with synaptic current, alone: the state list [U, I, S] and the one-step current lag."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

lif = snn.LIF([0.5, 0.75], threshold=0.5)
key = jax.random.PRNGKey(1)
state = lif.init_state((5,), key)
rows = []
for x in cd.dyadic((10, 5), seed=2) * 2:
    state, out = lif(state, jnp.asarray(x), key=key)
    rows.append((out, state[0], state[1]))
RESULTS = {
    "spikes": jnp.stack([r[0] for r in rows]),
    "mem": jnp.stack([r[1] for r in rows]),
    "syn": jnp.stack([r[2] for r in rows]),
}
