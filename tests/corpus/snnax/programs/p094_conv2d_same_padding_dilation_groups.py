"""Equinox Conv2d options users reach for: padding="SAME", stride (1, 2), dilation 2, groups 2, then MaxPool2d and AvgPool2d (forward)."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3, k4 = jax.random.split(jax.random.PRNGKey(0), 4)
model = snn.Sequential(
    cd.set_conv(eqx.nn.Conv2d(2, 4, 3, stride=(1, 2), padding="SAME", key=k1), seed=941, scale=4),
    snn.SimpleLIF([0.5], threshold=0.5),
    cd.set_conv(eqx.nn.Conv2d(4, 4, 3, dilation=2, padding=2, groups=2, key=k2), seed=942, scale=4),
    snn.LIF([0.75, 0.625], threshold=0.5),
    eqx.nn.MaxPool2d(2, 2),
    eqx.nn.AvgPool2d(kernel_size=(1, 2), stride=1),
    snn.Flatten(),
    cd.set_linear(eqx.nn.Linear(4 * 3 * 1, 3, key=k3), seed=943, scale=4),
    snn.SimpleLIF([0.75], threshold=0.5),
)
xs = jnp.asarray(cd.spikes((10, 2, 6, 8), p=0.4, seed=944))


states, outs = model(model.init_state((2, 6, 8), k4), xs, k4)
RESULTS = {"spikes_out": outs[0], "spikes_conv2": states[3][2], "avgpool_final": states[5][0],
           "conv1_final": states[0][0]}
