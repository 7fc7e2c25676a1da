"""Neuron kinds: LIF, IF, LI and CubaLIF in discrete time.

Notation: x_t input at step t, v membrane (0 before step 0), i synaptic current, θ threshold,
H(z) = 1 if z > 0 else 0 (z ≥ 0 with ``fire_at_threshold=True``), g the input gain (1 with
``input_scale="one"``, 1 − β with ``input_scale="one_minus_decay"``), sg = stop_gradient, λ = ``leak``
(a constant subtracted every step, 0 when unset).

The reset term R(m, s) for membrane m and spike s:
    reset="subtract":        R = θ·s            reset="zero":      R = m·s
    reset="to_value":        R = (m − v_r)·s    reset="none":      R = 0
    reset="subtract_value":  R = v_r·s          (v_r = ``reset_value``)
and with ``detach_reset=True`` (default) R is replaced by sg(R).

One step of the spiking neurons (β = decay; IF has β = 1 and g = 1):
    spike_from="post" (default):  u = β·v + g·x_t − λ;  s_t = H(u − θ)
    spike_from="pre":             s_t = H(v − θ);       u = β·v + g·x_t − λ   (s_t depends on the state only)
    reset_at="same" (default):    v ← u − R(u, s_t)       the spike resets the membrane in its own step
    reset_at="next" (post only):  p = H(v − θ) from the stored membrane; u ← u − R(u, p) before the
                                  spike test; v ← u        (snnTorch's Leaky: the reset lands one step later)
    reset_before_leak=True:       the reset acts on the stored membrane before the leak, with the spike p
                                  (p = s_t for "pre"; for "post"/"next" the spike emitted at the step
                                  before, kept in state "s", 0 before step 0):
                                  v ← v − R(v, p);  u = β·v + g·x_t − λ;  then the spike test as above and
                                  v ← u (Spyx's CuBaLIF with "pre"/"same", SNNAX's LIF with "post"/"next")
The output on port "out" is s_t; port "v" gives the stored membrane after the step.

``decay_clamp=(lo, hi)`` clips every decay of the node to [lo, hi] in the forward pass; SNNAX clamps to
(0.5, 1), Spyx to (0, 1). The gradient is 1 strictly inside and 0 outside; exactly at a bound it is 0
with ``decay_clamp_op="clamp"`` (``lax.clamp``, as SNNAX) and 1/2 with ``"clip"`` (``jnp.clip``, as
Spyx: a decay that starts at exactly 1.0 still trains). Without a clamp a decay must lie in [0, 1].

``double_reset=True`` (spike_from="pre" with reset_before_leak only) subtracts the reset a second time
after the leak, v ← u − R(u, s_t): Spyx ≤ 0.1.20's CuBaLIF computes V' = β·(V − θs) + I' − θs, a bug
fixed in Spyx 1.0, kept as an option so models trained with the old version reload with their numbers.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from ..arrays import FloatArray
from ..node import Node, Shape, ShapeProblem, register_kind
from ..surrogate import Surrogate

ResetMode = Literal["subtract", "zero", "to_value", "subtract_value", "none"]
#: reset modes that read ``reset_value``
VALUE_RESETS = ("to_value", "subtract_value")
Bounds = tuple[float, float]


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
        return problems


class _Decaying(_Population):
    """A population whose decays (``DECAYS``) lie in [0, 1], or are clipped there by ``decay_clamp``."""

    decay_clamp: Bounds | None = Field(
        default=None, description="(lo, hi): every decay is clipped to [lo, hi] in the forward pass")
    decay_clamp_op: Literal["clamp", "clip"] = Field(
        default="clamp", description="the gradient exactly at a bound of decay_clamp: 0 ('clamp', lax.clamp) "
                                     "or 1/2 ('clip', jnp.clip)")

    def check(self, inputs):
        problems = super().check(inputs)
        problems += check_bounds(self.decay_clamp, "decay_clamp", 0.0, 1.0)
        if self.decay_clamp is not None and not self.DECAYS:
            problems.append((f"decay_clamp is set but {self.kind} has no decay", "drop decay_clamp"))
        if self.decay_clamp_op != "clamp" and self.decay_clamp is None:
            problems.append((f"decay_clamp_op={self.decay_clamp_op!r} is set but there is no decay_clamp",
                             "set decay_clamp=(lo, hi) or drop decay_clamp_op"))
        for name in self.DECAYS:
            value = getattr(self, name)
            if value is None or self.decay_clamp is not None:
                continue  # a clamped decay may be stored anywhere: the forward pass sees it clipped
            value = value.astype(np.float64)
            if value.size and (value.min() < 0 or value.max() > 1):
                problems.append((f"{name} must lie in [0, 1], got values in [{value.min():g}, {value.max():g}]",
                                 "a decay is exp(-dt/tau); use a value between 0 (no memory) and 1 (no leak), "
                                 "or set decay_clamp to clip it in the forward pass"))
        return problems


def check_bounds(bounds: Bounds | None, name: str, lo: float | None = None, hi: float | None = None
                 ) -> list[tuple[str, str]]:
    """Problems with a (lo, hi) clamp option: lo <= hi, both within [lo, hi] when those are given."""
    if bounds is None:
        return []
    a, b = bounds
    if not (a <= b) or (lo is not None and a < lo) or (hi is not None and b > hi):
        limits = f" within [{lo:g}, {hi:g}]" if lo is not None and hi is not None else ""
        return [(f"{name}={tuple(bounds)} is not an interval (lo, hi) with lo <= hi{limits}",
                 f"give {name} as (lo, hi), e.g. (0.5, 1.0)" if name == "decay_clamp" else f"give {name} as (lo, hi)")]
    return []


class _Spiking(_Decaying):
    threshold: FloatArray = Field(default=1.0, description="θ: a spike when the membrane exceeds it")
    reset: ResetMode = "subtract"
    reset_value: FloatArray | None = Field(
        default=None, description="v_r, used by reset='to_value' (reset to v_r) and 'subtract_value' (subtract v_r)")
    spike_from: Literal["post", "pre"] = "post"
    reset_at: Literal["same", "next"] = "same"
    reset_before_leak: bool = Field(
        default=False, description="reset the stored membrane (with its own spike) before the leak")
    leak: FloatArray | None = Field(default=None, description="λ: a constant subtracted from the membrane every step")
    double_reset: bool = Field(
        default=False, description="subtract the reset again after the leak (Spyx <= 0.1.20's CuBaLIF)")
    fire_at_threshold: bool = Field(default=False, description="H(0) = 1 (spike when v == θ) if True")
    detach_reset: bool = Field(default=True, description="stop gradients through the reset term")
    surrogate: Surrogate = Field(default_factory=lambda: Surrogate(name="superspike"))

    OUTPUT_PORTS: ClassVar[tuple[str, ...]] = ("out", "v")

    def feedthrough(self, port: str = "out") -> bool:
        return not (port == "out" and self.spike_from == "pre")

    def check(self, inputs):
        problems = super().check(inputs)
        if self.reset in VALUE_RESETS and self.reset_value is None:
            problems.append((f"reset={self.reset!r} needs reset_value",
                             "set reset_value (e.g. 0.0) or choose another reset"))
        if self.reset not in VALUE_RESETS and self.reset_value is not None:
            problems.append((f"reset_value is set but reset={self.reset!r} ignores it",
                             "drop reset_value or use reset='to_value' or 'subtract_value'"))
        if self.spike_from == "pre" and self.reset_at == "next":
            problems.append(("spike_from='pre' with reset_at='next' is not supported",
                             "a spike from the pre-update membrane already resets in the next update: use reset_at='same'"))
        if self.reset_before_leak and self.spike_from == "post" and self.reset_at == "same":
            problems.append(("reset_before_leak=True with spike_from='post' and reset_at='same' has no spike to "
                             "reset with before the leak",
                             "use reset_at='next' (reset with the previous step's spike, as SNNAX's LIF) or "
                             "spike_from='pre' (as Spyx's CuBaLIF)"))
        if self.double_reset and not (self.reset_before_leak and self.spike_from == "pre"):
            problems.append(("double_reset=True needs reset_before_leak=True and spike_from='pre'",
                             "set both (Spyx <= 0.1.20's CuBaLIF), or drop double_reset"))
        return problems


@register_kind
class LIF(_Spiking):
    """Leaky integrate-and-fire neuron. One step (see the module docstring for R, H and the options):

        u = β·v + g·x_t − λ;  s_t = H(u − θ);  v ← u − R(u, s_t)        (defaults: λ = 0, g = 1)

    β = ``decay`` (scalar or per neuron, in [0, 1]; trains by default), θ = ``threshold`` (frozen by default),
    λ = ``leak`` (optional, frozen by default).

    Quantized (``quant``, see ``snnir.Quantization``) and compiled with ``arithmetic="integer"``, one step
    on int32 values with B = ``quant["v"].bits`` and sat_B the clip to B signed bits:

        u = sat_B(D(v) + x_t);  s_t = H(u − θ);  v ← sat_B(u − θ·s_t)        (reset="zero": v ← u·(1 − s_t))

    with D(v) = v − (v >> d) for a shift decay (β = 1 − 2^(−d)) or (β_int·v) >> k for a linear one.
    """

    kind: Literal["LIF"] = "LIF"
    decay: FloatArray
    input_scale: Literal["one", "one_minus_decay"] = "one"

    PARAMS: ClassVar[tuple[str, ...]] = ("decay", "threshold", "reset_value", "leak")
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("decay",)
    DECAYS: ClassVar[tuple[str, ...]] = ("decay",)


@register_kind
class IF(_Spiking):
    """Integrate-and-fire neuron (no decay): u = v + x_t − λ;  s_t = H(u − θ);  v ← u − R(u, s_t)  (defaults).

    λ = ``leak`` is SNNAX's constant leak (SimpleIAF's ``leak``); 0 when unset.

    With ``arithmetic="integer"``: u = sat_B(v + x_t); s_t = H(u − θ); v ← sat_B(u − θ·s_t) on int32 values
    (B = ``quant["v"].bits``), as LIF without the decay.
    """

    kind: Literal["IF"] = "IF"

    PARAMS: ClassVar[tuple[str, ...]] = ("threshold", "reset_value", "leak")


@register_kind
class CubaLIF(_Spiking):
    """Current-based LIF: a leaky synaptic current feeds a LIF membrane. One step (defaults):

        i ← α·i + g_α·x_t;  u = β·v + g_β·i − λ;  s_t = H(u − θ);  v ← u − R(u, s_t)

    α = ``syn_decay``, β = ``mem_decay``; g = 1, or 1 − decay with ``input_scale="one_minus_decay"``.
    ``mem_decay=None`` means no membrane leak and g_β = 1: u = v + g_α-filtered current (SNNAX's IAF).
    ``current_lag=True`` feeds the membrane the current of the previous step (SNNAX's LIF and IAF):

        u = β·v + g_β·i_{t−1} − λ;  i_t = α·i_{t−1} + g_α·x_t

    so neither the spikes nor the membrane depend on x_t within its step. spike_from / reset_at /
    reset_before_leak act on the membrane as in LIF. Port "i" gives the current after the step.
    """

    kind: Literal["CubaLIF"] = "CubaLIF"
    syn_decay: FloatArray
    mem_decay: FloatArray | None
    input_scale: Literal["one", "one_minus_decay"] = "one"
    current_lag: bool = Field(default=False, description="the membrane integrates the previous step's current")

    PARAMS: ClassVar[tuple[str, ...]] = ("syn_decay", "mem_decay", "threshold", "reset_value", "leak")
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("syn_decay", "mem_decay")
    DECAYS: ClassVar[tuple[str, ...]] = ("syn_decay", "mem_decay")
    OUTPUT_PORTS: ClassVar[tuple[str, ...]] = ("out", "v", "i")

    def feedthrough(self, port: str = "out") -> bool:
        # with current_lag the spikes come from the state alone. The membrane port "v" is declared with
        # feedthrough all the same: the runtime emits state-only values through a kernel's single
        # ``output``, which gives the spikes, and claiming feedthrough is always safe (a cycle through
        # "v" then gets a feedback mark, as for any membrane read).
        if port == "out" and self.current_lag:
            return False
        return super().feedthrough(port)


@register_kind
class LI(_Decaying):
    """Leaky integrator (non-spiking readout): v ← β·v + g·x_t;  y_t = v.

    β = ``decay`` (trains by default); g = 1, or 1 − β with ``input_scale="one_minus_decay"``.

    With ``arithmetic="integer"``: v ← sat_B(D(v) + x_t) on int32 values, D the decay as for LIF
    (v − (v >> d), or (β_int·v) >> k), B = ``quant["v"].bits``.
    """

    kind: Literal["LI"] = "LI"
    decay: FloatArray
    input_scale: Literal["one", "one_minus_decay"] = "one"

    PARAMS: ClassVar[tuple[str, ...]] = ("decay",)
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("decay",)
    DECAYS: ClassVar[tuple[str, ...]] = ("decay",)
