"""SNNAX's tests' batching: eqx.filter_vmap(model, in_axes=(None, 0, None)) and eqx.filter_grad through it."""
# SNNAX's tests' batching: eqx.filter_vmap(model, in_axes=(None, 0, None)) with shared states, and eqx.filter_grad
# through the batched model (gradients read from grads._fun).
import equinox as eqx
import equinox.nn as nn
import jax.numpy as jnp
import jax.random as jrand
import snnax.snn as snn
from snnax.snn.architecture import default_forward_fn

import corpus_data as cd

key = jrand.PRNGKey(42)
keys = jrand.split(key, 4)
model = snn.Sequential(
    cd.set_conv(nn.Conv2d(2, 3, kernel_size=(3, 3), use_bias=False, key=keys[0]), seed=801, scale=4),
    snn.LIF([.75, .625], threshold=0.5, shape=(3, 3, 3), key=keys[1]),
    snn.Flatten(),
    cd.set_linear(nn.Linear(3 * 3 * 3, 4, use_bias=False, key=keys[2]), seed=802, scale=4),
    snn.LIF([.75, .625], threshold=0.5, shape=(4,), key=keys[3]),
    forward_fn=default_forward_fn,
)
input_spikes = jnp.asarray(cd.spikes((3, 10, 2, 5, 5), p=0.4, seed=803))
states = model.init_state((2, 5, 5), key=key)
batched_model = eqx.filter_vmap(model, in_axes=(None, 0, None))


def dummy_loss_fn(model, states, input_spikes, key):
    states, out = model(states, input_spikes, key)
    return jnp.sum(out[-1])


_, out = batched_model(states, input_spikes, key)
grads = eqx.filter_grad(dummy_loss_fn)(batched_model, states, input_spikes, key)
RESULTS = {"spikes_out": out[0], "grad_conv": grads._fun.layers[0].weight, "grad_linear": grads._fun.layers[3].weight,
           "grad_decay": grads._fun.layers[1].decay_constants}
