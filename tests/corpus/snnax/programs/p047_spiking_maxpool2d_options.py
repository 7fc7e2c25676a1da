"""SpikingMaxPool2d(kernel, stride, padding=1, threshold, spike_fn=piecewise) after a Conv2d; gradients through the pool's surrogate."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.functional.surrogate import piecewise_surrogate

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_conv(eqx.nn.Conv2d(1, 2, 3, padding=1, key=k1), seed=471, scale=4),
    snn.SimpleLIF([0.5], threshold=1.0),
    snn.SpikingMaxPool2d(3, 2, padding=1, threshold=0.5, spike_fn=piecewise_surrogate(1.0)),
    snn.Flatten(),
    cd.set_linear(eqx.nn.Linear(2 * 3 * 3, 3, key=k2), seed=472, scale=4),
    snn.SimpleLIF([0.5], threshold=0.5),
)
xs = jnp.asarray(cd.spikes((10, 1, 6, 6), p=0.3, seed=473))


def loss(model):
    states, outs = model(model.init_state((1, 6, 6), k3), xs, k3)
    return jnp.sum(outs[0] * jnp.arange(1.0, 4.0)), (outs[0], states)


(value, (spikes, states)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "spikes_pool": states[2][0], "grad_conv": grads.layers[0].weight,
           "grad_linear": grads.layers[4].weight}
