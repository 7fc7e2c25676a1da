"""StatefulModel.init_state on a graph whose Parallel has two sources: SNNAX concatenates them and the Parallel fails."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import Parallel

import corpus_data as cd

k = jax.random.split(jax.random.PRNGKey(0), 4)
graph = snn.GraphStructure(
    num_layers=4,
    input_layer_ids=((0,), (), (0,), ()),
    input_connectivity=((), (0,), (1,), (2,)),
)
layers = [
    cd.set_linear(eqx.nn.Linear(6, 4, key=k[0]), seed=561),
    snn.SimpleLIF([0.5]),
    Parallel([cd.set_linear(eqx.nn.Linear(4, 3, key=k[1]), seed=562),
              cd.set_linear(eqx.nn.Linear(6, 3, key=k[2]), seed=563)]),
    snn.SimpleLIF([0.5]),
]
model = snn.StatefulModel(graph, layers)
states = model.init_state((6,), k[3])
states, outs = model(states, jnp.asarray(cd.spikes((8, 6), p=0.5, seed=564)), k[3])
RESULTS = {"spikes_out": outs[0]}
