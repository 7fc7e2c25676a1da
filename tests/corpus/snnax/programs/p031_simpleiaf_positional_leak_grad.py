"""SimpleIAF(0.125, 1.0) in SNNAX's positional order (leak, threshold); the leak is an array leaf with a gradient."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

iaf = snn.SimpleIAF(0.125, 1.0)
xs = jnp.asarray(cd.dyadic((10, 5), low=0, high=6, seed=311) * 2)


def run(layer):
    state = layer.init_state((5,), jax.random.PRNGKey(0))
    outs, mems = [], []
    for x in xs:
        state, out = layer(state, x, key=jax.random.PRNGKey(0))
        outs.append(out)
        mems.append(state[0])
    return jnp.stack(outs), jnp.stack(mems)


def loss(layer):
    out, mem = run(layer)
    return jnp.sum(mem * jnp.arange(1.0, 6.0)) + jnp.sum(out)


spikes, mems = run(iaf)
value, grads = eqx.filter_value_and_grad(loss)(iaf)
RESULTS = {"spikes": spikes, "mem": mems, "loss": value, "grad_leak": grads.leak}
