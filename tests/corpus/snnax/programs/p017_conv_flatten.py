"""A small convolutional SNN: Conv2d -> LIF -> Flatten -> Linear -> LIF, one sample (C, H, W)."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_conv(eqx.nn.Conv2d(2, 3, 3, stride=1, padding=1, key=k1), seed=81),
    snn.LIF([0.5, 0.5]),
    snn.Flatten(),
    cd.set_linear(eqx.nn.Linear(3 * 5 * 5, 4, key=k2), seed=82),
    snn.LIF([0.5, 0.5]),
)
states = model.init_state((2, 5, 5), k3)
states, outs = model(states, jnp.asarray(cd.spikes((8, 2, 5, 5), p=0.4, seed=83)), k3)
RESULTS = {"spikes_out": outs[0]}
