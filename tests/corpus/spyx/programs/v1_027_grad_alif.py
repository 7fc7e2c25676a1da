"""Gradients w.r.t. an ALIF's membrane and adaptation decays (per neuron, from rngs)."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(9)
model = snn.Sequential(
    nnx.Linear(4, 5, use_bias=False, rngs=rngs),
    snn.ALIF((5,), activation=spyx.axn.triangular(), rngs=rngs),
    nnx.Linear(5, 3, use_bias=False, rngs=rngs),
    snn.LI((3,), rngs=rngs),
)
cd.set_linear(model.layers[0], seed=27)
cd.set_linear(model.layers[2], seed=271)
x = jnp.asarray(cd.spikes((2, 12, 4), p=0.6, seed=272))
y = jnp.asarray([2, 0])
Loss = spyx.fn.integral_crossentropy()


def loss_fn(m):
    return Loss(snn.run(m, x, batch_major=True)[0], y)


loss, grads = nnx.value_and_grad(loss_fn)(model)
RESULTS = {"loss": loss, "grad_beta": grads.layers[1].beta[...], "grad_gamma": grads.layers[1].gamma[...],
           "grad_w_in": grads.layers[0].kernel[...], "beta": model.layers[1].beta[...],
           "gamma": model.layers[1].gamma[...]}
