"""A user's own Equinox module (a trainable per-feature gain with its own __init__ and key) between SNNAX layers."""
import equinox as eqx
import jax
import jax.numpy as jnp
from snnax import snn

import corpus_data as cd


class Gain(eqx.Module):
    gain: jax.Array
    offset: float = eqx.field(static=True)

    def __init__(self, n, offset=0.0, *, key):
        self.gain = jnp.ones(n) + jnp.floor(jax.random.uniform(key, (n,)) * 4) / 4
        self.offset = offset

    def __call__(self, x, *, key=None):
        return self.gain * x + self.offset


k1, k2, k3, k4 = jax.random.split(jax.random.PRNGKey(0), 4)
model = snn.Sequential(
    cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=701, scale=8),
    Gain(4, offset=0.125, key=k2),
    snn.LIF([0.75, 0.625], threshold=0.5),
    cd.set_linear(eqx.nn.Linear(4, 2, key=k3), seed=702),
    snn.SimpleLI([0.75]),
)
xs = jnp.asarray(cd.spikes((12, 5), p=0.5, seed=703))


def loss(model):
    _, outs = model(model.init_state((5,), k4), xs, k4)
    return jnp.sum(outs[0][-1] ** 2), outs[0]


(value, readout), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"readout": readout, "gain": model.layers[1].gain, "grad_gain": grads.layers[1].gain,
           "grad_w0": grads.layers[0].weight}
