"""The docs' SequentialLocalFeedback example with feedback_layers={1: 0} (corrected): the feedback edge is dropped."""
# The docs' SequentialLocalFeedback example with feedback_layers={1: 0}, corrected (layers as *args, eqx.nn.Linear,
# LIF given decays): at HEAD the feedback edge is dropped and the model is feed-forward.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import SequentialLocalFeedback

import corpus_data as cd

key = jax.random.PRNGKey(0)
layers = [
    cd.set_linear(eqx.nn.Linear(10, 20, key=key), seed=661, scale=4),
    eqx.nn.LayerNorm(20),
    snn.LIF([0.5, 0.5], threshold=0.5),
]
feedback_layers = {1: 0}
feed_forward = SequentialLocalFeedback(*layers, feedback_layers=feedback_layers)
states = feed_forward.init_state((10,), key)
states, outs = feed_forward(states, jnp.asarray(cd.spikes((10, 10), p=0.5, seed=662)), key)
RESULTS = {"spikes_out": outs[0], "sources_per_layer": jnp.asarray([len(c) for c in feed_forward.graph_structure.input_connectivity])}
