"""A decay constant of 1.0 ('no leak') scales the input by 1 - 1 = 0 in SNNAX: SimpleLIF/SimpleLI/IAF with it never move (zero output), beside 0.875."""
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

xs = jnp.asarray(cd.dyadic((10, 4), low=0, high=8, seed=971) * 4)
RESULTS = {}
for d in (1.0, 0.875):
    tag = "one" if d == 1.0 else "0875"
    for name, layer in (("simplelif", snn.SimpleLIF([d], threshold=0.5)), ("simpleli", snn.SimpleLI([d])),
                        ("iaf", snn.IAF([d], threshold=0.5))):
        state = layer.init_state((4,), jax.random.PRNGKey(0))
        outs = []
        for x in xs:
            state, out = layer(state, x, key=jax.random.PRNGKey(0))
            outs.append(out)
        RESULTS[f"{'mem' if name == 'simpleli' else 'spikes'}_{name}_{tag}"] = jnp.stack(outs)
