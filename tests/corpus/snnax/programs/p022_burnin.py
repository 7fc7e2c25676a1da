"""burnin: the first steps run without gradient, the outputs cover the rest."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(cd.set_linear(eqx.nn.Linear(4, 3, key=k1), seed=131), snn.SimpleLIF([0.5], threshold=0.5))
xs = jnp.asarray(cd.spikes((12, 4), p=0.5, seed=132))


def loss(model):
    _, outs = model(model.init_state((4,), k2), xs, k2, burnin=4)
    return jnp.sum(outs[0]), outs[0]


(value, outs), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": outs, "grad_w": grads.layers[0].weight}
