"""Differentiating through SNNAX's sigmoid_surrogate: its JVP calls jax.nn.sigmoid(x, beta), which fails."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.functional.surrogate import sigmoid_surrogate

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(cd.set_linear(eqx.nn.Linear(4, 3, key=k1), seed=751),
                       snn.SimpleLIF([0.75], spike_fn=sigmoid_surrogate(1.0), threshold=0.5))
xs = jnp.asarray(cd.spikes((8, 4), p=0.5, seed=752))


def loss(model):
    _, outs = model(model.init_state((4,), k2), xs, k2)
    return jnp.sum(outs[0])


value, grads = eqx.filter_value_and_grad(loss)(model)
RESULTS = {"loss": value, "grad_w": grads.layers[0].weight}
