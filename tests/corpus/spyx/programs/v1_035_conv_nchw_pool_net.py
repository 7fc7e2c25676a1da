"""Channels-first spike frames: transpose to NHWC for nnx.Conv, pool with channel_axis=1 after transposing back."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd


class ConvBlock(nnx.Module):
    def __init__(self, rngs):
        self.conv = nnx.Conv(2, 4, kernel_size=(3, 3), padding="VALID", use_bias=False, rngs=rngs)
        self.lif = snn.LIF((4, 6, 6), beta=0.5, rngs=rngs)

    def initial_state(self, batch_size):
        return self.lif.initial_state(batch_size)

    def __call__(self, x_nchw, V):
        current = jnp.transpose(self.conv(jnp.transpose(x_nchw, (0, 2, 3, 1))), (0, 3, 1, 2))
        return self.lif(current, V)


rngs = nnx.Rngs(0)
model = snn.Sequential(ConvBlock(rngs), snn.SumPool((2, 2), (2, 2), "VALID", channel_axis=1), snn.Flatten())
cd.set_conv(model.layers[0].conv, seed=35)
frames = jnp.asarray(cd.spikes((5, 2, 2, 8, 8), p=0.5, seed=351))  # (T, B, C, H, W)
pooled, state = snn.run(model, frames)
RESULTS = {"spikes_pooled": pooled, "membrane": state[0]}
