"""default_forward_fn and gen_feed_forward_struct imported from their submodules: StatefulModel equals Sequential."""
# default_forward_fn imported from snnax.snn.architecture and passed as forward_fn, with gen_feed_forward_struct
# from snnax.snn.composed: StatefulModel and Sequential give the same numbers.
import equinox as eqx
import jax
import jax.numpy as jnp
import snnax.snn as snn
from snnax.snn.architecture import default_forward_fn
from snnax.snn.composed import gen_feed_forward_struct

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
layers = [
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=761, scale=2),
    snn.LIF([0.75, 0.625], threshold=0.5),
    cd.set_linear(eqx.nn.Linear(4, 3, key=k2), seed=762, scale=2),
    snn.LIF([0.75, 0.625], threshold=0.5),
]
graph = gen_feed_forward_struct(4)
model_a = snn.StatefulModel(graph, layers, forward_fn=default_forward_fn)
model_b = snn.Sequential(*layers, forward_fn=default_forward_fn)
xs = jnp.asarray(cd.spikes((12, 5), p=0.5, seed=763))
_, outs_a = model_a(model_a.init_state((5,), k3), xs, k3)
_, outs_b = model_b(model_b.init_state((5,), k3), xs, k3)
RESULTS = {"spikes_graph": outs_a[0], "spikes_sequential": outs_b[0],
           "input_layer_ids": jnp.asarray([len(i) for i in graph.input_layer_ids]),
           "sources": jnp.asarray([c[0] if c else -1 for c in graph.input_connectivity])}
