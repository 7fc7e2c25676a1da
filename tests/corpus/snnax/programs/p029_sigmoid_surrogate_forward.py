"""sigmoid_surrogate in the forward pass only (SNNAX's own cannot be differentiated)."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.functional import surrogate

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(cd.set_linear(eqx.nn.Linear(4, 3, key=k1), seed=201, scale=2),
                       snn.LIF([0.5, 0.5], threshold=0.5, spike_fn=surrogate.sigmoid_surrogate()))
states, outs = model(model.init_state((4,), k2), jnp.asarray(cd.spikes((10, 4), p=0.6, seed=202)), k2)
RESULTS = {"spikes_out": outs[0]}
