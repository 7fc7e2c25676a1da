"""Decays initialised at exactly 1.0 and 0.0: the gradient through Spyx's clip to [0, 1] there."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(4, 4, use_bias=False, rngs=rngs),
    snn.LIF((4,), beta=1.0, activation=spyx.axn.arctan(), rngs=rngs),
    nnx.Linear(4, 4, use_bias=False, rngs=rngs),
    snn.CuBaLIF((4,), alpha=1.0, beta=0.0, activation=spyx.axn.arctan(), rngs=rngs),
    nnx.Linear(4, 2, use_bias=False, rngs=rngs),
    snn.LI((2,), beta=0.0, rngs=rngs),
)
for i, layer in enumerate(model.layers[::2]):
    cd.set_linear(layer, seed=240 + i)

xs = jnp.asarray(cd.spikes((8, 2, 4), p=0.5, seed=245))


def loss_fn(m):
    traces, _ = snn.run(m, xs)
    return jnp.mean(traces ** 2)


loss, grads = nnx.value_and_grad(loss_fn)(model)
RESULTS = {
    "loss": loss,
    "grad_lif_beta": grads.layers[1].beta[...],
    "grad_cuba_alpha": grads.layers[3].alpha[...],
    "grad_cuba_beta": grads.layers[3].beta[...],
    "grad_li_beta": grads.layers[5].beta[...],
    "grad_w0": grads.layers[0].kernel[...],
}
