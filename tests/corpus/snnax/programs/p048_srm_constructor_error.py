"""SRM from snnax.snn.layers.srm as its docs describe it: at HEAD its constructor passes requires_grad to init_parameters and fails."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.layers.srm import SRM

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    SRM(cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=481), decay_constants=[0.75, 0.5],
        r_decay_constants=[0.75], input_shape=(5,), shape=(4,)),
)
states, outs = model(model.init_state((5,), k2), jnp.asarray(cd.spikes((10, 5), p=0.5, seed=482)), k2)
RESULTS = {"spikes_out": outs[0]}
