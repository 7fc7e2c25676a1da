"""SpikingMaxPool2d (Equinox's MaxPool2d arguments, a threshold) after a convolution."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_conv(eqx.nn.Conv2d(1, 2, 3, padding=1, key=k1), seed=91),
    snn.LIF([0.5, 0.5]),
    snn.SpikingMaxPool2d(2, 2, threshold=0.5),
    snn.Flatten(),
)
states = model.init_state((1, 6, 6), k2)
states, outs = model(states, jnp.asarray(cd.spikes((8, 1, 6, 6), p=0.5, seed=92)), k2)
RESULTS = {"spikes_out": outs[0]}
