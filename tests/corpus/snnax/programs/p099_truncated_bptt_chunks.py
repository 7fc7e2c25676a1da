"""Truncated BPTT as users write it: the sequence in chunks, states carried with stop_gradient, gradients summed, the step under eqx.filter_jit."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=991, scale=4),
    snn.LIF([0.75, 0.625], threshold=0.5),
    cd.set_linear(eqx.nn.Linear(4, 2, key=k2), seed=992, scale=4),
    snn.SimpleLI([0.75]),
)
xs = jnp.asarray(cd.spikes((16, 5), p=0.5, seed=993))


def chunk_loss(model, states, chunk):
    states, outs = model(states, chunk, k3)
    return jnp.sum(outs[0][-1] ** 2), states


grad_fn = eqx.filter_jit(eqx.filter_value_and_grad(chunk_loss, has_aux=True))
states = model.init_state((5,), k3)
total = None
losses = []
for chunk in jnp.split(xs, 2):
    (value, states), grads = grad_fn(model, states, chunk)
    states = jax.lax.stop_gradient(states)
    total = grads if total is None else jax.tree_util.tree_map(jnp.add, total, grads)
    losses.append(value)
RESULTS = {"losses": jnp.stack(losses), "grad_w0": total.layers[0].weight, "grad_w2": total.layers[2].weight,
           "grad_decay1": total.layers[1].decay_constants, **cd.flat_states(states, "final")}
