"""Single layers on their own, SNNAX's way: ``state = layer.init_state(shape, key)`` then
``state, out = layer(state, x, key=key)`` for one step of one sample.

The step runs snnir's own kernel: the one-layer graph Input -> layer -> Output is compiled once per layer
structure and input shape (cached), the layer's live arrays are bound into it, and the state list is
converted to the program's state dict and back (:mod:`.layout`).
"""

from __future__ import annotations

import collections
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from snnir import passes
from snnir.ir import Edge, Graph
from snnir.runtime import Program

from .layout import Layout, to_dict, to_list
from .pieces import SnnaxCompatError, kind

NAME = "layer"
_CACHE: "collections.OrderedDict[Any, Program]" = collections.OrderedDict()
_CACHE_SIZE = 128


def _structure_key(layer: Any, shape: tuple[int, ...]) -> Any:
    leaves, treedef = jax.tree_util.tree_flatten(layer)
    return treedef, tuple((tuple(l.shape), str(l.dtype)) if hasattr(l, "shape") else l for l in leaves), shape


def layer_program(layer: Any, shape: tuple[int, ...]) -> Program:
    """The one-layer program for ``layer`` on inputs of per-sample ``shape``, live parameters bound."""
    from .convert import layer_piece
    from .snn.architecture import bind

    piece = layer_piece(layer, NAME, shape, [shape])
    try:
        key = _structure_key(layer, shape)
        hash(key)
    except TypeError:
        key = None
    program = _CACHE.get(key) if key is not None else None
    if program is None:
        nodes = (kind("Input")(id="input", shape=shape), *piece.nodes, kind("Output")(id="output"))
        edges = (*[Edge("input", dst, dst_port=port) for dst, port in piece.entries[:1]], *piece.edges,
                 Edge(piece.exit[0], "output", src_port=piece.exit[1]))
        program = passes.compile(Graph(nodes=nodes, edges=edges), mode="straight")
        if key is not None:
            _CACHE[key] = program
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return bind(program, piece.params, piece.modules)


def input_shape(layer: Any, x: Any) -> tuple[int, ...]:
    shape = tuple(jnp.shape(x))
    expected = getattr(layer, "shape", None)
    if isinstance(expected, int):
        expected = (expected,)
    if expected is not None and tuple(expected) != shape and tuple(expected) == shape[1:]:
        raise SnnaxCompatError(
            f"{type(layer).__name__} was given an input of shape {shape} but is built for one sample of "
            f"shape {tuple(expected)}\n  hint: layers take one sample; map over a batch with jax.vmap")
    return shape


def step(layer: Any, layout: Layout, state: Any, x: Any, key: Any = None) -> tuple[list, jax.Array]:
    """One step of ``layer`` from its SNNAX state list; returns ``(new list, output)``."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.float32)
    leaves = jax.tree_util.tree_leaves(state)
    own = tuple(jnp.shape(leaves[0])) if leaves else None
    if own is not None and tuple(x.shape) != own and tuple(x.shape[1:]) == own:
        raise SnnaxCompatError(
            f"{type(layer).__name__} was given an input of shape {tuple(x.shape)} for a state of shape {own}: "
            "that looks like a batch\n  hint: a layer steps ONE sample; map over a batch with jax.vmap "
            "(jax.vmap(lambda s, x: layer(s, x, key=key))(states, xs))")
    prog = layer_program(layer, input_shape(layer, x))
    template = prog.init_state(())
    sdict = {k: dict(v) for k, v in template.items()}
    to_dict(layout, state, sdict)
    new, ys = prog.step(sdict, x, key=key)
    y = ys["output"]
    return to_list(layout, new, {e: y for e in layout.all_exits()}, state), y


def stateless(layer: Any, x: Any, key: Any = None) -> jax.Array:
    """The output of a stateless layer (Flatten, pooling) for one sample."""
    x = jnp.asarray(x)
    prog = layer_program(layer, input_shape(layer, x))
    _, ys = prog.step(prog.init_state(()), x, key=key)
    return ys["output"]


def is_stateful(layer: Any) -> bool:
    """Whether SNNAX treats ``layer`` as stateful (its own init_state and ``(state, x) -> (state, y)``)."""
    from .snn.layers._stateful import StatefulLayer

    return isinstance(layer, StatefulLayer) or bool(getattr(layer, "STATEFUL", False))


def run_any(layer: Any, state: Any, x: Any, key: Any) -> tuple[Any, jax.Array]:
    """One step of any layer a model may hold, as SNNAX's forward function calls it."""
    if is_stateful(layer):
        return layer(state, x, key=key)
    out = layer(x, key=key) if isinstance(layer, eqx.Module) else layer(x)
    return [out], out
