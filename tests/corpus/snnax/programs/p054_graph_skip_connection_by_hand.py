"""A skip connection into a Parallel (layer 1's and layer 3's spikes) in a GraphStructure, states built by hand."""
# A skip connection: a Parallel reads layer 1's and layer 3's spikes. init_state cannot initialise a node with two
# sources (it concatenates them and the Parallel zips over the array), so the states are built by hand.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import Parallel

import corpus_data as cd

k = jax.random.split(jax.random.PRNGKey(0), 6)
graph = snn.GraphStructure(
    num_layers=6,
    input_layer_ids=((0,), (), (), (), (), ()),
    input_connectivity=((), (0,), (1,), (2,), (1, 3), (4,)),
)
layers = [
    cd.set_linear(eqx.nn.Linear(5, 4, key=k[0]), seed=541, scale=4),
    snn.SimpleLIF([0.5], threshold=0.5),
    cd.set_linear(eqx.nn.Linear(4, 4, key=k[1]), seed=542, scale=4),
    snn.SimpleLIF([0.5], threshold=0.5),
    Parallel([cd.set_linear(eqx.nn.Linear(4, 3, key=k[2]), seed=543, scale=4),
              cd.set_linear(eqx.nn.Linear(4, 3, key=k[3]), seed=544, scale=4, bias=False)]),
    snn.LIF([0.75, 0.625], threshold=0.5),
]
model = snn.StatefulModel(graph, layers)
states = [
    [layers[0](jnp.zeros(5))],
    layers[1].init_state((4,), k[4]),
    [layers[2](jnp.zeros(4))],
    layers[3].init_state((4,), k[4]),
    [layers[4]([jnp.zeros(4), jnp.zeros(4)])],
    layers[5].init_state((3,), k[4]),
]
xs = jnp.asarray(cd.spikes((14, 5), p=0.5, seed=545))


def loss(model, states):
    states, outs = model(states, xs, k[5])
    return jnp.sum(outs[0] * jnp.arange(1.0, 4.0)), (outs[0], states)


(value, (spikes, final)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model, states)
RESULTS = {"spikes_out": spikes, "grad_skip_w": grads.layers[4].layers[0].weight,
           "grad_w0": grads.layers[0].weight, **cd.flat_states(final, "final")}
