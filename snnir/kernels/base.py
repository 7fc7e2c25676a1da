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

    def rest_reads_input(self) -> bool:
        """Whether this kernel's rest value depends on its inputs' rest values (stateless kernels and
        Delay) rather than on its initial state alone (neurons and the other stateful kernels)."""
        return True

    def rest(self, state: dict, x: Any, key: jax.Array | None = None) -> tuple[dict, jax.Array]:
        """The node at rest, before step 0 (docs/semantics.md, "Rest values"): its state and its "out"
        value. ``state`` is the initial state and ``x`` the sum of the sources' rest values per input port
        (None when :meth:`rest_reads_input` is False). A stateless kernel gives its response to ``x``
        (a Linear its bias for zero inputs); kernels with state override this."""
        return state, self.step(state, x, key)[1]

    def port(self, name: str, state: dict, y: jax.Array) -> jax.Array:
        """The value on output port ``name`` after a step that produced ``state`` and ``y``."""
        if name == "out":
            return y
        return state[name]
