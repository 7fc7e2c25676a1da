"""A Spyx 1.0 network (Linear -> LIF -> Linear -> LI, as in Spyx's quickstart) through snnir.compat.spyx:
one step at a time the Spyx way, and all steps with ``run``. The program is Spyx's own with the imports
changed: ``import spyx`` -> ``import snnir.compat.spyx as spyx``, ``import spyx.nn as snn`` ->
``import snnir.compat.spyx.nn as snn``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

import snnir.compat.spyx as spyx
import snnir.compat.spyx.nn as snn


def main():
    rngs = nnx.Rngs(0)
    model = snn.Sequential(
        nnx.Linear(16, 32, use_bias=False, rngs=rngs),
        snn.LIF((32,), activation=spyx.axn.arctan(), rngs=rngs),
        nnx.Linear(32, 5, rngs=rngs),
        snn.LI((5,), rngs=rngs),
    )
    xs = (jax.random.uniform(jax.random.key(3), (50, 8, 16)) < 0.2).astype(jnp.float32)  # [T, B, C]
    traces, _ = snn.run(model, xs)
    state = model.initial_state(8)
    out, state = model(xs[0], state)
    return traces, out


if __name__ == "__main__":
    traces, out = main()
    print(traces.shape, out.shape)
