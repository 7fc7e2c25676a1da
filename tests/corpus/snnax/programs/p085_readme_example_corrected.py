"""SNNAX's README example, corrected only where it cannot run, trained three jitted SGD steps."""
# SNNAX's README example, corrected only where it cannot run: nn.Conv2d (not Conv2D), snn.Flatten() (not flatten),
# model.init_state(shape, key) (not init_states(key)), the key passed to the model, spikes summed over time on
# out_spikes[0] (axis 0), a hand-written cross-entropy and SGD step in place of optax, a tiny input.
from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp

import equinox.nn as nn
import snnax.snn as snn

import corpus_data as cd

key1, key2, key3, key4, key = jax.random.split(jax.random.PRNGKey(0), 5)
model = snn.Sequential(
    cd.set_conv(nn.Conv2d(2, 4, 3, 2, key=key1), seed=851, scale=4),
    snn.LIF([.875, .75], threshold=0.5, shape=(4, 2, 2), key=key2),
    snn.Flatten(),
    cd.set_linear(nn.Linear(16, 3, key=key3), seed=852, scale=4),
    snn.LIF([.875, .75], threshold=0.5, shape=3, key=key4),
)


def softmax_cross_entropy(logits, labels):
    return -jnp.sum(labels * jax.nn.log_softmax(logits))


def make_loss_fn(model):
    @partial(jax.vmap, in_axes=(None, 0, 0))
    def loss_fn(in_states, in_spikes, tgt_class):
        out_state, out_spikes = model(in_states, in_spikes, key)
        pred = out_spikes[0].sum(0)
        return softmax_cross_entropy(pred, tgt_class)
    return loss_fn


@eqx.filter_value_and_grad
def loss_and_grad(model, in_states, in_spikes, tgt_class):
    return jnp.mean(make_loss_fn(model)(in_states, in_spikes, tgt_class))


@eqx.filter_jit
def update(model, in_states, in_spikes, tgt_class):
    loss, grads = loss_and_grad(model, in_states, in_spikes, tgt_class)
    updates = jax.tree_util.tree_map(lambda g: -0.125 * g, grads)
    model = eqx.apply_updates(model, updates)
    return model, loss


dataloader = [(jnp.asarray(cd.spikes((2, 12, 2, 5, 5), p=0.5, seed=853 + i)), jax.nn.one_hot(jnp.asarray([i % 3, 2]), 3))
              for i in range(3)]
losses = []
for in_spikes, tgt_class in dataloader:
    states = model.init_state((2, 5, 5), key)
    model, loss = update(model, states, in_spikes, tgt_class)
    losses.append(loss)
RESULTS = {"losses": jnp.stack(losses), "conv_after": model.layers[0].weight, "linear_after": model.layers[3].weight}
