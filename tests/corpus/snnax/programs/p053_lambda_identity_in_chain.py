"""eqx.nn.Lambda(jax.nn.relu) and eqx.nn.Identity inside a Sequential (each adds a step of SNNAX's delay)."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    eqx.nn.Identity(),
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=531),
    eqx.nn.Lambda(jax.nn.relu),
    snn.SimpleIAF(threshold=0.75),
)
states = model.init_state((5,), k2)
states, outs = model(states, jnp.asarray(cd.spikes((12, 5), p=0.5, seed=532)), k2)
RESULTS = {"spikes_out": outs[0], **cd.flat_states(states, "final")}
