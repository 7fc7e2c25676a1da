"""A three-layer spiking MLP mixing Linear layers with and without bias; hidden spikes read from the model."""
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(6, 5, rngs=rngs),
    snn.LIF((5,), beta=0.5, rngs=rngs),
    nnx.Linear(5, 4, use_bias=False, rngs=rngs),
    snn.IF((4,)),
    nnx.Linear(4, 2, rngs=rngs),
    snn.LI((2,), beta=0.75, rngs=rngs),
)
for i in (0, 2, 4):
    cd.set_linear(model.layers[i], seed=320 + i)

xs = jnp.asarray(cd.spikes((10, 2, 6), p=0.5, seed=326))
traces, final_state = snn.run(model, xs)

# the same network, one step at a time
state = model.initial_state(2)
stepped = []
for x in xs:
    out, state = model(x, state)
    stepped.append(out)

RESULTS = {"traces": traces, "stepped": jnp.stack(stepped),
           "spikes_stateless_layers": jnp.asarray([s is None for s in final_state]),
           "state_lif": final_state[1], "state_if": final_state[3], "state_li": final_state[5]}
