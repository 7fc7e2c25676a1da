"""A CompoundLayer used alone: CompoundLayer.init_state(shape, key) and its call, which returns every sublayer's output."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import CompoundLayer

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
compound = CompoundLayer(cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=591, scale=4), snn.LIF([0.75, 0.625], threshold=0.5))
state = compound.init_state((5,), k2)
initial = cd.flat_states(state, "initial")
lin, spk = [], []
for x in cd.spikes((10, 5), p=0.5, seed=592):
    state, outs = compound(state, jnp.asarray(x), key=k2)
    lin.append(outs[0])
    spk.append(outs[1])
RESULTS = {"linear_out": jnp.stack(lin), "spikes": jnp.stack(spk), **initial, **cd.flat_states(state, "final")}
