"""Two external inputs (data as a list): SNNAX's default_forward_fn fails with UnboundLocalError."""
# Two external inputs (input_layer_ids ((0,), (1,), ...), data as a list, states built by hand):
# default_forward_fn reads an unbound name and fails, so multiple inputs are unusable at HEAD.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import Parallel

import corpus_data as cd

k = jax.random.split(jax.random.PRNGKey(0), 3)
graph = snn.GraphStructure(3, ((0,), (1,), ()), ((), (), (0, 1)))
layers = [cd.set_linear(eqx.nn.Linear(4, 3, key=k[0]), seed=881), cd.set_linear(eqx.nn.Linear(2, 3, key=k[1]), seed=882),
          snn.SimpleLIF([0.5])]
model = snn.StatefulModel(graph, layers)
states = [[layers[0](jnp.zeros(4))], [layers[1](jnp.zeros(2))], layers[2].init_state((3,), k[2])]
data = [jnp.asarray(cd.spikes((8, 4), seed=883)), jnp.asarray(cd.spikes((8, 2), seed=884))]
states, outs = model(states, data, k[2])
RESULTS = {"spikes_out": outs[0]}
