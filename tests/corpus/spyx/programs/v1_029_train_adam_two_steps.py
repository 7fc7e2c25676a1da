"""Two hand-rolled training steps with nnx.Optimizer(adam) under nnx.jit; the parameters after each."""
import jax.numpy as jnp
import optax
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(8, 6, use_bias=False, rngs=rngs),
    snn.LIF((6,), activation=spyx.axn.triangular(), rngs=rngs),
    nnx.Linear(6, 3, use_bias=False, rngs=rngs),
    snn.LI((3,), rngs=rngs),
)
cd.set_linear(model.layers[0], seed=29)
cd.set_linear(model.layers[2], seed=291)

Loss = spyx.fn.integral_crossentropy()
optimizer = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)


def forward(m, x_BTC):
    x_TBC = jnp.transpose(x_BTC, (1, 0, 2))
    traces, _ = snn.run(m, x_TBC)
    return jnp.transpose(traces, (1, 0, 2))


@nnx.jit
def train_step(model, optimizer, events, targets):
    def loss_fn(m):
        return Loss(forward(m, events), targets)
    loss, grads = nnx.value_and_grad(loss_fn)(model)
    optimizer.update(model, grads)
    return loss


RESULTS = {}
for step in range(2):
    events = jnp.asarray(cd.spikes((4, 12, 8), p=0.4, seed=292 + step))
    targets = jnp.asarray(cd.labels(4, 3, seed=294 + step))
    RESULTS[f"loss_{step}"] = train_step(model, optimizer, events, targets)
    RESULTS[f"w_in_{step}"] = model.layers[0].kernel[...]
    RESULTS[f"beta_{step}"] = model.layers[1].beta[...]
    RESULTS[f"w_out_{step}"] = model.layers[2].kernel[...]
    RESULTS[f"beta_out_{step}"] = model.layers[3].beta[...]
