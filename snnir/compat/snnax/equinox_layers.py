"""Equinox layers inside SNNAX-style models: each becomes the snnir node that computes the same thing."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .neurons import _eqx_padding
from .pieces import Piece, SnnaxCompatError, concrete, kind, single


def equinox_piece(layer: Any, name: str, in_shape: tuple[int, ...]) -> Piece | None:
    """The piece for a supported Equinox module, or None when ``layer`` is not one."""
    if isinstance(layer, eqx.nn.Linear):
        return _linear(layer, name, in_shape)
    if isinstance(layer, (eqx.nn.Conv1d, eqx.nn.Conv2d)):
        return _conv(layer, name)
    if isinstance(layer, eqx.nn.LayerNorm):
        return _layer_norm(layer, name)
    if isinstance(layer, eqx.nn.Dropout):
        # SNNAX draws one mask per call (the call's key, split per layer, is reused every step), so the
        # layer is a Scale by mask / (1 − p) that the model binds per call (see dropout_scales); in
        # inference mode (or p = 0) it is the identity
        scale = 1.0 if dropout_off(layer) else np.ones(in_shape, np.float32)
        return single(kind("Scale")(id=name, scale=scale, trainable=()))
    if isinstance(layer, (eqx.nn.MaxPool1d, eqx.nn.MaxPool2d, eqx.nn.AvgPool1d, eqx.nn.AvgPool2d)):
        return _pool(layer, name)
    if isinstance(layer, eqx.nn.Identity):
        return single(kind("Scale")(id=name, scale=1.0, trainable=()))
    return None


def _linear(layer: eqx.nn.Linear, name: str, in_shape: tuple[int, ...]) -> Piece:
    if layer.in_features == "scalar" or layer.out_features == "scalar":
        raise SnnaxCompatError(f"layer {name!r}: eqx.nn.Linear with 'scalar' features has no snnir equivalent"
                               "\n  hint: use integer feature counts")
    node = kind("Linear")(id=name, weight=concrete(layer.weight), bias=concrete(layer.bias))
    return single(node, {"weight": layer.weight, "bias": layer.bias})


def _conv(layer: Any, name: str) -> Piece:
    ndim = layer.num_spatial_dims
    bias = None if layer.bias is None else jnp.reshape(layer.bias, (-1,))
    node = kind(f"Conv{ndim}d")(id=name, weight=concrete(layer.weight), bias=concrete(bias),
                                stride=tuple(layer.stride), padding=_eqx_padding(layer.padding, ndim),
                                dilation=tuple(layer.dilation), groups=int(layer.groups))
    return single(node, {"weight": layer.weight, "bias": bias})


def _layer_norm(layer: eqx.nn.LayerNorm, name: str) -> Piece:
    shape = layer.shape if isinstance(layer.shape, tuple) else (layer.shape,)
    node = kind("LayerNorm")(id=name, normalized_shape=shape, eps=float(layer.eps),
                             weight=concrete(layer.weight), bias=concrete(layer.bias))
    return single(node, {"weight": layer.weight, "bias": layer.bias})


def _pool(layer: Any, name: str) -> Piece:
    ndim = len(layer.kernel_size)
    if getattr(layer, "use_ceil", False):
        raise SnnaxCompatError(f"layer {name!r}: pooling with use_ceil=True has no snnir equivalent"
                               "\n  hint: pad explicitly")
    op = "MaxPool" if isinstance(layer, (eqx.nn.MaxPool1d, eqx.nn.MaxPool2d)) else "AvgPool"
    extra = {"spiking": False} if op == "MaxPool" else {}
    node = kind(f"{op}{ndim}d")(id=name, kernel_size=tuple(layer.kernel_size), stride=tuple(layer.stride),
                                padding=_eqx_padding(layer.padding, ndim), **extra)
    return single(node)


def dropout_off(layer: eqx.nn.Dropout) -> bool:
    return bool(layer.inference) or float(layer.p) == 0.0


def dropout_scale(layer: eqx.nn.Dropout, shape: tuple[int, ...], key: jax.Array) -> jax.Array:
    """The per-element factor of ``eqx.nn.Dropout(x, key=key)``: mask / (1 − p), the mask drawn as
    Equinox draws it."""
    q = 1.0 - jax.lax.stop_gradient(jnp.asarray(layer.p, jnp.float32))
    mask = jax.random.bernoulli(key, q, shape)
    return jnp.where(mask, 1.0 / q, 0.0)
