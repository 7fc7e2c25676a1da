"""A GraphStructure written with lists (as SNNAX's docs do) under eqx.filter_jit: SNNAX fails on a non-hashable static field."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
graph = snn.GraphStructure(num_layers=2, input_layer_ids=[[0], []], input_connectivity=[[], [0]])
model = snn.StatefulModel(graph, [cd.set_linear(eqx.nn.Linear(4, 3, key=k1), seed=571), snn.SimpleLIF([0.5])])


@eqx.filter_jit
def run(model, states, xs, key):
    return model(states, xs, key)


states, outs = run(model, model.init_state((4,), k2), jnp.asarray(cd.spikes((8, 4), p=0.5, seed=572)), k2)
RESULTS = {"spikes_out": outs[0]}
