"""A small convolutional SNN on NHWC frames: Conv -> LIF -> SumPool -> Flatten -> Linear -> LI."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Conv(2, 3, kernel_size=(3, 3), padding="SAME", rngs=rngs),
    snn.LIF((6, 6, 3), beta=0.75, activation=spyx.axn.arctan(), rngs=rngs),
    snn.SumPool(2, 2, "VALID"),
    snn.Flatten(),
    nnx.Linear(27, 4, rngs=rngs),
    snn.LI((4,), beta=0.875, rngs=rngs),
)
cd.set_conv(model.layers[0], seed=33)
cd.set_linear(model.layers[4], seed=331)

frames = jnp.asarray(cd.spikes((6, 2, 6, 6, 2), p=0.4, seed=332))  # (T, B, H, W, C)
Loss = spyx.fn.integral_crossentropy(time_axis=0)
y = jnp.asarray([1, 3])


def loss_fn(m):
    traces, state = snn.run(m, frames)
    return Loss(traces, y), (traces, state)


(loss, (traces, state)), grads = nnx.value_and_grad(loss_fn, has_aux=True)(model)
RESULTS = {"traces": traces, "membrane": state[1], "loss": loss,
           "grad_conv_kernel": grads.layers[0].kernel[...], "grad_conv_bias": grads.layers[0].bias[...],
           "grad_beta": grads.layers[1].beta[...]}
