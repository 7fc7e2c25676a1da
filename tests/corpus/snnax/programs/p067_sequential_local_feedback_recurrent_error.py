"""SequentialLocalFeedback around CompoundLayer(Parallel([ff, rec]), LIF): SNNAX fails (the self-loop is dropped)."""
# SequentialLocalFeedback with the benchmarks' recurrent cell CompoundLayer(Parallel([ff, rec]), LIF): HEAD drops
# the self-loop, so the Parallel gets one array instead of [input, own spikes] and fails.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import CompoundLayer, Parallel, SequentialLocalFeedback

import corpus_data as cd

k = jax.random.split(jax.random.PRNGKey(0), 4)
model = SequentialLocalFeedback(
    cd.set_linear(eqx.nn.Linear(6, 5, key=k[0]), seed=671),
    CompoundLayer(Parallel([cd.set_linear(eqx.nn.Linear(5, 5, key=k[1]), seed=672),
                            cd.set_linear(eqx.nn.Linear(5, 5, key=k[2]), seed=673, bias=False)]),
                  snn.LIF([0.75, 0.75])),
)
states = model.init_state((6,), k[3])
states, outs = model(states, jnp.asarray(cd.spikes((8, 6), p=0.5, seed=674)), k[3])
RESULTS = {"spikes_out": outs[0][-1]}
