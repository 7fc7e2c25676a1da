"""The docs' headline chain Linear -> LayerNorm -> LIF: SNNAX starts the LayerNorm at the norm of the bias."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
layers = [
    cd.set_linear(eqx.nn.Linear(10, 20, key=k1), seed=21),
    eqx.nn.LayerNorm(20),
    snn.LIF([0.5, 0.5]),
]
model = snn.Sequential(*layers)
states = model.init_state((10,), k2)
xs = jnp.asarray(cd.spikes((12, 10), p=0.5, seed=22))
states, outs = model(states, xs, k2)
RESULTS = {"spikes_out": outs[0], "layernorm_initial": model.init_state((10,), k2)[1][0]}
