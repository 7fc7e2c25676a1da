"""One adam step on a recurrent network (Linear -> RLIF -> Linear -> LI); recurrent weights after it."""
import jax.numpy as jnp
import optax
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(1)
model = snn.Sequential(
    nnx.Linear(5, 4, rngs=rngs),
    snn.RLIF((4,), beta=0.75, activation=spyx.axn.arctan(), rngs=rngs),
    nnx.Linear(4, 2, rngs=rngs),
    snn.LI((2,), beta=0.875, rngs=rngs),
)
cd.set_linear(model.layers[0], seed=30)
cd.set_linear(model.layers[2], seed=301)
model.layers[1].recurrent_w[...] = jnp.asarray(cd.dyadic((4, 4), low=-3, high=4, seed=302))

optimizer = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)
Loss = spyx.fn.integral_crossentropy(time_axis=0)
xs = jnp.asarray(cd.spikes((10, 3, 5), p=0.5, seed=303))
ys = jnp.asarray(cd.labels(3, 2, seed=304))


def loss_fn(m):
    return Loss(snn.run(m, xs)[0], ys)


loss, grads = nnx.value_and_grad(loss_fn)(model)
optimizer.update(model, grads)
RESULTS = {"loss": loss, "recurrent_w": model.layers[1].recurrent_w[...],
           "beta": model.layers[1].beta[...], "b_in": model.layers[0].bias[...], "w_out": model.layers[2].kernel[...]}
