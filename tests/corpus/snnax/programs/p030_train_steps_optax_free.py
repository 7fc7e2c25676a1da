"""Three SGD steps written by hand (eqx.apply_updates), the way SNNAX's tutorials train."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 6, key=k1), seed=211),
    snn.LIF([0.5, 0.5]),
    cd.set_linear(eqx.nn.Linear(6, 2, key=k2), seed=212),
    snn.SimpleLI([0.5]),
)
xs = jnp.asarray(cd.spikes((2, 10, 5), p=0.5, seed=213))
ys = jnp.asarray([0, 1])


def loss_fn(model, xs, ys):
    def one(x, y):
        _, outs = model(model.init_state((5,), k3), x, k3)
        logits = outs[0].mean(0)
        return -jax.nn.log_softmax(logits)[y]

    return jnp.mean(jax.vmap(one)(xs, ys))


losses = []
for _ in range(3):
    loss, grads = eqx.filter_value_and_grad(loss_fn)(model, xs, ys)
    updates = jax.tree_util.tree_map(lambda g: -0.5 * g, grads)
    model = eqx.apply_updates(model, updates)
    losses.append(loss)
RESULTS = {"losses": jnp.stack(losses), "w0_after": model.layers[0].weight, "w2_after": model.layers[2].weight}
