"""IAF([0.75], 0.125, 0.5) positionally (decay_constants, leak, threshold) with a subtractive reset_val=0.25."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

iaf = snn.IAF([0.75], 0.125, 0.5, reset_val=0.25)
state = iaf.init_state((6,), jax.random.PRNGKey(0))
rows = []
for x in cd.dyadic((12, 6), low=0, seed=321) * 2:
    state, out = iaf(state, jnp.asarray(x), key=jax.random.PRNGKey(0))
    rows.append((out, state[0], state[1]))
RESULTS = {
    "spikes": jnp.stack([r[0] for r in rows]),
    "mem": jnp.stack([r[1] for r in rows]),
    "syn": jnp.stack([r[2] for r in rows]),
}
