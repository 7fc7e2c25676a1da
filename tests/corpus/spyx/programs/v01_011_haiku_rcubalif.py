"""Spyx 0.1's RCuBaLIF (single reset, feedback into the current) with given feedback weights."""
import haiku as hk
import jax
import jax.numpy as jnp
import spyx.nn as snn

import corpus_data as cd


def net(x):
    core = snn.RCuBaLIF((3,), alpha=0.75, beta=0.5)
    return hk.dynamic_unroll(core, x, core.initial_state(x.shape[1]), time_major=True)


model = hk.without_apply_rng(hk.transform(net))
x = jnp.asarray(cd.dyadic((10, 2, 3), seed=111))
params = model.init(jax.random.PRNGKey(0), x)
w = jnp.asarray(cd.dyadic((3, 3), low=-4, high=4, seed=1111))
params = {"RCuBaLIF": {**params["RCuBaLIF"], "w": w}}
spikes, final = model.apply(params, x)
RESULTS = {"inputs": x, "recurrent_w": w, "spikes": spikes, "final_state": final}
