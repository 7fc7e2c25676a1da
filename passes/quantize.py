"""quantize: post-training quantization, recorded in the IR.

``quantize(graph, bits=8, ...)`` chooses an integer format (a :class:`snnir.Quantization`) for every
weight, bias, threshold, decay and neuron state of the graph and writes it into ``node.quant``; the
float parameters keep their values. ``snnir.compile`` then runs the graph with the quantized values
(fake quantization, straight-through gradients, so ``snnir.train.fit`` fine-tunes it: quantization-aware
training), ``snnir.compile(graph, arithmetic="integer")`` runs the integers themselves, and
``snnir.verify(graph, target=...)`` checks the formats against a chip's.

The rule (symmetric, zero point 0). A neuron and the Linears that feed it share one **scale** per
channel (the neuron shape's last axis; one for the whole layer with ``per_channel=False``), because the
chip adds the integer weights into the integer membrane: a weight integer, a bias integer, a threshold
integer and a membrane integer all count the same unit s. For channel j,

    s_j = max( A_w,j / qmax_w,  |b_j| / qmax_b,  |θ_j| / qmax_θ,  V_j / qmax_v )

with A_w,j the largest |W[j, :]| over the Linears into the neuron (with ``percentile=p``: the p-th
percentile of |W[j, :]|, so outliers are clipped), b the biases, θ the threshold (and ``leak``,
``reset_value`` alike), V_j the largest |v| the membrane reached on the ``calibration`` inputs (their
p-th percentile with ``percentile``; 0 without calibration), and qmax = 2^(bits−1) − 1 of each format
(2^bits − 1 unsigned). So the weights use their full range unless the threshold or the membranes seen
need a coarser unit to fit the state format. A channel where everything is 0 gets s = 1. A Linear that
feeds no neuron (a Linear into an Output) gets its own s_j = A_w,j / qmax_w (bias alike); a convolution
the same per output channel (axis 0).

Decays: ``decay="shift"`` (default) stores each decay as a bit shift d of ``decay_bits`` unsigned bits,
β = 1 − 2^(−d) (Xylo's dash: v ← v − (v >> d)); ``decay="linear"`` as β_int / 2^decay_bits (Loihi 2's
dv). With ``target=`` the formats come from the chip's profile: weights from ``profile.weights``,
each neuron kind's membrane (``v``, ``i``), threshold, bias and decays from ``profile.neurons[kind]``
(a decay format of at most 5 unsigned bits is a shift, a wider one linear); a format the profile
does not give takes the keyword's value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snnir.errors import SnnirError
from snnir.ir import Graph, Node
from snnir.ir.inline import has_composites, inline
from snnir.ir.quant import STATE_NAMES, Quantization
from snnir.targets.check import SHIFT_DECAY_BITS  # how a profile's decay format reads: a shift or a fraction
from snnir.verification import verify

from .base import Pass

#: the neuron kinds whose thresholds, decays and states quantize joins to the Linears feeding them
NEURON_KINDS = ("LIF", "IF", "LI", "CubaLIF")
_SYNAPSES = ("Linear", "Conv1d", "Conv2d")
_DECAYS = {"LIF": ("decay",), "LI": ("decay",), "CubaLIF": ("syn_decay", "mem_decay")}
_LIKE_THRESHOLD = ("threshold", "leak", "reset_value")


class QuantizeError(SnnirError, ValueError):
    """quantize was given options it cannot use (bits out of range, an unknown decay form, calibration
    data that does not fit the graph, a target that stores floats)."""


def quantize(graph: Graph, bits: int = 8, *, per_channel: bool = True, state_bits: int = 16,
             threshold_bits: int | None = None, bias_bits: int | None = None, decay_bits: int = 4,
             decay: str = "shift", calibration: Any = None, percentile: float | None = None,
             target: Any = None, rounding: str = "nearest", mode: str = "straight") -> Graph:
    """``graph`` with a :class:`snnir.Quantization` recorded on every weight, bias, threshold, decay and
    neuron state (module docstring: the rule). Float parameters are left as they are.

    ``bits`` weight bits (signed); ``state_bits`` the membrane (and synaptic current) bits;
    ``threshold_bits`` and ``bias_bits`` default to ``state_bits``; ``decay_bits`` and ``decay``
    ("shift" or "linear") the decays' format; ``per_channel`` one scale per output channel (else one
    per layer); ``calibration`` inputs ``[T, B, *shape]`` (or ``{input_id: ...}``) run through the
    float graph (compiled in ``mode``) to size the membranes; ``percentile`` (e.g. 99.9) clips weights
    and membranes at that percentile of their magnitudes instead of their maximum; ``target`` a
    profile name, file or :class:`snnir.targets.TargetProfile` whose formats replace the bit widths;
    ``rounding`` "nearest" (half to even) or "floor". Composites are expanded first (ids
    ``block/inner``), as ``compile`` does. Raises :class:`QuantizeError` for bad options."""
    _check_options(bits, state_bits, threshold_bits, bias_bits, decay_bits, decay, percentile, rounding)
    if not isinstance(graph, Graph):
        raise QuantizeError(f"quantize expects a snnir.Graph, got {type(graph).__name__}"
                            "\n  hint: pass the graph (prog.to_graph() for a compiled program)")
    verify(graph, mode=mode)
    flat = inline(graph) if has_composites(graph) else graph
    formats = _Formats(bits, state_bits, threshold_bits or state_bits, bias_bits or state_bits, decay_bits, decay,
                       rounding, _profile(target))
    peaks = _calibrate(flat, calibration, percentile, mode) if calibration is not None else {}
    nodes = {n.id: n for n in flat.nodes}
    quant: dict[str, dict[str, Quantization]] = {n.id: dict(n.quant or {}) for n in flat.nodes}

    for group in _groups(flat):
        _quantize_group(group, nodes, quant, formats, peaks, per_channel, percentile)
    for n in flat.nodes:
        if n.kind in _SYNAPSES[1:]:  # convolutions: per output channel, axis 0
            _quantize_conv(n, quant, formats, per_channel, percentile)
        for name in _DECAYS.get(n.kind, ()):
            if getattr(n, name, None) is not None:
                quant[n.id][name] = formats.decay_format(n.kind, name)

    new_nodes = tuple(n.replace(quant=quant[n.id] or None) if quant[n.id] != (n.quant or {}) else n
                      for n in flat.nodes)
    note = {"weight_bits": formats.weight(None).bits, "per_channel": per_channel,
            "calibrated": calibration is not None, "percentile": percentile,
            "target": None if formats.profile is None else formats.profile.name}
    return flat.replace(nodes=new_nodes, metadata={**flat.metadata, "quantization": note})


QUANTIZE = Pass("quantize", quantize, "record post-training integer formats on every parameter (8-bit weights)")


# ---------------------------------------------------------------------- options and formats
def _check_options(bits, state_bits, threshold_bits, bias_bits, decay_bits, decay, percentile, rounding) -> None:
    for name, value in (("bits", bits), ("state_bits", state_bits), ("threshold_bits", threshold_bits),
                        ("bias_bits", bias_bits), ("decay_bits", decay_bits)):
        if value is None and name not in ("bits", "state_bits", "decay_bits"):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 2 <= value <= 32:
            raise QuantizeError(f"quantize: {name}={value!r}; bit widths are integers from 2 to 32"
                                "\n  hint: 8-bit weights and 16-bit states are what Xylo stores")
    if decay not in ("shift", "linear"):
        raise QuantizeError(f"quantize: decay={decay!r}; choose 'shift' (β = 1 − 2^(−d), Xylo) or 'linear' "
                            "(β_int / 2^decay_bits, Loihi 2)\n  hint: decay='shift' is the default")
    if rounding not in ("nearest", "floor"):
        raise QuantizeError(f"quantize: rounding={rounding!r}; choose 'nearest' (half to even) or 'floor'"
                            "\n  hint: 'nearest' is the default and the usual choice")
    if percentile is not None and (isinstance(percentile, bool) or not isinstance(percentile, (int, float))
                                   or not 0 < percentile <= 100):
        raise QuantizeError(f"quantize: percentile={percentile!r}; give a number in (0, 100], e.g. 99.9, or None"
                            "\n  hint: None takes the largest magnitude (no clipping)")


def _profile(target: Any):
    if target is None:
        return None
    from snnir.targets import load_profile

    profile = load_profile(target)
    if profile.weights is None:
        raise QuantizeError(f"quantize: target {profile.name!r} stores floating-point weights; there is nothing "
                            "to quantize for it\n  hint: give bits=... without a target, or a target with "
                            "integer weights (profile.weights)")
    return profile


class _Formats:
    """The bit widths of every value, from the keywords or a target profile."""

    def __init__(self, bits, state_bits, threshold_bits, bias_bits, decay_bits, decay, rounding, profile):
        self.bits, self.state_bits, self.threshold_bits, self.bias_bits = bits, state_bits, threshold_bits, bias_bits
        self.decay_bits, self.decay, self.rounding, self.profile = decay_bits, decay, rounding, profile

    def _chip(self, kind: str | None, name: str, state: bool = False):
        if self.profile is None or kind is None:
            return None
        neuron = self.profile.neurons.get(kind)
        if neuron is None:
            return None
        return (neuron.state if state else neuron.params).get(name)

    def weight(self, scale) -> Quantization:
        if self.profile is not None:
            return self._make(self.profile.weights.bits, scale, self.profile.weights.signed)
        return self._make(self.bits, scale, True)

    def state(self, kind: str, name: str, scale) -> Quantization:
        fmt = self._chip(kind, name, state=True)
        return self._make(fmt.bits if fmt else self.state_bits, scale, fmt.signed if fmt else True)

    def param(self, kind: str | None, name: str, scale) -> Quantization:
        fmt = self._chip(kind, name)
        if fmt is None and name in ("leak", "reset_value"):
            fmt = self._chip(kind, "threshold")
        default = self.bias_bits if name == "bias" else self.threshold_bits
        # a threshold is positive: an unsigned chip format holds it; a bias or a reset value may be negative
        return self._make(fmt.bits if fmt else default, scale, fmt.signed if fmt else True)

    def decay_format(self, kind: str, name: str) -> Quantization:
        fmt = self._chip(kind, name)
        bits = fmt.bits if fmt else self.decay_bits
        form = ("shift" if not fmt.signed and fmt.bits <= SHIFT_DECAY_BITS else "linear") if fmt else self.decay
        if form == "shift":
            return Quantization(bits=bits, form="shift", signed=False, rounding=self.rounding)
        return Quantization(bits=bits, scale=2.0**-bits, signed=False, rounding=self.rounding)

    def _make(self, bits, scale, signed) -> Quantization:
        if isinstance(scale, np.ndarray) and scale.ndim:
            return Quantization(bits=int(bits), scale=tuple(float(s) for s in scale), axis=0, signed=signed,
                                rounding=self.rounding)
        return Quantization(bits=int(bits), scale=float(1.0 if scale is None else scale), signed=signed,
                            rounding=self.rounding)


def _qmax(q: Quantization) -> int:
    return q.qrange()[1]


# ---------------------------------------------------------------------- calibration
def _calibrate(graph: Graph, calibration: Any, percentile: float | None, mode: str) -> dict[str, dict[str, np.ndarray]]:
    """{neuron id: {state var: magnitude per channel}}: the largest |v| (or its percentile) each channel's
    membrane (and current) reached on the calibration inputs, run through the float graph."""
    from .compile import compile as compile_graph

    plain = graph.replace(nodes=tuple(n.replace(quant=None) if n.quant else n for n in graph.nodes))
    prog = compile_graph(plain, mode=mode)
    xs = calibration if isinstance(calibration, dict) else {prog.input_ids[0]: calibration} \
        if len(prog.input_ids) == 1 else calibration
    if not isinstance(xs, dict):
        raise QuantizeError(f"quantize: the graph has inputs {list(prog.input_ids)}; give calibration as "
                            "{input_id: [T, B, *shape]}\n  hint: one array only for a graph with one Input")
    first = np.asarray(next(iter(xs.values())))
    if first.ndim < 2:
        raise QuantizeError(f"quantize: calibration inputs are [T, B, *shape], got shape {first.shape}"
                            "\n  hint: add the time and batch axes, e.g. xs[:, None] for one sample")
    batch = first.shape[1:2]
    try:
        _, traces = prog.trace(prog.init_state(batch_shape=batch), xs, nodes=[n.id for n in graph.nodes
                                                                              if n.kind in NEURON_KINDS],
                               state_vars=True)
    except SnnirError as err:
        raise QuantizeError(f"quantize: the calibration inputs do not fit the graph:\n{err}") from None
    peaks: dict[str, dict[str, np.ndarray]] = {}
    for n in graph.nodes:
        for var in STATE_NAMES.get(n.kind, ()):
            trace = traces.get(f"{n.id}:{var}")
            if trace is None:
                continue
            mags = np.abs(np.asarray(trace, np.float64))
            per_channel = mags.reshape(-1, mags.shape[-1])  # [T * B * other axes, channels]
            peaks.setdefault(n.id, {})[var] = _magnitude(per_channel, percentile, axis=0)
    return peaks


def _magnitude(values: np.ndarray, percentile: float | None, axis) -> np.ndarray:
    mags = np.abs(np.asarray(values, np.float64))
    if mags.size == 0:
        return np.zeros(())
    return np.max(mags, axis=axis) if percentile is None else np.percentile(mags, percentile, axis=axis)


# ---------------------------------------------------------------------- scale groups
def _groups(graph: Graph) -> list[list[str]]:
    """The neurons (of NEURON_KINDS) and Linears that share scales: a Linear with the neurons it feeds
    (through its port ``out``), transitively; a Linear that feeds no neuron is a group of its own."""
    kinds = {n.id: n.kind for n in graph.nodes}
    parent = {n.id: n.id for n in graph.nodes if n.kind == "Linear" or n.kind in NEURON_KINDS}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in graph.edges:
        if kinds.get(e.src) == "Linear" and kinds.get(e.dst) in NEURON_KINDS:
            parent[find(e.src)] = find(e.dst)
    groups: dict[str, list[str]] = {}
    for nid in parent:  # declaration order
        groups.setdefault(find(nid), []).append(nid)
    return list(groups.values())


def _channels(nodes: dict[str, Node], group: list[str]) -> int:
    """The channel count of a group: the neurons' last axis, or the Linears' output features."""
    for nid in group:
        n = nodes[nid]
        if n.kind in NEURON_KINDS:
            return int(n.shape[-1])
    return int(nodes[group[0]].weight.shape[0])


def _per_channel(value: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """|value| broadcast to ``shape`` and reduced to its last axis (the channels) by the maximum."""
    if value is None:
        return np.zeros(shape[-1])
    mags = np.abs(np.broadcast_to(np.asarray(value, np.float64), shape))
    return mags.reshape(-1, shape[-1]).max(axis=0)


def _quantize_group(group, nodes, quant, formats: _Formats, peaks, per_channel: bool, percentile) -> None:
    channels = _channels(nodes, group)
    neurons = [nodes[g] for g in group if nodes[g].kind in NEURON_KINDS]
    linears = [nodes[g] for g in group if nodes[g].kind == "Linear"]
    kind = neurons[0].kind if neurons else None
    # each quantity over its qmax: the unit it needs so that it fits its format
    need = np.zeros(channels)
    w_q = formats.weight(None)
    for lin in linears:
        if lin.weight.shape[0] != channels:
            continue  # a Linear whose outputs are not the neurons' channels (verify reports the shape)
        need = np.maximum(need, _magnitude(lin.weight, percentile, axis=1) / _qmax(w_q))
        if lin.bias is not None:
            b = np.broadcast_to(np.abs(np.asarray(lin.bias, np.float64)), (channels,))
            need = np.maximum(need, b / _qmax(formats.param(kind, "bias", None)))
    for n in neurons:
        shape = tuple(n.shape)
        for name in _LIKE_THRESHOLD:
            value = getattr(n, name, None)
            if value is not None:
                need = np.maximum(need, _per_channel(value, shape) / _qmax(formats.param(n.kind, name, None)))
        for var, peak in peaks.get(n.id, {}).items():
            need = np.maximum(need, np.broadcast_to(peak, (channels,)) / _qmax(formats.state(n.kind, var, None)))
    need = np.where(need > 0, need, 1.0)  # a channel with nothing in it: any unit will do
    scale = need if per_channel else np.asarray(float(need.max()))
    for lin in linears:
        if lin.weight.shape[0] != channels:
            continue
        quant[lin.id]["weight"] = formats.weight(scale)
        if lin.bias is not None:
            quant[lin.id]["bias"] = (formats.param(kind, "bias", scale) if np.ndim(lin.bias) or not per_channel
                                     else formats.param(kind, "bias", np.asarray(float(need.max()))))
    for n in neurons:
        axis = len(n.shape) - 1
        for name in _LIKE_THRESHOLD:
            if getattr(n, name, None) is not None:
                quant[n.id][name] = _on_axis(formats.param(n.kind, name, scale), axis)
        for var in STATE_NAMES.get(n.kind, ()):
            quant[n.id][var] = _on_axis(formats.state(n.kind, var, scale), axis)


def _on_axis(q: Quantization, axis: int) -> Quantization:
    """A neuron's per-channel quantization runs along the neuron shape's last axis."""
    return q.model_copy(update={"axis": axis}) if q.per_channel else q


def _quantize_conv(n: Node, quant, formats: _Formats, per_channel: bool, percentile) -> None:
    w = np.asarray(n.weight, np.float64)
    need = _magnitude(w.reshape(w.shape[0], -1), percentile, axis=1) / _qmax(formats.weight(None))
    bias = getattr(n, "bias", None)
    if bias is not None:
        need = np.maximum(need, np.broadcast_to(np.abs(np.asarray(bias, np.float64)), need.shape)
                          / _qmax(formats.param(None, "bias", None)))
    need = np.where(need > 0, need, 1.0)
    scale = need if per_channel else np.asarray(float(need.max()))
    quant[n.id]["weight"] = formats.weight(scale)
    if bias is not None:
        quant[n.id]["bias"] = formats.param(None, "bias", scale if np.ndim(bias) else np.asarray(float(need.max())))


# ---------------------------------------------------------------------- for the lowering
def fake_quant_specs(graph: Graph, param_map) -> tuple:
    """The fake-quantization specs of a program (``Program.quant``): ``(node id, kernel field, spec)``
    for every quantized float parameter that the lowering put into a kernel field (``param_map``:
    ``(node id, IR field, kernel field, dtype)``), with the spec of :mod:`snnir.kernels.quant`. A
    neuron's per-channel spec broadcasts the parameter to the neuron shape first (a scalar threshold
    with one scale per neuron becomes one threshold per neuron)."""
    nodes = {n.id: n for n in graph.nodes}
    specs = []
    for nid, ir_field, kernel_field, _ in param_map:
        q = (nodes[nid].quant or {}).get(ir_field)
        if q is None:
            continue
        shape = getattr(nodes[nid], "shape", None)
        broadcast = tuple(shape) if q.per_channel and isinstance(shape, tuple) and shape else None
        scale = tuple(q.scale) if q.per_channel else float(q.scale)
        specs.append((nid, kernel_field, (q.bits, scale, q.axis, q.signed, q.rounding, q.form, broadcast)))
    return tuple(specs)


__all__ = ["quantize", "QUANTIZE", "QuantizeError", "fake_quant_specs"]
