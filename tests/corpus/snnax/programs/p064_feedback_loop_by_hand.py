"""A two-layer feedback loop (layer 3 back into layer 1's Parallel), states by hand, vmapped with shared states."""
# Feedback from a later layer: layer 3's spikes return to layer 1's Parallel (a two-layer loop), states by hand,
# vmapped over samples with the hand-built states shared (in_axes None).
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import Parallel

import corpus_data as cd

k = jax.random.split(jax.random.PRNGKey(0), 6)
graph = snn.GraphStructure(5, ((0,), (), (), (), ()), ((), (0, 3), (1,), (2,), (3,)))
layers = [
    cd.set_linear(eqx.nn.Linear(4, 4, key=k[0]), seed=641, scale=4),
    Parallel([eqx.nn.Identity(), cd.set_linear(eqx.nn.Linear(3, 4, key=k[1]), seed=642, scale=4, bias=False)]),
    snn.LIF([0.75, 0.5], threshold=0.5),
    cd.set_linear(eqx.nn.Linear(4, 3, key=k[2]), seed=643, scale=4),
    snn.SimpleLIF([0.75], threshold=0.5),
]
model = snn.StatefulModel(graph, layers)
states = [[layers[0](jnp.zeros(4))], [layers[1]([jnp.zeros(4), jnp.zeros(3)])], layers[2].init_state((4,), k[3]),
          [layers[3](jnp.zeros(4))], layers[4].init_state((3,), k[3])]
xs = jnp.asarray(cd.spikes((3, 12, 4), p=0.5, seed=644))
final, outs = jax.vmap(model, in_axes=(None, 0, None))(states, xs, k[4])
RESULTS = {"spikes_out": outs[0], "spikes_loop": final[2][2], **cd.flat_states(final, "final")}
