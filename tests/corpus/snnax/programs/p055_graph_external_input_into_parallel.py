"""A Parallel fed a layer's spikes and the external input (connectivity first, then input_layer_ids), states by hand."""
# Two sources into a Parallel: a layer's spikes and the external input again (connectivity first, then
# input_layer_ids); states by hand because init_state cannot initialise a two-input node.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import Parallel

import corpus_data as cd

k = jax.random.split(jax.random.PRNGKey(0), 5)
graph = snn.GraphStructure(
    num_layers=4,
    input_layer_ids=((0,), (), (0,), ()),
    input_connectivity=((), (0,), (1,), (2,)),
)
layers = [
    cd.set_linear(eqx.nn.Linear(6, 4, key=k[0]), seed=551, scale=4),
    snn.SimpleLIF([0.5], threshold=0.5),
    Parallel([cd.set_linear(eqx.nn.Linear(4, 3, key=k[1]), seed=552, scale=4),
              cd.set_linear(eqx.nn.Linear(6, 3, key=k[2]), seed=553, scale=4)]),
    snn.SimpleLIF([0.5], threshold=0.5),
]
model = snn.StatefulModel(graph, layers)
states = [[layers[0](jnp.zeros(6))], layers[1].init_state((4,), k[3]),
          [layers[2]([jnp.zeros(4), jnp.zeros(6)])], layers[3].init_state((3,), k[3])]
states, outs = model(states, jnp.asarray(cd.spikes((12, 6), p=0.5, seed=554)), k[4])
RESULTS = {"spikes_out": outs[0], **cd.flat_states(states, "final")}
