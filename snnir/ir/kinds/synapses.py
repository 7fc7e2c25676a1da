"""Stateless synapse and reshaping kinds, and the elementwise Delay."""

from __future__ import annotations

import math
from typing import ClassVar, Literal, Mapping

import numpy as np
from pydantic import field_validator

from ..arrays import FloatArray, IntArray
from ..node import Node, ShapeProblem, register_kind


def _need_input(node: Node, inputs: Mapping[str, tuple[int, ...] | None], port: str = "in") -> tuple[int, ...] | None:
    return None if inputs.get(port) is None else tuple(inputs[port])


@register_kind
class Linear(Node):
    """Dense synapses on the last axis: y_t = (W ⊙ M) x_t + b, with W of shape [out, in] (as NIR and Equinox).

    Input shape (..., in) gives output (..., out). ``bias`` is optional. Weights and bias train by default.
    ``mask`` M (optional, same shape as W, entries 0 or 1) fixes the connectivity: a synapse with M = 0
    does not exist, so its weight has no effect and gets no gradient. M is an integer parameter and never
    trains. Without a mask, M = 1.
    """

    kind: Literal["Linear"] = "Linear"
    weight: FloatArray
    bias: FloatArray | None = None
    mask: IntArray | None = None

    PARAMS: ClassVar[tuple[str, ...]] = ("weight", "bias")
    INT_PARAMS: ClassVar[tuple[str, ...]] = ("mask",)
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("weight", "bias")

    @field_validator("weight")
    @classmethod
    def _two_dims(cls, w: np.ndarray) -> np.ndarray:
        if w.ndim != 2 or 0 in w.shape:
            raise ValueError(f"weight must be a non-empty [out, in] matrix, got shape {w.shape}")
        return w

    @field_validator("mask", mode="before")
    @classmethod
    def _bool_mask(cls, m: object) -> object:
        if isinstance(m, (list, tuple)):
            m = np.asarray(m)
        if getattr(m, "dtype", None) is not None and np.dtype(m.dtype) == np.bool_:
            return np.asarray(m).astype(np.int32)  # a boolean mask reads as 0/1
        return m

    @field_validator("mask")
    @classmethod
    def _zero_one(cls, m: np.ndarray | None) -> np.ndarray | None:
        if m is not None and m.size and not np.isin(m, (0, 1)).all():
            bad = sorted(set(np.unique(m).tolist()) - {0, 1})[:4]
            raise ValueError(f"mask entries must be 0 or 1 (or booleans), got {bad}")
        return m

    @property
    def in_features(self) -> int:
        return int(self.weight.shape[1])

    @property
    def out_features(self) -> int:
        return int(self.weight.shape[0])

    def infer_shapes(self, inputs):
        shape = _need_input(self, inputs)
        if shape is None:
            return {}
        if not shape or shape[-1] != self.in_features:
            raise ShapeProblem(
                f"Linear {self.id!r} has weight [out={self.out_features}, in={self.in_features}] "
                f"but receives shape {shape}",
                f"feed it a shape ending in {self.in_features}, or give it a weight of shape "
                f"[{self.out_features}, {shape[-1] if shape else '?'}]",
            )
        return {"out": shape[:-1] + (self.out_features,)}

    def check(self, inputs):
        problems = []
        if self.bias is not None and self.bias.shape not in ((self.out_features,), ()):
            problems.append((f"bias has shape {self.bias.shape}, expected ({self.out_features},)",
                             f"give a bias of length {self.out_features} (one per output feature) or none"))
        if self.mask is not None and self.mask.shape != self.weight.shape:
            problems.append((f"mask has shape {self.mask.shape}, but the weight has {self.weight.shape}",
                             f"give a 0/1 mask of the weight's shape {self.weight.shape} (one entry per synapse) or none"))
        return problems


@register_kind
class Scale(Node):
    """Elementwise gain: y_t = s ⊙ x_t (s a scalar or an array that broadcasts to the input shape)."""

    kind: Literal["Scale"] = "Scale"
    scale: FloatArray

    PARAMS: ClassVar[tuple[str, ...]] = ("scale",)
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("scale",)

    def infer_shapes(self, inputs):
        return _elementwise(self, inputs, "scale", "use a scalar scale or one of the input's shape")


@register_kind
class Flatten(Node):
    """Reshape: merge per-sample axes start_dim..end_dim into one (axes exclude batch and time).

    y_t = reshape(x_t). The default flattens the whole sample to one axis.
    """

    kind: Literal["Flatten"] = "Flatten"
    start_dim: int = 0
    end_dim: int = -1

    def infer_shapes(self, inputs):
        shape = _need_input(self, inputs)
        if shape is None:
            return {}
        n = len(shape)
        start = self.start_dim + n if self.start_dim < 0 else self.start_dim
        end = self.end_dim + n if self.end_dim < 0 else self.end_dim
        if not (0 <= start <= end < n):
            raise ShapeProblem(
                f"Flatten {self.id!r} with start_dim={self.start_dim}, end_dim={self.end_dim} does not fit "
                f"its input of shape {shape}",
                "axes count per sample, without batch or time: start_dim=0 flattens the whole sample",
            )
        return {"out": shape[:start] + (math.prod(shape[start : end + 1]),) + shape[end + 1 :]}


@register_kind
class Delay(Node):
    """Elementwise delay in whole steps: y_t[i] = x_{t − d[i]}[i] with d = ``steps``; before step 0 the
    input is at rest, so y_t = the input's rest value for t < d (docs/semantics.md, "Rest values").

    ``steps`` is a scalar or one integer per element (NIR's Delay holds the same in seconds). With every
    d ≥ 1 the node has no direct feedthrough, so it can break a cycle.
    """

    kind: Literal["Delay"] = "Delay"
    steps: IntArray

    INT_PARAMS: ClassVar[tuple[str, ...]] = ("steps",)
    STATEFUL: ClassVar[bool] = True

    @field_validator("steps")
    @classmethod
    def _non_negative(cls, d: np.ndarray) -> np.ndarray:
        if d.size and d.min() < 0:
            raise ValueError("delays must be >= 0 steps")
        return d

    @property
    def max_delay(self) -> int:
        return int(self.steps.max()) if self.steps.size else 0

    def feedthrough(self, port: str = "out") -> bool:
        return bool(self.steps.size == 0 or self.steps.min() == 0)

    def holds_state(self) -> bool:
        return self.max_delay > 0

    def infer_shapes(self, inputs):
        return _elementwise(self, inputs, "steps", "give one delay for all elements or one per element")


def _elementwise(node: Node, inputs, param: str, hint: str) -> dict[str, tuple[int, ...]]:
    """Shape rule of an elementwise node whose parameter ``param`` must broadcast to the input."""
    shape = _need_input(node, inputs)
    if shape is None:
        return {}
    value = getattr(node, param)
    if not _broadcasts_to(value.shape, shape):
        raise ShapeProblem(
            f"{node.kind} {node.id!r} has {param} of shape {value.shape}, which does not broadcast to its input {shape}",
            hint,
        )
    return {"out": shape}


def _broadcasts_to(small: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(tuple(small), tuple(shape)) == tuple(shape)
    except ValueError:
        return False
