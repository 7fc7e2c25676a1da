"""eqx.nn.Dropout in training mode: SNNAX reuses the call's key at every step, so the mask is the same at every step."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(6, 8, key=k1), seed=521),
    eqx.nn.Dropout(0.5),
    snn.SimpleLIF([0.5], threshold=0.5),
)
states = model.init_state((6,), k2)
states, outs = model(states, jnp.asarray(cd.spikes((10, 6), p=0.5, seed=522)), k3)
RESULTS = {"spikes_out": outs[0], "dropout_final": states[1][0]}
