"""SpikeCounter (from its submodule) after a hidden layer, to read the hidden layer's counts."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.layers.spike_counter import SpikeCounter

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=121),
    snn.SimpleLIF([0.5]),
    SpikeCounter((4,)),
)
states = model.init_state((5,), k2)
states, outs = model(states, jnp.asarray(cd.spikes((12, 5), p=0.6, seed=122)), k2)
RESULTS = {"spikes_out": outs[0], "count": states[2][0]}
