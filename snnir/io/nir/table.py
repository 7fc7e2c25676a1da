"""The node-by-node table: one entry per NIR primitive, with both directions side by side.

Each :class:`Primitive` names the NIR class, how one NIR node becomes snnir nodes (``read``) and how a
snnir node becomes that NIR node (``write``, for the snnir ``kinds`` it claims, when ``when`` holds).
A new NIR primitive is one entry here. Equations per entry; β, α are per-step decays (params.py),
g the input gain, λ snnir's leak:

    LIF      τ·dv/dt = (v_leak − v) + R·I        u = β·v + (1 − β)·R·x − λ,  λ = −(1 − β)·v_leak
    IF       dv/dt = R·I                         u = v + dt·R·x
    LI       as LIF without spikes; v_leak ≠ 0 is a frozen identity Linear ``name.leak`` with bias
             b = (1 − β)·v_leak/g in front (LI has no leak: v' = β·v + g·(x + b))
    I        dv/dt = R·I                         LI(decay=1): v ← v + dt·R·x
    CubaLIF  i ← α·i + (1 − α)·w_in·x;  u = β·v + (1 − β)·R·i − λ
    CubaLI   the same two stages as LI ``name.syn`` (α) then LI ``name`` (β)

A gain that fits neither ``input_scale`` form (1, or 1 − β) is a frozen Scale ``name.gain`` in front.
Export folds such a chain (``name.gain`` -> [``name.syn``] -> [``name.leak``] -> ``name``) back into one
NIR node, so NIR -> snnir -> NIR gives the same nodes. A neuron spiking from the membrane before its
update (``spike_from="pre"``, reset before the leak) is its NIR neuron followed by a Delay of one step
(``as_pre_spike``); write.py adds the Delay and read.py folds it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ...errors import SnnirError
from ...ir import Node
from ...ir.kinds.layers import resolve_padding
from ...ir.node import kind_class
from .errors import NIRConversionError, node_error
from .params import Context, full


@dataclass(frozen=True)
class Fold:
    """The frozen nodes an import put in front of a neuron, folded back into its NIR node on export:
    ``gain`` (a Scale's value), ``drive`` (an identity Linear's bias b) and ``syn`` (CubaLI's LI)."""

    gain: Any = None
    drive: Any = None
    syn: Node | None = None
    w_in: Any = None  # a CubaLIF/CubaLI's w_in as imported (the graph note), when its split was its own


@dataclass(frozen=True)
class Primitive:
    nir_type: str
    read: Callable[[Context, str, dict, Any], list[Node]]
    write: Callable[..., Any] | None = None
    kinds: tuple[str, ...] = ()
    when: Callable[[Node], bool] = field(default=lambda node: True)
    note: str = ""


def refuse(node: Node, message: str, hint: str = ""):
    raise NIRConversionError(f"node {node.id!r} ({node.kind})", message, hint)


def _shape_of(node, in_shape):
    if in_shape is None:
        refuse(node, "its input shape is unknown", "feed it from a node of known shape")
    return tuple(in_shape)


# ---------------------------------------------------------------------- Input, Output
def read_input(ctx, nid, p, hint):
    return [kind_class("Input")(id=nid, shape=ctx.shape(nid, p, "shape"))]


def write_input(nir, node, in_shape, dt, dtype, fold):
    return nir.Input(input_type={"input": np.array(node.shape, dtype=np.int64)})


def read_output(ctx, nid, p, hint):
    shape = ctx.shape(nid, p, "shape") if p.get("shape") is not None else None
    return [kind_class("Output")(id=nid, shape=shape)]


def write_output(nir, node, in_shape, dt, dtype, fold):
    shape = node.shape if node.shape is not None else in_shape
    if shape is None:
        refuse(node, "its shape is unknown", "feed it from a node of known shape")
    return nir.Output(output_type={"output": np.array(shape, dtype=np.int64)})


# ---------------------------------------------------------------------- Affine, Linear, Scale
def _weight(ctx, nid, p):
    w = ctx.arr(nid, p, "weight")
    if w.ndim != 2:
        raise node_error(nid, f"weight has {w.ndim} dimensions; snnir's Linear takes [out, in]",
                         "leading (batched) weight dimensions are not supported")
    return w


def read_affine(ctx, nid, p, hint):
    w = _weight(ctx, nid, p)
    b = ctx.arr(nid, p, "bias")
    return [kind_class("Linear")(id=nid, weight=ctx.cast(w), bias=ctx.cast(np.broadcast_to(b, w.shape[:1])))]


def read_linear(ctx, nid, p, hint):
    return [kind_class("Linear")(id=nid, weight=ctx.cast(_weight(ctx, nid, p)))]


def _masked(node):
    w = np.asarray(node.weight, np.float64)
    return w * node.mask if node.mask is not None else w  # a masked synapse does not exist: it never acts


def write_affine(nir, node, in_shape, dt, dtype, fold):
    w = _masked(node)
    return nir.Affine(weight=w.astype(dtype), bias=full(node.bias, (w.shape[0],), dtype))


def write_linear(nir, node, in_shape, dt, dtype, fold):
    return nir.Linear(weight=_masked(node).astype(dtype))


def read_scale(ctx, nid, p, hint):
    return [kind_class("Scale")(id=nid, scale=ctx.cast(ctx.arr(nid, p, "scale")))]


def write_scale(nir, node, in_shape, dt, dtype, fold):
    return nir.Scale(scale=full(node.scale, _shape_of(node, in_shape), dtype))


# ---------------------------------------------------------------------- Flatten, Delay
def read_flatten(ctx, nid, p, hint):
    def dim(key, default):
        raw = p.get(key, default)
        try:
            value = np.asarray(default if raw is None else raw)
            if value.size != 1 or value.reshape(()) != np.round(value.reshape(())):
                raise ValueError
            return int(value.reshape(()))
        except (TypeError, ValueError):
            raise node_error(nid, f"{key}={raw!r} is not one integer", f"give {key} as an axis index") from None

    # NIR's dims count per-sample axes (no batch axis), as snnir's do
    return [kind_class("Flatten")(id=nid, start_dim=dim("start_dim", 1), end_dim=dim("end_dim", -1))]


def write_flatten(nir, node, in_shape, dt, dtype, fold):
    shape = _shape_of(node, in_shape)
    n = len(shape)
    start = node.start_dim + n if node.start_dim < 0 else node.start_dim
    end = node.end_dim + n if node.end_dim < 0 else node.end_dim
    return nir.Flatten(input_type={"input": np.array(shape, dtype=np.int64)}, start_dim=start,
                       end_dim=-1 if end == n - 1 else end)


def read_delay(ctx, nid, p, hint):
    seconds = ctx.arr(nid, p, "delay")
    steps = seconds / ctx.dt
    if (steps < 0).any() or not np.allclose(steps, np.round(steps), rtol=0, atol=1e-6 * max(1.0, steps.max(initial=1))):
        raise node_error(nid, f"delays {seconds.reshape(-1)[:4].tolist()} s are not whole non-negative multiples "
                         f"of dt = {ctx.dt:g} s", "choose dt dividing every delay")
    return [kind_class("Delay")(id=nid, steps=np.round(steps).astype(np.int32))]


def write_delay(nir, node, in_shape, dt, dtype, fold):
    return nir.Delay(delay=full(np.asarray(node.steps, np.float64) * dt, _shape_of(node, in_shape), dtype))


# ---------------------------------------------------------------------- Conv1d, Conv2d
# NIR's documented defaults (PyTorch's): stride 1, padding 0, dilation 1, groups 1, no bias.
CONV_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1}


def _read_conv(ctx, nid, p, kind, ndim):
    w = ctx.arr(nid, p, "weight")
    if w.ndim != ndim + 2:
        raise node_error(nid, f"{kind} weight must have {ndim + 2} dimensions [C_out, C_in/groups, *kernel], "
                         f"got {w.shape}", "store the weight channels-first, as PyTorch does")
    bias = ctx.arr(nid, p, "bias") if p.get("bias") is not None else None
    stride = ctx.ints(nid, p, "stride", ndim, CONV_DEFAULTS["stride"])
    padding = ctx.ints(nid, p, "padding", ndim, CONV_DEFAULTS["padding"], allow=("same", "valid"))
    dilation = ctx.ints(nid, p, "dilation", ndim, CONV_DEFAULTS["dilation"])
    groups = ctx.ints(nid, p, "groups", 1, CONV_DEFAULTS["groups"])[0]
    if padding == "same" and any(s != 1 for s in stride):
        raise node_error(nid, "padding='same' with a stride above 1 is ambiguous in NIR",
                         "give explicit integer padding")
    return [kind_class(kind)(id=nid, weight=ctx.cast(w), bias=None if bias is None else ctx.cast(bias),
                             stride=stride, padding=padding, dilation=dilation, groups=groups)]


def read_conv1d(ctx, nid, p, hint):
    return _read_conv(ctx, nid, p, "Conv1d", 1)


def read_conv2d(ctx, nid, p, hint):
    return _read_conv(ctx, nid, p, "Conv2d", 2)


def _conv_padding(node, in_shape):
    pad = node.padding
    if pad == "valid":
        return "valid"
    if pad == "same" and all(s == 1 for s in node.stride):
        return "same"
    if in_shape is None:
        refuse(node, f"padding {pad!r} needs the input shape", "feed it from a node of known shape")
    pairs = resolve_padding(pad, tuple(in_shape[1:]), node.weight.shape[2:], node.stride, node.dilation)
    if any(lo != hi for lo, hi in pairs):
        refuse(node, f"padding {pad!r} is asymmetric here ({pairs}); NIR pads both sides equally",
               "use symmetric padding")
    return tuple(lo for lo, _ in pairs)


def write_conv(nir, node, in_shape, dt, dtype, fold):
    ndim = node.weight.ndim - 2
    bias = full(0.0 if node.bias is None else node.bias, (node.weight.shape[0],), dtype)
    padding = _conv_padding(node, in_shape)
    spatial = None if in_shape is None else tuple(int(s) for s in in_shape[1:])
    if ndim == 1:
        return nir.Conv1d(input_shape=None if spatial is None else spatial[0], weight=np.asarray(node.weight, dtype),
                          stride=node.stride[0], padding=padding if isinstance(padding, str) else padding[0],
                          dilation=node.dilation[0], groups=node.groups, bias=bias)
    return nir.Conv2d(input_shape=spatial, weight=np.asarray(node.weight, dtype), stride=tuple(node.stride),
                      padding=padding, dilation=tuple(node.dilation), groups=node.groups, bias=bias)


# ---------------------------------------------------------------------- SumPool2d, AvgPool2d
def _read_pool(ctx, nid, p, kind):
    kernel = ctx.arr(nid, p, "kernel_size")
    if kernel.size == 0:
        raise node_error(nid, "kernel_size is empty", "give kernel_size as 1 or 2 positive integers")
    kernel = ctx.ints(nid, p, "kernel_size", 2, None)
    # NIR has no defaults for pooling; a missing stride is the window (PyTorch's default), padding 0
    stride = ctx.ints(nid, p, "stride", 2, kernel)
    padding = ctx.ints(nid, p, "padding", 2, 0)
    if min(kernel) < 1 or min(stride) < 1:
        raise node_error(nid, f"kernel_size {kernel} and stride {stride} must be positive",
                         "give positive kernel sizes and strides")
    return [kind_class(kind)(id=nid, kernel_size=kernel, stride=stride, padding=padding)]


def read_sumpool(ctx, nid, p, hint):
    return _read_pool(ctx, nid, p, "SumPool2d")


def read_avgpool(ctx, nid, p, hint):
    return _read_pool(ctx, nid, p, "AvgPool2d")


def write_pool(nir, node, in_shape, dt, dtype, fold):
    if isinstance(node.padding, str) and in_shape is None:
        refuse(node, f"padding {node.padding!r} needs the input shape", "feed it from a node of known shape")
    pairs = resolve_padding(node.padding, tuple(in_shape[1:]) if in_shape else (1, 1), node.kernel_size, node.strides)
    if any(lo != hi for lo, hi in pairs):
        refuse(node, f"padding {node.padding!r} is asymmetric here ({pairs}); NIR pads both sides equally",
               "use symmetric padding")
    cls = nir.SumPool2d if node.kind == "SumPool2d" else nir.AvgPool2d
    return cls(kernel_size=np.array(node.kernel_size), stride=np.array(node.strides),
               padding=np.array([lo for lo, _ in pairs]))


# ---------------------------------------------------------------------- neurons: shared pieces
PRE_SPIKE_KINDS = ("LIF", "IF", "CubaLIF")
PRE_SPIKE_SUFFIX = "spike_delay"  # the NIR name of a pre-spike neuron's Delay: ``<name>.spike_delay``


def spikes_before_update(node: Node) -> bool:
    """Whether ``node`` spikes from the membrane before its update (exported as NIR neuron + Delay)."""
    return node.kind in PRE_SPIKE_KINDS and node.spike_from == "pre"


def as_pre_spike(node: Node) -> Node:
    """The snnir neuron that the NIR neuron ``node`` (snnir's post-spike form) followed by a Delay of one
    step computes: the same neuron spiking from the membrane before its update, reset before the leak.

    With R the reset (the same in both) and x_t the membrane input (the current, for CubaLIF):

        pre-spike:   s_t = H(v_{t−1} − θ);  r_t = v_{t−1} − R(v_{t−1}, s_t);  v_t = β·r_t + g·x_t − λ
        NIR + Delay: u_t = β·w_{t−1} + g·x_t − λ;  z_t = H(u_t − θ);  w_t = u_t − R(u_t, z_t);  y_t = z_{t−1}

    By induction w_{t−1} = r_t (both 0 before step 0 when s_0 = 0), so u_t = v_t, z_t = s_{t+1}, and the
    Delay's y_t = z_{t−1} = s_t; at t = 0 the Delay emits no spike, and neither does the pre-spike neuron
    when θ ≥ 0 (H(0 − θ) = 0). Only the membrane port differs: NIR's w_t is snnir's v_t after the reset
    the next step applies, and NIR edges never read a membrane.
    """
    return node.replace(spike_from="pre", reset_before_leak=True)


def _pre_spike_checks(node):
    """A pre-spike neuron has an exact NIR form (``as_pre_spike``) only when it resets before the leak and
    no threshold is negative."""
    if not node.reset_before_leak:
        refuse(node, "spike_from='pre' with reset_before_leak=False applies the spike's reset after this step's "
               "update, so the reset also discards the input x_t of the spike step; a NIR neuron resets when it "
               "crosses θ and integrates every later input, and no NIR node drops an input on a spike",
               "set reset_before_leak=True (the spike resets the stored membrane before the leak, as Spyx's "
               "CuBaLIF): that neuron is exactly a NIR neuron followed by a Delay of one step")
    if getattr(node, "double_reset", False):
        refuse(node, "double_reset=True applies the spike's reset a second time after this step's update, so it "
               "also acts on the input x_t of the spike step; NIR neurons reset once, when they cross θ",
               "drop double_reset (Spyx 1.0's single reset is exactly a NIR neuron followed by a Delay of one step)")
    theta = np.asarray(node.threshold, np.float64)
    if np.any(theta < 0):
        refuse(node, f"spike_from='pre' with a threshold below 0 (minimum {theta.min():g}) spikes at step 0 from "
               "the resting membrane (H(0 − θ) = 1), but its NIR form, a NIR neuron followed by a Delay of one "
               "step, emits no spike at step 0", "use thresholds >= 0")


def _spiking_checks(node):
    if node.reset_at != "same":
        refuse(node, "reset_at='next' (the reset lands one step late) has no NIR form", "use reset_at='same'")
    if node.fire_at_threshold:
        refuse(node, "fire_at_threshold=True spikes at v == θ; NIR spikes only when v > θ",
               "use fire_at_threshold=False")
    if node.reset not in ("zero", "to_value"):
        refuse(node, f"reset={node.reset!r} has no NIR form: NIR neurons reset to v_reset",
               "use reset='zero' or reset='to_value' (reset by subtraction is not expressible in NIR)")
    if node.spike_from == "pre":
        _pre_spike_checks(node)


def _decay(node, name: str, shape) -> np.ndarray:
    """A decay as the forward pass uses it: clipped to ``decay_clamp`` when the node has one (NIR has no
    clamp; the clipped value is the one that computes, so the export is exact)."""
    value = full(getattr(node, name), shape, np.float64)
    clamp = getattr(node, "decay_clamp", None)
    return value if clamp is None else np.clip(value, clamp[0], clamp[1])


def with_clipped_decays(node):
    """``node`` with every decay replaced by its clipped value (what the forward pass uses)."""
    clamp = getattr(node, "decay_clamp", None)
    if clamp is None:
        return node
    changes = {d: np.clip(getattr(node, d), clamp[0], clamp[1]).astype(getattr(node, d).dtype)
               for d in getattr(node, "DECAYS", ()) if getattr(node, d, None) is not None}
    return node.replace(**changes)


def _v_reset(node, shape, dtype):
    return full(0.0 if node.reset == "zero" else node.reset_value, shape, dtype)


def _v_leak(node, one_minus_beta, shape, gain_mem=None, fold=None):
    """NIR's v_leak from snnir's λ, (1 − β)·v_leak = −λ, plus a folded drive b: (1 − β)·v_leak = g·b."""
    leak = getattr(node, "leak", None)
    v = np.zeros(shape) if leak is None else -full(leak, shape, np.float64) / one_minus_beta
    if fold is not None and fold.drive is not None:
        v = v + full(fold.drive, shape, np.float64) * gain_mem / one_minus_beta
    return v


def _tau_and_r(node, beta, form, dt, what="decay"):
    if np.any(beta >= 1):
        refuse(node, f"{what} 1 (no leak) has no finite NIR time constant", "use IF for a neuron without leak, or a "
               "decay below 1")
    one_minus = 1.0 - beta
    return dt / one_minus, (1.0 / one_minus if form == "one" else np.ones_like(beta)), one_minus


def _gain(fold, shape):
    return np.ones(shape) if fold is None or fold.gain is None else full(fold.gain, shape, np.float64)


def _arrays(ctx, nid, p, keys, defaults=()):
    arrays = {k: ctx.arr(nid, p, k, allow_inf=k.startswith("tau")) for k in keys}
    for k, value in defaults:
        arrays[k] = ctx.arr(nid, p, k, default=value)
    return arrays


# ---------------------------------------------------------------------- LIF, IF
def read_lif(ctx, nid, p, hint):
    a = ctx.population(nid, "LIF", _arrays(ctx, nid, p, ("tau", "r", "v_leak", "v_threshold"), [("v_reset", 0.0)]),
                       hint)
    beta = ctx.decay(nid, a["tau"])
    form, rest = ctx.scale_form((1.0 - beta) * a["r"], beta)
    lif = kind_class("LIF")(id=nid, shape=a["tau"].shape, decay=ctx.cast(beta), threshold=ctx.cast(a["v_threshold"]),
                            input_scale=form, **ctx.reset(a["v_reset"]), **ctx.leak(beta, a["v_leak"]))
    return ctx.gain_node(nid, rest) + [lif]


def write_lif(nir, node, in_shape, dt, dtype, fold=None):
    _spiking_checks(node)
    shape = tuple(node.shape)
    beta = _decay(node, "decay", shape)
    tau, r, one_minus = _tau_and_r(node, beta, node.input_scale, dt)
    r = r * _gain(fold, shape)
    return nir.LIF(tau=tau.astype(dtype), r=r.astype(dtype), v_leak=_v_leak(node, one_minus, shape).astype(dtype),
                   v_threshold=full(node.threshold, shape, dtype), v_reset=_v_reset(node, shape, dtype))


def read_if(ctx, nid, p, hint):
    a = ctx.population(nid, "IF", _arrays(ctx, nid, p, ("r", "v_threshold"), [("v_reset", 0.0)]), hint)
    neuron = kind_class("IF")(id=nid, shape=a["r"].shape, threshold=ctx.cast(a["v_threshold"]),
                              **ctx.reset(a["v_reset"]))
    return ctx.gain_node(nid, ctx.dt * a["r"]) + [neuron]


def write_if(nir, node, in_shape, dt, dtype, fold=None):
    _spiking_checks(node)
    shape = tuple(node.shape)
    if getattr(node, "leak", None) is not None and np.any(node.leak):
        refuse(node, "a constant leak has no NIR IF form (dv/dt = R·I)", "use LIF, or drop the leak")
    return nir.IF(r=(_gain(fold, shape) / dt).astype(dtype), v_threshold=full(node.threshold, shape, dtype),
                  v_reset=_v_reset(node, shape, dtype))


# ---------------------------------------------------------------------- LI, I
def read_li(ctx, nid, p, hint):
    a = ctx.population(nid, "LI", _arrays(ctx, nid, p, ("tau", "r", "v_leak")), hint)
    beta = ctx.decay(nid, a["tau"])
    g = (1.0 - beta) * a["r"]
    form, rest = ctx.scale_form(g, beta)
    li = kind_class("LI")(id=nid, shape=a["tau"].shape, decay=ctx.cast(beta), input_scale=form)
    g_li = 1.0 - beta if form == "one_minus_decay" else np.ones_like(beta)
    drive = ctx.drive_node(nid, (1.0 - beta) * a["v_leak"] / g_li)
    return ctx.gain_node(nid, rest) + drive + [li]


def write_li(nir, node, in_shape, dt, dtype, fold=None):
    shape = tuple(node.shape)
    beta = _decay(node, "decay", shape)
    tau, r, one_minus = _tau_and_r(node, beta, node.input_scale, dt)
    g_li = one_minus if node.input_scale == "one_minus_decay" else np.ones(shape)
    return nir.LI(tau=tau.astype(dtype), r=(r * _gain(fold, shape)).astype(dtype),
                  v_leak=_v_leak(node, one_minus, shape, g_li, fold).astype(dtype))


def _is_integrator(node):
    return bool(np.all(np.asarray(node.decay) == 1)) and node.input_scale == "one"


def read_i(ctx, nid, p, hint):
    r = ctx.population(nid, "I", {"r": ctx.arr(nid, p, "r")}, hint)["r"]
    li = kind_class("LI")(id=nid, shape=r.shape, decay=ctx.cast(np.ones_like(r)), input_scale="one")
    return ctx.gain_node(nid, ctx.dt * r) + [li]


def write_i(nir, node, in_shape, dt, dtype, fold=None):
    if fold is not None and fold.drive is not None:
        refuse(node, "an integrator with a constant drive has no NIR form", "drop the drive")
    return nir.I(r=(_gain(fold, tuple(node.shape)) / dt).astype(dtype))  # v ← v + x: R = 1/dt


# ---------------------------------------------------------------------- CubaLIF, CubaLI
def _read_cuba(ctx, nid, p, typ, hint):
    keys = ("tau_syn", "tau_mem", "r", "v_leak") + (("v_threshold",) if typ == "CubaLIF" else ())
    a = ctx.population(nid, typ, _arrays(ctx, nid, p, keys, [("w_in", 1.0)] + (
        [("v_reset", 0.0)] if typ == "CubaLIF" else [])), hint)
    alpha, beta = ctx.decay(nid, a["tau_syn"], "tau_syn"), ctx.decay(nid, a["tau_mem"], "tau_mem")
    g_syn, g_mem = (1.0 - alpha) * a["w_in"], (1.0 - beta) * a["r"]
    # snnir applies one input_scale to both stages; the product of what is left goes in front
    # (the current is linear in x, so scaling x by k and the membrane gain by 1/k changes only port "i")
    if np.allclose(g_syn, 1, rtol=1e-5) and np.allclose(g_mem, 1, rtol=1e-5):
        form, rest = "one", np.ones(alpha.shape)
    elif np.all(alpha < 1) and np.all(beta < 1) and np.allclose(a["w_in"], 1, rtol=1e-5) \
            and np.allclose(a["r"], 1, rtol=1e-5):
        form, rest = "one_minus_decay", np.ones(alpha.shape)
    else:
        form, rest = "one", g_syn * g_mem
        # snnir keeps only the product; the file's split goes in the graph note, for the way back
        ctx.notes.setdefault("w_in", {})[nid] = np.asarray(a["w_in"], np.float64).tolist()
    return a, alpha, beta, form, rest


def _split(fold, w_in: np.ndarray, r: np.ndarray, shape) -> tuple[np.ndarray, np.ndarray]:
    """(w_in, R) with the imported split of the note when there is one: the product (1 − α)·w_in ·
    (1 − β)·R, all that the spikes and the membrane see, stays as computed, only the current's scale moves."""
    if fold is None or fold.w_in is None:
        return w_in, r
    try:
        kept = np.broadcast_to(np.asarray(fold.w_in, np.float64), shape)
    except (TypeError, ValueError):
        return w_in, r
    if not np.all(np.isfinite(kept)) or np.any(kept == 0):
        return w_in, r
    return kept, r * w_in / kept


def read_cubalif(ctx, nid, p, hint):
    a, alpha, beta, form, rest = _read_cuba(ctx, nid, p, "CubaLIF", hint)
    neuron = kind_class("CubaLIF")(
        id=nid, shape=alpha.shape, syn_decay=ctx.cast(alpha), mem_decay=ctx.cast(beta), input_scale=form,
        threshold=ctx.cast(a["v_threshold"]), **ctx.reset(a["v_reset"]), **ctx.leak(beta, a["v_leak"]))
    return ctx.gain_node(nid, rest) + [neuron]


def write_cubalif(nir, node, in_shape, dt, dtype, fold=None):
    _spiking_checks(node)
    shape = tuple(node.shape)
    if node.mem_decay is None:
        refuse(node, "mem_decay=None (no membrane leak) has no finite NIR time constant", "give a mem_decay below 1")
    alpha, beta = _decay(node, "syn_decay", shape), _decay(node, "mem_decay", shape)
    tau_syn, w_in, _ = _tau_and_r(node, alpha, node.input_scale, dt, "syn_decay")
    tau_mem, r, one_minus = _tau_and_r(node, beta, node.input_scale, dt, "mem_decay")
    w_in, r = _split(fold, w_in, r, shape)
    return nir.CubaLIF(tau_syn=tau_syn.astype(dtype), tau_mem=tau_mem.astype(dtype),
                       r=(r * _gain(fold, shape)).astype(dtype), v_leak=_v_leak(node, one_minus, shape).astype(dtype),
                       v_threshold=full(node.threshold, shape, dtype), v_reset=_v_reset(node, shape, dtype),
                       w_in=w_in.astype(dtype))


def read_cubali(ctx, nid, p, hint):
    a, alpha, beta, form, rest = _read_cuba(ctx, nid, p, "CubaLI", hint)
    syn = kind_class("LI")(id=f"{nid}.syn", shape=alpha.shape, decay=ctx.cast(alpha), input_scale=form)
    mem = kind_class("LI")(id=nid, shape=alpha.shape, decay=ctx.cast(beta), input_scale=form)
    g_mem = 1.0 - beta if form == "one_minus_decay" else np.ones_like(beta)
    drive = ctx.drive_node(nid, (1.0 - beta) * a["v_leak"] / g_mem)
    return ctx.gain_node(nid, rest) + [syn] + drive + [mem]


def write_cubali(nir, node, in_shape, dt, dtype, fold):
    """``node`` is the membrane LI ``name``; ``fold.syn`` the current LI ``name.syn`` (one input_scale)."""
    syn, shape = fold.syn, tuple(node.shape)
    if syn.input_scale != node.input_scale:
        refuse(node, "its current and membrane stages have different input_scale forms", "use one form for both")
    alpha, beta = _decay(syn, "decay", shape), _decay(node, "decay", shape)
    tau_syn, w_in, _ = _tau_and_r(syn, alpha, syn.input_scale, dt, "decay")
    tau_mem, r, one_minus = _tau_and_r(node, beta, node.input_scale, dt)
    g_mem = one_minus if node.input_scale == "one_minus_decay" else np.ones(shape)
    w_in, r = _split(fold, w_in, r, shape)
    return nir.CubaLI(tau_syn=tau_syn.astype(dtype), tau_mem=tau_mem.astype(dtype),
                      r=(r * _gain(fold, shape)).astype(dtype), v_leak=_v_leak(node, one_minus, shape, g_mem, fold)
                      .astype(dtype), w_in=w_in.astype(dtype))


# ---------------------------------------------------------------------- Threshold
def read_threshold(ctx, nid, p, hint):
    theta = ctx.population(nid, "Threshold", {"threshold": ctx.arr(nid, p, "threshold")}, hint)["threshold"]
    # z = H(x − θ) with no state: a LIF whose decay is 0 (frozen) has u = x every step, exactly
    return [kind_class("LIF")(id=nid, shape=theta.shape, decay=ctx.cast(np.zeros(())), threshold=ctx.cast(theta),
                              reset="zero", trainable=())]


def _is_threshold(node) -> bool:
    """A LIF with decay 0, reset to zero, gain 1 and no leak is stateless: u = x, z = H(x − θ)."""
    return (bool(np.all(np.asarray(node.decay) == 0)) and node.reset == "zero" and node.input_scale == "one"
            and (node.leak is None or not np.any(node.leak)) and node.spike_from == "post"
            and node.reset_at == "same" and not node.fire_at_threshold and not node.reset_before_leak
            and node.decay_clamp is None)


def write_threshold(nir, node, in_shape, dt, dtype, fold=None):
    if fold is not None:  # a gain in front: the LIF form holds it in R
        return write_lif(nir, node, in_shape, dt, dtype, fold)
    return nir.Threshold(threshold=full(node.threshold, tuple(node.shape), dtype))


def read_identity(ctx, nid, p, hint):
    raise SnnirError("Identity is a wire and is contracted before conversion")  # never reached


# ---------------------------------------------------------------------- the table
def _has_bias(node):
    return node.bias is not None


TABLE: tuple[Primitive, ...] = (
    Primitive("Input", read_input, write_input, ("Input",)),
    Primitive("Output", read_output, write_output, ("Output",)),
    Primitive("Affine", read_affine, write_affine, ("Linear",), _has_bias),
    Primitive("Linear", read_linear, write_linear, ("Linear",), lambda n: n.bias is None),
    Primitive("Scale", read_scale, write_scale, ("Scale",)),
    Primitive("Flatten", read_flatten, write_flatten, ("Flatten",)),
    Primitive("Delay", read_delay, write_delay, ("Delay",)),
    Primitive("Conv1d", read_conv1d, write_conv, ("Conv1d",)),
    Primitive("Conv2d", read_conv2d, write_conv, ("Conv2d",)),
    Primitive("SumPool2d", read_sumpool, write_pool, ("SumPool2d",)),
    Primitive("AvgPool2d", read_avgpool, write_pool, ("AvgPool2d",)),
    Primitive("Threshold", read_threshold, write_threshold, ("LIF",), _is_threshold,
              note="imported as a frozen LIF with decay 0; such a LIF is written back as Threshold"),
    Primitive("LIF", read_lif, write_lif, ("LIF",)),
    Primitive("IF", read_if, write_if, ("IF",)),
    Primitive("I", read_i, write_i, ("LI",), _is_integrator),
    Primitive("LI", read_li, write_li, ("LI",)),
    Primitive("CubaLIF", read_cubalif, write_cubalif, ("CubaLIF",)),
    Primitive("CubaLI", read_cubali, write_cubali, note="written from a chain LI name.syn -> LI name"),
    Primitive("Identity", read_identity, note="a wire: contracted on import"),
)
BY_TYPE = {p.nir_type: p for p in TABLE}
IMPORTED = tuple(p.nir_type for p in TABLE) + ("NIRGraph",)
EXPORTED_KINDS = tuple(sorted({k for p in TABLE for k in p.kinds}))


def read_node(ctx: Context, nid: str, leaf: dict, hint: Any = None) -> list[Node]:
    """One NIR node -> snnir nodes (the first takes the in-edges, the last gives the out-edges)."""
    entry = BY_TYPE.get(leaf["type"])
    if entry is None:
        raise node_error(nid, f"NIR node type {leaf['type']!r} has no snnir equivalent",
                         "snnir imports " + ", ".join(sorted(IMPORTED)))
    return entry.read(ctx, nid, leaf["params"], hint)


def write_node(node: Node, in_shape, dt: float, dtype, fold: Fold | None = None) -> Any:
    """One snnir node (with what an import put in front of it, ``fold``) -> one NIR node."""
    import nir

    if fold is not None and fold.syn is not None:
        return write_cubali(nir, node, in_shape, dt, dtype, fold)
    for entry in TABLE:
        if node.kind in entry.kinds and entry.when(node):
            return entry.write(nir, node, in_shape, dt, dtype, fold)
    refuse(node, f"NIR has no {node.kind} node", "NIR expresses " + ", ".join(EXPORTED_KINDS) + " (and drops Dropout)")
