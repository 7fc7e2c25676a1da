"""snn.run under nnx.jit, and a run resumed from the final state of an earlier one."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(3)
model = snn.Sequential(
    nnx.Linear(4, 5, rngs=rngs),
    snn.CuBaLIF((5,), alpha=0.75, beta=0.5, rngs=rngs),
    nnx.Linear(5, 2, rngs=rngs),
    snn.LI((2,), beta=0.875, rngs=rngs),
)
cd.set_linear(model.layers[0], seed=49)
cd.set_linear(model.layers[2], seed=491)
xs = jnp.asarray(cd.spikes((12, 3, 4), p=0.5, seed=492))


@nnx.jit
def forward(m, x, state):
    return snn.run(m, x, state)


whole, _ = forward(model, xs, model.initial_state(3))
first, mid = snn.run(model, xs[:5])
second, end = forward(model, xs[5:], mid)
RESULTS = {"whole": whole, "first": first, "second": second, "cuba_state": end[1], "li_state": end[3]}
