"""The same input through LIFs with thresholds 0.5, 1 (an int) and 2."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
xs = jnp.asarray(cd.dyadic((10, 2, 4), low=-2, high=14, seed=18))
RESULTS = {}
for name, th in [("half", 0.5), ("one", 1), ("two", 2.0)]:
    lif = snn.LIF((4,), beta=0.875, threshold=th, rngs=rngs)
    s, V = snn.run(lif, xs)
    RESULTS[f"spikes_{name}"] = s
    RESULTS[f"membrane_{name}"] = V
