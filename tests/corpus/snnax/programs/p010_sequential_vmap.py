"""A batch through jax.vmap, as SNNAX's examples do (init_state per sample, vmapped call)."""
from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(6, 5, key=k1), seed=10),
    snn.SimpleLIF([0.5]),
    cd.set_linear(eqx.nn.Linear(5, 2, key=k2), seed=11),
    snn.SimpleLI([0.5]),
)
B = 4
keys = jax.random.split(k3, B)
states = jax.vmap(lambda k: model.init_state((6,), k))(keys)
xs = jnp.asarray(cd.spikes((B, 12, 6), p=0.5, seed=12))


@partial(jax.vmap, in_axes=(0, 0, 0))
def run(state, x, key):
    return model(state, x, key)


states, outs = run(states, xs, keys)
RESULTS = {"readout": outs[0]}
