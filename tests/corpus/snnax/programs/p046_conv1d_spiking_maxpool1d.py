"""Conv1d (stride 2, padding 1) -> LIF -> SpikingMaxPool1d from snnax.snn.layers.pooling -> Flatten -> Linear -> LIF, forward and states."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.layers.pooling import SpikingMaxPool1d

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_conv(eqx.nn.Conv1d(2, 3, 3, stride=2, padding=1, key=k1), seed=461, scale=4),
    snn.LIF([0.5, 0.5], threshold=0.5),
    SpikingMaxPool1d(2, 2, threshold=0.5),
    snn.Flatten(),
    cd.set_linear(eqx.nn.Linear(3 * 4, 3, key=k2), seed=462, scale=4),
    snn.LIF([0.5, 0.5], threshold=0.5),
)
xs = jnp.asarray(cd.spikes((12, 2, 16), p=0.5, seed=463))


states, outs = model(model.init_state((2, 16), k3), xs, k3)
RESULTS = {"spikes_out": outs[0], "spikes_pool": states[2][0], **cd.flat_states(states, "final")}
