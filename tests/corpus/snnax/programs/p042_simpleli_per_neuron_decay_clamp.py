"""SimpleLI with per-neuron decays (1, n): gradients, zero for the decays at or below the clamp bound 0.5."""
# SimpleLI readout with per-neuron decays (1, n), one below 0.5 and one at 0.5: SNNAX's lax.clamp(0.5, d, 1) gives
# both a zero gradient (also at the bound itself).
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=421),
    snn.SimpleLI(jnp.asarray([[0.25, 0.5, 0.75, 0.875]])),
)
xs = jnp.asarray(cd.spikes((10, 5), p=0.5, seed=422))


def loss(model):
    _, outs = model(model.init_state((5,), k2), xs, k2)
    return jnp.sum(outs[0][-1] * jnp.asarray([1.0, -1.0, 2.0, 0.5])), outs[0]


(value, readout), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"readout": readout, "loss": value, "grad_decay": grads.layers[1].decay_constants,
           "grad_w": grads.layers[0].weight}
