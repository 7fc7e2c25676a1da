"""A width-changing CompoundLayer followed by more layers: SNNAX's init_state fails (CompoundLayer has no init_out)."""
# A CompoundLayer that changes width followed by more layers: HEAD's CompoundLayer has no init_out, so init_state
# hands the next layer the compound's input shape and fails.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import CompoundLayer

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    CompoundLayer(cd.set_linear(eqx.nn.Linear(6, 4, key=k1), seed=611), snn.LIF([0.75, 0.75])),
    cd.set_linear(eqx.nn.Linear(4, 3, key=k2), seed=612),
    snn.LIF([0.75, 0.75]),
)
states = model.init_state((6,), k3)
states, outs = model(states, jnp.asarray(cd.spikes((8, 6), p=0.5, seed=613)), k3)
RESULTS = {"spikes_out": outs[0]}
