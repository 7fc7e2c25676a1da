"""A whole training step under eqx.filter_jit with per-sample states (vmapped init_state), four SGD steps."""
# A whole training step under eqx.filter_jit: states made per sample by jax.vmap(init_state) over keys, a vmapped
# loss, four hand-written SGD steps on weights and decays.
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 6, key=k1), seed=811, scale=4),
    snn.LIF([0.75, 0.625], threshold=0.5),
    cd.set_linear(eqx.nn.Linear(6, 2, key=k2), seed=812, scale=4),
    snn.SimpleLI([0.75]),
)
B = 3
xs = jnp.asarray(cd.spikes((B, 10, 5), p=0.5, seed=813))
ys = jnp.asarray([0, 1, 1])
keys = jax.random.split(k3, B)


def loss_fn(model, xs, ys, keys):
    states = jax.vmap(lambda k: model.init_state((5,), k))(keys)

    def one(state, x, y, key):
        _, outs = model(state, x, key)
        return -jax.nn.log_softmax(outs[0][-1])[y]

    return jnp.mean(jax.vmap(one)(states, xs, ys, keys))


@eqx.filter_jit
def step(model, xs, ys, keys):
    loss, grads = eqx.filter_value_and_grad(loss_fn)(model, xs, ys, keys)
    model = eqx.apply_updates(model, jax.tree_util.tree_map(lambda g: -0.25 * g, grads))
    return model, loss


losses = []
for _ in range(4):
    model, loss = step(model, xs, ys, keys)
    losses.append(loss)
RESULTS = {"losses": jnp.stack(losses), "w0_after": model.layers[0].weight, "w2_after": model.layers[2].weight,
           "decay1_after": model.layers[1].decay_constants, "decay3_after": model.layers[3].decay_constants}
