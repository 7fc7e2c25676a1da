"""Gradients through a recurrent current-based LIF: feedback weights, alpha and beta."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(4, 3, rngs=rngs),
    snn.RCuBaLIF((3,), alpha=0.5, beta=0.75, activation=spyx.axn.tanh(2), rngs=rngs),
    nnx.Linear(3, 2, rngs=rngs),
    snn.LI((2,), beta=0.5, rngs=rngs),
)
cd.set_linear(model.layers[0], seed=26)
cd.set_linear(model.layers[2], seed=261)
model.layers[1].recurrent_w[...] = jnp.asarray(cd.dyadic((3, 3), low=-4, high=4, seed=262))
xs = jnp.asarray(cd.spikes((10, 2, 4), p=0.5, seed=263))


def loss_fn(m):
    traces, _ = snn.run(m, xs)
    return jnp.sum(traces[-1] ** 2)


loss, grads = nnx.value_and_grad(loss_fn)(model)
RESULTS = {"loss": loss, "grad_recurrent_w": grads.layers[1].recurrent_w[...],
           "grad_alpha": grads.layers[1].alpha[...], "grad_beta": grads.layers[1].beta[...],
           "grad_b_in": grads.layers[0].bias[...], "grad_w_out": grads.layers[2].kernel[...]}
