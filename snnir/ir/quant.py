"""Quantization recorded in the IR: how a parameter (or a state variable) is stored as an integer.

A :class:`Quantization` says that a value ``w`` is held as the integer ``w_int`` of ``bits`` bits with
the real value ``w_int · s``. The **linear** form (the default) rounds onto a uniform grid:

    w_int = clip(round(w / s), qmin, qmax),   q(w) = w_int · s
    qmin, qmax = −2^(bits−1), 2^(bits−1) − 1   (signed)   or   0, 2^bits − 1   (unsigned)

with ``s`` one number (per tensor) or one per channel (``scale`` a tuple, channels along ``axis`` of
the value as broadcast to the node: a Linear's weight [out, in] has its output channels on axis 0, a
neuron parameter is broadcast to the neuron shape first). ``round`` is ``rounding``:

    "nearest"  round half to even (numpy's and JAX's ``round``: 0.5 → 0, 1.5 → 2, −2.5 → −2), unbiased
    "floor"    the largest integer not above: ⌊w / s⌋ (what an arithmetic right shift computes)

The **shift** form is for decays stored as bit shifts (Xylo's ``dash``): the decay β is held as the
unsigned integer d with β = 1 − 2^(−d), so the membrane decays as v ← v − (v >> d) without a multiply:

    d = clip(round(−log₂(1 − β)), 0, 2^bits − 1),   q(β) = 1 − 2^(−d)     (scale 1, unsigned)

A node carries its quantizations in ``node.quant``: a mapping from a float parameter name (``weight``,
``bias``, ``threshold``, ``decay``, ...) or, for neurons, a state variable name (``v``, ``i``: the
state's format, used by the integer simulation and the target checks) to its Quantization. The float
parameters keep their values; ``snnir.compile`` applies q in the forward pass (fake quantization, with a
straight-through gradient) and ``snnir.compile(graph, arithmetic="integer")`` runs the integers
themselves. ``snnir.verify`` checks every entry (code ``bad-quantization``).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, field_validator
from pydantic._internal._model_construction import ModelMetaclass

from ..errors import InvalidArgumentsError

#: the widths a Quantization may have
MIN_BITS, MAX_BITS = 2, 32
#: the state variables of the neuron kinds that a ``quant`` entry may name (their formats)
STATE_NAMES = {"LIF": ("v",), "IF": ("v",), "LI": ("v",), "CubaLIF": ("v", "i"), "ALIF": ("v",),
               "AdaptiveLIF": ("v",)}


class _QuantizationMeta(ModelMetaclass):
    """Construction errors as snnir's InvalidIRError (naming the field), as for nodes and edges."""

    def __call__(cls, *args: Any, **data: Any) -> Any:
        if args:
            raise InvalidArgumentsError("Quantization takes keyword arguments: Quantization(bits=8, scale=0.01)")
        try:
            return super().__call__(**data)
        except ValidationError as err:
            from .node import invalid_ir_error  # node.py imports this module

            raise invalid_ir_error(err, what="quantization", model=cls) from None


class Quantization(BaseModel, metaclass=_QuantizationMeta):
    """One value's integer format: ``bits`` (2 to 32, sign included), ``scale`` (the real value of one
    integer step: a number, or one per channel along ``axis``), ``signed`` (default True), ``rounding``
    ("nearest": half to even, or "floor") and ``form`` ("linear", or "shift" for a bit-shift decay
    β = 1 − 2^(−d)). See the module docstring for the equations.

    Construction checks only the types; the values (bits in range, positive finite scales, a
    per-channel scale of the right length) are checked by ``snnir.verify`` against the node, so a file
    with a bad entry can still be loaded unverified and drawn."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bits: StrictInt
    scale: float | tuple[float, ...] = 1.0
    axis: StrictInt | None = Field(default=None, description="the channel axis of a per-channel scale")
    signed: StrictBool = True
    rounding: Literal["nearest", "floor"] = "nearest"
    form: Literal["linear", "shift"] = "linear"

    @field_validator("scale", mode="before")
    @classmethod
    def _numbers(cls, value: Any) -> Any:
        if isinstance(value, (bool, np.bool_)):
            raise ValueError("a scale is a number or a list of numbers, not a boolean")
        if isinstance(value, np.ndarray) or hasattr(value, "__array__") and not isinstance(value, (list, tuple)):
            arr = np.asarray(value, dtype=np.float64)
            return float(arr) if arr.ndim == 0 else tuple(float(x) for x in arr.reshape(-1))
        if isinstance(value, (list, tuple)):
            if any(isinstance(x, (bool, np.bool_)) for x in value):
                raise ValueError("scale entries must be numbers, not booleans")
            return tuple(float(x) for x in value)
        return value

    # ------------------------------------------------------------------ reading it
    @property
    def per_channel(self) -> bool:
        return isinstance(self.scale, tuple)

    def qrange(self) -> tuple[int, int]:
        """(qmin, qmax): the integers the format holds."""
        if self.form == "shift" or not self.signed:
            return 0, 2**self.bits - 1
        return -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1

    def scale_array(self, shape: tuple[int, ...]) -> np.ndarray:
        """The scale as a float64 array that broadcasts against a value of ``shape``."""
        if not self.per_channel:
            return np.asarray(self.scale, np.float64)
        axis = (self.axis if self.axis is not None else 0) % max(len(shape), 1)
        view = [1] * len(shape)
        view[axis] = len(self.scale)
        return np.asarray(self.scale, np.float64).reshape(view)

    def integers(self, value: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """The stored integers (int64) of ``value`` (broadcast to ``shape`` when given), by the equations
        of the module docstring, computed in float64."""
        w = np.asarray(value, np.float64)
        if shape is not None:
            w = np.broadcast_to(w, shape)
        lo, hi = self.qrange()
        if self.form == "shift":
            with np.errstate(divide="ignore"):
                z = -np.log2(np.maximum(1.0 - w, 0.0))
            z = np.minimum(z, hi)  # β = 1 (no leak) is the longest shift
        else:
            z = w / self.scale_array(w.shape)
        z = np.round(z) if self.rounding == "nearest" else np.floor(z)
        return np.clip(z, lo, hi).astype(np.int64)

    def dequantize(self, ints: Any) -> np.ndarray:
        """The real values (float64) the integers stand for."""
        q = np.asarray(ints, np.float64)
        if self.form == "shift":
            return 1.0 - np.exp2(-q)
        return q * self.scale_array(q.shape)

    def apply(self, value: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """q(value) as the compiled program computes it, in the value's own float dtype (float64 for
        Python numbers): w / s, rounded, clipped, times s, each step in that dtype, as the fake-quantized
        forward pass does, so that a graph written with these values computes the same numbers bit for bit."""
        w = np.asarray(value)
        dtype = w.dtype if w.dtype.kind == "f" else np.dtype(np.float32)
        w = w.astype(dtype)
        if shape is not None:
            w = np.broadcast_to(w, shape)
        lo, hi = self.qrange()
        rnd = np.round if self.rounding == "nearest" else np.floor
        with np.errstate(divide="ignore", over="ignore"):
            if self.form == "shift":
                tiny = np.finfo(dtype).tiny
                d = np.clip(rnd(np.minimum(-np.log2(np.maximum(dtype.type(1) - w, tiny)), hi)), lo, hi)
                return (dtype.type(1) - np.exp2(-d)).astype(dtype)
            s = self.scale_array(w.shape).astype(dtype)
            return (np.clip(rnd(w / s), lo, hi) * s).astype(dtype)

    def label(self) -> str:
        """The printed form: ``q8`` (signed, per tensor), ``q8/ch`` (per channel), ``qu4`` (unsigned),
        ``q4/shift``, with ``/floor`` for floor rounding."""
        text = f"q{'' if self.signed or self.form == 'shift' else 'u'}{self.bits}"
        if self.form == "shift":
            text += "/shift"
        elif self.per_channel:
            text += "/ch"
        return text + ("/floor" if self.rounding == "floor" else "")

    def __str__(self) -> str:
        return self.label()


def quant_targets(node: Any) -> tuple[str, ...]:
    """The names a ``quant`` entry of ``node`` may use: its float parameters and, for a neuron, its
    state variables."""
    return tuple(node.float_params()) + STATE_NAMES.get(node.kind, ())


def channel_shape(node: Any, name: str) -> tuple[int, ...] | None:
    """The shape whose ``axis`` a per-channel scale of ``name`` runs along: the neuron shape for a
    neuron's parameters and states (a parameter is broadcast to it), else the parameter's own shape
    (None when the parameter is unset)."""
    shape = getattr(node, "shape", None)
    if isinstance(shape, tuple) and shape:
        return tuple(shape)
    value = getattr(node, name, None) if name in node.float_params() else None
    return None if value is None else tuple(np.shape(value))


def problems(node: Any) -> list[tuple[str, str]]:
    """(message, hint) for every ``quant`` entry of ``node`` that is wrong: an unknown or unset name,
    bits outside 2..32, a scale that is not a positive finite number, a per-channel scale whose length
    is not the channel count or whose axis does not exist, a shift form that is not an unsigned decay."""
    quant = getattr(node, "quant", None)
    if not quant:
        return []
    out = []
    allowed = quant_targets(node)
    for name, q in quant.items():
        where = f"quant[{name!r}]"
        if name not in allowed:
            from ..diagnostics import did_you_mean

            guess = did_you_mean(name, allowed)
            out.append((f"{where} names no parameter of {node.kind}",
                        (f"{guess} " if guess else "") + f"quantize one of {list(allowed)}"))
            continue
        if name in node.float_params() and getattr(node, name, None) is None:
            out.append((f"{where} quantizes {name}, which is not set", f"set {name}, or drop its quant entry"))
            continue
        if not MIN_BITS <= q.bits <= MAX_BITS:
            out.append((f"{where} has bits={q.bits}; a quantization has {MIN_BITS} to {MAX_BITS} bits",
                        "give bits between 2 and 32 (8 for weights, 16 for states is usual)"))
        scales = q.scale if q.per_channel else (q.scale,)
        if not scales or not all(math.isfinite(s) and s > 0 for s in scales):
            bad = [s for s in scales if not (math.isfinite(s) and s > 0)][:3]
            out.append((f"{where} has scale {bad if q.per_channel else q.scale}; a scale must be a positive finite "
                        "number" + ("" if scales else " (the per-channel scale is empty)"),
                        "give a positive scale, the value of one integer step, e.g. max(abs(w)) / "
                        "(2**(bits-1) - 1); snnir.quantize chooses it"))
        if q.form == "shift":
            if name in node.float_params() and name not in getattr(node, "DECAYS", ()):
                out.append((f"{where} has form='shift', which only a decay can have",
                            "use form='linear' for weights, biases and thresholds"))
            if q.per_channel or q.scale != 1.0 or q.signed:
                out.append((f"{where} has form='shift' with scale={q.scale} signed={q.signed}; a shift decay "
                            "is an unsigned shift d with β = 1 − 2^(−d), scale 1",
                            f"give Quantization(bits={q.bits}, form='shift', signed=False)"))
        elif q.per_channel:
            shape = channel_shape(node, name)
            axis = 0 if q.axis is None else q.axis
            if shape is None or not shape:
                out.append((f"{where} has a per-channel scale, but {name} is a scalar",
                            f"give one scale for {name}, or make {name} an array"))
            elif not -len(shape) <= axis < len(shape):
                out.append((f"{where} has axis={axis}, but {name} has {len(shape)} axes (shape {shape})",
                            f"give an axis between 0 and {len(shape) - 1}"))
            elif len(q.scale) != shape[axis]:
                out.append((f"{where} has {len(q.scale)} scales, but {name} has {shape[axis]} channels on axis "
                            f"{axis} (shape {shape})",
                            f"give {shape[axis]} scales (one per channel), or one scale for the whole tensor"))
        elif q.axis is not None:
            out.append((f"{where} has axis={q.axis} but one scale", "drop axis, or give one scale per channel"))
    return out


__all__ = ["Quantization", "STATE_NAMES", "problems", "quant_targets", "channel_shape", "MIN_BITS", "MAX_BITS"]
