"""AdaptiveLIF with its adaptation defaults, alone."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

alif = snn.AdaptiveLIF([0.5], ada_decay_constant=[0.75], ada_step_val=[0.5], ada_coupling_var=[0.25])
state = alif.init_state((4,), jax.random.PRNGKey(0))
spikes, mems, adas = [], [], []
for x in cd.dyadic((12, 4), low=0, seed=7) * 4:
    state, out = alif(state, jnp.asarray(x), key=jax.random.PRNGKey(0))
    spikes.append(out)
    mems.append(state[0])
    adas.append(state[1])
RESULTS = {"spikes": jnp.stack(spikes), "mem": jnp.stack(mems), "ada": jnp.stack(adas)}
