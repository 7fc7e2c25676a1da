"""The usual feed-forward model: Sequential(Linear, LIF, Linear, LIF), one sample, default forward fn."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(8, 6, key=k1), seed=1),
    snn.LIF([0.5, 0.5]),
    cd.set_linear(eqx.nn.Linear(6, 3, key=k2), seed=2),
    snn.LIF([0.75, 0.5], threshold=0.5),
)
states = model.init_state((8,), k3)
xs = jnp.asarray(cd.spikes((16, 8), p=0.5, seed=3))
states, outs = model(states, xs, k3)
RESULTS = {"spikes_out": outs[0], **cd.flat_states(states, "final")}
