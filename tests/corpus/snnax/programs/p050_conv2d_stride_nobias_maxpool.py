"""Conv2d(stride=2, padding=1, use_bias=False) -> LIF -> eqx.nn.MaxPool2d -> Flatten -> Linear(use_bias=False) -> LIF, gradients."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_conv(eqx.nn.Conv2d(2, 3, 3, stride=2, padding=1, use_bias=False, key=k1), seed=501, scale=4),
    snn.LIF([0.75, 0.625], threshold=0.5),
    eqx.nn.MaxPool2d(2, 1),
    snn.Flatten(),
    cd.set_linear(eqx.nn.Linear(3 * 3 * 3, 4, use_bias=False, key=k2), seed=502, scale=4),
    snn.LIF([0.75, 0.625], threshold=0.5),
)
xs = jnp.asarray(cd.spikes((12, 2, 8, 8), p=0.4, seed=503))


def loss(model):
    states, outs = model(model.init_state((2, 8, 8), k3), xs, k3)
    return jnp.sum(outs[0] * jnp.arange(1.0, 5.0)), (outs[0], states)


(value, (spikes, states)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "spikes_conv_lif": states[1][2], "pool_final": states[2][0],
           "grad_conv": grads.layers[0].weight, "grad_linear": grads.layers[4].weight,
           "grad_decay1": grads.layers[1].decay_constants}
