"""The kernel protocol shared by every node kind."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax


class Kernel(eqx.Module):
    """One node's step function. Array fields are parameters (JAX leaves); options are static fields."""

    def init_state(self, batch_shape: tuple[int, ...], dtype: Any) -> dict[str, jax.Array]:
        """The state before step 0 (empty for stateless kernels)."""
        return {}

    def step(self, state: dict, x: Any, key: jax.Array | None = None) -> tuple[dict, jax.Array]:
        raise NotImplementedError

    def output(self, state: dict) -> jax.Array:
        """The "out" value of the coming step, from the state alone (kinds without feedthrough)."""
        raise NotImplementedError(f"{type(self).__name__} has direct feedthrough")

    def port(self, name: str, state: dict, y: jax.Array) -> jax.Array:
        """The value on output port ``name`` after a step that produced ``state`` and ``y``."""
        if name == "out":
            return y
        return state[name]
