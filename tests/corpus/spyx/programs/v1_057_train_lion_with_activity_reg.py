"""A training step in the style of Spyx's SHD template: centralize + lion, spike-count regularisers, nnx.jit."""
import jax.numpy as jnp
import optax
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(10, 8, use_bias=False, rngs=rngs),
    snn.LIF((8,), activation=spyx.axn.arctan(), rngs=rngs),
    snn.ActivityRegularization((8,)),
    nnx.Linear(8, 4, use_bias=False, rngs=rngs),
    snn.LI((4,), rngs=rngs),
)
cd.set_linear(model.layers[0], seed=57)
cd.set_linear(model.layers[3], seed=571)

Loss = spyx.fn.integral_crossentropy()
Sil = spyx.fn.silence_reg(1.0)
Spa = spyx.fn.sparsity_reg(4.0)
optimizer = nnx.Optimizer(model, optax.chain(optax.centralize(), optax.lion(3e-4)), wrt=nnx.Param)


@nnx.jit
def train_step(model, optimizer, events, targets):
    def loss_fn(m):
        traces, state = snn.run(m, events, batch_major=True)
        counts = state[2]
        return Loss(traces, targets) + 1e-2 * (Sil(counts) + Spa(counts))
    loss, grads = nnx.value_and_grad(loss_fn)(model)
    optimizer.update(model, grads)
    return loss


packed = cd.spikes((4, 16, 10), p=0.4, seed=572).astype(jnp.uint8)
events = jnp.unpackbits(jnp.packbits(packed, axis=1), axis=1).astype(jnp.float32)  # as the loaders ship them
targets = jnp.asarray(cd.labels(4, 4, seed=573))
losses = [train_step(model, optimizer, events, targets) for _ in range(2)]
RESULTS = {"losses": jnp.stack(losses), "w_in": model.layers[0].kernel[...], "beta": model.layers[1].beta[...],
           "w_out": model.layers[3].kernel[...]}
