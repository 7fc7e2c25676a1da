"""The model called under eqx.filter_jit, twice (the second call reuses the compilation)."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(cd.set_linear(eqx.nn.Linear(4, 4, key=k1), seed=141, scale=2), snn.LIF([0.5, 0.5], threshold=0.5))


@eqx.filter_jit
def run(model, states, xs, key):
    return model(states, xs, key)


states = model.init_state((4,), k2)
states, outs1 = run(model, states, jnp.asarray(cd.spikes((8, 4), p=0.5, seed=142)), k2)
states, outs2 = run(model, states, jnp.asarray(cd.spikes((8, 4), p=0.5, seed=143)), k2)
RESULTS = {"spikes_first": outs1[0], "spikes_second": outs2[0]}
