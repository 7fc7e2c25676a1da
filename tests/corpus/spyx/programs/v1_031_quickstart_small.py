"""The README quickstart (synthetic spike trains, Linear-LIF-Linear-LI, adam) at a small size, loop by hand."""
import jax, jax.numpy as jnp, optax
from flax import nnx
import spyx, spyx.nn as snn

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(8, 16, use_bias=False, rngs=rngs),
    snn.LIF((16,), activation=spyx.axn.triangular(), rngs=rngs),
    nnx.Linear(16, 3, use_bias=False, rngs=rngs),
    snn.LI((3,), rngs=rngs),  # non-spiking leaky readout -> class logits
)

T, B, C, n_cls = 8, 8, 8, 3  # time, batch, channels, classes

def make_batch(k):  # class c => channel c fires often (learnable structure)
    ky, ks = jax.random.split(k)
    y = jax.random.randint(ky, (B,), 0, n_cls)
    prob = jnp.full((B, C), 0.05).at[jnp.arange(B), y].set(0.5)
    x = (jax.random.uniform(ks, (T, B, C)) < prob).astype(jnp.float32)
    return x, y  # x is time-major (T, B, C)

Loss = spyx.fn.integral_crossentropy(time_axis=0)
Acc = spyx.fn.integral_accuracy(time_axis=0)

def loss_fn(m, x, y):
    return Loss(snn.run(m, x)[0], y)

optimizer = nnx.Optimizer(model, optax.adam(2e-3), wrt=nnx.Param)

@nnx.jit
def train_step(model, optimizer, x, y):
    loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)
    optimizer.update(model, grads)
    return loss

key = jax.random.PRNGKey(0)
losses = [train_step(model, optimizer, *make_batch(jax.random.fold_in(key, i))) for i in range(2)]
x_eval, y_eval = make_batch(jax.random.PRNGKey(999))
traces = snn.run(model, x_eval)[0]
acc, preds = Acc(traces, y_eval)

RESULTS = {"losses": jnp.stack(losses), "traces": traces, "spikes_preds": preds, "acc": acc,
           "beta": model.layers[1].beta[...], "w_out": model.layers[2].kernel[...]}
