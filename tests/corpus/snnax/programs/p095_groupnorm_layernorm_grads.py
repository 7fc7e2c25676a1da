"""Normalisation modules between Linear layers: eqx.nn.GroupNorm and LayerNorm, with their gradients."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=951, scale=4),
    eqx.nn.GroupNorm(2, 4),
    snn.SimpleLIF([0.75], threshold=0.5),
    cd.set_linear(eqx.nn.Linear(4, 3, key=k2), seed=952, scale=4),
    eqx.nn.LayerNorm(3),
    snn.LIF([0.75, 0.625], threshold=0.5),
)
xs = jnp.asarray(cd.spikes((10, 5), p=0.5, seed=953))


def loss(model):
    states, outs = model(model.init_state((5,), k3), xs, k3)
    return jnp.sum(outs[0] * jnp.arange(1.0, 4.0)) + jnp.sum(states[2][0]), (outs[0], states)


(value, (spikes, states)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "hidden_mem": states[2][0], "groupnorm_final": states[1][0],
           "grad_gn_weight": grads.layers[1].weight, "grad_gn_bias": grads.layers[1].bias,
           "grad_ln_weight": grads.layers[4].weight, "grad_w0": grads.layers[0].weight}
