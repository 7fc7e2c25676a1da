"""snnax.utils.tree.apply_to_tree_leaf on decay_constants and threshold, then a run; the is_* predicates' values."""
# snnax.utils.tree.apply_to_tree_leaf, as SNNAX's example scripts use it after init: every decay_constants and every
# threshold in the model replaced; the is_* predicates on the model's arrays (always False at HEAD).
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.utils.tree import apply_to_tree_leaf, is_decay_constants, is_threshold

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=841, scale=2),
    snn.LIF([0.5, 0.5]),
    cd.set_linear(eqx.nn.Linear(4, 3, key=k2), seed=848, scale=2),
    snn.SimpleLIF([0.5]),
)
model = apply_to_tree_leaf(model, "decay_constants", lambda x: jnp.clip(x + 0.25, 0.5, 0.875))
model = apply_to_tree_leaf(model, "threshold", lambda x: 0.5)
xs = jnp.asarray(cd.spikes((16, 5), p=0.5, seed=843))
_, outs = model(model.init_state((5,), k3), xs, k3)
RESULTS = {"spikes_out": outs[0], "decay1": model.layers[1].decay_constants, "decay3": model.layers[3].decay_constants,
           "threshold3": jnp.asarray(model.layers[3].threshold),
           "predicates": jnp.asarray([is_decay_constants(model.layers[1].decay_constants),
                                      is_threshold(model.layers[1].threshold)])}
