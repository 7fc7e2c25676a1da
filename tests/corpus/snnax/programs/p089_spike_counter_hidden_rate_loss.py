"""SpikeCounter between hidden layers: the hidden count from the final states in a rate-regularised loss, gradients."""
# SpikeCounter between hidden layers (what it was added for): the hidden spike count from the final states enters
# the loss as a rate regulariser, with gradients through the counter.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.layers.spike_counter import SpikeCounter

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 6, key=k1), seed=891, scale=4),
    snn.LIF([0.75, 0.625], threshold=0.5),
    SpikeCounter((6,)),
    cd.set_linear(eqx.nn.Linear(6, 3, key=k2), seed=892, scale=4),
    snn.SimpleLIF([0.75], threshold=0.5),
)
xs = jnp.asarray(cd.spikes((14, 5), p=0.5, seed=893))


def loss(model):
    states, outs = model(model.init_state((5,), k3), xs, k3)
    count = states[2][0]
    return jnp.sum(outs[0]) + 0.125 * jnp.sum((count - 2.0) ** 2), (outs[0], count)


(value, (spikes, count)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "hidden_count": count, "loss": value, "grad_w0": grads.layers[0].weight,
           "grad_w3": grads.layers[3].weight, "grad_decay1": grads.layers[1].decay_constants}
