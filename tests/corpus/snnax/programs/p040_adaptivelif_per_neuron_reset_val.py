"""AdaptiveLIF alone with per-neuron (1, n) arrays for every constant, a subtractive reset_val and init_fn."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

n = 4
alif = snn.AdaptiveLIF(
    jnp.asarray([[0.5, 0.75, 0.875, 0.625]]),
    ada_decay_constant=jnp.asarray([[0.5, 0.75, 0.5, 0.875]]),
    ada_step_val=jnp.asarray([[0.5, 0.25, 1.0, 0.0]]),
    ada_coupling_var=jnp.asarray([[0.25, -0.5, 0.5, 0.0]]),
    threshold=0.75, reset_val=0.5,
    init_fn=lambda shape, key: jnp.full(shape, 0.25),
)
state = alif.init_state((n,), jax.random.PRNGKey(0))
initial = state[0]
spikes, mems, adas = [], [], []
for x in cd.dyadic((12, n), low=0, seed=401) * 2:
    state, out = alif(state, jnp.asarray(x), key=jax.random.PRNGKey(0))
    spikes.append(out)
    mems.append(state[0])
    adas.append(state[1])
RESULTS = {"spikes": jnp.stack(spikes), "mem": jnp.stack(mems), "ada": jnp.stack(adas), "initial_mem": initial}
