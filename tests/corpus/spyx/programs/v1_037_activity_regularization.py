"""ActivityRegularization counting hidden spikes through snn.run, fed to silence_reg and sparsity_reg."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(6, 5, use_bias=False, rngs=rngs),
    snn.LIF((5,), beta=0.75, activation=spyx.axn.arctan(), rngs=rngs),
    snn.ActivityRegularization((5,)),
    nnx.Linear(5, 3, use_bias=False, rngs=rngs),
    snn.LI((3,), rngs=rngs),
)
cd.set_linear(model.layers[0], seed=37)
cd.set_linear(model.layers[3], seed=371)

xs = jnp.asarray(cd.spikes((10, 4, 6), p=0.5, seed=372))
ys = jnp.asarray(cd.labels(4, 3, seed=373))
Loss = spyx.fn.integral_crossentropy(time_axis=0)
Sil = spyx.fn.silence_reg(2.0)
Spa = spyx.fn.sparsity_reg(3.0)


def loss_fn(m):
    traces, state = snn.run(m, xs)
    counts = state[2]
    return Loss(traces, ys) + 1e-1 * (Sil(counts) + Spa(counts)), counts


(loss, counts), grads = nnx.value_and_grad(loss_fn, has_aux=True)(model)
RESULTS = {"loss": loss, "spikes_counts": counts, "silence": Sil(counts), "sparsity": Spa(counts),
           "grad_w_in": grads.layers[0].kernel[...], "grad_beta": grads.layers[1].beta[...]}
