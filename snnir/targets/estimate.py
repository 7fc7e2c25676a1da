"""A resource estimate per node on a target: what ``snnir info FILE --target NAME`` prints."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..ir import Graph
from ..ir.inline import has_composites, inline
from .mapping import CoreUse, MappingError, place
from .profile import TargetProfile, load_profile
from .resources import demand


@dataclasses.dataclass(frozen=True)
class NodeEstimate:
    """One node's share of a target: ``neurons`` it holds, stored ``synapses`` (a synapse node's own
    weights; they live on the cores of the neurons they feed, ``on``), ``cores`` it spans (from the
    placement when the graph fits, else the fewest that could hold it), and ``memory_bits`` it stores
    (neuron state in the target's formats, 0 for a kind it does not run; or weights at its weight bits,
    or, for a profile without a weight format, at the node's quantization or its float width)."""

    node: str
    kind: str
    role: str
    neurons: int
    synapses: int
    cores: int | None
    memory_bits: int
    on: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Estimate:
    """:class:`NodeEstimate` per node that uses the chip, the totals, and whether the placement fit
    (``placed``; ``problem`` says why not; ``cores`` the cores it uses when it fits)."""

    target: TargetProfile
    nodes: tuple[NodeEstimate, ...]
    placed: bool
    problem: str = ""
    cores: tuple[CoreUse, ...] = ()

    @property
    def neurons(self) -> int:
        return sum(n.neurons for n in self.nodes)

    @property
    def synapses(self) -> int:
        return sum(n.synapses for n in self.nodes if n.role == "synapse")

    @property
    def memory_bits(self) -> int:
        return sum(n.memory_bits for n in self.nodes)

    def table(self) -> str:
        """The estimate as printed by ``snnir info --target``."""
        p = self.target
        lines = [f"target {p}: {p.cores} core(s), {p.total_neurons()} neurons"
                 + (f" + {p.readout_neurons} readout" if p.readout_neurons else ""),
                 f"{'node':<15} {'kind':<9} {'neurons':>8} {'synapses':>9} {'cores':>7} {'memory bits':>12}"]
        for n in self.nodes:
            cores = "-" if n.cores is None else ("readout" if n.role == "readout" else str(n.cores))
            where = f"  (on {', '.join(n.on)})" if n.on else ""
            lines.append(f"{n.node:<15} {n.kind:<9} {n.neurons:>8} {n.synapses:>9} {cores:>7} {n.memory_bits:>12}{where}")
        total = (f"total: {self.neurons} neurons, {self.synapses} synapses, "
                 f"{self.memory_bits} bits ({self.memory_bits / 8 / 1024:.1f} KiB)")
        if self.placed:
            used = [c for c in self.cores if c.label != "readout"]
            total += f", on {len(used)} of {p.cores} core(s)"
        else:
            total += f"; does not fit: {self.problem}"
        lines.append(total)
        return "\n".join(lines)


def estimate(graph: Graph, target) -> Estimate:
    """The per-node :class:`Estimate` of ``graph`` on ``target`` (a name, a profile path or a
    :class:`TargetProfile`). Never raises for a graph that does not fit: ``placed`` says so."""
    p = load_profile(target)
    flat = inline(graph) if has_composites(graph) else graph
    need = demand(flat, readout=p.readout_neurons is not None)
    try:
        ranges, cores = place(flat, p, need)
        placed, problem = True, ""
    except MappingError as err:
        ranges, cores, placed, problem = {}, (), False, str(err).partition("\n  hint: ")[0]
    # a weight's storage width: the chip's format (its memory cells have that width whatever the
    # values need), else the node's own quantization, else its float dtype
    widths = {n.id: ((n.quant or {})["weight"].bits if "weight" in (getattr(n, "quant", None) or {})
                     else np.dtype(n.weight.dtype).itemsize * 8)
              for n in flat.nodes if hasattr(n, "weight") and n.kind in ("Linear", "Conv1d", "Conv2d")}
    rows = []
    for u in need.uses:
        if u.role in ("neuron", "readout"):
            fmt = p.neurons.get(u.kind)
            state = sum(f.bits for f in fmt.state.values()) if fmt is not None else 0
            if u.node in ranges:
                spans = len({c for c, _a, _b in ranges[u.node]})
            elif p.placement == "layer":
                spans = 1
            else:
                spans = max(1, math.ceil(u.neurons / max(p.core_neurons())))
            rows.append(NodeEstimate(u.node, u.kind, u.role, u.neurons, u.synapses, spans, u.neurons * state))
        elif u.role == "synapse":
            bits = p.weights.bits if p.weights is not None else widths[u.node]
            rows.append(NodeEstimate(u.node, u.kind, u.role, 0, u.synapses, None, u.synapses * bits, u.feeds))
    return Estimate(p, tuple(rows), placed, problem, cores)
