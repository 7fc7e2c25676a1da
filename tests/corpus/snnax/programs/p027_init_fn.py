"""A custom init_fn: the membrane starts at a constant (SNNAX passes shape and key to it)."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd


def half(shape, key, *args, **kwargs):
    return jnp.full(shape, 0.5)


k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(cd.set_linear(eqx.nn.Linear(4, 4, key=k1), seed=181), snn.SimpleLIF([0.5], init_fn=half))
states = model.init_state((4,), k2)
initial_mem = states[1][0]
states, outs = model(states, jnp.asarray(cd.spikes((10, 4), p=0.5, seed=182)), k2)
RESULTS = {"spikes_out": outs[0], "initial_mem": initial_mem}
