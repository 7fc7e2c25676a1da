"""LIF with reset_val and a per-neuron threshold given as jnp arrays: both are leaves and get gradients."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=371, scale=4),
    snn.LIF([0.75, 0.5], threshold=jnp.asarray([0.5, 0.75, 1.0, 0.25]), reset_val=jnp.asarray(0.125),
            stop_reset_grad=False),
)
xs = jnp.asarray(cd.spikes((14, 5), p=0.6, seed=372))


def loss(model):
    states, outs = model(model.init_state((5,), k2), xs, k2)
    return jnp.sum(outs[0]) + 0.5 * jnp.sum(states[1][0]), outs[0]


(value, spikes), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "loss": value, "grad_threshold": grads.layers[1].threshold,
           "grad_reset_val": grads.layers[1].reset_val, "grad_w": grads.layers[0].weight}
