"""SequentialLocalFeedback with a CompoundLayer and feedback_layers=None runs feed-forward at HEAD (no self-loop)."""
# SequentialLocalFeedback(CompoundLayer(Linear, LIF), ...) with feedback_layers=None, as written at HEAD: it builds
# the self-loops and then passes the feed-forward graph, so it runs as a plain Sequential (connectivity reported).
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import CompoundLayer

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.composed.SequentialLocalFeedback(
    CompoundLayer(cd.set_linear(eqx.nn.Linear(5, 5, key=k1), seed=651, scale=4), snn.LIF([0.75, 0.625], threshold=0.5)),
    cd.set_linear(eqx.nn.Linear(5, 3, key=k2), seed=652, scale=4),
    snn.SimpleLIF([0.5], threshold=0.5),
    forward_fn=snn.architecture.default_forward_fn,
    feedback_layers=None,
)
states = model.init_state((5,), k3)
states, outs = model(states, jnp.asarray(cd.spikes((12, 5), p=0.5, seed=653)), k3)
conn = model.graph_structure.input_connectivity
RESULTS = {"spikes_out": outs[0], "sources_per_layer": jnp.asarray([len(c) for c in conn]),
           **cd.flat_states(states, "final")}
