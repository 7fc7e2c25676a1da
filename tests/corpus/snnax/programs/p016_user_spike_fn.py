"""A user's own spike function (jax.custom_jvp, a triangle surrogate) given as spike_fn."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd


@jax.custom_jvp
def spike(x):
    return jnp.heaviside(x, 1.0)


@spike.defjvp
def spike_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return spike(x), dx * jnp.maximum(0.0, 1.0 - jnp.abs(x))


k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(cd.set_linear(eqx.nn.Linear(4, 4, key=k1), seed=71), snn.LIF([0.5, 0.5], spike_fn=spike))
xs = jnp.asarray(cd.spikes((10, 4), p=0.5, seed=72))


def loss(model):
    _, outs = model(model.init_state((4,), k2), xs, k2)
    return jnp.sum(outs[0] * jnp.arange(4.0))


value, grads = eqx.filter_value_and_grad(loss)(model)
RESULTS = {"loss": value, "grad_w": grads.layers[0].weight}
