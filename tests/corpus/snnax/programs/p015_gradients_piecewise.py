"""A LIF with the piecewise surrogate from snnax.functional.surrogate; gradients of a rate loss."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.functional.surrogate import piecewise_surrogate

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=61),
    snn.SimpleLIF([0.75], spike_fn=piecewise_surrogate(0.5)),
)
xs = jnp.asarray(cd.spikes((10, 5), p=0.5, seed=62))


def loss(model):
    _, outs = model(model.init_state((5,), k2), xs, k2)
    return jnp.mean(outs[0])


value, grads = eqx.filter_value_and_grad(loss)(model)
RESULTS = {"loss": value, "grad_w": grads.layers[0].weight, "grad_b": grads.layers[0].bias}
