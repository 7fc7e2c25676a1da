"""LIF and LIFSoftReset whose init_fn starts the membrane above threshold: SNNAX's initial spike state is 0, so step 1 does not reset."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd


def charged(shape, key):
    return jnp.full(shape, 0.75)


k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
xs = jnp.asarray(cd.spikes((10, 5), p=0.5, seed=1001))
RESULTS = {}
for name, cls in (("lif", snn.LIF), ("lifsoftreset", snn.LIFSoftReset)):
    model = snn.Sequential(cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=1002, scale=4),
                           cls([0.75, 0.625], threshold=0.5, init_fn=charged))
    states, outs = model(model.init_state((5,), k2), xs, k2)
    RESULTS[f"spikes_{name}"] = outs[0]
    RESULTS.update(cd.flat_states(states, f"final_{name}"))
