"""User code that indexes the states SNNAX's way: states[i][0] is layer i's membrane."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(cd.set_linear(eqx.nn.Linear(3, 4, key=k1), seed=191, scale=2), snn.LIF([0.5, 0.5]), snn.SimpleLI([0.5]))
states = model.init_state((3,), k2)
states, outs = model(states, jnp.asarray(cd.spikes((10, 3), p=0.7, seed=192)), k2)
RESULTS = {
    "linear_out": states[0][0], "lif_mem": states[1][0], "lif_syn": states[1][1],
    "spikes_lif": states[1][2], "li_mem": states[2][0], "readout": outs[0],
}
