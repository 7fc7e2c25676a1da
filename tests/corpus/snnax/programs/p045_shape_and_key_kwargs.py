"""shape= and key= given to the layers as SNNAX's tests do (LIF([...], shape=(16, 5, 5), key=...)): stored, not used."""
import equinox as eqx
import equinox.nn as nn
import jax
import jax.numpy as jnp
import jax.random as jrand
import snnax.snn as snn

import corpus_data as cd

key = jrand.PRNGKey(42)
keys = jrand.split(key, 4)
model = snn.Sequential(
    cd.set_linear(nn.Linear(6, 5, use_bias=False, key=keys[0]), seed=451, scale=2),
    snn.LIF([0.875, 0.75], shape=(5,), key=keys[1]),
    cd.set_linear(nn.Linear(5, 3, use_bias=False, key=keys[2]), seed=452, scale=4),
    snn.SimpleLIF([0.75], threshold=0.5, shape=(3,), key=keys[3]),
    snn.SimpleLI([0.5], shape=(3,), key=keys[3]),
)
states = model.init_state((6,), key=key)
states, outs = model(states, jnp.asarray(cd.spikes((16, 6), p=0.6, seed=453)), key)
RESULTS = {"readout": outs[0], **cd.flat_states(states, "final")}
