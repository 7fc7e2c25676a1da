"""A user-written layer, registered so that model files can store it (used by custom.snnir).

The command line runs this file before it loads the model:

    snnir --import examples/models/layers.py run examples/models/custom.snnir

It is the ``Leaky`` layer of docs/custom-layers.md: a leaky integrator written SNNAX's way.
"""

import jax.numpy as jnp

import snnir


@snnir.register_layer                               # stored in files under its class name, "Leaky"
class Leaky(snnir.StatefulLayer):
    """m_t = alpha * m_{t-1} + (1 - alpha) * beta * x_t; the output is m_t."""

    alpha: snnir.TrainableArray
    beta: snnir.TrainableArray

    def __init__(self, alpha, beta, init_fn=None):
        super().__init__(init_fn)
        self.alpha = self.init_parameters(alpha, (1,), requires_grad=False)
        self.beta = self.init_parameters(beta, (1,), requires_grad=True)

    def init_state(self, shape, key):
        return [jnp.zeros(shape)]

    def __call__(self, state, x, *, key=None):
        m = self.alpha.data[0] * state[0] + (1.0 - self.alpha.data[0]) * self.beta.data[0] * x
        return [m], m
