"""A Spyx-style network (Linear -> LIF -> Linear -> LI, as in Spyx's SHD example) through snnir.compat.spyx:
one step at a time the Spyx way, and all steps with ``run``."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from snnir.compat import spyx


def main():
    k = jax.random.split(jax.random.key(0), 4)
    net = spyx.Sequential(
        eqx.nn.Linear(16, 32, use_bias=False, key=k[0]),
        spyx.LIF((32,), activation=spyx.axn.arctan(), key=k[1]),
        eqx.nn.Linear(32, 5, key=k[2]),
        spyx.LI((5,)),
    )
    xs = (jax.random.uniform(k[3], (50, 8, 16)) < 0.2).astype(jnp.float32)  # [T, B, C]
    traces, _ = spyx.run(net, xs)
    state = net.initial_state(8)
    out, state = net(xs[0], state)
    return traces, out


if __name__ == "__main__":
    traces, out = main()
    print(traces.shape, out.shape)
