"""An adaptive LIF with given beta and gamma, stepped by hand; the state packs [V, T] on the last axis."""
import jax.numpy as jnp
from flax import nnx
import spyx
import spyx.nn as snn

import corpus_data as cd

alif = snn.ALIF((4,), beta=0.875, gamma=0.75, activation=spyx.axn.arctan(), rngs=nnx.Rngs(0))
xs = jnp.asarray(cd.dyadic((12, 2, 4), low=-2, high=12, seed=5))

VT = alif.initial_state(2)
outs, states = [], []
for x in xs:
    s, VT = alif(x, VT)
    outs.append(s)
    states.append(VT)

V, T = jnp.split(VT, 2, -1)
RESULTS = {"spikes": jnp.stack(outs), "state_trace": jnp.stack(states), "membrane": V, "adaptation": T}
