"""Every neuron type in one deep Sequential with default (random) initialisation from one Rngs."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(4, 4, rngs=rngs), snn.IF((4,), rngs=rngs),
    nnx.Linear(4, 4, rngs=rngs), snn.LIF((4,), rngs=rngs),
    nnx.Linear(4, 4, rngs=rngs), snn.ALIF((4,), rngs=rngs),
    nnx.Linear(4, 4, rngs=rngs), snn.CuBaLIF((4,), rngs=rngs),
    nnx.Linear(4, 4, rngs=rngs), snn.RIF((4,), rngs=rngs),
    nnx.Linear(4, 4, rngs=rngs), snn.RLIF((4,), rngs=rngs),
    nnx.Linear(4, 4, rngs=rngs), snn.RCuBaLIF((4,), rngs=rngs),
    nnx.Linear(4, 2, rngs=rngs), snn.LI((2,), rngs=rngs),
)
xs = jnp.asarray(cd.spikes((10, 2, 4), p=0.7, seed=52)) * 4
traces, state = snn.run(model, xs)
RESULTS = {"traces": traces, **cd.flat(nnx.state(model, nnx.Param), "param"),
           **{f"state_{i}": s for i, s in enumerate(state) if s is not None}}
