"""delayed_forward_fn as SNNAX's architecture_test uses it: SNNAX fails (its carry is not what init_state makes)."""
# delayed_forward_fn as SNNAX's own architecture_test uses it: it expects a (states, outs) carry that init_state
# does not make, and fails at HEAD (its test fails too).
import equinox as eqx
import equinox.nn as nn
import jax.numpy as jnp
import jax.random as jrand
import snnax.snn as snn
from snnax.snn.architecture import delayed_forward_fn

import corpus_data as cd

key = jrand.PRNGKey(42)
keys = jrand.split(key, 4)
model = snn.Sequential(
    cd.set_linear(nn.Linear(5, 4, use_bias=False, key=keys[0]), seed=771),
    snn.LIF([.875, .75], shape=(4,), key=keys[1]),
    forward_fn=delayed_forward_fn,
)
states = model.init_state((5,), key=key)
states, out = model(states, jnp.asarray(cd.spikes((8, 5), p=0.5, seed=772)), key)
RESULTS = {"spikes_out": out[-1]}
