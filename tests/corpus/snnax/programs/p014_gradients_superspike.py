"""Gradients through the default superspike surrogate with eqx.filter_value_and_grad, batch by vmap (grad_decay1 is 0: LIF([0.5, 0.5]) sits on the clamp bound)."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(6, 8, key=k1), seed=51),
    snn.LIF([0.5, 0.5]),
    cd.set_linear(eqx.nn.Linear(8, 3, key=k2), seed=52),
    snn.LIF([0.5, 0.5], threshold=0.5),
)
xs = jnp.asarray(cd.spikes((3, 12, 6), p=0.5, seed=53))
target = jnp.asarray([[2.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 3.0, 1.0]])


@eqx.filter_value_and_grad
def loss_fn(model, xs, target):
    def one(x, y):
        states = model.init_state((6,), k3)
        _, outs = model(states, x, k3)
        return jnp.sum((outs[0].sum(0) - y) ** 2)

    return jnp.mean(jax.vmap(one)(xs, target))


loss, grads = loss_fn(model, xs, target)
RESULTS = {
    "loss": loss,
    "grad_w0": grads.layers[0].weight, "grad_b0": grads.layers[0].bias,
    "grad_w2": grads.layers[2].weight, "grad_b2": grads.layers[2].bias,
    "grad_decay1": grads.layers[1].decay_constants,
}
