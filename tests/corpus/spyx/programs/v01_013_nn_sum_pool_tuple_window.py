"""Spyx 0.1's sum_pool with a short tuple window on NHWC spikes (it pools the trailing axes: W and C)."""
import jax.numpy as jnp
import spyx.nn as snn

import corpus_data as cd

frames = jnp.asarray(cd.spikes((2, 4, 4, 2), p=0.5, seed=113))
RESULTS = {"spikes_pooled": snn.sum_pool(frames, (2, 2), (2, 2), "VALID")}
