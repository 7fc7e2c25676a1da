"""The target checks behind ``snnir.verify(graph, target=...)``: every way a graph breaks a chip's rules.

Each check returns diagnostics naming the node (and edges) at fault, with a hint. Codes (each in the
catalogue, ``snnir explain CODE``): ``target-kind``, ``target-capacity``, ``target-fan-in``,
``target-fan-out``, ``target-quantization`` (a warning), ``target-format``, ``target-delay``,
``target-recurrence``, ``target-conv``, ``target-io``. The graph is judged as written (composites
expanded): delays are the edges' own and the Delay nodes' steps.
"""

from __future__ import annotations

import math

import numpy as np

from ..analysis import infer_shapes, sccs
from ..diagnostics import Diagnostic
from ..ir import Graph
from .mapping import MappingError, place
from .profile import TargetProfile
from .resources import ALWAYS_ALLOWED, CONV_KINDS, SYNAPSE_KINDS, Demand, demand, is_neuron

#: a decay format of at most this many unsigned bits is a bit shift (Xylo's 4-bit dash); wider ones are
#: a linear fraction (Loihi 2's 12-bit dv: decay = 1 − dv/4096). snnir.quantize reads them the same way.
SHIFT_DECAY_BITS = 5


def check_target(graph: Graph, profile: TargetProfile) -> list[Diagnostic]:
    """Every target diagnostic of ``graph`` (a graph without composites) on ``profile``; never raises on
    a bad graph (nodes whose shapes cannot be inferred are skipped: verify reports them)."""
    shapes = infer_shapes(graph)
    need = demand(graph, readout=profile.readout_neurons is not None, shapes=shapes)
    found: list[Diagnostic] = []
    for c in (_kinds, _capacity, _fan, _quantization, _delays, _recurrence, _conv, _io):
        found += c(graph, profile, need)
    return found


def _into(graph: Graph, nid: str) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys(e.key for e in graph.edges if e.dst == nid))


def _out_of(graph: Graph, nid: str) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys(e.key for e in graph.edges if e.src == nid))


def _listing(names) -> str:
    names = list(names)
    return ", ".join(names) if names else "none"


# ---------------------------------------------------------------------- kinds
def _kinds(graph: Graph, p: TargetProfile, need: Demand) -> list[Diagnostic]:
    out = []
    for n in graph.nodes:
        if is_neuron(n):
            fmt = p.neurons.get(n.kind)
            if fmt is None:
                out.append(Diagnostic(
                    "target-kind", f"{n.kind} {n.id!r}: {p} runs the neuron kinds {_listing(p.neurons)}, not {n.kind}",
                    f"use one of {_listing(p.neurons)} for {n.id!r}, or choose a target that runs {n.kind}",
                    nodes=(n.id,)))
                continue
            reset = getattr(n, "reset", None)
            if fmt.resets is not None and reset is not None and reset not in fmt.resets:
                out.append(Diagnostic(
                    "target-kind", f"{n.kind} {n.id!r} resets with reset={reset!r}; {p.name}'s {n.kind} neurons reset "
                    f"with {_listing(repr(r) for r in fmt.resets)} only",
                    f"give {n.id!r} reset={fmt.resets[0]!r} (and retrain: the spikes change)", nodes=(n.id,)))
        elif n.kind in CONV_KINDS:
            continue  # judged by the convolution check, with the reason
        elif n.kind not in p.layers and n.kind not in ALWAYS_ALLOWED:
            runs = _listing(p.layers)
            out.append(Diagnostic(
                "target-kind", f"{n.kind} {n.id!r}: {p} runs no {n.kind} layers (its other layers: {runs})",
                f"remove {n.id!r} or fold it into a neighbouring layer (a Scale into the next Linear's weights); "
                f"or choose a target that runs {n.kind}", nodes=(n.id,)))
    return out


# ---------------------------------------------------------------------- capacity
def _capacity(graph: Graph, p: TargetProfile, need: Demand) -> list[Diagnostic]:
    out = []
    neurons = need.neurons(("neuron",))
    total = sum(u.neurons for u in neurons)
    if p.placement == "layer":
        cap_n, cap_s = max(p.core_neurons()), max(math.inf if s is None else s for s in p.core_synapses())
        for u in neurons:
            if u.neurons > cap_n or u.synapses > cap_s:
                what = (f"{u.neurons} neurons" if u.neurons > cap_n else f"{u.synapses} stored synapses")
                hold = (f"{cap_n} neurons" if u.neurons > cap_n else f"{cap_s} synapses")
                out.append(Diagnostic(
                    "target-capacity", f"layer {u.node} has {what}; each layer takes one core on {p.name}, and the "
                    f"largest core holds {hold}",
                    "make the layer smaller: fewer channels, a smaller feature map (stride or pooling before it) "
                    "or a smaller kernel", nodes=(u.node,), edges=_into(graph, u.node)))
        if len(neurons) > p.cores:
            out.append(Diagnostic(
                "target-capacity", f"the graph has {len(neurons)} neuron layers; each takes one core on {p.name}, "
                f"which has {p.cores}", f"use at most {p.cores} neuron layers (merge or remove layers)",
                nodes=tuple(u.node for u in neurons[p.cores:])))
    else:
        chip = p.total_neurons()
        for u in neurons:
            if u.neurons > chip:
                out.append(Diagnostic(
                    "target-capacity", f"layer {u.node} has {u.neurons} neurons; {p.name} holds {chip} in all",
                    f"make {u.node} at most {chip} neurons wide, or choose a larger target", nodes=(u.node,),
                    edges=_into(graph, u.node)))
        if total > chip and all(u.neurons <= chip for u in neurons):
            out.append(Diagnostic(
                "target-capacity", f"the layers hold {total} neurons in all ({_listing(f'{u.node} {u.neurons}' for u in neurons)}); "
                f"{p.name} holds {chip}", f"remove {total - chip} neurons (narrower or fewer layers)",
                nodes=tuple(u.node for u in neurons)))
        syn_caps = p.core_synapses()
        if None not in syn_caps:
            biggest = max(syn_caps)
            for u in neurons:
                per = need.per_neuron[u.node]
                worst = int(per.max(initial=0)) + u.shared_synapses
                if worst > biggest:
                    out.append(Diagnostic(
                        "target-capacity", f"one neuron of {u.node} stores {worst} incoming synapses; a core of "
                        f"{p.name} holds {biggest}", "thin the incoming weights (fewer non-zero entries per row)",
                        nodes=(u.node,), edges=_into(graph, u.node)))
    readout = need.neurons(("readout",))
    if p.readout_neurons is not None and sum(u.neurons for u in readout) > p.readout_neurons:
        out.append(Diagnostic(
            "target-capacity", f"the layers that feed an Output ({_listing(f'{u.node} {u.neurons}' for u in readout)}) "
            f"hold {sum(u.neurons for u in readout)} neurons; on {p.name} they are readout neurons, and it has "
            f"{p.readout_neurons}", f"feed the Outputs from at most {p.readout_neurons} neurons in all",
            nodes=tuple(u.node for u in readout)))
    if not out:  # every layer fits on its own: see whether the greedy placement finds room for all of them
        try:
            place(graph, p, need)
        except MappingError as err:
            message, _, hint = str(err).partition("\n  hint: ")
            out.append(Diagnostic("target-capacity", message, hint, nodes=(err.node,)))
    return out


# ---------------------------------------------------------------------- fan-in and fan-out
def _fan(graph: Graph, p: TargetProfile, need: Demand) -> list[Diagnostic]:
    out = []
    for u in need.uses:
        if u.role not in ("neuron", "readout", "input"):
            continue
        if u.role != "input" and p.max_fan_in is not None and u.fan_in > p.max_fan_in:
            over = int((need.per_neuron_fan_in[u.node] > p.max_fan_in).sum())
            out.append(Diagnostic(
                "target-fan-in", f"{u.kind} {u.node!r}: a neuron receives up to {u.fan_in} synapses ({over} of its "
                f"{u.neurons} neurons over the limit); {p.name} allows {p.max_fan_in} per neuron",
                f"connect each neuron of {u.node} to at most {p.max_fan_in} sources (a sparser weight, a Linear "
                "mask, or a narrower layer before it)", nodes=(u.node,), edges=_into(graph, u.node)))
        if u.role != "input" and p.max_fan_out is not None and u.fan_out > p.max_fan_out:
            out.append(Diagnostic(
                "target-fan-out", f"{u.kind} {u.node!r}: a neuron's spikes reach up to {u.fan_out} synapses; "
                f"{p.name} allows {p.max_fan_out} per neuron",
                f"connect each neuron of {u.node} to at most {p.max_fan_out} targets (a sparser weight, a Linear "
                "mask, or narrower layers after it)", nodes=(u.node,), edges=_out_of(graph, u.node)))
        if p.max_destinations is not None and len(u.destinations) > p.max_destinations:
            out.append(Diagnostic(
                "target-fan-out", f"{u.kind} {u.node!r} sends to {len(u.destinations)} layers "
                f"({_listing(u.destinations)}); a layer of {p.name} sends to at most {p.max_destinations}",
                f"let {u.node} feed at most {p.max_destinations} layers (merge the branches, or feed one from the other)",
                nodes=(u.node,), edges=_out_of(graph, u.node)))
    return out


# ---------------------------------------------------------------------- weights
def _quantization(graph: Graph, p: TargetProfile, need: Demand) -> list[Diagnostic]:
    """Float weights without a quantization on an integer chip (a warning), and every ``quant`` entry
    whose format the chip cannot hold (an error, ``target-format``)."""
    out = []
    fmt = p.weights
    for n in graph.nodes:
        quant = getattr(n, "quant", None) or {}
        if n.kind in SYNAPSE_KINDS and fmt is not None and "weight" not in quant:
            w = np.asarray(n.weight)
            lo, hi = fmt.range()
            integral = (bool(np.all(w == np.round(w))) and float(w.min(initial=0)) >= lo
                        and float(w.max(initial=0)) <= hi)
            if not integral:  # whole numbers in range lose nothing
                kind = f"{fmt.bits}-bit {'signed' if fmt.signed else 'unsigned'} integer"
                out.append(Diagnostic(
                    "target-quantization", f"{n.kind} {n.id!r} has {w.dtype} weights (range [{float(w.min()):.4g}, "
                    f"{float(w.max()):.4g}]) and no quantization; {p.name} stores {kind} weights, so they will need "
                    "quantizing",
                    f"quantize the graph for the chip, snnir.quantize(graph, target={p.name!r}), and fine-tune it "
                    "with the quantization in place if the accuracy drops",
                    severity="warning", nodes=(n.id,)))
        for name, q in quant.items():
            problem = _format_problem(n, name, q, p)
            if problem is not None:
                out.append(Diagnostic("target-format", f"{n.kind} {n.id!r}: {problem[0]}", problem[1],
                                      nodes=(n.id,)))
    return out


def _chip_format(node, name: str, p: TargetProfile):
    """The chip's NumberFormat for ``node``'s value ``name`` (None where the profile gives none)."""
    if name == "weight" and node.kind in SYNAPSE_KINDS:
        return p.weights
    neuron = p.neurons.get(node.kind)
    if neuron is None:
        return None
    return neuron.state.get(name) or neuron.params.get(name)


def _format_problem(node, name: str, q, p: TargetProfile) -> tuple[str, str] | None:
    """(message, hint) when the quantization ``q`` of ``node.name`` does not fit the chip's format."""
    fmt = _chip_format(node, name, p)
    if fmt is None:
        return None
    fix = f"quantize for this target: snnir.quantize(graph, target={p.name!r}) reads its formats"
    shift = fmt.bits <= SHIFT_DECAY_BITS and not fmt.signed
    if name in getattr(node, "DECAYS", ()):
        want = "shift" if shift else "linear"
        if q.form != want:
            return (f"{name} is quantized as a {q.form} decay; {p.name} stores it as "
                    + ("a bit shift, β = 1 − 2^(−d)" if shift else "a linear fraction"), fix)
    if q.bits > fmt.bits:
        return (f"{name} is quantized to {q.bits} bits ({q.label()}); {p.name} stores {fmt.bits}-bit "
                f"{'signed' if fmt.signed else 'unsigned'} values", fix)
    if q.form == "linear" and q.signed and not fmt.signed:
        return (f"{name} is quantized as a signed value; {p.name} stores it unsigned ({fmt.bits} bits)", fix)
    return None


# ---------------------------------------------------------------------- delays
def _delays(graph: Graph, p: TargetProfile, need: Demand) -> list[Diagnostic]:
    out = []
    allowed = "no delays" if p.max_delay == 0 else f"delays of at most {p.max_delay} steps"
    for e in graph.edges:
        if e.delay > p.max_delay:
            out.append(Diagnostic(
                "target-delay", f"edge {e.src} -> {e.dst} has delay={e.delay}; {p.name} supports {allowed}",
                ("for a recurrent connection, mark the edge feedback=True (it reads the previous step) instead of "
                 "delay=1; otherwise remove the delay" if p.max_delay == 0 else
                 f"give the edge a delay of at most {p.max_delay}, or chain neurons to delay the spikes"),
                nodes=(e.dst,), edges=(e.key,)))
    for n in graph.nodes:
        if n.kind == "Delay":
            steps = int(np.max(n.steps)) if np.size(n.steps) else 0
            if steps > p.max_delay:
                out.append(Diagnostic(
                    "target-delay", f"Delay {n.id!r} delays by up to {steps} steps; {p.name} supports {allowed}",
                    "remove the Delay node" if p.max_delay == 0 else f"delay by at most {p.max_delay} steps",
                    nodes=(n.id,), edges=_into(graph, n.id)))
    return out


# ---------------------------------------------------------------------- recurrence
def _recurrence(graph: Graph, p: TargetProfile, need: Demand) -> list[Diagnostic]:
    if p.recurrence:
        return []
    out = []
    for comp in sccs(graph):
        members = set(comp)
        edges = tuple(dict.fromkeys(e.key for e in graph.edges if e.src in members and e.dst in members))
        out.append(Diagnostic(
            "target-recurrence", f"cycle through {list(comp)}: {p.name} runs feed-forward networks only",
            "remove the recurrent edges (the ones back to earlier layers), or choose a target with recurrence",
            nodes=tuple(comp), edges=edges))
    return out


# ---------------------------------------------------------------------- convolutions
def _conv(graph: Graph, p: TargetProfile, need: Demand) -> list[Diagnostic]:
    out = []
    c = p.conv
    for n in graph.nodes:
        if n.kind not in CONV_KINDS:
            continue
        edges = _into(graph, n.id)
        if c is None or n.kind not in p.layers:
            out.append(Diagnostic("target-conv", f"{n.kind} {n.id!r}: {p} runs no convolutions",
                                  "replace the convolution by a Linear over the flattened input, or choose a target "
                                  "with convolutions", nodes=(n.id,), edges=edges))
            continue
        if n.NDIM not in c.dims:
            out.append(Diagnostic("target-conv", f"{n.kind} {n.id!r}: {p.name} runs {_listing(f'{d}-d' for d in c.dims)} "
                                  f"convolutions only", f"use a {c.dims[0]}-d convolution (add a spatial axis of size 1)",
                                  nodes=(n.id,), edges=edges))
        problems = []
        if c.max_kernel is not None and max(n.kernel_size) > c.max_kernel:
            problems.append((f"kernel {n.kernel_size} is over {c.max_kernel}", f"use kernels of at most {c.max_kernel}"))
        if c.strides is not None and any(s not in c.strides for s in n.stride):
            problems.append((f"stride {n.stride} is not one of {list(c.strides)}", f"use strides from {list(c.strides)}"))
        if n.groups != 1 and not c.groups:
            problems.append((f"groups={n.groups}", "use groups=1 (grouped convolutions are not supported)"))
        if c.max_channels is not None and max(n.out_channels, n.in_channels) > c.max_channels:
            problems.append((f"{n.in_channels} -> {n.out_channels} channels is over {c.max_channels}",
                             f"use at most {c.max_channels} channels"))
        shape = need.shapes.input(n.id)
        if shape is not None and len(shape) == n.NDIM + 1:
            spatial = tuple(shape[1:])
            pads = n.pads(spatial)
            if c.max_padding is not None and max(max(pair) for pair in pads) > c.max_padding:
                problems.append((f"padding {pads} is over {c.max_padding}", f"pad by at most {c.max_padding}"))
            if c.max_input_size is not None and any(s > m for s, m in zip(spatial, c.max_input_size)):
                problems.append((f"input size {spatial} is over {tuple(c.max_input_size)}",
                                 "pool or stride earlier so the feature map is smaller"))
            out_shape = need.shapes.output(n.id)
            if c.max_output_size is not None and out_shape is not None and any(
                    s > m for s, m in zip(out_shape[1:], c.max_output_size)):
                problems.append((f"output size {tuple(out_shape[1:])} is over {tuple(c.max_output_size)}",
                                 "use a larger stride, or pool before it"))
        for message, hint in problems:
            out.append(Diagnostic("target-conv", f"{n.kind} {n.id!r}: {message} on {p.name}", hint,
                                  nodes=(n.id,), edges=edges))
    return out


# ---------------------------------------------------------------------- inputs and outputs
def _io(graph: Graph, p: TargetProfile, need: Demand) -> list[Diagnostic]:
    out = []
    for kind, limit, what in (("Input", p.max_inputs, "input"), ("Output", p.max_outputs, "output")):
        if limit is None:
            continue
        nodes = [n for n in graph.nodes if n.kind == kind]
        widths = {}
        for n in nodes:
            shape = need.shapes.output(n.id) if kind == "Input" else need.shapes.input(n.id)
            if shape is not None:
                widths[n.id] = int(math.prod(shape))
        total = sum(widths.values())
        if total > limit:
            listing = _listing(f"{k} {v}" for k, v in widths.items())
            out.append(Diagnostic(
                "target-io", f"the {kind}s carry {total} values per step ({listing}); {p.name} has {limit} {what} "
                "channels", f"reduce the {what}s to {limit} channels in all (e.g. "
                + ("encode the data into fewer channels)" if kind == "Input" else "read out fewer classes)"),
                nodes=tuple(widths), edges=tuple(e for nid in widths for e in (_out_of(graph, nid) if kind == "Input"
                                                                                 else _into(graph, nid)))))
    return out
