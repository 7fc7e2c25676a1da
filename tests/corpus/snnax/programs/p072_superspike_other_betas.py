"""superspike_surrogate with beta 2 and 25 (not the default 10): the same spikes, different gradients."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.functional.surrogate import superspike_surrogate as sr

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
linear = cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=721, scale=4)
xs = jnp.asarray(cd.spikes((12, 5), p=0.5, seed=722))


def loss(model):
    _, outs = model(model.init_state((5,), k2), xs, k2)
    return jnp.sum(outs[0] * jnp.arange(1.0, 5.0)), outs[0]


results = {}
for beta in (2.0, 25.0):
    model = snn.Sequential(linear, snn.SimpleLIF([0.75], spike_fn=sr(beta), threshold=0.5))
    (value, spikes), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
    results[f"spikes_beta{int(beta)}"] = spikes
    results[f"grad_w_beta{int(beta)}"] = grads.layers[0].weight
    results[f"grad_decay_beta{int(beta)}"] = grads.layers[1].decay_constants
RESULTS = results
