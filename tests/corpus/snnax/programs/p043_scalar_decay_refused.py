"""A scalar decay constant, snn.SimpleLIF(0.5), as the docs' 'decay_constants (float)' suggests: SNNAX indexes dc[0] and fails."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

layer = snn.SimpleLIF(0.5)
state = layer.init_state((4,), jax.random.PRNGKey(0))
outs = []
for x in cd.dyadic((6, 4), seed=431):
    state, out = layer(state, jnp.asarray(x), key=jax.random.PRNGKey(0))
    outs.append(out)
RESULTS = {"spikes": jnp.stack(outs)}
