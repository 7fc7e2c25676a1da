"""Spiking neurons with more state than a membrane: AdaptiveLIF (SNNAX), ALIF (Spyx), SigmaDelta (SNNAX)
and SRM (SNNAX's spike-response neuron).

Notation as in :mod:`snnir.ir.kinds.neurons`: x_t input at step t, every state variable 0 before step 0,
θ threshold, H(z) = [z > 0] (or [z ≥ 0] with ``fire_at_threshold``), sg = stop_gradient, g the input gain
(1, or 1 − decay with ``input_scale="one_minus_decay"``), R(m, s) the reset term of ``reset``.
``decay_clamp=(lo, hi)`` clips every decay of the node to [lo, hi] in the forward pass.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ..arrays import FloatArray
from ..node import register_kind
from ..surrogate import Surrogate
from .neurons import VALUE_RESETS, Bounds, ResetMode, _Decaying, check_bounds


class _Fires(_Decaying):
    """The spike options every kind here shares."""

    threshold: FloatArray = Field(default=1.0, description="θ: a spike when the membrane exceeds it")
    fire_at_threshold: bool = Field(default=False, description="H(0) = 1 (spike when v == θ) if True")
    surrogate: Surrogate = Field(default_factory=lambda: Surrogate(name="superspike"))

    OUTPUT_PORTS: ClassVar[tuple[str, ...]] = ("out", "v")


@register_kind
class AdaptiveLIF(_Fires):
    """LIF with an adaptation current A that follows the membrane (SNNAX's AdaptiveLIF). One step:

        u   = α·v + g·(x_t + A)                       α = decay; g = 1, or 1 − α (input_scale)
        s_t = H(u − θ)
        A   ← (1 − β_a)·a·u + β_a·A − b·sg(s_t)       β_a = ada_decay, a = ada_coupling, b = ada_step
        v   ← u − R(u, s_t)

    R as in LIF (reset="subtract": θ·s; "zero": u·s; "subtract_value": v_r·s; "to_value": (u − v_r)·s;
    "none": 0; sg(R) with ``detach_reset``). The adaptation sees the membrane before the reset and a
    detached spike, as SNNAX computes it. ``decay_clamp`` clips α and β_a, ``coupling_clamp`` clips a and
    ``step_clamp`` clips b (SNNAX: (0.5, 1), (−1, 1), (0, 2)). Ports: "out" = s_t, "v", "a" = A after the step.
    All four of α, β_a, a, b train by default (as in SNNAX); θ and v_r are frozen.
    """

    kind: Literal["AdaptiveLIF"] = "AdaptiveLIF"
    decay: FloatArray
    ada_decay: FloatArray = Field(default=0.8, description="β_a, the decay of the adaptation current")
    ada_step: FloatArray = Field(default=1.0, description="b, the adaptation jump per spike")
    ada_coupling: FloatArray = Field(default=0.5, description="a, the coupling of the membrane into A")
    reset: ResetMode = "subtract"
    reset_value: FloatArray | None = None
    detach_reset: bool = Field(default=True, description="stop gradients through the reset term")
    input_scale: Literal["one", "one_minus_decay"] = "one"
    coupling_clamp: Bounds | None = Field(default=None, description="(lo, hi) clip of ada_coupling")
    step_clamp: Bounds | None = Field(default=None, description="(lo, hi) clip of ada_step")

    PARAMS: ClassVar[tuple[str, ...]] = ("decay", "ada_decay", "ada_step", "ada_coupling", "threshold", "reset_value")
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("decay", "ada_decay", "ada_step", "ada_coupling")
    DECAYS: ClassVar[tuple[str, ...]] = ("decay", "ada_decay")
    OUTPUT_PORTS: ClassVar[tuple[str, ...]] = ("out", "v", "a")

    def check(self, inputs):
        problems = super().check(inputs)
        problems += check_bounds(self.coupling_clamp, "coupling_clamp")
        problems += check_bounds(self.step_clamp, "step_clamp")
        problems += _reset_value_problems(self.reset, self.reset_value)
        return problems


@register_kind
class ALIF(_Fires):
    """LIF with an adaptive threshold Θ = θ + T, T a running average of the neuron's spikes (Spyx's ALIF,
    after Bellec et al.'s LSNN). One step, β = ``decay``, γ = ``adapt_decay``:

        spike_from="post" (default):  u = β·v + g·x_t;  Θ = θ + T;  s_t = H(u − Θ)
        spike_from="pre":             Θ = θ + T;  s_t = H(v − Θ);  u = β·v + g·x_t
        v ← u − R(u, s_t)             R = Θ·s (reset="subtract", the adapted threshold), u·s ("zero"), 0 ("none")
        T ← γ·T + (1 − γ)·s_t

    Spyx computes spike_from="pre", detach_reset=False: s = H(V − Θ); V' = βV + x − sΘ; T' = γT + (1 − γ)s.
    Ports: "out" = s_t, "v" (membrane), "t" (the threshold adaptation T after the step). β and γ train by
    default.
    """

    kind: Literal["ALIF"] = "ALIF"
    decay: FloatArray
    adapt_decay: FloatArray = Field(description="γ, the decay of the threshold adaptation T")
    spike_from: Literal["post", "pre"] = "post"
    reset: Literal["subtract", "zero", "none"] = "subtract"
    detach_reset: bool = Field(default=True, description="stop gradients through the reset term")
    input_scale: Literal["one", "one_minus_decay"] = "one"

    PARAMS: ClassVar[tuple[str, ...]] = ("decay", "adapt_decay", "threshold")
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("decay", "adapt_decay")
    DECAYS: ClassVar[tuple[str, ...]] = ("decay", "adapt_decay")
    OUTPUT_PORTS: ClassVar[tuple[str, ...]] = ("out", "v", "t")

    def feedthrough(self, port: str = "out") -> bool:
        # "v" and "t" are declared with feedthrough, which is always safe (see CubaLIF.feedthrough)
        return not (port == "out" and self.spike_from == "pre")


@register_kind
class SigmaDelta(_Fires):
    """Sigma-delta neuron (SNNAX's SigmaDelta): a leaky sum of the input, minus a leaky sum of the own
    spikes, integrated by a leaky membrane. No reset. One step:

        σ_t = d_in·σ + x_t              d_in  = in_decay
        e_t = σ_t − f_{t−1}
        m_t = d_mem·m + e_t             d_mem = mem_decay
        s_t = H(m_t − θ)
        f_t = d_fb·f + s_t              d_fb  = fb_decay

    Ports: "out" = s_t, "v" = m_t. The three decays train by default.
    """

    kind: Literal["SigmaDelta"] = "SigmaDelta"
    in_decay: FloatArray
    mem_decay: FloatArray
    fb_decay: FloatArray

    PARAMS: ClassVar[tuple[str, ...]] = ("in_decay", "mem_decay", "fb_decay", "threshold")
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("in_decay", "mem_decay", "fb_decay")
    DECAYS: ClassVar[tuple[str, ...]] = ("in_decay", "mem_decay", "fb_decay")


@register_kind
class SRM(_Fires):
    """The spiking end of a spike-response neuron, after its input filters and weights: a refractory
    kernel driven by the neuron's own previous spike. One step, γ = ``r_decay``, r = ``refractory``:

        ρ_t = γ·ρ + r·sg(s_{t−1})
        V_t = x_t − r·ρ_t
        s_t = H(V_t − θ)

    (r enters twice, as SNNAX's SRM computes it.) ``refractory_clamp`` clips r (SNNAX: (0, 2)),
    ``decay_clamp`` clips γ. SNNAX's ``SRM(layer)`` is LI(α, one_minus_decay) → LI(β, one_minus_decay)
    → layer → SRM. Ports: "out" = s_t, "v" = V_t. γ and r train by default.
    """

    kind: Literal["SRM"] = "SRM"
    r_decay: FloatArray = Field(default=0.9, description="γ, the decay of the refractory kernel")
    refractory: FloatArray = Field(default=0.0, description="r, the refractory strength (0: no refractoriness)")
    refractory_clamp: Bounds | None = Field(default=None, description="(lo, hi) clip of refractory")

    PARAMS: ClassVar[tuple[str, ...]] = ("r_decay", "refractory", "threshold")
    TRAINABLE_BY_DEFAULT: ClassVar[tuple[str, ...]] = ("r_decay", "refractory")
    DECAYS: ClassVar[tuple[str, ...]] = ("r_decay",)

    def check(self, inputs):
        return super().check(inputs) + check_bounds(self.refractory_clamp, "refractory_clamp")


def _reset_value_problems(reset: str, reset_value) -> list[tuple[str, str]]:
    if reset in VALUE_RESETS and reset_value is None:
        return [(f"reset={reset!r} needs reset_value", "set reset_value (e.g. 0.0) or choose another reset")]
    if reset not in VALUE_RESETS and reset_value is not None:
        return [(f"reset_value is set but reset={reset!r} ignores it",
                 "drop reset_value or use reset='to_value' or 'subtract_value'")]
    return []
