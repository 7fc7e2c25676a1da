"""Gradients w.r.t. an RLIF's recurrent weights and per-neuron decays (drawn from rngs)."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(4)
model = snn.Sequential(
    nnx.Linear(5, 4, use_bias=False, rngs=rngs),
    snn.RLIF((4,), activation=spyx.axn.superspike(k=10), rngs=rngs),
    nnx.Linear(4, 2, use_bias=False, rngs=rngs),
    snn.LI((2,), rngs=rngs),
)
cd.set_linear(model.layers[0], seed=25)
cd.set_linear(model.layers[2], seed=251)
model.layers[1].recurrent_w[...] = jnp.asarray(cd.dyadic((4, 4), low=-3, high=4, seed=252))

x = jnp.asarray(cd.spikes((3, 12, 5), p=0.4, seed=253))
y = jnp.asarray(cd.labels(3, 2, seed=254))
Loss = spyx.fn.integral_crossentropy(smoothing=0.1)


def loss_fn(m):
    return Loss(snn.run(m, x, batch_major=True)[0], y)


loss, grads = nnx.value_and_grad(loss_fn)(model)
RESULTS = {"loss": loss, "grad_recurrent_w": grads.layers[1].recurrent_w[...], "grad_beta": grads.layers[1].beta[...],
           "grad_w_in": grads.layers[0].kernel[...], "grad_li_beta": grads.layers[3].beta[...],
           "beta": model.layers[1].beta[...]}
