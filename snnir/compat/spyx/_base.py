"""What every Spyx-style layer shares: Flax (needed), and the contract with the chain compiler in
:mod:`._graph` (``structure``, ``place``, ``values``)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

try:
    from flax import nnx
except ImportError as err:  # pragma: no cover - the test extra installs flax
    from ._graph import SpyxCompatError

    raise SpyxCompatError("snnir.compat.spyx speaks Spyx 1.0, whose layers are Flax NNX modules, and needs flax"
                          "\n  hint: pip install 'snnir[spyx]'") from err

from snnir.ir import Graph

from ._graph import Placer, Slot, SpyxCompatError
from ._layout import Layout

__all__ = ["nnx", "Layer", "current", "per_neuron", "out_shape", "SpyxCompatError"]


def current(param: Any) -> jax.Array:
    """A parameter's value now (a tracer under nnx transforms)."""
    return param[...] if isinstance(param, nnx.Variable) else jnp.asarray(param)


class Layer(nnx.Module):
    """A layer :class:`~snnir.compat.spyx.nn.Sequential` can place in a snnir graph."""

    def structure(self) -> tuple:
        """What the compiled graph depends on (parameter values excluded)."""
        raise NotImplementedError

    def place(self, placer: Placer, index: int, last: bool) -> Slot:
        """Append the layer's nodes to ``placer``; say what became of its state."""
        raise NotImplementedError

    def values(self, nids: tuple[str, ...], layout: Layout) -> dict:
        """The current parameter values, keyed by (node id, IR field)."""
        return {}


def per_neuron(value: jax.Array, layout: Layout) -> jax.Array:
    """A parameter in snnir's layout: scalars as they are, per-neuron arrays moved like the data."""
    return value if jnp.ndim(value) == 0 else layout.to_ir(value, jnp.ndim(value))


def out_shape(placer: Placer) -> tuple[int, ...]:
    """The snnir shape leaving the last placed node."""
    from snnir.analysis import infer_shapes

    graph = Graph(nodes=tuple(placer.nodes), edges=tuple(placer.edges))
    return tuple(infer_shapes(graph).output(*placer.exits[0]))

