"""SigmaDelta in a chain, threshold as an array: gradients w.r.t. its three (unclamped) decays and threshold."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=411, scale=8),
    snn.SigmaDelta([0.5, 0.75, 0.25], threshold=jnp.asarray(0.5)),
)
xs = jnp.asarray(cd.spikes((12, 5), p=0.5, seed=412))


def loss(model):
    states, outs = model(model.init_state((5,), k2), xs, k2)
    return jnp.sum(outs[0] * jnp.arange(1.0, 5.0)), (outs[0], states)


(value, (spikes, states)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "loss": value, "grad_decays": grads.layers[1].decay_constants,
           "grad_threshold": grads.layers[1].threshold, "grad_w": grads.layers[0].weight,
           **cd.flat_states(states, "final")}
