"""One dispatch from any layer an SNNAX-style model may hold to its :class:`Piece` of IR."""

from __future__ import annotations

from typing import Any

import equinox as eqx

from .equinox_layers import equinox_piece
from .neurons import SnnaxLayer
from .pieces import Piece, SnnaxCompatError, kind


def user_overridden(layer: Any) -> bool:
    """Whether ``layer`` is a user's subclass of a built-in layer that replaces its step or state (its own
    ``__call__``, ``init_state`` or ``init_out``): it then runs as written, as a Custom node."""
    builtin = next(c for c in type(layer).__mro__ if c.__module__.startswith("snnir.compat.snnax"))
    return builtin is not type(layer) and any(
        getattr(type(layer), m, None) is not getattr(builtin, m, None) for m in ("__call__", "init_state", "init_out"))


def layer_piece(layer: Any, name: str, in_shape: tuple[int, ...], in_shapes: list | None = None) -> Piece:
    """The IR of ``layer`` named ``name`` for inputs of shape ``in_shape`` (``in_shapes``: one per source)."""
    from .snn.composed import Composite  # composites build their insides with this function

    if isinstance(layer, Composite):
        return layer.to_piece_multi(name, list(in_shapes or [in_shape]) if layer.takes_several() else [in_shape])
    if isinstance(layer, SnnaxLayer) and not user_overridden(layer):
        return layer.to_piece(name, in_shape)
    piece = equinox_piece(layer, name, in_shape)
    if piece is not None:
        return piece
    if isinstance(layer, eqx.Module) and callable(layer):
        # a user layer (a StatefulLayer subclass, or any stateless eqx module): snnir's Custom node runs it
        node = kind("Custom")(id=name, module=layer, shape=in_shape)
        return Piece((node,), (), ((name, "in"),), (name, "out"), modules={name: layer})
    raise SnnaxCompatError(f"layer {name!r} is a {type(layer).__name__}, which an SNNAX-style model cannot hold"
                           "\n  hint: use snnax layers, Equinox modules, or a StatefulLayer subclass")
