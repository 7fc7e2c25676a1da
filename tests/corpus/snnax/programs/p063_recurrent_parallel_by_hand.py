"""p013's recurrent Parallel network run with states built by hand (the workaround for init_state's IndexError)."""
# p013's recurrent Parallel (feed-forward + recurrent Linear read by a LIF whose spikes come back) with the states
# built by hand, the way a user works around HEAD's init_state (IndexError on the feedback edge).
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import Parallel

import corpus_data as cd

k1, k2, k3, k4 = jax.random.split(jax.random.PRNGKey(0), 4)
graph = snn.GraphStructure(
    num_layers=4,
    input_layer_ids=((0,), (), (), ()),
    input_connectivity=((), (0, 2), (1,), (2,)),
)
layers = [
    cd.set_linear(eqx.nn.Linear(6, 5, key=k1), seed=41),
    Parallel([cd.set_linear(eqx.nn.Linear(5, 5, key=k2), seed=42),
              cd.set_linear(eqx.nn.Linear(5, 5, key=k3), seed=43, bias=False)]),
    snn.SimpleLIF([0.5]),
    snn.SimpleLI([0.5]),
]
model = snn.StatefulModel(graph, layers)
states = [
    [layers[0](jnp.zeros(6))],
    [layers[1]([jnp.zeros(5), jnp.zeros(5)])],
    layers[2].init_state((5,), k4),
    layers[3].init_state((5,), k4),
]
states, outs = model(states, jnp.asarray(cd.spikes((16, 6), p=0.5, seed=44)), k4)
RESULTS = {"readout": outs[0], "spikes_hidden": states[2][-1], **cd.flat_states(states, "final")}
