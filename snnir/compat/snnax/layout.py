"""SNNAX's state layout over snnir's state dict.

SNNAX keeps one list per layer: a neuron's variables in its own order with its output last (LIF:
``[U, I, S]``), ``[out]`` for a stateless layer, a list of sub-lists for a CompoundLayer, and whatever list
a user's layer returns. snnir's program keeps ``{node id: {var: array}}`` plus, in delayed mode, each
layer's previous output in its ``out_history`` buffer (SNNAX's carry, the last element of its list).
A :class:`Layout` says, for one layer, which list position is which state variable, so both views
convert into each other with plain indexing (cheap, and jit/vmap/grad-friendly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

OUT = "@out"  # the layer's output (the last list element)
SIGMA_DELTA_ERROR = "@e"  # SigmaDelta's error e_t = σ_t − f_{t−1}, not kept by snnir's kernel
HISTORY = "out_history"


@dataclass(frozen=True)
class Layout:
    """One layer's list: ``entries`` name each position (a kernel variable of node ``node``, or
    ``"inner:var"`` for a variable of the expanded node ``node/inner``, or OUT);
    ``exits`` are the nodes whose outputs sum to the layer's output; ``children`` the sub-layouts of a
    CompoundLayer; ``custom``: a user layer, whose list leaves are the node's ``s0, s1, ...``."""

    node: str
    entries: tuple[str, ...] = (OUT,)
    exits: tuple[str, ...] = ()
    children: tuple["Layout", ...] = ()
    custom: bool = False

    @property
    def nested(self) -> bool:
        return bool(self.children)

    def out_nodes(self) -> tuple[str, ...]:
        """The nodes whose outputs sum to this layer's output (a CompoundLayer's: its last layer's)."""
        return self.children[-1].out_nodes() if self.nested else self.exits

    def all_exits(self) -> tuple[str, ...]:
        if self.nested:
            return tuple(e for c in self.children for e in c.all_exits())
        return self.exits


def _cast(value: Any, like: jax.Array) -> jax.Array:
    return jnp.broadcast_to(jnp.asarray(value, like.dtype), like.shape)


def _where(layout: Layout, name: str) -> tuple[str, str]:
    if ":" in name:
        inner, var = name.split(":", 1)
        return f"{layout.node}/{inner}", var
    return layout.node, name


def _set_carry(layout: Layout, out: Any, state: dict) -> None:
    """Write the layer's output into its exits' history buffers (the first exit takes the whole sum)."""
    for k, nid in enumerate(layout.exits):
        entry = state.get(nid)
        if entry is not None and HISTORY in entry:
            buf = entry[HISTORY]
            value = _cast(out, buf[0]) if k == 0 else jnp.zeros_like(buf[0])
            entry[HISTORY] = buf.at[0].set(value) if buf.shape[0] > 1 else value[None]


def to_dict(layout: Layout, lst: Any, state: dict) -> None:
    """Fill ``state`` (a copy of the program's state dict, changed in place) from the layer's list."""
    if layout.nested:
        for child, sub in zip(layout.children, lst):
            to_dict(child, sub, state)
        return
    lst = list(lst)
    if layout.custom:
        entry = state.get(layout.node)
        if entry is not None:
            leaves = jax.tree_util.tree_leaves(lst)
            for i, leaf in enumerate(leaves):
                if f"s{i}" in entry:
                    entry[f"s{i}"] = _cast(leaf, entry[f"s{i}"])
    else:
        for name, value in zip(layout.entries, lst):
            nid, var = _where(layout, name)
            entry = state.get(nid, {})
            if var in entry and var != HISTORY:
                entry[var] = _cast(value, entry[var])
    if lst:
        _set_carry(layout, lst[-1], state)


def to_list(layout: Layout, state: dict, outs: dict, old: Any) -> list:
    """The layer's list after a run: its variables from ``state``, its output from ``outs`` (the last
    value of each exit node); ``old`` is the list before the run (the structure of a user layer's)."""
    if layout.nested:
        return [to_list(child, state, outs, sub) for child, sub in zip(layout.children, old)]
    if layout.custom:
        entry = state.get(layout.node, {})
        leaves = [entry[f"s{i}"] for i in range(len(entry)) if f"s{i}" in entry]
        return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(list(old)), leaves)
    entry = state.get(layout.node, {})
    result = []
    for pos, name in enumerate(layout.entries):
        if name == OUT:
            parts = [outs[e] for e in layout.exits if e in outs]
            value = sum(parts[1:], parts[0]) if parts else old[pos]
        elif name == SIGMA_DELTA_ERROR:
            # e_t = σ_t − f_{t−1}: f_{t−1} is the run's second-last f, or the list's f for one step
            value = entry["sigma"] - outs.get(f"{layout.node}:f@previous", old[3])
        else:
            nid, var = _where(layout, name)
            value = state[nid][var]
        result.append(value)
    return result
