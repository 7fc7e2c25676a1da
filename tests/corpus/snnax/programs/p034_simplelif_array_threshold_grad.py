"""SimpleLIF with threshold as a jnp array (a trainable leaf): gradients w.r.t. threshold, decay and weights."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(6, 5, key=k1), seed=341, scale=4),
    snn.SimpleLIF([0.75], threshold=jnp.asarray(0.75)),
)
xs = jnp.asarray(cd.spikes((12, 6), p=0.5, seed=342))


def loss(model):
    states, outs = model(model.init_state((6,), k2), xs, k2)
    return jnp.sum(outs[0] * jnp.linspace(0.25, 2.0, 12)[:, None]), outs[0]


(value, spikes), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {
    "spikes_out": spikes, "loss": value,
    "grad_threshold": grads.layers[1].threshold, "grad_decay": grads.layers[1].decay_constants,
    "grad_w": grads.layers[0].weight,
}
