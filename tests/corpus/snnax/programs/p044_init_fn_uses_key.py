"""An init_fn that draws the membrane from the key SNNAX hands each layer (split per layer by init_state)."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd


def random_start(shape, key):
    return jnp.floor(jax.random.uniform(key, shape) * 8.0) / 8.0


k1, k2, k3 = jax.random.split(jax.random.PRNGKey(3), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(4, 5, key=k1), seed=441),
    snn.LIF([0.75, 0.5], init_fn=random_start),
    cd.set_linear(eqx.nn.Linear(5, 3, key=k2), seed=442, scale=4),
    snn.SimpleLIF([0.5], threshold=0.5, init_fn=random_start),
)
states = model.init_state((4,), k3)
initial = {"initial_mem1": states[1][0], "initial_syn1": states[1][1], "initial_mem3": states[3][0]}
states, outs = model(states, jnp.asarray(cd.spikes((10, 4), p=0.5, seed=443)), k3)
RESULTS = {"spikes_out": outs[0], **initial, **cd.flat_states(states, "final")}
