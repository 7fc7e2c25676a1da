"""Gradients w.r.t. input spikes and hand-set initial states (one membrane starts at threshold, its spike state 0), and jax.jvp w.r.t. a threshold."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=981, scale=4),
    snn.LIF([0.75, 0.625], threshold=jnp.asarray(0.5)),
)
xs = jnp.asarray(cd.spikes((10, 5), p=0.5, seed=982))
states = model.init_state((5,), k2)
states = [states[0], [jnp.asarray([0.25, 0.0, 0.5, 0.125]), jnp.asarray([0.5, 0.25, 0.0, 0.75]), states[1][2]]]


def loss(xs, states):
    _, outs = model(states, xs, k2)
    return jnp.sum(outs[0] * jnp.arange(1.0, 5.0))


g_xs, g_states = jax.grad(loss, argnums=(0, 1))(xs, states)


def loss_of_threshold(th):
    m = eqx.tree_at(lambda m: m.layers[1].threshold, model, th)
    _, outs = m(states, xs, k2)
    return jnp.sum(outs[0] * jnp.arange(1.0, 5.0))


value, tangent = jax.jvp(loss_of_threshold, (jnp.asarray(0.5),), (jnp.asarray(1.0),))
RESULTS = {"loss": value, "grad_xs": g_xs, "grad_mem0": g_states[1][0], "grad_syn0": g_states[1][1],
           "grad_jvp_threshold": tangent}
