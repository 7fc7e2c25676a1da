"""Argument checks shared by the training functions.

Shapes are static under ``jax.jit``, so every check here runs once, at trace time, and costs nothing
per call. Each error names the argument and ends with a hint line that says what to change.
"""

from __future__ import annotations

from typing import Iterable

import jax.numpy as jnp

from snnir.errors import InvalidArgumentsError, ShapeError

REDUCTIONS = ("mean", "sum", "none")


def time_axis_of(array, time_axis: int, name: str, fn: str) -> int:
    """``time_axis`` as a non-negative index into ``array``'s axes (which must include time and classes)."""
    if array.ndim < 2:
        raise ShapeError(
            f"{fn}: {name} must have a time axis and a class axis, got shape {tuple(array.shape)}"
            f"\n  hint: pass the whole recording, e.g. [T, B, C] (time_axis=0) or [B, T, C] (time_axis=1)")
    axis = time_axis + array.ndim if time_axis < 0 else time_axis
    if not 0 <= axis < array.ndim - 1:
        raise ShapeError(
            f"{fn}: time_axis={time_axis} is not a time axis of {name} with shape {tuple(array.shape)} "
            f"(the last axis holds the classes)"
            f"\n  hint: time-major recordings [T, B, C] use time_axis=0, batch-major [B, T, C] time_axis=1")
    return axis


def batch_shape_of(array, axis: int) -> tuple[int, ...]:
    """The shape left after removing the time axis and the class axis."""
    shape = tuple(array.shape)
    return shape[:axis] + shape[axis + 1:-1]


def check_targets(array, targets, time_axis: int, fn: str, name: str = "traces",
                  extra_leading: tuple[int, ...] = ()) -> int:
    """Check that ``targets`` holds one label per sample of ``array``; returns the time axis index.

    ``extra_leading`` is prepended to the expected target shape (per-step targets carry a time axis)."""
    axis = time_axis_of(array, time_axis, name, fn)
    expected = extra_leading + batch_shape_of(array, axis)
    if tuple(jnp.shape(targets)) != expected:
        raise ShapeError(
            f"{fn}: targets has shape {tuple(jnp.shape(targets))}, but {name} with shape "
            f"{tuple(array.shape)} (time_axis={time_axis}) holds samples of batch shape {expected}"
            f"\n  hint: targets are integer class labels, one per sample; check time_axis "
            f"(snnir programs output time-major [T, B, C], time_axis=0)")
    return axis


def check_reduction(reduction: str, fn: str) -> None:
    if reduction not in REDUCTIONS:
        raise InvalidArgumentsError(
            f"{fn}: reduction={reduction!r} is not one of {REDUCTIONS}"
            f"\n  hint: 'mean' averages over the batch, 'sum' adds, 'none' keeps one value per sample")


def check_class_weights(weight, num_classes: int, fn: str) -> None:
    if weight is not None and tuple(jnp.shape(weight)) != (num_classes,):
        raise ShapeError(
            f"{fn}: weight has shape {tuple(jnp.shape(weight))}, expected one weight per class ({num_classes},)"
            f"\n  hint: weight[c] scales the loss of every sample whose label is c")


def check_positive_int(value, name: str, fn: str) -> int:
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise InvalidArgumentsError(f"{fn}: {name} must be an int, got {value!r}"
                                    f"\n  hint: shapes are static in JAX, so {name} is a Python int")
    value = int(value.__index__())
    if value < 1:
        raise InvalidArgumentsError(f"{fn}: {name} must be at least 1, got {value}"
                                    f"\n  hint: pass a positive number")
    return value


def check_axes_in_range(axes: Iterable[int], ndim: int, name: str, fn: str) -> tuple[int, ...]:
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ShapeError(f"{fn}: {name} names axis {a}, but the data has {ndim} axes"
                             f"\n  hint: axes count from 0 (or from -1 at the end)")
        out.append(a % ndim)
    return tuple(out)
