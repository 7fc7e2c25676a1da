"""The docs' CompoundLayer(Linear, LayerNorm, LIF) as a model: the output is every sublayer's output over time."""
# The docs' CompoundLayer(Linear, LayerNorm, LIF), corrected (layers as *args, decays given): the model's output is
# the list of all three sublayers' outputs, stacked over time.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import CompoundLayer

import corpus_data as cd

key = jax.random.PRNGKey(0)
compound = CompoundLayer(
    cd.set_linear(eqx.nn.Linear(10, 20, key=key), seed=601, scale=4),
    eqx.nn.LayerNorm(20),
    snn.LIF([0.5, 0.5], threshold=0.5),
)
model = snn.Sequential(compound)
states = model.init_state((10,), key)
states, outs = model(states, jnp.asarray(cd.spikes((10, 10), p=0.5, seed=602)), key)
RESULTS = {"linear_out": outs[0][0], "layernorm_out": outs[0][1], "spikes_out": outs[0][2],
           **cd.flat_states(states, "final")}
