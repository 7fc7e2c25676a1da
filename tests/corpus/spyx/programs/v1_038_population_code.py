"""PopulationCode(3) on a 6-neuron output layer, per time step (note what it does to the batch axis)."""
import jax
import jax.numpy as jnp
from flax import nnx
import spyx.nn as snn

import corpus_data as cd

rngs = nnx.Rngs(0)
model = snn.Sequential(
    nnx.Linear(4, 6, rngs=rngs),
    snn.LIF((6,), beta=0.5, rngs=rngs),
)
cd.set_linear(model.layers[0], seed=38)
pop = snn.PopulationCode(3)

xs = jnp.asarray(cd.spikes((8, 2, 4), p=0.6, seed=381))
spikes, _ = snn.run(model, xs)
per_step = jax.vmap(pop)(spikes)  # (T, B * 6 / 3): runs of 3 consecutive values, batch flattened in
RESULTS = {"spikes_out": spikes, "spikes_pop": per_step, "spikes_pop_one_step": pop(spikes[0]),
           "spikes_pop_whole_run": pop(spikes)}
