"""Linear -> LIF(triangular) -> Linear -> LI, gradients of the integral cross-entropy w.r.t. every Param."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(6, 5, use_bias=False, rngs=rngs),
    snn.LIF((5,), beta=0.75, activation=spyx.axn.triangular(), rngs=rngs),
    nnx.Linear(5, 3, use_bias=False, rngs=rngs),
    snn.LI((3,), beta=0.875, rngs=rngs),
)
cd.set_linear(model.layers[0], seed=21)
cd.set_linear(model.layers[2], seed=210)

x = jnp.asarray(cd.spikes((4, 10, 6), p=0.5, seed=211))  # batch-major, as the loaders give it
y = jnp.asarray(cd.labels(4, 3, seed=212))
Loss = spyx.fn.integral_crossentropy()


def loss_fn(m):
    traces, _ = snn.run(m, x, batch_major=True)
    return Loss(traces, y)


loss, grads = nnx.value_and_grad(loss_fn)(model)
RESULTS = {
    "loss": loss,
    "grad_w_in": grads.layers[0].kernel[...],
    "grad_beta": grads.layers[1].beta[...],
    "grad_w_out": grads.layers[2].kernel[...],
    "grad_beta_out": grads.layers[3].beta[...],
}
