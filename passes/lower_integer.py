"""Lowering to integer arithmetic: ``snnir.compile(graph, arithmetic="integer")``.

The graph must be fully quantized (``snnir.quantize`` records everything this needs) and made of
Input, Linear, LIF, IF, LI and Output nodes. Each Quantization becomes the integers of its format
(``Quantization.integers``: w_int = clip(round(w / s), qmin, qmax)); the decays must be bit shifts
(``form="shift"``: β = 1 − 2^(−d)) or unsigned fractions β_int / 2^k (scale 2^(−k), k ≤ 15); every
neuron needs the format of its membrane, ``quant["v"]``, whose bits B bound the state. The equations are those of :mod:`snnir.kernels.integer`.

For the integers to stand for the float graph's values, a neuron's threshold, its membrane and the
weights and biases of the Linears that feed it count one unit s per channel, and an Input or neuron
feeding a neuron directly counts s = 1; compile refuses other scales (``snnir.quantize`` chooses them
so). Every Linear's sum must fit int32 for the largest inputs it can see (spikes are 0 or 1, an Input
value at most 2^(input_bits − 1), a membrane 2^(B − 1)), so the Linear itself never saturates.
"""

from __future__ import annotations

import numpy as np

from snnir.analysis import schedule
from snnir.errors import SnnirError
from snnir.ir import Graph, Node
from snnir.kernels.integer import IntegerProgram, as_int32

#: the node kinds integer arithmetic runs
INTEGER_KINDS = ("Input", "Output", "Linear", "LIF", "IF", "LI")
_NEURONS = ("LIF", "IF", "LI")
_HINT_QUANTIZE = "quantize the graph first: snnir.quantize(graph, bits=8) records every format integer arithmetic needs"


class IntegerArithmeticError(SnnirError, ValueError):
    """A graph that integer arithmetic cannot run; ``.node`` names the node."""

    def __init__(self, node: str | None, message: str, hint: str):
        self.node = node
        super().__init__(f"{message}\n  hint: {hint}")


def lower_integer(graph: Graph, *, mode: str, feedback_edges: tuple[tuple[str, str], ...],
                  input_bits: int = 16) -> IntegerProgram:
    """The :class:`IntegerProgram` of a verified, expanded, feedback-marked ``graph`` (``mode``'s timing
    already applied). Raises :class:`IntegerArithmeticError` naming the first node it cannot run."""
    if isinstance(input_bits, bool) or not isinstance(input_bits, int) or not 2 <= input_bits <= 32:
        raise IntegerArithmeticError(None, f"input_bits={input_bits!r}; integer inputs have 2 to 32 bits",
                                     "spikes need 2 bits; 16 (the default) holds most sensor data")
    nodes = {n.id: n for n in graph.nodes}
    for n in graph.nodes:
        _check_node(n)
    params = {n.id: _integers(n) for n in graph.nodes if n.kind in ("Linear",) + _NEURONS}
    into: dict[str, list] = {}
    for e in graph.edges:
        into.setdefault(e.dst, []).append(e)
    _check_scales(graph, nodes, into)
    _check_linear_bounds(nodes, into, params, input_bits)

    depth: dict[tuple[str, str], int] = {}
    for e in graph.edges:
        if e.effective_delay:
            depth[(e.src, e.src_port)] = max(depth.get((e.src, e.src_port), 0), e.effective_delay)
    specs = []
    for nid in schedule(graph):
        n = nodes[nid]
        sources = tuple((e.src, e.src_port, e.effective_delay) for e in into.get(nid, ()))
        options = ((n.quant["v"].bits, n.reset if n.kind != "LI" else None,
                    getattr(n, "fire_at_threshold", False)) + _decay_form(n) if n.kind in _NEURONS else None)
        specs.append((nid, n.kind, _out_shape(n, nodes, into), options, sources))
    shapes = {s[0]: s[2] for s in specs}
    history = tuple(((nid, port), d, shapes[nid]) for (nid, port), d in depth.items())
    return IntegerProgram(
        params={nid: {k: as_int32(v) for k, v in p.items()} for nid, p in params.items() if p},
        nodes=tuple(specs), history=history, input_ids=tuple(n.id for n in graph.inputs),
        output_ids=tuple(n.id for n in graph.outputs), input_bits=input_bits,
        feedback_edges=tuple(feedback_edges), mode=mode)


# ---------------------------------------------------------------------- checks
def _fail(n: Node, message: str, hint: str):
    raise IntegerArithmeticError(n.id, f"{n.kind} {n.id!r}: {message}", hint)


def _check_node(n: Node) -> None:
    if n.kind not in INTEGER_KINDS:
        _fail(n, f"integer arithmetic runs {', '.join(INTEGER_KINDS)} nodes, not {n.kind}",
              f"replace {n.id!r} by one of those kinds, or compile without arithmetic='integer'")
    quant = n.quant or {}
    if n.kind == "Linear":
        need = ["weight"] + (["bias"] if n.bias is not None else [])
    elif n.kind in _NEURONS:
        need = ["v"] + (["threshold"] if n.kind != "LI" else []) + (["decay"] if n.kind != "IF" else [])
        _check_options(n)
    else:
        return
    missing = [p for p in need if p not in quant]
    if missing:
        _fail(n, f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no quantization (node.quant)",
              _HINT_QUANTIZE)
    for name in need:
        q = quant[name]
        if name == "decay":
            if q.form == "linear" and (q.signed or q.per_channel or _frac_bits(q.scale) is None):
                _fail(n, f"decay is quantized as {q.label()} with scale {q.scale}; integer arithmetic decays "
                      "by a bit shift, v − (v >> d), or by β_int / 2^k with an unsigned β_int and k ≤ 15",
                      "quantize with decay='shift' (the default) or decay='linear' with decay_bits ≤ 15: "
                      "snnir.quantize(graph, decay='linear', decay_bits=12)")
        elif q.form != "linear" or (name != "threshold" and not q.signed):
            _fail(n, f"{name} is quantized as {q.label()}; integer arithmetic needs a signed linear format "
                  f"for {name}", _HINT_QUANTIZE)


def _check_options(n: Node) -> None:
    """Integer arithmetic runs the default neuron equations only (docs/semantics.md)."""
    wrong = []
    if n.kind != "LI":
        for field, default in (("reset", None), ("spike_from", "post"), ("reset_at", "same"),
                               ("reset_before_leak", False), ("double_reset", False), ("leak", None),
                               ("reset_value", None)):
            value = getattr(n, field)
            if field == "reset":
                if value not in ("subtract", "zero"):
                    wrong.append(f"reset={value!r}")
            elif (value is not None) if default is None else (value != default):
                wrong.append(f"{field}={value!r}" if not hasattr(value, "shape") else f"{field} set")
    if getattr(n, "input_scale", "one") != "one":
        wrong.append(f"input_scale={n.input_scale!r}")
    if getattr(n, "decay_clamp", None) is not None:
        wrong.append(f"decay_clamp={n.decay_clamp!r}")
    if wrong:
        _fail(n, f"integer arithmetic runs {n.kind} with its default equations; this node has {', '.join(wrong)}",
              "use reset='subtract' or 'zero', spike_from='post', reset_at='same', input_scale='one', no leak, "
              "reset_value or decay_clamp; or compile without arithmetic='integer'")


def _frac_bits(scale) -> int | None:
    """k when ``scale`` is 2^(−k) with 0 ≤ k ≤ 15, else None."""
    if isinstance(scale, tuple) or scale <= 0:
        return None
    k = -np.log2(scale)
    return int(round(k)) if abs(k - round(k)) < 1e-12 and 0 <= round(k) <= 15 else None


def _decay_form(n: Node) -> tuple[str | None, int]:
    if n.kind == "IF":
        return (None, 0)
    q = n.quant["decay"]
    return ("shift", 0) if q.form == "shift" else ("linear", _frac_bits(q.scale))


def _integers(n: Node) -> dict[str, np.ndarray]:
    q = n.quant
    if n.kind == "Linear":
        w = q["weight"].integers(n.weight)
        if n.mask is not None:
            w = w * np.asarray(n.mask, np.int64)
        out = {"weight": w}
        if n.bias is not None:
            out["bias"] = q["bias"].integers(n.bias, (n.out_features,))
        return out
    shape = tuple(n.shape)
    out = {}
    if n.kind != "LI":
        out["threshold"] = q["threshold"].integers(n.threshold, shape)
    if n.kind != "IF":
        d = q["decay"].integers(n.decay, shape)
        form, k = _decay_form(n)
        # a shift over 31 acts as 31; a linear β_int is at most 2^k (β = 1, no leak)
        out["decay"] = np.minimum(d, 31) if form == "shift" else np.minimum(d, 2**k)
    return out


def _channel_scales(q, shape: tuple[int, ...]) -> np.ndarray:
    """A quantization's scale as one value per channel of the last axis of ``shape``."""
    s = np.broadcast_to(q.scale_array(shape), shape)
    return s.reshape(-1, shape[-1])[0] if len(shape) else np.asarray(s).reshape(1)


def _check_scales(graph: Graph, nodes: dict[str, Node], into: dict[str, list]) -> None:
    for n in graph.nodes:
        if n.kind not in _NEURONS:
            continue
        shape = tuple(n.shape)
        unit = _channel_scales(n.quant["v"], shape)
        same = lambda a, b: np.allclose(a, b, rtol=1e-9, atol=0)  # noqa: E731
        if n.kind != "LI" and not same(_channel_scales(n.quant["threshold"], shape), unit):
            _fail(n, "the threshold's scale differs from the membrane's (quant['v']): the integers would count "
                  "different units", "give the threshold the membrane's scale (snnir.quantize does)")
        for e in into.get(n.id, ()):
            src = nodes[e.src]
            if src.kind == "Linear":
                for name in ("weight", "bias"):
                    if name in (src.quant or {}) and not same(_scale_per_out(src, name), unit):
                        raise IntegerArithmeticError(
                            src.id, f"Linear {src.id!r}: its {name} scale differs from the membrane scale of "
                            f"{n.kind} {n.id!r}, which it feeds: the integers would count different units",
                            "quantize the Linear and the neuron together: snnir.quantize(graph) gives them one "
                            "scale per channel")
            elif not same(unit, 1.0):
                _fail(n, f"it is fed directly by {src.kind} {src.id!r}, whose integers count 1, but its membrane "
                      "counts a unit of " + f"{float(unit.max()):.4g}",
                      f"put a Linear between {src.id!r} and {n.id!r}, or give {n.id!r} scale 1")


def _scale_per_out(lin: Node, name: str) -> np.ndarray:
    """The scale of a Linear's weight (per row) or bias, one value per output feature."""
    shape = tuple(lin.weight.shape) if name == "weight" else (lin.out_features,)
    s = np.broadcast_to(lin.quant[name].scale_array(shape), shape)
    return s[:, 0] if name == "weight" else s


def _bound(src: Node, port: str, input_bits: int) -> int:
    """The largest magnitude ``src.port`` can carry."""
    if src.kind == "Input":
        return 2 ** (input_bits - 1)
    if src.kind in ("LIF", "IF") and port == "out":
        return 1
    if src.kind in _NEURONS:
        return 2 ** (src.quant["v"].bits - 1)
    return 2**31


def _check_linear_bounds(nodes, into, params, input_bits: int) -> None:
    for nid, n in nodes.items():
        if n.kind != "Linear":
            continue
        m = 0
        for e in into.get(nid, ()):
            src = nodes[e.src]
            if src.kind == "Linear":
                _fail(n, f"it is fed by Linear {src.id!r}; integer arithmetic runs a Linear on spikes, "
                      "membranes or inputs", "fold the two Linears into one, or put a neuron between them")
            m += _bound(src, e.src_port, input_bits)
        w = params[nid]["weight"]
        b = np.abs(params[nid].get("bias", np.zeros(w.shape[0], np.int64)))
        worst = int((np.abs(w).astype(object).sum(axis=1) * m + b.astype(object)).max())
        if worst > 2**31 - 1:
            _fail(n, f"its sum can reach {worst} for the largest inputs (each at most {m}), beyond int32",
                  "lower input_bits, or quantize with fewer weight bits; a Linear must not overflow int32")


def _out_shape(n: Node, nodes: dict[str, Node], into: dict[str, list]) -> tuple[int, ...]:
    if n.kind in ("Input",) + _NEURONS:
        return tuple(n.shape)
    if n.kind == "Linear":
        e = into[n.id][0]
        return _out_shape(nodes[e.src], nodes, into)[:-1] + (n.out_features,)
    src = into[n.id][0]  # an Output has the shape of what it receives
    return _out_shape(nodes[src.src], nodes, into)


__all__ = ["lower_integer", "IntegerArithmeticError", "INTEGER_KINDS"]
