"""AdaptiveLIF([0.75]) with its default ada_* constants ([.8], [1.], [.5]): spikes and the ada_* gradients."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=391, scale=2),
    snn.AdaptiveLIF([0.75], threshold=0.5),
)
xs = jnp.asarray(cd.spikes((14, 5), p=0.6, seed=392))


def loss(model):
    states, outs = model(model.init_state((5,), k2), xs, k2)
    return jnp.sum(outs[0]) + jnp.sum(states[1][1]), (outs[0], states)


(value, (spikes, states)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
g = grads.layers[1]
RESULTS = {"spikes_out": spikes, "loss": value, "grad_decay": g.decay_constants,
           "grad_ada_decay": g.ada_decay_constant, "grad_ada_step": g.ada_step_val,
           "grad_ada_coupling": g.ada_coupling_var, "grad_w": grads.layers[0].weight,
           **cd.flat_states(states, "final")}
