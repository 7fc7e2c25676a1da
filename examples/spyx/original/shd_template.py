"""Surrogate-gradient template (with regularisation), as a script.

Spyx 1.0's SHD template (docs/examples/surrogate_gradient/shd_sg_template.ipynb): a
Linear -> LIF -> Linear -> LIF -> Linear -> LI network with triangular surrogate gradients and
per-neuron decays, trained with BPTT on ``integral_crossentropy`` plus the ``silence_reg`` /
``sparsity_reg`` activity regularisers, Lion with gradient centralisation, and channel-shift
augmentation.

Instead of downloading the Spiking Heidelberg Digits, the data is made here: "spoken digits" of
the same layout (channels x time, bit-packed along time, batched as ``SHD_loader.prestage`` returns
them). Each class is a few formant sweeps across the cochlear channels; every sample stretches and
shifts them in time and channel and adds background spikes. To train on the real dataset, replace
``make_split`` by ``spyx.data.SHD_loader(...).prestage("train")`` / ``("test")``.

    python shd_template.py                 # the default run (a minute or two on a CPU)
    python shd_template.py --quick         # tiny sizes, 2 epochs: mostly compilation
    python shd_template.py --epochs 30 --train-batches 32 --hidden 128
"""

import argparse
import time

import jax
import jax.numpy as jnp
import optax
from flax import nnx

import spyx
import spyx.nn as snn


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--sample-t", type=int, default=128, help="time steps per sample")
    p.add_argument("--channels", type=int, default=128, help="cochlear channels per sample")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--classes", type=int, default=20)
    p.add_argument("--train-batches", type=int, default=16)
    p.add_argument("--test-batches", type=int, default=4)
    # the notebook's 3e-4 is for 30 epochs of SHD's 8k samples; this run is some 300 steps
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="tiny sizes and 2 epochs by default, for a smoke test")
    if p.parse_known_args(argv)[0].quick:  # options given explicitly still win
        p.set_defaults(epochs=2, batch=32, sample_t=32, channels=32, hidden=32, train_batches=4, test_batches=2)
    return p.parse_args(argv)


# ---------------------------------------------------------------------------------------------- data
def class_formants(key, n_classes, n_formants=3):
    """Per class: start and end channel (as fractions of the channel axis), onset and duration (as
    fractions of the sample) of each formant sweep."""
    k1, k2, k3, k4 = jax.random.split(key, 4)
    start = jax.random.uniform(k1, (n_classes, n_formants), minval=0.1, maxval=0.9)
    end = jax.random.uniform(k2, (n_classes, n_formants), minval=0.1, maxval=0.9)
    onset = jax.random.uniform(k3, (n_classes, n_formants), minval=0.0, maxval=0.35)
    length = jax.random.uniform(k4, (n_classes, n_formants), minval=0.3, maxval=0.6)
    return start, end, onset, length


def make_batch(key, formants, batch, sample_t, channels, peak_rate=0.5, width=1.5, noise_rate=0.02):
    """One batch of dense spikes [batch, sample_t, channels] (uint8) and its labels [batch]."""
    start, end, onset, length = formants
    ky, kw, ko, kc, ks = jax.random.split(key, 5)
    labels = jax.random.randint(ky, (batch,), 0, start.shape[0])
    stretch = jax.random.uniform(kw, (batch, 1, 1), minval=0.85, maxval=1.15)   # speaking rate
    delay = jax.random.uniform(ko, (batch, 1, 1), minval=-0.08, maxval=0.08)    # time jitter
    pitch = jax.random.normal(kc, (batch, 1, 1)) * 0.03                         # channel jitter

    t = jnp.linspace(0.0, 1.0, sample_t)[None, :, None]                        # [1, T, 1]
    u = (t - onset[labels][:, None, :] * stretch - delay) / (length[labels][:, None, :] * stretch)
    centre = (start[labels][:, None, :] + (end - start)[labels][:, None, :] * u + pitch) * channels
    active = (u >= 0.0) & (u <= 1.0)                                            # [B, T, F]
    c = jnp.arange(channels)[None, None, None, :]
    bump = jnp.exp(-0.5 * ((c - centre[..., None]) / width) ** 2) * active[..., None]
    rate = noise_rate + peak_rate * bump.max(axis=2)                            # [B, T, C]
    spikes = jax.random.uniform(ks, rate.shape) < rate
    return spikes.astype(jnp.uint8), labels


def make_split(key, formants, n_batches, batch, sample_t, channels):
    """A split laid out as ``SHD_loader.prestage`` returns it: obs [n_batches, batch, ceil(T/8), C]
    bit-packed along time, labels [n_batches, batch]."""
    obs, labels = [], []
    for k in jax.random.split(key, n_batches):
        spikes, y = make_batch(k, formants, batch, sample_t, channels)
        obs.append(jnp.packbits(spikes, axis=1))
        labels.append(y)
    return jnp.stack(obs), jnp.stack(labels)


# --------------------------------------------------------------------------------------------- model
class SHDSNN(nnx.Module):
    def __init__(self, in_dim, hidden, n_classes, *, rngs):
        self.l1 = nnx.Linear(in_dim, hidden, use_bias=False, rngs=rngs)
        self.lif1 = snn.LIF((hidden,), activation=spyx.axn.triangular(), rngs=rngs)
        self.l2 = nnx.Linear(hidden, hidden, use_bias=False, rngs=rngs)
        self.lif2 = snn.LIF((hidden,), activation=spyx.axn.triangular(), rngs=rngs)
        self.l3 = nnx.Linear(hidden, n_classes, use_bias=False, rngs=rngs)
        self.li = snn.LI((n_classes,), rngs=rngs)

    def __call__(self, x_BTC):
        x_TBC = jnp.transpose(x_BTC, (1, 0, 2))
        T, B, _ = x_TBC.shape

        s1 = self.lif1.initial_state(B)
        s2 = self.lif2.initial_state(B)
        s3 = self.li.initial_state(B)

        def step(carry, x_t):
            s1, s2, s3 = carry
            sp1, s1 = self.lif1(self.l1(x_t), s1)
            sp2, s2 = self.lif2(self.l2(sp1), s2)
            v, s3 = self.li(self.l3(sp2), s3)
            return (s1, s2, s3), (sp1, sp2, v)

        _, (sp1_TB, sp2_TB, v_TB) = jax.lax.scan(step, (s1, s2, s3), x_TBC)
        traces = jnp.transpose(v_TB, (1, 0, 2))
        spikes_l1 = jnp.transpose(sp1_TB, (1, 0, 2))
        spikes_l2 = jnp.transpose(sp2_TB, (1, 0, 2))
        return traces, [spikes_l1, spikes_l2]


# -------------------------------------------------------------------------------------------- train
def main(argv=None):
    args = parse_args(argv)
    BATCH, SAMPLE_T, CHANNELS = args.batch, args.sample_t, args.channels

    data_key = jax.random.PRNGKey(1234)
    k_formants, k_train, k_test = jax.random.split(data_key, 3)
    formants = class_formants(k_formants, args.classes)
    train_obs, train_labels = make_split(k_train, formants, args.train_batches, BATCH, SAMPLE_T, CHANNELS)
    test_obs, test_labels = make_split(k_test, formants, args.test_batches, BATCH, SAMPLE_T, CHANNELS)
    augment = spyx.data.shift_augment(max_shift=max(1, CHANNELS // 8), axes=(2,))
    print("train:", train_obs.shape, " test:", test_obs.shape, " classes:", args.classes)

    model = SHDSNN(in_dim=CHANNELS, hidden=args.hidden, n_classes=args.classes, rngs=nnx.Rngs(args.seed))

    Loss = spyx.fn.integral_crossentropy()
    Acc = spyx.fn.integral_accuracy()
    Silence = spyx.fn.silence_reg(min_spikes=4.0)
    Sparsity = spyx.fn.sparsity_reg(max_spikes=16.0)
    REG_WEIGHT = 1e-6  # silence_reg is O(1e5) at init; keep the nudge gentle

    optimizer = nnx.Optimizer(model, optax.chain(
        optax.centralize(),
        optax.lion(learning_rate=args.lr),
    ), wrt=nnx.Param)

    def _unpack(batch_obs):
        obs = jnp.asarray(batch_obs)
        return jnp.unpackbits(obs, axis=1)[:, :SAMPLE_T, :].astype(jnp.float32)

    @nnx.jit
    def train_step(model, optimizer, events, targets):
        def loss_fn(m):
            traces, spikes = m(events)
            return Loss(traces, targets) + REG_WEIGHT * (Silence(spikes) + Sparsity(spikes))

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    @nnx.jit
    def eval_step(model, events, targets):
        traces, spikes = model(events)
        acc, preds = Acc(traces, targets)
        loss = Loss(traces, targets)
        layer_rates = jnp.stack([s.mean(axis=(0, 1)) for s in spikes])
        return acc, loss, preds, layer_rates

    rng = jax.random.PRNGKey(args.seed)
    N_TRAIN = train_obs.shape[0]
    N_TEST = test_obs.shape[0]
    history = []

    start = time.perf_counter()
    for epoch in range(args.epochs):
        rng, perm_key = jax.random.split(rng)
        order = jax.random.permutation(perm_key, N_TRAIN)
        train_losses = []
        for bi in order:
            rng, aug_key = jax.random.split(rng)
            events = augment(_unpack(train_obs[bi]), aug_key)
            targets = train_labels[bi]
            train_losses.append(train_step(model, optimizer, events, targets))

        val_acc, val_loss = [], []
        for bi in range(N_TEST):
            events = _unpack(test_obs[bi])
            targets = test_labels[bi]
            a, l, _, _ = eval_step(model, events, targets)
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

    all_acc, all_rates = [], []
    for bi in range(N_TEST):
        a, _, _, rates = eval_step(model, _unpack(test_obs[bi]), test_labels[bi])
        all_acc.append(a)
        all_rates.append(rates)
    mean_rates = jnp.mean(jnp.stack(all_rates), axis=0)
    test_acc = float(jnp.mean(jnp.stack(all_acc)))
    print(f"layer-1 mean per-neuron rate {float(jnp.mean(mean_rates[0])):.4f}"
          f"  layer-2 {float(jnp.mean(mean_rates[1])):.4f}")
    print(f"training time {train_time:.1f} s")
    print(f"test accuracy {test_acc:.4f}")
    return history, test_acc


if __name__ == "__main__":
    main()
