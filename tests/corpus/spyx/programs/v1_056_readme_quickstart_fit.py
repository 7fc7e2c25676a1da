"""The README quickstart as written (spyx.optimize.fit), at a small size: 2 epochs of 3 batches."""
import jax, jax.numpy as jnp, optax
from flax import nnx
import spyx, spyx.nn as snn, spyx.optimize as opt

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

def eval_fn(m, x, y):
    traces = snn.run(m, x)[0]
    return Acc(traces, y)[0], Loss(traces, y)

key = jax.random.PRNGKey(0)
train_iter = lambda: (make_batch(jax.random.fold_in(key, i)) for i in range(3))
eval_iter = lambda: iter([make_batch(jax.random.PRNGKey(999))])

history = opt.fit(
    model, optax.adam(2e-3), loss_fn, train_iter,
    epochs=2, eval_iter=eval_iter, eval_fn=eval_fn,
)
RESULTS = {name: jnp.asarray([epoch[name] for epoch in history]) for name in history[0]}
RESULTS["beta"] = model.layers[1].beta[...]
