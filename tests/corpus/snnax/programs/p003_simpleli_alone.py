"""A SimpleLI readout alone: its output is the membrane."""
import jax
import jax.numpy as jnp
import snnax.snn as snn

import corpus_data as cd

li = snn.SimpleLI([0.75])
state = li.init_state((4,), jax.random.PRNGKey(0))
outs = []
for x in cd.dyadic((8, 4), seed=3):
    state, out = li(state, jnp.asarray(x), key=jax.random.PRNGKey(0))
    outs.append(out)
RESULTS = {"mem": jnp.stack(outs), "final": state[0]}
