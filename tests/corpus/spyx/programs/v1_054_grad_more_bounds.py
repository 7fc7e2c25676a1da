"""ALIF with gamma at 1.0 and beta at 0.0, RLIF with beta at 1.0: gradients at the clip's edges."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(3, 4, use_bias=False, rngs=rngs),
    snn.ALIF((4,), beta=0.0, gamma=1.0, activation=spyx.axn.tanh(), rngs=rngs),
    nnx.Linear(4, 3, use_bias=False, rngs=rngs),
    snn.RLIF((3,), beta=1.0, activation=spyx.axn.tanh(), rngs=rngs),
)
cd.set_linear(model.layers[0], seed=54, scale=4)
cd.set_linear(model.layers[2], seed=541, scale=4)
model.layers[3].recurrent_w[...] = jnp.asarray(cd.dyadic((3, 3), low=-2, high=3, seed=542))
xs = jnp.asarray(cd.spikes((9, 2, 3), p=0.6, seed=543))


def loss_fn(m):
    spikes, _ = snn.run(m, xs)
    return jnp.sum(spikes * jnp.arange(9.0)[:, None, None])


loss, grads = nnx.value_and_grad(loss_fn)(model)
RESULTS = {"loss": loss, "grad_alif_beta": grads.layers[1].beta[...], "grad_alif_gamma": grads.layers[1].gamma[...],
           "grad_rlif_beta": grads.layers[3].beta[...], "grad_recurrent_w": grads.layers[3].recurrent_w[...]}
