"""Spyx 0.1's SumPool with a (2, 2) window on NHWC spikes pools W and C, not H and W."""
import haiku as hk
import jax
import jax.numpy as jnp
import spyx.nn as snn

import corpus_data as cd

pool = hk.without_apply_rng(hk.transform(lambda x: snn.SumPool((2, 2), (2, 2), "VALID")(x)))
x = jnp.asarray(cd.spikes((1, 4, 4, 2), p=0.5, seed=110))
RESULTS = {"inputs": x, "spikes_pooled": pool.apply(pool.init(jax.random.PRNGKey(0), x), x),
           "spikes_pooled_int": snn.sum_pool(x, 2, 2, "VALID")}
