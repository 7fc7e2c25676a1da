"""burnin=5 with gradients w.r.t. decays and an array threshold (the burn-in steps carry none), final states."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=781, scale=4),
    snn.LIF([0.75, 0.625], threshold=jnp.asarray(0.5)),
    cd.set_linear(eqx.nn.Linear(4, 3, key=k2), seed=782, scale=4),
    snn.SimpleLIF([0.875], threshold=0.5),
)
xs = jnp.asarray(cd.spikes((14, 5), p=0.5, seed=783))


def loss(model):
    states, outs = model(model.init_state((5,), k3), xs, k3, burnin=5)
    return jnp.sum(outs[0] * jnp.arange(1.0, 4.0)), (outs[0], states)


(value, (spikes, states)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "grad_decay1": grads.layers[1].decay_constants,
           "grad_threshold1": grads.layers[1].threshold, "grad_decay3": grads.layers[3].decay_constants,
           "grad_w0": grads.layers[0].weight, **cd.flat_states(states, "final")}
