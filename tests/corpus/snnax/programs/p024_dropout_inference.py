"""eqx.nn.Dropout in a chain, evaluated with eqx.nn.inference_mode: nothing is dropped."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(6, 6, key=k1), seed=151),
    eqx.nn.Dropout(0.5),
    snn.SimpleLIF([0.5]),
)
model = eqx.nn.inference_mode(model)
states = model.init_state((6,), k2)
states, outs = model(states, jnp.asarray(cd.spikes((10, 6), p=0.5, seed=152)), k2)
RESULTS = {"spikes_out": outs[0]}
