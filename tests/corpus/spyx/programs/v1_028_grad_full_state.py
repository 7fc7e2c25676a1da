"""nnx.grad of a model with default initialisation everywhere; every gradient leaf, by path."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(42)
model = snn.Sequential(
    nnx.Linear(6, 8, rngs=rngs),
    snn.LIF((8,), activation=spyx.axn.arctan(), rngs=rngs),
    nnx.Linear(8, 3, rngs=rngs),
    snn.LI((3,), rngs=rngs),
)
x = jnp.asarray(cd.spikes((4, 10, 6), p=0.5, seed=28))
y = jnp.asarray(cd.labels(4, 3, seed=281))
Loss = spyx.fn.integral_crossentropy()


def loss_fn(m):
    return Loss(snn.run(m, x, batch_major=True)[0], y)


grads = nnx.grad(loss_fn)(model)
RESULTS = {**cd.flat(grads, "grad"), **cd.flat(nnx.state(model, nnx.Param), "param")}
