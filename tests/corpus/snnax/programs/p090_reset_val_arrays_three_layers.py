"""reset_val as a jnp array with stop_reset_grad=False in SimpleLIF, SimpleIAF and IAF alone: reset_val/threshold gradients."""
# reset_val as a jnp array with stop_reset_grad=False in SimpleLIF (softplus of it is subtracted), SimpleIAF and IAF
# (subtracted as is): each layer alone, gradients w.r.t. reset_val and threshold.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

xs = jnp.asarray(cd.dyadic((12, 5), low=0, high=8, seed=901) * 2)
layers = {
    "simplelif": snn.SimpleLIF([0.75], threshold=jnp.asarray(0.5), reset_val=jnp.asarray(0.25), stop_reset_grad=False),
    "simpleiaf": snn.SimpleIAF(0.0, jnp.asarray(1.0), reset_val=jnp.asarray(0.5), stop_reset_grad=False),
    "iaf": snn.IAF([0.75], threshold=jnp.asarray(1.0), reset_val=jnp.asarray(0.75), stop_reset_grad=False),
}


def run(layer):
    state = layer.init_state((5,), jax.random.PRNGKey(0))
    outs = []
    for x in xs:
        state, out = layer(state, x, key=jax.random.PRNGKey(0))
        outs.append(out)
    return jnp.stack(outs), state


def loss(layer):
    spikes, state = run(layer)
    return jnp.sum(state[0] ** 2) + jnp.sum(spikes * jnp.arange(1.0, 13.0)[:, None]), spikes


RESULTS = {}
for name, layer in layers.items():
    (value, spikes), grads = eqx.filter_value_and_grad(loss, has_aux=True)(layer)
    RESULTS[f"spikes_{name}"] = spikes
    RESULTS[f"loss_{name}"] = value
    RESULTS[f"grad_reset_val_{name}"] = grads.reset_val
    RESULTS[f"grad_threshold_{name}"] = grads.threshold
