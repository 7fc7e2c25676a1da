"""Spyx 0.1's PopulationCode and sum_pool with int windows (the parts of spyx.nn that need no transform)."""
import jax.numpy as jnp
import spyx.nn as snn

import corpus_data as cd

votes = jnp.asarray(cd.spikes((3, 8), p=0.5, seed=112))
frames = jnp.asarray(cd.spikes((2, 4, 6, 2), p=0.5, seed=1121))
RESULTS = {
    "spikes_pop": snn.PopulationCode(4)(votes),
    "spikes_pool_valid": snn.sum_pool(frames, 2, 2, "VALID"),
    "spikes_pool_same": snn.sum_pool(frames, 3, 2, "SAME"),
    "spikes_pool_full_rank": snn.sum_pool(frames, (1, 2, 3, 1), (1, 2, 3, 1), "VALID"),
}
