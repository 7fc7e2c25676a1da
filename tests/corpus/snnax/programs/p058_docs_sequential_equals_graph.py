"""The docs' Sequential example and its 'equivalent' StatefulModel (corrected to run) give the same spikes."""
# The docs' Sequential example and its 'equivalent' StatefulModel, corrected to run (eqx.nn.Linear, LIF given
# decays, keys; GraphStructure without the old final_layer_ids, lists kept): both give the same numbers without jit.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

key = jax.random.PRNGKey(0)
layers = [
    cd.set_linear(eqx.nn.Linear(10, 20, key=key), seed=581, scale=4),
    eqx.nn.LayerNorm(20),
    snn.LIF([0.5, 0.5], threshold=0.5),
]
feed_forward = snn.Sequential(*layers)
feed_forward_graph_structure = snn.GraphStructure(
    num_layers=3,
    input_layer_ids=[[0], [], []],
    input_connectivity=[[], [0], [1]],
)
feed_forward2 = snn.StatefulModel(graph_structure=feed_forward_graph_structure, layers=layers)
xs = jnp.asarray(cd.spikes((10, 10), p=0.5, seed=582))
_, outs1 = feed_forward(feed_forward.init_state((10,), key), xs, key)
_, outs2 = feed_forward2(feed_forward2.init_state((10,), key), xs, key)
RESULTS = {"spikes_sequential": outs1[0], "spikes_graph": outs2[0]}
