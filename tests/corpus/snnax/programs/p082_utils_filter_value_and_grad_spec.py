"""snnax.utils.filter.filter_value_and_grad with a filter_spec pytree: only the Linear layers get gradients."""
# snnax.utils.filter.filter_value_and_grad with a filter_spec pytree (only the Linear layers trainable, as SNNAX's
# examples build it with tree_map and tree_at): the neuron parameters get no gradient.
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
from snnax import snn
from snnax.utils.filter import filter_value_and_grad

import corpus_data as cd

k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=821, scale=4),
    snn.LIF([0.75, 0.625], threshold=jnp.asarray(0.5)),
    cd.set_linear(eqx.nn.Linear(4, 3, key=k2), seed=822, scale=4),
    snn.LIF([0.75, 0.625], threshold=0.5),
)
filter_spec = jtu.tree_map(lambda _: False, model)
for i in (0, 2):
    filter_spec = eqx.tree_at(lambda m: (m.layers[i].weight, m.layers[i].bias), filter_spec, replace=(True, True))
xs = jnp.asarray(cd.spikes((12, 5), p=0.5, seed=823))


def loss(model, xs):
    _, outs = model(model.init_state((5,), k3), xs, k3)
    return jnp.sum(outs[0] * jnp.arange(1.0, 4.0))


value, grads = filter_value_and_grad(loss, filter_spec=filter_spec)(model, xs)
RESULTS = {"loss": value, "grad_w0": grads.layers[0].weight, "grad_b0": grads.layers[0].bias,
           "grad_w2": grads.layers[2].weight,
           "neuron_grads_none": jnp.asarray([grads.layers[1].decay_constants is None, grads.layers[1].threshold is None])}
