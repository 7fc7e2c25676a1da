"""User code on the model object: model[i], len(model), eqx.tree_at on model.layers[i], Dropout(inference=True), a rerun."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    eqx.nn.Linear(5, 4, key=k1),
    eqx.nn.Dropout(0.5, inference=True),
    snn.LIF([0.75, 0.625], threshold=0.5),
    eqx.nn.Linear(4, 3, use_bias=False, key=k2),
    snn.SimpleLIF([0.75], threshold=0.5),
)
assert len(model) == 5
model = eqx.tree_at(lambda m: m.layers[0], model, cd.set_linear(model[0], seed=931, scale=4))
model = eqx.tree_at(lambda m: m[3].weight, model, jnp.asarray(cd.dyadic((3, 4), scale=2, seed=932)))
model = eqx.tree_at(lambda m: m.layers[2].decay_constants, model, jnp.asarray([0.875, 0.75]))
xs = jnp.asarray(cd.spikes((12, 5), p=0.5, seed=933))
states, outs = model(model.init_state((5,), k3), xs, k3)
RESULTS = {"spikes_out": outs[0], "n_layers": jnp.asarray(len(model)), **cd.flat_states(states, "final")}
