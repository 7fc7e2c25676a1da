"""Placing a graph's neurons onto a target's cores.

The heuristic (greedy, one pass, deterministic):

1. **Order.** Neuron nodes are taken in topological order of the graph's condensation (networkx;
   a cycle's nodes together), ties and the nodes of one cycle in declaration order, so that the layers
   of a feed-forward chain land on consecutive cores.
2. **Chunks.** A neuron node's neurons, in C order, fill the current core while both its neuron and its
   synapse capacity last (a neuron brings its stored incoming synapses; a convolution's kernel is
   stored once on every core that holds part of the layer); then the next core is opened.
   ``placement="pack"`` lets the next layer continue on a partly filled core; ``"slice"`` starts every
   layer on a fresh core; ``"layer"`` gives every layer exactly one whole core: a maximum bipartite
   matching (networkx) between the layers and the cores that can hold them, so that cores of different
   shapes (Speck's cores trade neuron memory for kernel memory) go to the layers that need them; a layer
   larger than every core does not fit.
3. **Readout.** On a target with a readout population (``readout_neurons``), the neuron nodes that feed
   an Output are placed there instead of on the cores.

A node that does not fit raises :class:`MappingError` naming it: one neuron whose synapses exceed a
whole core, a layer larger than every core (``"layer"``), readout layers wider than the readout
population, or no core left.

The placement is written into the graph as a note, ``graph.metadata["placement"]``: the target's name,
for every neuron node the ``[core, start, stop)`` ranges of its flattened neurons, and for every used
core its neurons and synapses. A note never changes what a graph computes.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Mapping

import networkx as nx
import numpy as np

from ..errors import SnnirError
from ..ir import Graph
from ..ir.inline import has_composites, inline
from ..analysis import to_networkx
from ..analysis.views import declaration_index
from .profile import TargetProfile, load_profile
from .resources import Demand, demand

#: the metadata key of the placement note
NOTE = "placement"


class MappingError(SnnirError, ValueError):
    """A graph does not fit a target's cores. ``.node`` names the node that did not fit."""

    def __init__(self, node: str, message: str, hint: str):
        self.node = node
        super().__init__(f"{message}\n  hint: {hint}")


@dataclasses.dataclass(frozen=True)
class CoreUse:
    """One used core: its index (the readout population is ``label="readout"``), how many neurons and
    stored synapses it holds against its capacities (None: not limited), and the nodes on it."""

    core: int
    label: str
    neurons: int
    neuron_capacity: int
    synapses: int
    synapse_capacity: int | None
    nodes: tuple[str, ...]

    def neuron_share(self) -> float:
        return self.neurons / self.neuron_capacity

    def synapse_share(self) -> float | None:
        return None if self.synapse_capacity is None else self.synapses / self.synapse_capacity


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where each neuron of a graph sits on a target.

    ``graph``: the graph with the placement note in its metadata. ``ranges[node]``: ``(core, start,
    stop)`` per chunk of the node's flattened neurons. ``cores``: every used core. ``report()`` prints
    the utilisation per core and in total."""

    target: TargetProfile
    graph: Graph
    ranges: Mapping[str, tuple[tuple[int, int, int], ...]]
    cores: tuple[CoreUse, ...]

    def utilisation(self) -> dict:
        """Totals: cores used of all, neurons used of the cores' capacity, synapses stored of the
        capacity (None where not limited), as plain numbers."""
        p = self.target
        on_cores = [c for c in self.cores if c.label != "readout"]
        syn_cap = None if None in p.core_synapses() else sum(p.core_synapses())
        return {
            "target": p.name,
            "cores_used": len(on_cores),
            "cores": p.cores,
            "neurons": sum(c.neurons for c in on_cores),
            "neuron_capacity": p.total_neurons(),
            "synapses": sum(c.synapses for c in on_cores),
            "synapse_capacity": syn_cap,
            "readout_neurons": sum(c.neurons for c in self.cores if c.label == "readout"),
        }

    def report(self) -> str:
        """The utilisation as a table: one line per used core, then the totals."""
        lines = [f"placement on {self.target}: {len([c for c in self.cores if c.label != 'readout'])} of "
                 f"{self.target.cores} cores"]
        lines.append(f"{'core':<8} {'neurons':>16} {'synapses':>22}  nodes")
        for c in self.cores:
            syn = f"{c.synapses}" + ("" if c.synapse_capacity is None else
                                     f"/{c.synapse_capacity} {_pct(c.synapse_share())}")
            lines.append(f"{c.label:<8} {f'{c.neurons}/{c.neuron_capacity} {_pct(c.neuron_share())}':>16} "
                         f"{syn:>22}  {', '.join(c.nodes)}")
        u = self.utilisation()
        total = (f"total: {u['neurons']} of {u['neuron_capacity']} neurons ({_pct(u['neurons'] / u['neuron_capacity'])})"
                 f", {u['synapses']} synapses")
        if u["synapse_capacity"] is not None:
            total += f" of {u['synapse_capacity']} ({_pct(u['synapses'] / u['synapse_capacity'])})"
        if self.target.readout_neurons is not None:
            total += f", {u['readout_neurons']} of {self.target.readout_neurons} readout neurons"
        lines.append(total)
        return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.1f}%"


def map_to_target(graph: Graph, target, mode: str = "straight") -> Placement:
    """Place ``graph``'s neurons on the cores of ``target`` (a bundled name, a profile file's path or a
    :class:`TargetProfile`) and return the :class:`Placement`, whose ``.graph`` carries the placement
    note.

    The graph is checked against the target first (``snnir.check(graph, mode, target=...)``): any
    error but a capacity one raises ``snnir.VerifyError`` with every diagnostic. A graph whose neurons
    or synapses do not fit the cores raises :class:`MappingError` naming the node that did not fit."""
    from ..errors import VerifyError
    from ..verification import check  # verification imports this package: import it when used

    profile = load_profile(target)
    diagnostics = check(graph, mode, target=profile)
    if any(d.severity == "error" and d.code != "target-capacity" for d in diagnostics):
        raise VerifyError(diagnostics)
    flat = inline(graph) if has_composites(graph) else graph
    need = demand(flat, readout=profile.readout_neurons is not None)
    ranges, cores = place(flat, profile, need)
    note = {
        "target": profile.name,
        "nodes": {nid: [list(r) for r in rs] for nid, rs in ranges.items()},
        "cores": [{"core": c.core, "label": c.label, "neurons": c.neurons, "synapses": c.synapses} for c in cores],
    }
    annotated = graph.replace(metadata={**graph.metadata, NOTE: note})
    return Placement(profile, annotated, ranges, cores)


def placement_order(graph: Graph, need: Demand) -> list[str]:
    """The neuron nodes (and readout nodes) in placement order: topological order of the condensation,
    ties and cycle members in declaration order."""
    g = to_networkx(graph)
    index = declaration_index(graph)
    cond = nx.condensation(nx.DiGraph(g))
    members = cond.graph["mapping"]  # node -> component
    comp_key = {c: min(index[n] for n in cond.nodes[c]["members"]) for c in cond.nodes}
    order = list(nx.lexicographical_topological_sort(cond, key=comp_key.__getitem__))
    rank = {c: i for i, c in enumerate(order)}
    wanted = [u.node for u in need.neurons(("neuron", "readout"))]
    return sorted(wanted, key=lambda n: (rank[members[n]], index[n]))


def place(graph: Graph, profile: TargetProfile, need: Demand):
    """The greedy placement of the module docstring: ``(ranges, cores)``; raises :class:`MappingError`."""
    cap_n = profile.core_neurons()
    cap_s = tuple(math.inf if s is None else s for s in profile.core_synapses())
    used_n = [0] * profile.cores
    used_s = [0] * profile.cores
    on_core: list[list[str]] = [[] for _ in range(profile.cores)]
    ranges: dict[str, list[tuple[int, int, int]]] = {}
    readout: list[str] = []
    readout_used = readout_syn = 0
    layered: list[str] = []
    core = 0
    for nid in placement_order(graph, need):
        use = need.use(nid)
        if use.role == "readout":
            readout_used += use.neurons
            if readout_used > profile.readout_neurons:
                raise MappingError(nid, f"{use.kind} {nid!r} feeds an Output, so its {use.neurons} neurons go to the "
                                   f"readout population; {profile.name} has {profile.readout_neurons} readout neurons "
                                   f"and the readout layers need {readout_used}",
                                   f"make the layers that feed an Output at most {profile.readout_neurons} neurons wide "
                                   "in all, or feed the Output from a narrower layer")
            ranges[nid] = [(profile.cores, readout_used - use.neurons, readout_used)]
            readout.append(nid)
            readout_syn += use.synapses
            continue
        syn = need.per_neuron[nid]
        if profile.placement == "layer":
            layered.append(nid)
            continue
        if profile.placement == "slice" and used_n[core] > 0:
            core += 1
        ranges[nid] = _fill(nid, use, syn, profile, cap_n, cap_s, used_n, used_s, on_core, core)
        core = ranges[nid][-1][0]
    for nid, c in _match_layers(layered, need, profile, cap_n, cap_s).items():
        use = need.use(nid)
        used_n[c], used_s[c] = use.neurons, use.synapses
        on_core[c].append(nid)
        ranges[nid] = [(c, 0, use.neurons)]
    cores = tuple(
        CoreUse(c, str(c), used_n[c], cap_n[c], used_s[c], profile.core_synapses()[c], tuple(on_core[c]))
        for c in range(profile.cores) if on_core[c])
    if readout:
        cores += (CoreUse(profile.cores, "readout", readout_used, profile.readout_neurons, readout_syn, None,
                           tuple(readout)),)
    return {k: tuple(v) for k, v in ranges.items()}, cores


def _fill(nid, use, syn, profile, cap_n, cap_s, used_n, used_s, on_core, core):
    """Fill cores from ``core`` on with the neurons of ``nid`` (chunks of consecutive neurons)."""
    cum = np.cumsum(syn)
    start, out = 0, []
    while start < use.neurons:
        if core >= profile.cores:
            placed = sum(b - a for _c, a, b in out)
            raise MappingError(nid, f"{use.kind} {nid!r} does not fit: {profile.name} has {profile.cores} core(s) and "
                               f"they are full after {placed} of its {use.neurons} neurons",
                               _fit_hint(profile))
        shared = use.shared_synapses if nid not in on_core[core] else 0
        room_n = cap_n[core] - used_n[core]
        room_s = cap_s[core] - used_s[core] - shared
        base = cum[start - 1] if start else 0
        by_syn = use.neurons - start if math.isinf(room_s) else int(np.searchsorted(cum, base + room_s, side="right")) - start
        take = max(0, min(room_n, by_syn, use.neurons - start))
        if take == 0:
            if used_n[core] == 0:  # an empty core cannot hold even one of its neurons
                worst = int(syn[start]) + use.shared_synapses
                raise MappingError(nid, f"one neuron of {use.kind} {nid!r} stores {worst} synapses; a core of "
                                   f"{profile.name} holds {cap_s[core]}",
                                   "thin its incoming weights (fewer non-zero entries per row), or split the layer")
            core += 1
            continue
        stop = start + take
        used_n[core] += take
        used_s[core] += int(cum[stop - 1] - base) + shared
        if nid not in on_core[core]:
            on_core[core].append(nid)
        out.append((core, start, stop))
        start = stop
    return out


def _match_layers(layers, need, profile, cap_n, cap_s) -> dict[str, int]:
    """One whole core per layer (``placement="layer"``): a maximum bipartite matching (networkx's
    Hopcroft-Karp) between the layers and the cores that hold them, so that layers with different
    needs (many neurons, or a large kernel) find the cores shaped for them whenever any assignment
    exists. Raises :class:`MappingError` naming the first layer (in placement order) left without a core."""
    if not layers:
        return {}
    fits = {nid: [c for c in range(profile.cores)
                  if need.use(nid).neurons <= cap_n[c] and need.use(nid).synapses <= cap_s[c]] for nid in layers}
    for nid in layers:
        if not fits[nid]:
            use = need.use(nid)
            big_n, big_s = max(cap_n), max(cap_s)
            raise MappingError(nid, f"{use.kind} {nid!r} does not fit one core of {profile.name}: it needs "
                               f"{use.neurons} neurons and {use.synapses} synapses; the cores hold at most "
                               f"{big_n} neurons and {'any number of' if math.isinf(big_s) else big_s} synapses",
                               "make the layer smaller: fewer channels, a smaller feature map (stride or pooling "
                               "before it) or a smaller kernel")
    if len(layers) > profile.cores:
        nid = layers[profile.cores]
        raise MappingError(nid, f"{need.use(nid).kind} {nid!r} does not fit: each neuron layer takes a whole core on "
                           f"{profile.name}, and its {profile.cores} cores are taken by the {profile.cores} layers before it",
                           f"use at most {profile.cores} neuron layers (merge or remove layers)")
    g = nx.Graph()
    g.add_nodes_from((("layer", n) for n in layers), bipartite=0)
    g.add_nodes_from((("core", c) for c in range(profile.cores)), bipartite=1)
    g.add_edges_from((("layer", n), ("core", c)) for n in layers for c in fits[n])
    matching = nx.bipartite.hopcroft_karp_matching(g, top_nodes=[("layer", n) for n in layers])
    for nid in layers:
        if ("layer", nid) not in matching:
            raise MappingError(nid, f"{need.use(nid).kind} {nid!r} does not fit: the cores of {profile.name} that "
                               f"hold it ({', '.join(map(str, fits[nid]))}) are needed by other layers that fit "
                               "nowhere else", "make this layer or the others smaller, so that more cores hold them")
    return {nid: matching[("layer", nid)][1] for nid in layers}


def _fit_hint(profile: TargetProfile) -> str:
    return (f"{profile.name} holds {profile.total_neurons()} neurons on {profile.cores} core(s); make the "
            "layers smaller or fewer")
