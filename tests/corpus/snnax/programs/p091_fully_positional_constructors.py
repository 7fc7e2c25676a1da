"""Every neuron constructor called with all arguments by position, in SNNAX's own orders (SimpleIAF: shape before init_fn)."""
import jax
import jax.numpy as jnp
from snnax import snn
from snnax.functional.surrogate import piecewise_surrogate, superspike_surrogate

import corpus_data as cd


def start(shape, key):
    return jnp.full(shape, 0.25)


sr = superspike_surrogate(4.)
layers = {
    "simpleiaf": snn.SimpleIAF(0.125, 0.75, sr, True, 0.5, (4,), start),
    "iaf": snn.IAF([0.75], 0.0, 0.75, sr, False, 0.25, start, (4,)),
    "simplelif": snn.SimpleLIF([0.75], sr, 0.5, True, 0.0, start, (4,), None),
    "lif": snn.LIF([0.75, 0.625], piecewise_surrogate(1.0), 0.5, True, 0.125, start, (4,), None),
    "lifsoftreset": snn.LIFSoftReset([0.75, 0.625], sr, 0.5, False, 0.25, start, (4,), None),
    "adaptivelif": snn.AdaptiveLIF([0.75], [0.75], [0.5], [0.25], sr, 0.5, True, 0.25, start, (4,), None),
    "simpleli": snn.SimpleLI([0.75], start, (4,), None),
    "sigmadelta": snn.SigmaDelta([0.5, 0.75, 0.5], 0.5, sr, start, (4,)),
}
xs = jnp.asarray(cd.dyadic((10, 4), low=-2, high=8, seed=911) * 2)
RESULTS = {}
for name, layer in layers.items():
    state = layer.init_state((4,), jax.random.PRNGKey(0))
    outs = []
    for x in xs:
        state, out = layer(state, x, key=jax.random.PRNGKey(0))
        outs.append(out)
    prefix = "mem" if name == "simpleli" else "spikes"
    RESULTS[f"{prefix}_{name}"] = jnp.stack(outs)
    RESULTS.update(cd.flat_states(state, f"final_{name}"))
