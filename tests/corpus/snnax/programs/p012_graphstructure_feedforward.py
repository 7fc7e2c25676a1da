"""A StatefulModel built from an explicit GraphStructure (tuples, as SNNAX requires under jit)."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
graph = snn.GraphStructure(
    num_layers=4,
    input_layer_ids=((0,), (), (), ()),
    input_connectivity=((), (0,), (1,), (2,)),
)
layers = [
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=31),
    snn.SimpleLIF([0.5]),
    cd.set_linear(eqx.nn.Linear(4, 3, key=k2), seed=32),
    snn.SimpleLIF([0.5], threshold=0.5),
]
model = snn.StatefulModel(graph, layers)
states = model.init_state((5,), k3)
states, outs = model(states, jnp.asarray(cd.spikes((14, 5), p=0.5, seed=33)), k3)
RESULTS = {"spikes_out": outs[0], **cd.flat_states(states, "final")}
