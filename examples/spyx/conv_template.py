"""A convolutional SNN, the way Spyx 1.0 builds one (as in its N-MNIST SCNN): Flax's channels-last
``nnx.Conv`` -> LIF -> ``SumPool`` -> ``nnx.Conv`` -> LIF -> ``SumPool`` -> ``Flatten`` ->
``nnx.Linear`` -> LI in a ``spyx.nn.Sequential``, run over time with ``spyx.nn.run`` and trained with
BPTT on ``integral_crossentropy``.

The images are made here instead of downloaded: ten classes of simple shapes (bars, diagonals, a
cross, an X, a box, a ring, a disc, a corner) drawn at a random position and size with pixel noise,
then rate-coded into spike trains with ``spyx.data.rate_code`` (one input channel, channels-last).

    python conv_template.py                # the default run (about a minute on a CPU)
    python conv_template.py --quick        # tiny sizes, 2 epochs: mostly compilation
    python conv_template.py --epochs 20 --train-batches 32
"""

import argparse
import time

import jax
import jax.numpy as jnp
import optax
from flax import nnx

import snnir.compat.spyx as spyx
import snnir.compat.spyx.nn as snn

N_CLASSES = 10


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=16, help="image side in pixels")
    p.add_argument("--sample-t", type=int, default=8, help="time steps per sample")
    p.add_argument("--train-batches", type=int, default=16)
    p.add_argument("--test-batches", type=int, default=4)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="tiny sizes and 2 epochs by default, for a smoke test")
    if p.parse_known_args(argv)[0].quick:  # options given explicitly still win
        p.set_defaults(epochs=2, batch=16, size=12, sample_t=8, train_batches=4, test_batches=2)
    return p.parse_args(argv)


# ---------------------------------------------------------------------------------------------- data
def draw_shapes(key, batch, size):
    """Images [batch, size, size] in [0, 1] of random shapes, and their labels."""
    ky, kc, kr, kn = jax.random.split(key, 4)
    labels = jax.random.randint(ky, (batch,), 0, N_CLASSES)
    centre = jax.random.uniform(kc, (batch, 2, 1, 1), minval=0.35, maxval=0.65) * size
    radius = jax.random.uniform(kr, (batch, 1, 1), minval=0.2, maxval=0.32) * size
    yy, xx = jnp.meshgrid(jnp.arange(size), jnp.arange(size), indexing="ij")
    dy, dx = (yy - centre[:, 0]) / radius, (xx - centre[:, 1]) / radius   # [B, H, W], unit = radius
    inside = (jnp.abs(dx) <= 1) & (jnp.abs(dy) <= 1)
    line = 1.5 / radius                                                    # a stroke about 1.5 px wide
    r = jnp.sqrt(dx ** 2 + dy ** 2)
    shapes = jnp.stack([
        inside & (jnp.abs(dy) < line),                                     # horizontal bar
        inside & (jnp.abs(dx) < line),                                     # vertical bar
        inside & (jnp.abs(dx - dy) < line),                                # diagonal
        inside & (jnp.abs(dx + dy) < line),                                # anti-diagonal
        inside & ((jnp.abs(dx) < line) | (jnp.abs(dy) < line)),            # cross
        inside & ((jnp.abs(dx - dy) < line) | (jnp.abs(dx + dy) < line)),  # X
        inside & ((jnp.abs(jnp.abs(dx) - 1) < line) | (jnp.abs(jnp.abs(dy) - 1) < line)),  # box
        jnp.abs(r - 0.85) < line,                                          # ring
        r < 0.6,                                                           # disc
        inside & (((jnp.abs(dx + 1) < line) & (dy > -1)) | ((jnp.abs(dy - 1) < line) & (dx < 1))),  # corner
    ], axis=1).astype(jnp.float32)                                         # [B, classes, H, W]
    images = jnp.take_along_axis(shapes, labels[:, None, None, None], axis=1)[:, 0]
    noise = jax.random.uniform(kn, images.shape, maxval=0.2)
    return jnp.clip(images * 0.9 + noise, 0.0, 1.0), labels


def make_split(key, n_batches, batch, size):
    """Images [n_batches, batch, H, W, 1] (channels-last) and labels [n_batches, batch]."""
    obs, labels = [], []
    for k in jax.random.split(key, n_batches):
        images, y = draw_shapes(k, batch, size)
        obs.append(images[..., None])
        labels.append(y)
    return jnp.stack(obs), jnp.stack(labels)


# --------------------------------------------------------------------------------------------- model
def build_model(size, rngs):
    s1 = size // 2            # after the first 2x2 pool
    s2 = s1 // 2              # after the second
    return snn.Sequential(
        nnx.Conv(1, 8, kernel_size=(3, 3), padding="SAME", use_bias=False, rngs=rngs),
        snn.LIF((size, size, 8), activation=spyx.axn.arctan(), rngs=rngs),
        snn.SumPool(window_shape=2, strides=2, padding="VALID"),
        nnx.Conv(8, 16, kernel_size=(3, 3), padding="SAME", use_bias=False, rngs=rngs),
        snn.LIF((s1, s1, 16), activation=spyx.axn.arctan(), rngs=rngs),
        snn.SumPool(window_shape=2, strides=2, padding="VALID"),
        snn.Flatten(),
        nnx.Linear(s2 * s2 * 16, N_CLASSES, use_bias=False, rngs=rngs),
        snn.LI((N_CLASSES,), rngs=rngs),
    )


# -------------------------------------------------------------------------------------------- train
def main(argv=None):
    args = parse_args(argv)
    T = args.sample_t

    data_key = jax.random.PRNGKey(4321)
    k_train, k_test = jax.random.split(data_key)
    train_obs, train_labels = make_split(k_train, args.train_batches, args.batch, args.size)
    test_obs, test_labels = make_split(k_test, args.test_batches, args.batch, args.size)
    encode = spyx.data.rate_code(num_steps=T, max_r=0.75)
    print("train:", train_obs.shape, " test:", test_obs.shape, " classes:", N_CLASSES)

    model = build_model(args.size, nnx.Rngs(args.seed))

    Loss = spyx.fn.integral_crossentropy()
    Acc = spyx.fn.integral_accuracy()
    optimizer = nnx.Optimizer(model, optax.adam(args.lr), wrt=nnx.Param)

    def to_spikes(images, key):
        # [B, H, W, 1] -> rate code repeats axis 1 -> [B, T, H, W, 1] -> time-major [T, B, H, W, 1]
        spikes = encode(images[:, None], key).astype(jnp.float32)
        return jnp.transpose(spikes, (1, 0, 2, 3, 4))

    def forward(m, x_TBHWC):
        traces, _ = snn.run(m, x_TBHWC)
        return jnp.transpose(traces, (1, 0, 2))  # [B, T, classes] for spyx.fn

    @nnx.jit
    def train_step(model, optimizer, events, targets):
        def loss_fn(m):
            return Loss(forward(m, events), targets)

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    @nnx.jit
    def eval_step(model, events, targets):
        traces = forward(model, events)
        acc, _ = Acc(traces, targets)
        return acc, Loss(traces, targets)

    rng = jax.random.PRNGKey(args.seed)
    test_key = jax.random.PRNGKey(99)
    history = []

    start = time.perf_counter()
    for epoch in range(args.epochs):
        rng, perm_key = jax.random.split(rng)
        train_losses = []
        for bi in jax.random.permutation(perm_key, train_obs.shape[0]):
            rng, code_key = jax.random.split(rng)
            events = to_spikes(train_obs[bi], code_key)
            train_losses.append(train_step(model, optimizer, events, train_labels[bi]))

        val_acc, val_loss = [], []
        for bi in range(test_obs.shape[0]):
            events = to_spikes(test_obs[bi], jax.random.fold_in(test_key, bi))
            a, l = eval_step(model, events, test_labels[bi])
            val_acc.append(a)
            val_loss.append(l)

        history.append((
            float(jnp.mean(jnp.stack(train_losses))),
            float(jnp.mean(jnp.stack(val_acc))),
            float(jnp.mean(jnp.stack(val_loss))),
        ))
        print(f"epoch {epoch:2d}  train loss {history[-1][0]:.6f}  val acc {history[-1][1]:.4f}"
              f"  val loss {history[-1][2]:.6f}")
    train_time = time.perf_counter() - start

    test_acc = history[-1][1] if history else float("nan")
    print(f"training time {train_time:.1f} s")
    print(f"test accuracy {test_acc:.4f}")
    return history, test_acc


if __name__ == "__main__":
    main()
