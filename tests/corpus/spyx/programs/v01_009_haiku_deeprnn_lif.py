"""The 0.1 idiom: hk.DeepRNN([Linear, LIF, Linear, LI]) unrolled over batch-major data, given weights."""
import haiku as hk
import jax
import jax.numpy as jnp
import spyx
import spyx.nn as snn

import corpus_data as cd


def net(x):
    core = hk.DeepRNN([
        hk.Linear(5, with_bias=False), snn.LIF((5,), beta=0.75, activation=spyx.axn.arctan()),
        hk.Linear(3, with_bias=False), snn.LI((3,), beta=0.875),
    ])
    return hk.dynamic_unroll(core, x, core.initial_state(x.shape[0]), time_major=False)


model = hk.without_apply_rng(hk.transform(net))
x = jnp.asarray(cd.spikes((2, 10, 6), p=0.5, seed=109))
params = model.init(jax.random.PRNGKey(0), x)
w1 = jnp.asarray(cd.dyadic((6, 5), seed=1091))  # Haiku's (in, out) layout
w2 = jnp.asarray(cd.dyadic((5, 3), seed=1092))
params = {**params, "linear": {"w": w1}, "linear_1": {"w": w2}}
traces, final = model.apply(params, x)
targets = jnp.asarray([1, 2])
loss_fn = lambda p: spyx.fn.integral_crossentropy()(model.apply(p, x)[0], targets)
grads = jax.grad(loss_fn)(params)
RESULTS = {"inputs": x, "w1": w1, "w2": w2, "traces": traces, "lif_state": final[0], "li_state": final[1],
           "loss": loss_fn(params), "grad_w1": grads["linear"]["w"], "grad_beta": grads["LIF"]["beta"],
           "grad_li_beta": grads["LI"]["beta"]}
