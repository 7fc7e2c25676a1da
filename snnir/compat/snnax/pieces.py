"""How an SNNAX-style layer becomes snnir IR: a :class:`Piece` of nodes plus the live parameters.

A compat model keeps its layers (and their JAX arrays) as the source of truth, so ``eqx.filter_grad``
differentiates them directly. The IR is built from their values where they are concrete, or from zeros
of the right shape and dtype where they are traced (under ``jit``/``grad``); the compiled program is then
*bound*: every parameter leaf is replaced by the live expression the layer gives for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

from snnir.errors import SnnirError
from snnir.ir import Edge, Node, node_kinds


class SnnaxCompatError(SnnirError, ValueError):
    """An SNNAX-style model or layer that snnir cannot express, with the reason and a hint."""


@dataclass
class Piece:
    """One SNNAX layer as IR: its nodes (ids start with the layer's name), inner edges, where its input
    enters (one entry per Parallel branch when it starts with a Parallel), where its output leaves, and
    the live value of each IR parameter as {(node id after expansion, field): array}."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    entries: tuple[tuple[str, str], ...]
    exit: tuple[str, str]
    params: dict[tuple[str, str], Any] = field(default_factory=dict)
    modules: dict[str, Any] = field(default_factory=dict)  # custom layers: node id -> live module
    parallel: bool = False  # its i-th entry takes the i-th source (SNNAX's Parallel)


def kind(name: str) -> type[Node]:
    try:
        return node_kinds()[name]
    except KeyError:
        raise SnnaxCompatError(f"this snnir has no {name!r} node kind") from None


def concrete(value: Any) -> Any:
    """A numpy value for the IR: the array itself, or zeros of its shape where it is traced."""
    if value is None:
        return None
    if isinstance(value, jax.core.Tracer):
        return np.zeros(value.shape, value.dtype)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value  # a Python number takes the graph's dtype in the IR (float32), as everywhere
    return np.asarray(value)


def single(node: Node, params: dict[str, Any] | None = None) -> Piece:
    """A one-node piece whose input port is "in" and output port "out"."""
    live = {(node.id, k): v for k, v in (params or {}).items() if v is not None and _is_array(v)}
    return Piece((node,), (), ((node.id, node.INPUT_PORTS[0]),), (node.id, "out"), live)


def _is_array(value: Any) -> bool:
    return isinstance(value, (jax.Array, np.ndarray))
