"""ResNetBlock from snnax.snn.layers.residual (HEAD: a CompoundLayer with an assert on a list): SNNAX cannot run it."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.layers.residual import ResNetBlock

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
block = ResNetBlock(cd.set_linear(eqx.nn.Linear(4, 4, key=k1), seed=491), snn.LIF([0.75, 0.75]))
model = snn.Sequential(cd.set_linear(eqx.nn.Linear(4, 4, key=k2), seed=492), block)
states, outs = model(model.init_state((4,), k3), jnp.asarray(cd.spikes((10, 4), p=0.5, seed=493)), k3)
RESULTS = {"spikes_out": outs[0][-1]}
