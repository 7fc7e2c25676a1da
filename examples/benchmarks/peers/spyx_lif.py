"""Spyx 1.0 (Flax NNX) on the benchmark protocol: Linear(n -> n, no bias) + LIF, batch 16, T = 500.

The model is written as a Spyx user writes it: ``spyx.nn.Sequential(nnx.Linear, spyx.nn.LIF)`` run over
time by ``spyx.nn.run`` (a time-major ``lax.scan``; the Linear runs inside the loop, one matmul of B rows
per step), jitted the way ``spyx.bench`` does (graphdef split off, parameters passed as arguments).

Spyx's LIF (``spyx.nn.LIF``): s_t = H(V_{t-1} - θ);  V_t = β·V_{t-1} + I_t - θ·s_t  (strict H, reset not
detached). It spikes from the pre-update membrane and subtracts θ after the leak, so its spike at t is the
spike at t - 1 of a LIF that resets one step late with an undecayed θ (snnTorch's default Leaky), not the
protocol's. ``--neuron cubalif`` uses ``spyx.nn.CuBaLIF(alpha=0, beta=0.9)`` instead:
s_t = H(V_{t-1} - θ);  V_t = β·(V_{t-1} - θ·s_t) + I_t, whose membrane is the protocol's u_t exactly
(reset before the leak), so its spikes are the protocol's shifted by one step (state doubled: [V, I]).

    .venv-peers/bin/python examples/benchmarks/peers/spyx_lif.py --n 1024 --repeats 5
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import spyx
from flax import nnx

import _common as C

MATCH = {
    "lif": ("spyx.nn.LIF(beta=0.9, threshold=1, activation=spyx.axn.superspike(k=10)) in spyx.nn.run: "
            "same surrogate 1/(1+10|x|)^2 and strict H, but it spikes from the pre-update membrane (one step "
            "late), subtracts the threshold after the leak (not decayed, as snnTorch's default Leaky) and its "
            "reset is not detached (Spyx has no option for either); beta is a trainable scalar Param, only "
            "the Linear kernel is differentiated."),
    "cubalif": ("spyx.nn.CuBaLIF(alpha=0, beta=0.9, threshold=1, activation=superspike(k=10)) in spyx.nn.run: "
                "its membrane equals the protocol's u_t exactly (reset before the leak, zero synaptic memory), "
                "spikes come from the pre-update membrane so they are the protocol's one step late, the reset "
                "is not detached, and the state is doubled ([V, I])."),
}


def build(w: np.ndarray, neuron: str):
    n = w.shape[0]
    rngs = nnx.Rngs(0)
    linear = nnx.Linear(n, n, use_bias=False, rngs=rngs)
    linear.kernel[...] = jnp.asarray(w.T)  # nnx.Linear computes x @ kernel: kernel = W.T
    spike = spyx.axn.superspike(k=C.SLOPE)
    if neuron == "lif":
        cell = spyx.nn.LIF((n,), beta=C.DECAY, threshold=C.THRESHOLD, activation=spike, rngs=rngs)
    else:
        cell = spyx.nn.CuBaLIF((n,), alpha=0.0, beta=C.DECAY, threshold=C.THRESHOLD, activation=spike, rngs=rngs)
    model = spyx.nn.Sequential(linear, cell)
    # Differentiate the Linear kernel only (the protocol's dW); beta and the rest ride along as arguments.
    graphdef, kernel, rest = nnx.split(model, nnx.All(nnx.Param, nnx.PathContains("kernel")), ...)

    def forward(kernel, rest, x):
        outputs, _ = spyx.nn.run(nnx.merge(graphdef, kernel, rest), x)
        return outputs

    def forward_backward(kernel, rest, x):
        return jax.grad(lambda k: jnp.sum(forward(k, rest, x)))(kernel)

    return forward, forward_backward, kernel, rest


def kernel_array(state) -> jax.Array:
    (leaf,) = jax.tree_util.tree_leaves(state)
    return leaf


def main() -> None:
    args = C.parse_args(__doc__.split("\n\n")[0], lambda p: p.add_argument(
        "--neuron", choices=("lif", "cubalif"), default="lif", help="spyx.nn.LIF (default) or CuBaLIF(alpha=0)"))
    if args.check:
        x, w = C.load_check(args.check[0])
        forward, forward_backward, kernel, rest = build(w, args.neuron)
        xs = jnp.asarray(x)
        spikes = jax.jit(forward)(kernel, rest, xs)
        grad = kernel_array(jax.jit(forward_backward)(kernel, rest, xs)).T  # d/dW = (d/dkernel).T
        C.save_check(args.check[1], spikes, grad)
        return
    x, w = C.bench_inputs(args.n, args.batch, args.steps)
    forward, forward_backward, kernel, rest = build(w, args.neuron)
    call = (kernel, rest, jnp.asarray(x))
    fwd = C.time_jax(forward, call, args.repeats)
    bwd = C.time_jax(forward_backward, call, args.repeats)
    C.report("spyx", args.n, fwd, bwd, spyx.__version__, MATCH[args.neuron])


if __name__ == "__main__":
    main()
