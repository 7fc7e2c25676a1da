"""A user's subclass of snn.LIF that overrides only __call__ (same-step reset after the spike, as SimpleLIF does)."""
import equinox as eqx
import jax
import jax.numpy as jnp
from jax.lax import clamp, stop_gradient
from snnax import snn

import corpus_data as cd


class LIFResetAfter(snn.LIF):
    def __call__(self, state, synaptic_input, *, key=None):
        mem_pot, syn_curr, _ = state
        alpha = clamp(0.5, self.decay_constants[0], 1.0)
        beta = clamp(0.5, self.decay_constants[1], 1.0)
        syn_curr = beta * syn_curr + (1. - beta) * synaptic_input
        mem_pot = alpha * mem_pot + (1. - alpha) * syn_curr
        spike_output = self.spike_fn(mem_pot - self.threshold)
        mem_pot = mem_pot - stop_gradient(mem_pot * spike_output)
        return [mem_pot, syn_curr, spike_output], spike_output


k1, k2 = jax.random.split(jax.random.PRNGKey(0))
model = snn.Sequential(cd.set_linear(eqx.nn.Linear(5, 4, key=k1), seed=711, scale=2),
                       LIFResetAfter([0.75, 0.625], threshold=0.5))
xs = jnp.asarray(cd.spikes((12, 5), p=0.5, seed=712))


def loss(model):
    states, outs = model(model.init_state((5,), k2), xs, k2)
    return jnp.sum(outs[0] * jnp.arange(1.0, 5.0)), (outs[0], states)


(value, (spikes, states)), grads = eqx.filter_value_and_grad(loss, has_aux=True)(model)
RESULTS = {"spikes_out": spikes, "grad_w": grads.layers[0].weight, "grad_decay": grads.layers[1].decay_constants,
           **cd.flat_states(states, "final")}
