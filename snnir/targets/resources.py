"""What a graph asks of a chip: neurons, synapses, fan-in and fan-out per node.

The graph is read as a chip reads it. **Neuron nodes** (LIF, IF, CubaLIF, LI, ...: every population with
a ``shape``, except sinks such as spike counters, which run on the host) are the chip's neurons.
**Synapse nodes** (Linear, Conv1d, Conv2d) are weights: they are stored on the cores of the neurons they
feed. Everything else (Flatten, Dropout, Scale, pooling, Delay, Concat) is wiring between them, walked
through. Stored synapses are what the chip keeps in memory: the non-zero, unmasked entries of a
Linear's weight; a convolution's kernel (stored once per core, shared by all positions).

Fan-in of a neuron: the synapses that reach it (the non-zero entries of its Linear row, the C_in/groups
x kernel-size window of a convolution, times the window of any pooling in between; one for a direct
edge from an input or a neuron, which the chip stores as one synapse). Fan-out of a neuron: the synapses its spikes reach (the non-zero entries of its Linear column; C_out
x kernel-size for a convolution, an upper bound). Both are per neuron, reported as the largest.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Iterable

import numpy as np

from ..analysis import ShapeInfo, infer_shapes, to_networkx
from ..ir import Graph
from ..ir.kinds.neurons import _Population

SYNAPSE_KINDS = ("Linear", "Conv1d", "Conv2d")
CONV_KINDS = ("Conv1d", "Conv2d")
#: kinds that only rewire or rescale values between neurons and synapses (walked through)
WIRING_KINDS = ("Flatten", "Dropout", "Scale", "Delay", "Concat", "SumPool1d", "SumPool2d", "AvgPool1d",
                "AvgPool2d", "MaxPool1d", "MaxPool2d", "PopulationCode")
#: kinds every target accepts: graph ends, host-side readouts, and address-only or training-only layers
ALWAYS_ALLOWED = ("Input", "Output", "Flatten", "Dropout", "SpikeCounter", "ActivityRegularization")
POOL_KINDS = ("SumPool1d", "SumPool2d", "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d")


def is_neuron(node) -> bool:
    """Whether ``node`` is a population of neurons the chip must hold (spike counters and other sinks are
    read out by the host and are not)."""
    return isinstance(node, _Population) and not node.SINK


@dataclasses.dataclass(frozen=True)
class NodeUse:
    """What one node asks of the chip.

    ``role``: ``"neuron"``, ``"readout"`` (a neuron node that feeds an Output, on chips with a readout
    population), ``"synapse"``, ``"input"``, ``"output"`` or ``"wiring"``. ``neurons``: neurons it holds.
    ``synapses``: stored weights (synapse nodes: its own; neuron nodes: those of the synapse nodes that
    feed it). ``fan_in`` / ``fan_out``: the largest per neuron. ``destinations``: the neuron nodes its
    spikes reach through synapses (one hop). ``feeds``: for a synapse node, the neuron nodes that store
    its weights."""

    node: str
    kind: str
    role: str
    neurons: int = 0
    synapses: int = 0
    shared_synapses: int = 0
    fan_in: int = 0
    fan_out: int = 0
    destinations: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Demand:
    """The resource demand of a whole graph: :class:`NodeUse` per node, in declaration order, plus the
    per-neuron synapse counts that placement packs by (``per_neuron[node]``: stored synapses of each
    neuron of a neuron node, flattened in C order)."""

    uses: tuple[NodeUse, ...]
    per_neuron: dict
    per_neuron_fan_in: dict
    shapes: ShapeInfo

    def use(self, node: str) -> NodeUse:
        """The :class:`NodeUse` of ``node`` (KeyError for an unknown id)."""
        index = self.__dict__.get("_index")
        if index is None:  # built on first use; the dataclass is frozen, so set it past __setattr__
            index = {u.node: u for u in self.uses}
            object.__setattr__(self, "_index", index)
        return index[node]

    def neurons(self, roles: Iterable[str] = ("neuron",)) -> tuple[NodeUse, ...]:
        return tuple(u for u in self.uses if u.role in tuple(roles))


def _size(shape) -> int:
    return int(math.prod(shape)) if shape is not None else 0


def _nonzero(node) -> np.ndarray:
    w = np.asarray(node.weight) != 0
    if getattr(node, "mask", None) is not None:
        w &= np.asarray(node.mask) != 0
    return w


def demand(graph: Graph, readout: bool = False, shapes: ShapeInfo | None = None) -> Demand:
    """The :class:`Demand` of ``graph`` (composites expanded first by the caller). With ``readout``, neuron
    nodes that feed an Output (directly or through wiring) get the role ``"readout"``."""
    shapes = shapes if shapes is not None else infer_shapes(graph)
    g = to_networkx(graph)
    nodes = {n.id: n for n in graph.nodes}

    def walk(start: str, forward: bool) -> list[tuple[str, int]]:
        """The synapse, neuron, Input, Output and sink nodes reached from ``start`` through wiring, each
        with the product of the pooling windows on the way."""
        adjacency = g.succ if forward else g.pred
        found, seen, todo = [], {start}, [(start, 1)]
        while todo:
            here, window = todo.pop()
            for nxt in adjacency[here]:
                if nxt in seen:
                    continue
                seen.add(nxt)
                node = nodes[nxt]
                if node.kind in SYNAPSE_KINDS or is_neuron(node) or node.kind in ("Input", "Output") or node.SINK:
                    found.append((nxt, window))
                elif node.kind in WIRING_KINDS:
                    factor = math.prod(node.kernel_size) if node.kind in POOL_KINDS else 1
                    todo.append((nxt, window * factor))
        return found

    feeds_output = set()
    if readout:
        for n in graph.nodes:
            if is_neuron(n):
                ends = walk(n.id, forward=True)
                if any(nodes[e].kind == "Output" for e, _w in ends):
                    feeds_output.add(n.id)

    uses, per_neuron, per_fan_in, seen = [], {}, {}, set()
    for n in graph.nodes:
        if n.id in seen:
            continue  # a duplicated id (verify reports it)
        seen.add(n.id)
        if is_neuron(n):
            size = _size(n.shape)
            fan_in = np.zeros(size, np.int64)
            stored = np.zeros(size, np.int64)
            shared, sources = 0, []
            for src, window in walk(n.id, forward=False):
                s = nodes[src]
                sources.append(src)
                if s.kind == "Linear":
                    rows = _nonzero(s).sum(1).astype(np.int64)
                    per = _per_neuron(rows, n.shape)
                    fan_in += per * window
                    stored += per
                elif s.kind in CONV_KINDS:
                    fan_in += int(s.weight.shape[1] * math.prod(s.kernel_size)) * window
                    shared += int(s.weight.size)
                else:  # a direct edge from an input or a neuron: one synapse per neuron (and window)
                    fan_in += window
                    stored += window
            per_neuron[n.id] = stored
            per_fan_in[n.id] = fan_in
            role = "readout" if n.id in feeds_output else "neuron"
            fan_out, dests = _fan_out(n.id, walk, nodes)
            uses.append(NodeUse(n.id, n.kind, role, neurons=size, synapses=int(stored.sum()) + shared,
                                shared_synapses=shared, fan_in=int(fan_in.max(initial=0)), fan_out=fan_out,
                                destinations=dests, sources=tuple(sources)))
        elif n.kind in SYNAPSE_KINDS:
            count = int(_nonzero(n).sum()) if n.kind == "Linear" else int(n.weight.size)
            targets = tuple(dict.fromkeys(e for e, _w in walk(n.id, forward=True) if is_neuron(nodes[e])))
            uses.append(NodeUse(n.id, n.kind, "synapse", synapses=count, feeds=targets))
        elif n.kind == "Input":
            fan_out, dests = _fan_out(n.id, walk, nodes)
            uses.append(NodeUse(n.id, n.kind, "input", fan_out=fan_out, destinations=dests))
        elif n.kind == "Output":
            uses.append(NodeUse(n.id, n.kind, "output"))
        else:
            uses.append(NodeUse(n.id, n.kind, "wiring"))
    return Demand(tuple(uses), per_neuron, per_fan_in, shapes)


def _per_neuron(rows: np.ndarray, shape) -> np.ndarray:
    """A Linear's per-output-row counts spread over a neuron population of ``shape`` (the Linear acts on
    the last axis); the largest row for every neuron when the shapes do not line up."""
    size = _size(shape)
    if shape and shape[-1] == rows.shape[0]:
        return np.broadcast_to(rows, tuple(shape)).reshape(-1).astype(np.int64)
    return np.full(size, int(rows.max(initial=0)), np.int64)


def _fan_out(node_id: str, walk, nodes) -> tuple[int, tuple[str, ...]]:
    """The largest per-neuron fan-out of ``node_id`` and the neuron nodes its spikes reach."""
    total, dests = 0, []
    for dst, window in walk(node_id, forward=True):
        d = nodes[dst]
        if d.kind == "Linear":
            total += int(_nonzero(d).sum(0).max(initial=0))
            dests += [e for e, _w in walk(dst, forward=True) if is_neuron(nodes[e])]
        elif d.kind in CONV_KINDS:
            total += int(d.weight.shape[0] // d.groups * math.prod(d.kernel_size))
            dests += [e for e, _w in walk(dst, forward=True) if is_neuron(nodes[e])]
        elif is_neuron(d):
            total += 1
            dests.append(dst)
        elif d.kind != "Output" and not d.SINK:
            total += 1
    return total, tuple(dict.fromkeys(dests))
