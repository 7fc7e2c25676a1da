"""Constants outside SNNAX's clamp ranges (LIF decay 0.25, ada coupling -1.5, ada step 2.5): clamped values, zero gradients for them."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=921, scale=4),
    snn.LIF([0.25, 0.75], threshold=0.5),
    cd.set_linear(eqx.nn.Linear(4, 3, key=k2), seed=922, scale=2),
    snn.AdaptiveLIF([0.75], ada_decay_constant=[0.625], ada_step_val=[2.5], ada_coupling_var=[-1.5], threshold=0.5),
)
xs = jnp.asarray(cd.spikes((14, 5), p=0.5, seed=923))


def loss(model):
    states, outs = model(model.init_state((5,), k3), xs, k3)
    return jnp.sum(outs[0] * jnp.arange(1.0, 4.0)) + jnp.sum(states[3][1]), (outs[0], states)


(value, (spikes, states)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
g = grads.layers[3]
RESULTS = {"spikes_out": spikes, "loss": value, "grad_lif_decays": grads.layers[1].decay_constants,
           "grad_ada_step": g.ada_step_val, "grad_ada_coupling": g.ada_coupling_var,
           "grad_ada_decay": g.ada_decay_constant, "grad_decay3": g.decay_constants,
           "grad_w0": grads.layers[0].weight, **cd.flat_states(states, "final")}
