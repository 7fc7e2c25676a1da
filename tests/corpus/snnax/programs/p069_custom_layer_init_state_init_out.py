"""A custom StatefulLayer that halves its width, with its own init_state and init_out, inside a Sequential."""
# A custom StatefulLayer that halves its width (sums neighbour pairs, then integrates and fires), with its own
# init_state and init_out so that StatefulModel.init_state hands the next layer the right shape.
from typing import Optional

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.lax import stop_gradient
from snnax import snn
from snnax.functional.surrogate import superspike_surrogate

import corpus_data as cd


class PairSumIAF(snn.StatefulLayer):
    threshold: float

    def __init__(self, threshold=1.0, init_fn=None, shape=None):
        super().__init__(init_fn, shape)
        self.threshold = threshold

    def init_state(self, shape, key, *args, **kwargs):
        half = (shape[0] // 2,)
        return [self.init_fn(half, key), jnp.zeros(half)]

    def init_out(self, shape, *, key=None):
        return jnp.zeros((shape[0] // 2,))

    def __call__(self, state, synaptic_input, *, key=None):
        mem, _ = state
        mem = mem + synaptic_input.reshape(-1, 2).sum(-1)
        spikes = superspike_surrogate(10.)(mem - self.threshold)
        mem = mem - stop_gradient(mem * spikes)
        return [mem, spikes], spikes


k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 6, key=k1), seed=691, scale=4),
    PairSumIAF(threshold=1.0),
    cd.set_linear(eqx.nn.Linear(3, 2, key=k2), seed=692, scale=4),
    snn.SimpleLIF([0.5], threshold=0.5),
)
states = model.init_state((5,), k3)
xs = jnp.asarray(cd.spikes((12, 5), p=0.5, seed=693))


def loss(model, states):
    final, outs = model(states, xs, k3)
    return jnp.sum(outs[0] * jnp.asarray([1.0, 2.0])), (outs[0], final)


(value, (spikes, final)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model, states)
RESULTS = {"spikes_out": spikes, "grad_w0": grads.layers[0].weight, "grad_w2": grads.layers[2].weight,
           **cd.flat_states(final, "final")}
