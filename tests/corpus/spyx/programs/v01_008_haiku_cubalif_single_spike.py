"""The 0.1 CuBaLIF double reset on the smallest input: a current of 3, then silence."""
import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import spyx.nn as snn


def net(x):
    core = snn.CuBaLIF((1,), alpha=0.5, beta=0.5)
    return hk.dynamic_unroll(core, x, core.initial_state(1), time_major=True)


model = hk.without_apply_rng(hk.transform(net))
x = jnp.zeros((6, 1, 1)).at[0].set(3.0)
spikes, final = model.apply(model.init(jax.random.PRNGKey(0), x), x)
RESULTS = {"inputs": x, "alpha": np.float32(0.5), "beta": np.float32(0.5), "threshold": np.float32(1.0),
           "spikes": spikes, "final_state": final}
