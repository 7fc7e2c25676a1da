"""SNNAX's custom-layer example (a StatefulLayer subclass) inside a snnir-compiled model."""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import Array

from snnir.compat.snnax import snn


class CustomLayer(snn.layers.StatefulLayer):
    alpha: snn.TrainableArray
    beta: snn.TrainableArray

    def __init__(self, alpha: float, beta: float, init_fn: Optional[Callable] = None) -> None:
        super().__init__(init_fn)
        self.alpha = self.init_parameters(alpha, (1,), requires_grad=False)
        self.beta = self.init_parameters(beta, (1,), requires_grad=True)

    def __call__(self, state: Array, synaptic_input: Array, *, key=None) -> Sequence[Array]:
        alpha = self.alpha.data[0]
        beta = self.beta.data[0]
        mem_pot = state[0]  # the default state is [membrane, output]; the docs' `mem_pot = state` is a list
        mem_pot = alpha * mem_pot + (1.0 - alpha) * beta * synaptic_input
        return [mem_pot, mem_pot], mem_pot


def main():
    custom_layer = CustomLayer(alpha=0.9, beta=0.1)
    model = snn.Sequential(eqx.nn.Linear(4, 3, key=jax.random.key(0)), custom_layer)
    xs = jnp.ones((10, 4))
    states = model.init_state((4,), jax.random.key(1))
    _, outs = model(states, xs, jax.random.key(2))
    return outs[0]


if __name__ == "__main__":
    print(main())
