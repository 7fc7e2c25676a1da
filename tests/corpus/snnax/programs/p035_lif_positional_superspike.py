"""snn.LIF([.875, .75], superspike_surrogate(5.), 0.5): positional (decay_constants, spike_fn, threshold), gradients."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.functional.surrogate import superspike_surrogate

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=351, scale=4),
    snn.LIF([.875, .75], superspike_surrogate(5.), 0.5),
)
xs = jnp.asarray(cd.spikes((14, 5), p=0.5, seed=352))


def loss(model):
    _, outs = model(model.init_state((5,), k2), xs, k2)
    return jnp.sum((outs[0].sum(0) - 3.0) ** 2), outs[0]


(value, spikes), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "loss": value, "grad_w": grads.layers[0].weight,
           "grad_b": grads.layers[0].bias, "grad_decay": grads.layers[1].decay_constants}
