"""IAF([d], [leak]) as SNNAX's layer_test builds it (the second list is the leak, shape (1,)): spikes, state, gradients."""
# IAF built as SNNAX's own layer_test does, IAF([d], [leak]): the second list is the leak, an array of shape (1,);
# the first step cannot spike (IAF integrates the previous step's current).
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jrand
import snnax.snn as snn

import corpus_data as cd

layer = snn.IAF([0.875], [0.125])
key = jrand.PRNGKey(42)
shape = (4, 4)
init_state = layer.init_state(shape, key=key)
xs = jnp.asarray(cd.spikes((3,) + shape, p=0.75, seed=331) * 4)


def three_steps(layer, state, xs):
    for x in xs:
        state, output = layer(state, x)
    return jnp.sum(state[0]) + jnp.sum(state[-1])


state, outputs = init_state, []
for x in xs:
    state, output = layer(state, x)
    outputs.append(output)
grads = eqx.filter_grad(three_steps)(layer, init_state, xs)
RESULTS = {
    "spikes": jnp.stack(outputs), "mem": state[0], "syn": state[1],
    "grad_decay": grads.decay_constants, "grad_leak": grads.leak,
}
