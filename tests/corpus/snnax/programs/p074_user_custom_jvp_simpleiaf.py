"""A user's jax.custom_jvp spike function in a SimpleIAF with a jnp threshold: gradients w.r.t. weights, leak, threshold."""
# A user's own jax.custom_jvp spike function (fast sigmoid) in a SimpleIAF with a jnp threshold: gradients w.r.t.
# weights, leak and threshold.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd


@jax.custom_jvp
def fast_sigmoid_spike(x):
    return jnp.where(x >= 0, 1.0, 0.0)


@fast_sigmoid_spike.defjvp
def _jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return fast_sigmoid_spike(x), dx / (1.0 + 4.0 * jnp.abs(x)) ** 2


k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=741, scale=8),
    snn.SimpleIAF(leak=0.125, threshold=jnp.asarray(0.75), spike_fn=fast_sigmoid_spike),
)
xs = jnp.asarray(cd.spikes((12, 5), p=0.5, seed=742))


def loss(model):
    _, outs = model(model.init_state((5,), k2), xs, k2)
    return jnp.sum(outs[0] * jnp.arange(1.0, 5.0)), outs[0]


(value, spikes), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "loss": value, "grad_w": grads.layers[0].weight,
           "grad_leak": grads.layers[1].leak, "grad_threshold": grads.layers[1].threshold}
