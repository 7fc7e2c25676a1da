"""Flax's own layers inside a chain: ``nnx.Linear`` and ``nnx.Conv`` as snnir's Linear and Conv."""

from __future__ import annotations

from typing import Any, Sequence

import jax.numpy as jnp
import numpy as np

from ._base import Layer, current, nnx, out_shape
from ._graph import Unplaceable, Placer, Slot, SpyxCompatError, kind
from ._layout import CHANNELS_LAST, SAME, FlatPermutation

class _FlaxLinear:
    """``nnx.Linear`` in a chain: snnir's Linear with weight = kernelᵀ (columns permuted after a
    flattened channels-last image)."""

    @staticmethod
    def structure(layer) -> tuple:
        return ("nnx.Linear", layer.in_features, layer.out_features, layer.bias is not None)

    @staticmethod
    def place(layer, placer: Placer) -> Slot:
        if len(placer.spyx_shape) != 1:
            raise Unplaceable(f"nnx.Linear on per-sample shape {tuple(placer.spyx_shape)} (Flax applies it to "
                                  "the last axis) has no snnir layer\n  hint: Flatten before it")
        if placer.spyx_shape[0] != layer.in_features:
            raise SpyxCompatError(f"nnx.Linear({layer.in_features}, {layer.out_features}) receives "
                                  f"{placer.spyx_shape[0]} features\n  hint: give it in_features={placer.spyx_shape[0]}")
        nid = placer.name("linear")
        bias = None if layer.bias is None else np.zeros((layer.out_features,), np.float32)
        placer.chain(kind("Linear")(id=nid, weight=np.zeros((layer.out_features, layer.in_features), np.float32),
                                    bias=bias))
        placer.advance((layer.out_features,), SAME)
        return Slot()

    @staticmethod
    def values(layer, nids, layout) -> dict:
        kernel = current(layer.kernel)
        weight = layout.linear_weight(kernel) if isinstance(layout, FlatPermutation) else kernel.T
        out = {(nids[0], "weight"): weight}
        if layer.bias is not None:
            out[(nids[0], "bias")] = current(layer.bias)
        return out


def _tuple(value: Any, n: int) -> tuple[int, ...]:
    return (int(value),) * n if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)


class _FlaxConv:
    """``nnx.Conv`` (channels-last, kernel [*k, C_in/groups, C_out]) as snnir's channels-first Conv."""

    @staticmethod
    def structure(layer) -> tuple:
        padding = layer.padding if isinstance(layer.padding, str) else repr(layer.padding)
        return ("nnx.Conv", tuple(layer.kernel_shape), layer.bias is not None, repr(layer.strides), padding,
                repr(layer.kernel_dilation), repr(layer.input_dilation), layer.feature_group_count)

    @staticmethod
    def place(layer, placer: Placer) -> Slot:
        n = len(layer.kernel_size)
        if n not in (1, 2) or len(placer.spyx_shape) != n + 1:
            raise Unplaceable(f"nnx.Conv with a {n}-D kernel on per-sample shape {tuple(placer.spyx_shape)}: "
                                  "snnir has Conv1d on (L, C) and Conv2d on (H, W, C)\n  hint: check the input shape")
        if placer.layout is not CHANNELS_LAST:
            raise Unplaceable("nnx.Conv reads channels-last images, but the data here is not one"
                                  "\n  hint: feed [B, H, W, C] images to the first layer")
        if _tuple(layer.input_dilation, n) != (1,) * n:
            raise Unplaceable("nnx.Conv with input_dilation has no snnir layer\n  hint: use input_dilation=1")
        padding = layer.padding
        if isinstance(padding, str):
            if padding.upper() not in ("SAME", "VALID"):
                raise Unplaceable(f"nnx.Conv padding {padding!r} has no snnir layer\n  hint: use 'SAME' or 'VALID'")
            padding = padding.lower()
        elif isinstance(padding, (int, np.integer)):
            padding = ((int(padding), int(padding)),) * n
        else:
            padding = tuple((p, p) if isinstance(p, (int, np.integer)) else tuple(int(q) for q in p) for p in padding)
        if placer.spyx_shape[-1] != layer.in_features:
            raise SpyxCompatError(f"nnx.Conv expects {layer.in_features} channels but receives "
                                  f"{placer.spyx_shape[-1]}\n  hint: give it in_features={placer.spyx_shape[-1]}")
        nid = placer.name("conv")
        *k, c_in, c_out = layer.kernel_shape
        bias = None if layer.bias is None else np.zeros((c_out,), np.float32)
        placer.chain(kind(f"Conv{n}d")(id=nid, weight=np.zeros((c_out, c_in, *k), np.float32), bias=bias,
                                       stride=_tuple(layer.strides, n), padding=padding,
                                       dilation=_tuple(layer.kernel_dilation, n), groups=layer.feature_group_count))
        out = out_shape(placer)
        placer.advance(tuple(out[1:]) + (out[0],))
        return Slot()

    @staticmethod
    def values(layer, nids, layout) -> dict:
        kernel = current(layer.kernel)  # [*k, C_in/groups, C_out] -> [C_out, C_in/groups, *k]
        n = kernel.ndim - 2
        out = {(nids[0], "weight"): jnp.transpose(kernel, (n + 1, n) + tuple(range(n)))}
        if layer.bias is not None:
            out[(nids[0], "bias")] = current(layer.bias)
        return out


class Placed:
    """One entry of a chain as :mod:`._graph` sees it: a compat layer, or a Flax layer with its adapter."""

    def __init__(self, layer: Any, index: int):
        self.layer = layer
        if isinstance(layer, Layer):
            self.adapter = None
        elif isinstance(layer, nnx.Linear):
            self.adapter = _FlaxLinear
        elif isinstance(layer, nnx.Conv):
            self.adapter = _FlaxConv
        else:
            raise Unplaceable(
                f"layer {index} is a {type(layer).__name__}, which snnir.compat.spyx cannot place in a graph"
                "\n  hint: use the layers of snnir.compat.spyx.nn, nnx.Linear or nnx.Conv")

    def structure(self):
        return self.layer.structure() if self.adapter is None else self.adapter.structure(self.layer)

    def place(self, placer, index, last):
        if self.adapter is None:
            return self.layer.place(placer, index, last)
        return self.adapter.place(self.layer, placer)

    def values(self, nids, layout):
        return self.layer.values(nids, layout) if self.adapter is None else self.adapter.values(self.layer, nids, layout)

    def initial_state(self, batch_size):
        return self.layer.initial_state(batch_size)


def entries(layers: Sequence[Any]) -> list[Placed]:
    return [Placed(layer, i) for i, layer in enumerate(layers)]

