"""jax.vmap over (states, samples, keys) with a training-mode Dropout: one time-constant mask per sample."""
# jax.vmap over (states, samples, keys) with a training-mode Dropout: each sample gets its own key, hence its own
# (time-constant) mask.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 6, key=k1), seed=861, scale=4),
    snn.LIF([0.75, 0.625], threshold=0.5),
    eqx.nn.Dropout(0.25),
    cd.set_linear(eqx.nn.Linear(6, 3, key=k2), seed=862, scale=2),
    snn.SimpleLIF([0.75], threshold=0.5),
)
B = 3
keys = jax.random.split(k3, B)
states = jax.vmap(lambda k: model.init_state((5,), k))(keys)
xs = jnp.asarray(cd.spikes((B, 10, 5), p=0.5, seed=863))
states, outs = jax.vmap(model)(states, xs, keys)
RESULTS = {"spikes_out": outs[0], "dropout_final": states[2][0]}
