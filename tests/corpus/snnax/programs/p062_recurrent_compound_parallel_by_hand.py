"""The benchmarks' recurrent cell CompoundLayer(Parallel([ff, rec]), LIF) on a self-loop, states by hand, gradients."""
# The benchmarks' recurrent cell, CompoundLayer(Parallel([ff, rec]), LIF), fed [previous layer, its own spikes] by a
# self-loop in the GraphStructure; init_state cannot handle the self-loop, so the states are built by hand.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import CompoundLayer, Parallel

import corpus_data as cd

k = jax.random.split(jax.random.PRNGKey(0), 6)
cell = CompoundLayer(
    Parallel([cd.set_linear(eqx.nn.Linear(5, 5, key=k[0]), seed=621, scale=4),
              cd.set_linear(eqx.nn.Linear(5, 5, key=k[1]), seed=622, scale=4, bias=False)]),
    snn.LIF([0.75, 0.625], threshold=0.5),
)
layers = [cd.set_linear(eqx.nn.Linear(6, 5, key=k[2]), seed=623, scale=4), cell, snn.SimpleLI([0.75])]
graph = snn.GraphStructure(3, ((0,), (), ()), ((), (0, 1), (1,)))
model = snn.StatefulModel(graph, layers)
states = [[layers[0](jnp.zeros(6))], cell.init_state([(5,), (5,)], k[3]), layers[2].init_state((5,), k[3])]
xs = jnp.asarray(cd.spikes((14, 6), p=0.5, seed=624))


def loss(model, states):
    final, outs = model(states, xs, k[4])
    return jnp.sum(outs[0][-1] * jnp.arange(1.0, 6.0)), (outs[0], final)


(value, (readout, final)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model, states)
RESULTS = {"readout": readout, "loss": value, "spikes_cell": final[1][1][2],
           "grad_rec": grads.layers[1].layers[0].layers[1].weight,
           "grad_ff": grads.layers[1].layers[0].layers[0].weight, **cd.flat_states(final, "final")}
