"""LIF with stop_reset_grad=False: the reset term carries gradient (compare with the same model's default)."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
linear = cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=361, scale=4)
xs = jnp.asarray(cd.spikes((14, 5), p=0.5, seed=362))


def loss(model):
    states, outs = model(model.init_state((5,), k2), xs, k2)
    return jnp.sum(outs[0] * jnp.arange(1.0, 5.0)) + jnp.sum(states[1][0]), outs[0]


results = {}
for name, flag in (("free", False), ("stopped", True)):
    model = snn.Sequential(linear, snn.LIF([0.75, 0.625], threshold=0.5, stop_reset_grad=flag))
    (value, spikes), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
    results[f"spikes_{name}"] = spikes
    results[f"loss_{name}"] = value
    results[f"grad_w_{name}"] = grads.layers[0].weight
    results[f"grad_decay_{name}"] = grads.layers[1].decay_constants
RESULTS = results
