"""An eqx.nn.Sequential block (Linear, Lambda(relu), Linear) as one layer of an snn.Sequential, with gradients."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
block = eqx.nn.Sequential([
    cd.set_linear(eqx.nn.Linear(5, 6, key=k1), seed=871, scale=4),
    eqx.nn.Lambda(jax.nn.relu),
    cd.set_linear(eqx.nn.Linear(6, 4, key=k2), seed=872, scale=4),
])
model = snn.Sequential(block, snn.LIF([0.75, 0.625], threshold=0.5))
xs = jnp.asarray(cd.spikes((12, 5), p=0.5, seed=873))


def loss(model):
    states, outs = model(model.init_state((5,), k3), xs, k3)
    return jnp.sum(outs[0] * jnp.arange(1.0, 5.0)), outs[0]


(value, spikes), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "grad_w_first": grads.layers[0].layers[0].weight,
           "grad_w_second": grads.layers[0].layers[2].weight}
