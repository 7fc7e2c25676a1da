"""Spyx 0.1's CuBaLIF under hk.dynamic_unroll: its reset is subtracted twice per spike."""
import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import spyx
import spyx.nn as snn

import corpus_data as cd

ALPHA, BETA, THRESHOLD = 0.5, 0.75, 1.0


def net(x):
    core = snn.CuBaLIF((4,), alpha=ALPHA, beta=BETA, threshold=THRESHOLD, activation=spyx.axn.arctan())
    return hk.dynamic_unroll(core, x, core.initial_state(x.shape[0]), time_major=False)


model = hk.without_apply_rng(hk.transform(net))
x = jnp.asarray(cd.dyadic((2, 10, 4), low=-2, high=16, seed=107))
params = model.init(jax.random.PRNGKey(0), x)
(spikes, final), grad_x = model.apply(params, x), jax.grad(lambda x: model.apply(params, x)[0].sum())(x)
RESULTS = {"inputs": x, "alpha": np.float32(ALPHA), "beta": np.float32(BETA), "threshold": np.float32(THRESHOLD),
           "spikes": spikes, "final_state": final, "grad_inputs": grad_x}
