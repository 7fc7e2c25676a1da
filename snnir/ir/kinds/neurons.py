"""Neuron kinds: LIF, IF, LI and CubaLIF in discrete time.

Notation: x_t input at step t, v membrane (0 before step 0), i synaptic current, θ threshold,
H(z) = 1 if z > 0 else 0 (z ≥ 0 with ``fire_at_threshold=True``), g the input gain (1 with
``input_scale="one"``, 1 − β with ``input_scale="one_minus_decay"``), sg = stop_gradient.

The reset term R(m, s) for membrane m and spike s:
    reset="subtract":  R = θ·s            reset="zero":  R = m·s
    reset="to_value":  R = (m − v_r)·s    reset="none":  R = 0
and with ``detach_reset=True`` (default) R is replaced by sg(R).

One step of the spiking neurons (β = decay; IF has β = 1 and g = 1):
    spike_from="post" (default):  u = β·v + g·x_t;  s_t = H(u − θ)
    spike_from="pre":             s_t = H(v − θ);   u = β·v + g·x_t   (s_t depends on the state only)
    reset_at="same" (default):    v ← u − R(u, s_t)       the spike resets the membrane in its own step
    reset_at="next" (post only):  p = H(v − θ) from the stored membrane; u ← u − R(u, p) before the
                                  spike test; v ← u        (snnTorch's Leaky: the reset lands one step later)
The output on port "out" is s_t; port "v" gives the stored membrane after the step.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from ..arrays import FloatArray
from ..node import Node, Shape, ShapeProblem, register_kind
from ..surrogate import Surrogate

ResetMode = Literal["subtract", "zero", "to_value", "none"]


class _Population(Node):
    """A population of neurons with an explicit per-sample shape; inputs must have exactly that shape."""

    shape: Shape
    STATEFUL: ClassVar[bool] = True
    DECAYS: ClassVar[tuple[str, ...]] = ()

    def infer_shapes(self, inputs):
        got = inputs.get("in")
        if got is not None and tuple(got) != tuple(self.shape):
            raise ShapeProblem(
                f"{self.kind} {self.id!r} has shape {tuple(self.shape)} but receives {tuple(got)}",
                f"feed it inputs of shape {tuple(self.shape)} (add a Linear or Flatten before it) or change its shape",
            )
        return {port: tuple(self.shape) for port in self.OUTPUT_PORTS}

    def check(self, inputs):
        problems = []
        for name, value in self.params().items():
            try:
                ok = np.broadcast_shapes(value.shape, tuple(self.shape)) == tuple(self.shape)
            except ValueError:
                ok = False
            if not ok:
                problems.append((f"parameter {name} has shape {value.shape}, which does not broadcast to the "
                                 f"neuron shape {tuple(self.shape)}",
                                 f"give {name} as a scalar or as an array of shape {tuple(self.shape)}"))
        for name in self.DECAYS:
            value = getattr(self, name).astype(np.float64)
            if value.size and (value.min() < 0 or value.max() > 1):
                problems.append((f"{name} must lie in [0, 1], got values in [{value.min():g}, {value.max():g}]",
                                 f"a decay is exp(-dt/tau); use a value between 0 (no memory) and 1 (no leak)"))
        return problems


class _Spiking(_Population):
    threshold: FloatArray = Field(default=1.0, description="θ: a spike when the membrane exceeds it")
    reset: ResetMode = "subtract"
    reset_value: FloatArray | None = Field(default=None, description="v_r, used by reset='to_value'")
    spike_from: Literal["post", "pre"] = "post"
    reset_at: Literal["same", "next"] = "same"
    fire_at_threshold: bool = Field(default=False, description="H(0) = 1 (spike when v == θ) if True")
    detach_reset: bool = Field(default=True, description="stop gradients through the reset term")
    surrogate: Surrogate = Field(default_factory=lambda: Surrogate(name="superspike"))

    OUTPUT_PORTS: ClassVar[tuple[str, ...]] = ("out", "v")

    def feedthrough(self, port: str = "out") -> bool:
        return not (port == "out" and self.spike_from == "pre")

    def check(self, inputs):
        problems = super().check(inputs)
        if self.reset == "to_value" and self.reset_value is None:
            problems.append(("reset='to_value' needs reset_value", "set reset_value (e.g. 0.0) or choose another reset"))
        if self.reset != "to_value" and self.reset_value is not None:
            problems.append((f"reset_value is set but reset={self.reset!r} ignores it",
                             "drop reset_value or use reset='to_value'"))
        if self.spike_from == "pre" and self.reset_at == "next":
            problems.append(("spike_from='pre' with reset_at='next' is not supported",
                             "a spike from the pre-update membrane already resets in the next update: use reset_at='same'"))
        return problems


@register_kind
class LIF(_Spiking):
    """Leaky integrate-and-fire neuron. One step (see the module docstring for R, H and the options):

        u = β·v + g·x_t;  s_t = H(u − θ);  v ← u − R(u, s_t)        (defaults)

    β = ``decay`` (scalar or per neuron, in [0, 1]; trains by default), θ = ``threshold`` (frozen by default).
    """

    kind: Literal["LIF"] = "LIF"
    decay: FloatArray
    input_scale: Literal["one", "one_minus_decay"] = "one"

    PARAMS: ClassVar[tuple[str, ...]] = ("decay", "threshold", "reset_value")
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("decay",)
    DECAYS: ClassVar[tuple[str, ...]] = ("decay",)


@register_kind
class IF(_Spiking):
    """Integrate-and-fire neuron (no leak): u = v + x_t;  s_t = H(u − θ);  v ← u − R(u, s_t)  (defaults)."""

    kind: Literal["IF"] = "IF"

    PARAMS: ClassVar[tuple[str, ...]] = ("threshold", "reset_value")


@register_kind
class CubaLIF(_Spiking):
    """Current-based LIF: a leaky synaptic current feeds a LIF membrane. One step (defaults):

        i ← α·i + g_α·x_t;  u = β·v + g_β·i;  s_t = H(u − θ);  v ← u − R(u, s_t)

    α = ``syn_decay``, β = ``mem_decay``; g = 1, or 1 − decay with ``input_scale="one_minus_decay"``.
    spike_from / reset_at act on the membrane as in LIF. Port "i" gives the current after the step.
    """

    kind: Literal["CubaLIF"] = "CubaLIF"
    syn_decay: FloatArray
    mem_decay: FloatArray
    input_scale: Literal["one", "one_minus_decay"] = "one"

    PARAMS: ClassVar[tuple[str, ...]] = ("syn_decay", "mem_decay", "threshold", "reset_value")
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("syn_decay", "mem_decay")
    DECAYS: ClassVar[tuple[str, ...]] = ("syn_decay", "mem_decay")
    OUTPUT_PORTS: ClassVar[tuple[str, ...]] = ("out", "v", "i")


@register_kind
class LI(_Population):
    """Leaky integrator (non-spiking readout): v ← β·v + g·x_t;  y_t = v.

    β = ``decay`` (trains by default); g = 1, or 1 − β with ``input_scale="one_minus_decay"``.
    """

    kind: Literal["LI"] = "LI"
    decay: FloatArray
    input_scale: Literal["one", "one_minus_decay"] = "one"

    PARAMS: ClassVar[tuple[str, ...]] = ("decay",)
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("decay",)
    DECAYS: ClassVar[tuple[str, ...]] = ("decay",)
