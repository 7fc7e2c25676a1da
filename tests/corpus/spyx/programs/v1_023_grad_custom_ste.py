"""A LIF layer trained through a user-built straight-through surrogate; gradients of a spike-count loss."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

ste = spyx.axn.custom(bwd=lambda x: jnp.ones_like(x))
rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(4, 6, rngs=rngs),
    snn.LIF((6,), beta=0.5, activation=ste, rngs=rngs),
)
cd.set_linear(model.layers[0], seed=23)
xs = jnp.asarray(cd.spikes((8, 3, 4), p=0.5, seed=231))
target = jnp.asarray(cd.unit((3, 6), steps=4, seed=232)) * 4


def loss_fn(m):
    spikes, _ = snn.run(m, xs)
    return jnp.mean((spikes.sum(0) - target) ** 2)


loss, grads = nnx.value_and_grad(loss_fn)(model)
RESULTS = {"loss": loss, "grad_kernel": grads.layers[0].kernel[...], "grad_bias": grads.layers[0].bias[...],
           "grad_beta": grads.layers[1].beta[...]}
