"""LIFSoftReset without reset_val (subtracts the previous spike, 1) and stop_reset_grad=False, gradients."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(6, 4, key=k1), seed=381, scale=4),
    snn.LIFSoftReset([0.75, 0.75], threshold=0.5, stop_reset_grad=False),
)
xs = jnp.asarray(cd.spikes((14, 6), p=0.5, seed=382))


def loss(model):
    states, outs = model(model.init_state((6,), k2), xs, k2)
    return jnp.sum(outs[0] * jnp.arange(1.0, 5.0)), (outs[0], states)


(value, (spikes, states)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "loss": value, "grad_w": grads.layers[0].weight,
           "grad_decay": grads.layers[1].decay_constants, **cd.flat_states(states, "final")}
