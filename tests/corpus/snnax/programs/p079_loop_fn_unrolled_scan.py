"""StatefulModel's loop_fn hook: a user's lax.scan with unroll=4 instead of the default loop."""
from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.snn.composed import gen_feed_forward_struct

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
layers = [cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=791, scale=4), snn.LIF([0.75, 0.625], threshold=0.5)]
model = snn.StatefulModel(gen_feed_forward_struct(2), layers, loop_fn=partial(jax.lax.scan, unroll=4))
xs = jnp.asarray(cd.spikes((12, 5), p=0.5, seed=792))


def loss(model):
    states, outs = model(model.init_state((5,), k2), xs, k2)
    return jnp.sum(outs[0]), (outs[0], states)


(value, (spikes, states)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "grad_w": grads.layers[0].weight, **cd.flat_states(states, "final")}
