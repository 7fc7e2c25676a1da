"""The docs' CustomLayer(snn.layers.StatefulLayer), corrected only to run at HEAD, in a chain with gradients."""
# The docs' CustomLayer(snn.layers.StatefulLayer), corrected only to run at HEAD: fields declared (Equinox needs
# them), init_parameters without requires_grad (HEAD has no such argument, so both parameters are trainable), no
# .data, and the state as the list that the default init_state makes.
from typing import Callable, Optional, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import Array
from jax.random import PRNGKey
from snnax import snn

import corpus_data as cd


class CustomLayer(snn.layers.StatefulLayer):
    alpha: Array
    beta: Array

    def __init__(self,
                 alpha: float,
                 beta: float,
                 init_fn: Optional[Callable] = None) -> None:
        # Custom initialization function
        super().__init__(init_fn)
        self.alpha = self.init_parameters(alpha, (1,))
        self.beta = self.init_parameters(beta, (1,))

    def __call__(self,
                 state: Array,
                 synaptic_input: Array, *,
                 key: Optional[PRNGKey] = None) -> Sequence[Array]:
        # Custom neuron dynamics
        alpha = self.alpha
        beta = self.beta
        mem_pot = state[0]
        mem_pot = alpha*mem_pot + (1.-alpha)*beta*synaptic_input

        output = mem_pot
        state = [mem_pot, output]
        return state, output


custom_layer = CustomLayer(alpha=0.75, beta=0.5)
k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(cd.set_linear(eqx.nn.Linear(4, 3, key=k1), seed=681), custom_layer)
xs = jnp.asarray(cd.spikes((10, 4), p=0.5, seed=682))


def loss(model):
    _, outs = model(model.init_state((4,), k2), xs, k2)
    return jnp.sum(outs[0] ** 2), outs[0]


(value, out), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"out": out, "loss": value, "grad_alpha": grads.layers[1].alpha, "grad_beta": grads.layers[1].beta,
           "grad_w": grads.layers[0].weight}
