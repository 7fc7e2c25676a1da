"""Per-neuron leak arrays for SimpleIAF and IAF (shape (n,)) and IAF's per-neuron decay (1, n) in a chain, with their gradients."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=961, scale=8),
    snn.SimpleIAF(jnp.asarray([0.0, 0.125, 0.25, 0.0625]), 0.75),
    cd.set_linear(eqx.nn.Linear(4, 3, key=k2), seed=962, scale=2),
    snn.IAF(jnp.asarray([[0.75, 0.625, 0.875]]), jnp.asarray([0.125, 0.0, 0.0625]), 0.5),
)
xs = jnp.asarray(cd.spikes((14, 5), p=0.5, seed=963))


def loss(model):
    states, outs = model(model.init_state((5,), k3), xs, k3)
    return jnp.sum(outs[0] * jnp.arange(1.0, 4.0)) + jnp.sum(states[1][0]), (outs[0], states)


(value, (spikes, states)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "spikes_hidden": states[1][1], "grad_leak1": grads.layers[1].leak,
           "grad_leak3": grads.layers[3].leak, "grad_decay3": grads.layers[3].decay_constants,
           "grad_w0": grads.layers[0].weight, **cd.flat_states(states, "final")}
