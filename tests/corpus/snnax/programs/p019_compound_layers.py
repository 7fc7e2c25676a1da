"""Sequential of CompoundLayers (Linear + LIF each): the sublayers run within the step."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import CompoundLayer

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    CompoundLayer(cd.set_linear(eqx.nn.Linear(5, 5, key=k1), seed=101), snn.LIF([0.5, 0.5])),
    CompoundLayer(cd.set_linear(eqx.nn.Linear(5, 5, key=k2), seed=102), snn.LIF([0.5, 0.5], threshold=0.5)),
)
states = model.init_state((5,), k3)
states, outs = model(states, jnp.asarray(cd.spikes((12, 5), p=0.5, seed=103)), k3)
RESULTS = {"spikes_last": outs[0][-1], **cd.flat_states(states, "final")}
