"""SNNAX's layer_test for five layers: eqx.filter_grad decay gradients; filter_grad(filter_spec=is_decay_constants) gives none."""
# SNNAX's layer_test: each layer alone on (4, 4) inputs without a key, eqx.filter_grad of three steps gives decay
# gradients; snnax.utils.filter.filter_grad(filter_spec=is_decay_constants) differentiates nothing (the predicate is
# always False).
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jrand
import snnax.snn as snn
from snnax.utils.filter import filter_grad
from snnax.utils.tree import is_decay_constants

import corpus_data as cd

layers = {
    "simplelif": snn.SimpleLIF([0.875]),
    "lif": snn.LIF([0.875, 0.75]),
    "iaf": snn.IAF([0.875], [0.125]),
    "simpleli": snn.SimpleLI([0.875]),
    "sigmadelta": snn.SigmaDelta([0.75, 0.5, 0.75]),
}
key = jrand.PRNGKey(42)
shape = (4, 4)
input_spikes = jnp.asarray(cd.spikes(shape, p=0.75, seed=831) * 8)


def _test_grad(layer, state, input_spikes):
    state, output = layer(state, input_spikes)
    state, output = layer(state, input_spikes)
    state, output = layer(state, input_spikes)
    return jnp.sum(state[-1]) + jnp.sum(state[0])


RESULTS = {}
for name, layer in layers.items():
    init_state = layer.init_state(shape, key=key)
    state, output = layer(init_state, input_spikes)
    RESULTS[f"first_out_{name}"] = output
    state, output = layer(state, input_spikes)
    state, output = layer(state, input_spikes)
    RESULTS[f"third_out_{name}"] = output
    grads = eqx.filter_grad(_test_grad)(layer, init_state, input_spikes)
    RESULTS[f"grad_decay_{name}"] = grads.decay_constants
    grads = filter_grad(_test_grad, filter_spec=is_decay_constants)(layer, init_state, input_spikes)
    RESULTS[f"no_grad_{name}"] = jnp.asarray(len(jax.tree_util.tree_leaves(grads)))
