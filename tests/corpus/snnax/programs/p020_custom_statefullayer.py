"""A custom neuron written as SNNAX's docs do: subclass StatefulLayer, super().__init__(init_fn, shape)."""
from typing import Callable, Optional, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.lax import stop_gradient
from snnax import snn
from snnax.functional.surrogate import superspike_surrogate

import corpus_data as cd


class MyLIF(snn.StatefulLayer):
    decay: jax.Array
    threshold: float
    spike_fn: Callable

    def __init__(self, decay, threshold=1.0, spike_fn=superspike_surrogate(10.0), init_fn=None, shape=None):
        super().__init__(init_fn, shape)
        self.decay = self.init_parameters(decay, shape)
        self.threshold = threshold
        self.spike_fn = spike_fn

    def __call__(self, state, synaptic_input, *, key=None):
        mem, _ = state
        mem = self.decay * mem + synaptic_input
        spikes = self.spike_fn(mem - self.threshold)
        mem = mem - stop_gradient(mem * spikes)
        return [[mem, spikes], spikes]


k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(cd.set_linear(eqx.nn.Linear(4, 4, key=k1), seed=111), MyLIF(0.5))
states = model.init_state((4,), k2)
states, outs = model(states, jnp.asarray(cd.spikes((12, 4), p=0.5, seed=112)), k2)
RESULTS = {"spikes_out": outs[0], "mem": states[1][0]}
