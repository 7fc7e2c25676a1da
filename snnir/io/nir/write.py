"""Export: a snnir graph -> a ``nir.NIRGraph`` (``to_nir``) or a NIR file (``write_nir``).

Neurons get τ = dt/(1 − β), R and v_leak such that NIR's forward Euler gives back snnir's update
exactly: v' = (1 − dt/τ)·v + (dt/τ)·(v_leak + R·x) = β·v + g·x − λ. Edges:

- a zero-delay edge is a plain NIR edge, and so is a marked one on a zero-delay loop: a recurrent loop
  is NIR's plain cycle, which snnTorch, Norse and snnir's own import each break once (the mark is not
  written);
- an edge with ``delay=k`` (k >= 1, the user's) is a NIR ``Delay`` node ``delay.<src>.<dst>`` of
  (k + 1 if marked)·dt seconds, the edge's whole delay, so every NIR consumer sees it; so is a marked
  edge on no zero-delay loop (its loop passes a pre-spike neuron or a Delay already, or there is no
  loop), with one step: no reader would put that step back.

A neuron with ``spike_from="pre"`` (and the reset before the leak) is its NIR neuron followed by a
NIR ``Delay`` of one step, ``<name>.spike_delay``, which its out-edges leave from; snnir's import folds
the pair back (table.as_pre_spike). Frozen nodes an import put in front of a neuron (``name.gain``,
``name.syn``, ``name.leak``) fold back into one NIR node (table.py). snnir's ids, declaration order and
training options travel in metadata.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import pathlib
from typing import Any

import numpy as np

from ...analysis import dependency_graph, infer_shapes
from ...ir import Edge, Graph, Node
from ...verification import verify as verify_graph
from ..files import _atomic_write
from .errors import NIRConversionError, check_dt
from .nest import nested
from .notes import GAIN_META, META, NIR_NOTE, metadata, nir_params
from .params import Context, RTOL
from .table import (PRE_SPIKE_SUFFIX, Fold, as_pre_spike, read_node, refuse, spikes_before_update,
                    with_clipped_decays, write_node)


def to_nir(graph: Graph, dt: float | None = None):
    """A ``nir.NIRGraph`` for ``graph`` with time step ``dt`` (seconds).

    Recurrent loops become NIR's plain cycles (feedback marks are not written: every NIR reader breaks
    a loop itself); only declared edge delays become NIR Delay nodes. Dropout (the identity at
    inference) is dropped. A neuron with ``spike_from="pre"`` (reset before the leak) becomes its NIR
    neuron followed by a NIR Delay of one step, exactly. Options NIR cannot express raise
    :class:`NIRConversionError` naming the node and the option. ``from_nir(to_nir(g, dt), dt)`` gives ``g`` back, with the feedback marks the import
    chooses (docs/nir.md). A graph imported from NIR with sub-graphs is nested again as it came
    (nest.py), while it still has exactly the nodes and edges its nesting note records.
    """
    import nir

    dt = check_dt(dt, "to_nir")
    if not isinstance(graph, Graph):
        raise NIRConversionError("to_nir", f"expects a snnir.Graph, got {type(graph).__name__}",
                                 "build a snnir.Graph, or load one with snnir.load")
    verify_graph(graph)
    graph = _with_quantized_values(_drop_dropout(graph))
    shapes = infer_shapes(graph)
    out_dtype = np.float64 if graph.dtype == "float64" else np.float32
    folds, folded = _folds(graph)
    read_back = graph.metadata.get(NIR_NOTE) if isinstance(graph.metadata.get(NIR_NOTE), dict) else {}
    names = _nir_names(graph, folded)
    head = {m: nid for nid, (members, _) in folds.items() for m in members}  # member -> the neuron it folds into
    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    out_name: dict[str, str] = {}  # a pre-spike neuron's spikes leave from its Delay
    taken = set(names.values())
    for n in graph.nodes:
        if n.id in folded:
            continue
        in_shape = shapes.input(n.id) or shapes.output(n.id)
        _check_round_trip(n, write_node(n, in_shape, dt, out_dtype), in_shape, dt)
        nir_node = write_node(n, in_shape, dt, out_dtype, _with_split(folds.get(n.id, (None, None))[1], n, read_back))
        nir_node.metadata = metadata(n)
        gain = folds.get(n.id, (None, Fold()))[1].gain
        if gain is not None:  # the folded helper's exact value, for snnir's import (notes.exact_gain)
            nir_node.metadata[GAIN_META] = np.atleast_1d(np.asarray(gain, out_dtype))
        nodes[names[n.id]] = nir_node
        if spikes_before_update(n):
            out_name[n.id] = _pre_spike_delay(nir, n, names[n.id], nodes, edges, taken, dt, out_dtype)
    kept_marks = _marks_no_reader_places(graph)
    for index, e in enumerate(graph.edges):
        where = f"edge {e.src!r} -> {e.dst!r}"
        if e.src in folded and head.get(e.src) is not None and e.dst in (head[e.src], *folds[head[e.src]][0]):
            continue  # inside a folded chain
        if e.src_port != "out" or e.dst_port != "in":
            raise NIRConversionError(where, f"reads port {e.src_port!r} into port {e.dst_port!r}; NIR edges carry "
                                     "a node's only output into its only input", "read the 'out' port only")
        src_id = head.get(e.src, e.src)
        src, dst = out_name.get(src_id, names[src_id]), names[head.get(e.dst, e.dst)]
        if not e.delay and index not in kept_marks:
            if (src, dst) in edges:
                raise NIRConversionError(where, "appears twice; NIR edges are unique",
                                         "merge the two edges (e.g. double the weights) or delay one")
            edges.append((src, dst))
            continue
        shape = shapes.output(e.src) or ()
        name = _fresh(f"delay.{src}.{dst}", nodes)
        steps = e.delay + (1 if e.feedback else 0)
        nodes[name] = nir.Delay(delay=np.full(shape, steps * dt, out_dtype),
                                metadata={META: json.dumps({"edge": {"delay": e.delay, "feedback": bool(e.feedback)}})})
        edges += [(src, name), (name, dst)]
    rec = {"format": "snnir", "order": [n.id for n in graph.nodes], "dt": dt}
    if graph.metadata:
        rec["graph_metadata"] = graph.metadata
    if "structure" in read_back:  # an imported NIR graph's sub-graphs, nested again when still exact
        ids = {names[n.id]: n.id for n in graph.nodes if n.id in names}
        ids.update({name: name for name in nodes if name not in ids})   # the export's own Delay nodes
        nodes, edges = nested(read_back["structure"], nodes, edges, ids) or (nodes, edges)
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={META: json.dumps(rec)}, type_check=False)


def _with_split(fold: Fold | None, node: Node, read_back: dict) -> Fold | None:
    """``fold`` with the w_in an import recorded for ``node`` (a CubaLIF/CubaLI whose file split its
    input gain in a way snnir's one gain does not hold), so the export writes the file's split."""
    kept = read_back.get("w_in")
    if not isinstance(kept, dict) or node.id not in kept or node.kind not in ("CubaLIF", "LI"):
        return fold
    return dataclasses.replace(fold or Fold(), w_in=kept[node.id])


def write_nir(graph: Graph, path: str | os.PathLike, dt: float | None = None) -> pathlib.Path:
    """Export ``graph`` with ``to_nir`` and write it as a NIR (HDF5) file, atomically."""
    import nir

    path = pathlib.Path(path)
    converted = to_nir(graph, dt)
    buffer = io.BytesIO()
    nir.write(buffer, converted)
    _atomic_write(path, buffer.getvalue())
    return path


def _pre_spike_delay(nir, node: Node, name: str, nodes: dict, edges: list, taken: set, dt: float, dtype) -> str:
    """Add the Delay of one step after a pre-spike neuron's NIR node ``name`` (table.as_pre_spike) and return
    its name, which the neuron's out-edges leave from. Its note names the neuron, for snnir's import."""
    delay = _fresh(f"{name}.{PRE_SPIKE_SUFFIX}", taken | set(nodes))
    taken.add(delay)
    nodes[delay] = nir.Delay(delay=np.full(tuple(node.shape), dt, dtype),
                             metadata={META: json.dumps({"pre_spike": node.id})})
    edges.append((name, delay))
    return delay


def _marks_no_reader_places(graph: Graph) -> set[int]:
    """Indices of the feedback-marked zero-delay edges that lie on no zero-delay cycle once every mark is
    removed. A NIR reader breaks only the zero-delay cycles of the plain graph, so it would never put such a
    mark's step back (e.g. a loop through a pre-spike neuron's spikes, which needs no break): the step is
    written as a Delay node instead."""
    import networkx as nx

    marked = {i for i, e in enumerate(graph.edges) if e.feedback and not e.delay}
    if not marked:
        return set()
    plain = graph.replace(edges=tuple(e.replace(feedback=False) for e in graph.edges))
    dep = dependency_graph(plain)
    comp = {n: k for k, c in enumerate(nx.strongly_connected_components(dep)) for n in c}
    on_cycle = {key for u, v, key in dep.edges(keys=True) if comp[u] == comp[v]}
    return marked - on_cycle


# ---------------------------------------------------------------------- folding import's frozen helpers
def _folds(graph: Graph) -> tuple[dict[str, tuple[tuple[str, ...], Fold]], set[str]]:
    """Neuron id -> (the chain's other members, the Fold) for every intact chain
    ``name.gain`` -> [``name.syn``] -> [``name.leak``] -> ``name`` that an import builds. Folding is exact
    (each helper is linear and frozen), so it only decides how many NIR nodes the same numbers take."""
    by_id = {n.id: n for n in graph.nodes}
    ins: dict[str, list[Edge]] = {}
    outs: dict[str, list[Edge]] = {}
    for e in graph.edges:
        ins.setdefault(e.dst, []).append(e)
        outs.setdefault(e.src, []).append(e)

    def feeder(nid: str, suffix: str, kind: str):
        """The helper ``nid.suffix`` when it is the only thing feeding ``nid`` and feeds nothing else."""
        cand = by_id.get(f"{head}.{suffix}")
        edges_in = ins.get(nid, [])
        if cand is None or cand.kind != kind or len(edges_in) != 1:
            return None
        e = edges_in[0]
        if e.src != cand.id or e.delay or e.src_port != "out" or e.dst_port != "in" or len(outs.get(cand.id, [])) != 1:
            return None
        return cand

    found: dict[str, tuple[tuple[str, ...], Fold]] = {}
    for node in graph.nodes:
        if node.kind not in ("LIF", "IF", "LI", "CubaLIF"):
            continue
        head, cur, members = node.id, node.id, []
        drive = syn = gain = None
        if node.kind == "LI":
            leak = feeder(cur, "leak", "Linear")
            if leak is not None and leak.trainable == () and leak.bias is not None and _is_identity(leak.weight):
                drive, cur = np.asarray(leak.bias, np.float64), leak.id
                members.append(leak.id)
            s = feeder(cur, "syn", "LI")
            if s is not None and s.input_scale == node.input_scale and np.all(np.asarray(s.decay) < 1) \
                    and np.all(np.asarray(node.decay) < 1):
                syn, cur = s, s.id
                members.append(s.id)
            elif drive is not None and np.all(np.asarray(node.decay) == 1):
                drive, cur, members = None, node.id, []  # an integrator with a drive: NIR's I has none
        g = feeder(cur, "gain", "Scale")
        if g is not None and g.trainable == ():
            gain = np.asarray(g.scale, np.float64)
            members.append(g.id)
        if members:
            found[node.id] = (tuple(members), Fold(gain=gain, drive=drive, syn=syn))
    folded = {m for members, _ in found.values() for m in members}
    return found, folded


def _is_identity(w) -> bool:
    w = np.asarray(w)
    return w.ndim == 2 and w.shape[0] == w.shape[1] and np.array_equal(w, np.eye(w.shape[0]))


def _with_quantized_values(graph: Graph) -> Graph:
    """Every quantized parameter as the value the compiled program computes with, q(w) (a neuron's
    per-channel format broadcasts it to the neuron shape first, as the program does): NIR has no
    integer formats, so a NIR reader computes what snnir computes; the formats travel in snnir's note."""
    nodes = []
    for n in graph.nodes:
        changes = {}
        for name, spec in (getattr(n, "quant", None) or {}).items():
            value = getattr(n, name, None) if name in n.float_params() else None  # state formats: no value
            if value is None:
                continue
            shape = tuple(n.shape) if spec.per_channel and isinstance(getattr(n, "shape", None), tuple) and n.shape \
                else None
            changes[name] = spec.apply(value, shape)
        nodes.append(n.replace(**changes) if changes else n)
    return graph.replace(nodes=tuple(nodes))


def _drop_dropout(graph: Graph) -> Graph:
    """Dropout is the identity at inference: contract it, adding up the delays of the two edges."""
    for node in graph.nodes:
        if node.kind != "Dropout":
            continue
        ins, outs = graph.in_edges(node.id), graph.out_edges(node.id)
        joined = []
        for a in ins:
            for b in outs:
                steps = a.effective_delay + b.effective_delay
                joined.append(Edge(a.src, b.dst, src_port=a.src_port, dst_port=b.dst_port,
                                   delay=steps - (1 if a.feedback or b.feedback else 0),
                                   feedback=a.feedback or b.feedback))
        rest = tuple(e for e in graph.edges if node.id not in (e.src, e.dst))
        graph = graph.replace(nodes=tuple(n for n in graph.nodes if n.id != node.id), edges=rest + tuple(joined))
        return _drop_dropout(graph)
    return graph


def _nir_names(graph: Graph, skip: set[str]) -> dict[str, str]:
    """NIR names: the id, with '/' (a group separator in HDF5) written as '.'; the id itself is kept in
    the node's metadata."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for n in graph.nodes:
        if n.id in skip:
            continue
        name = _fresh(n.id.replace("/", "."), taken)
        taken.add(name)
        names[n.id] = name
    return names


def _fresh(name: str, taken) -> str:
    out, i = name, 1
    while out in taken:
        out, i = f"{name}_{i}", i + 1
    return out


# ---------------------------------------------------------------------- what NIR cannot hold
def _check_round_trip(node: Node, nir_node: Any, in_shape, dt: float) -> None:
    """Refuse options the exporter does not express: import the NIR node back and compare."""
    from .notes import restore

    leaf = {"type": type(nir_node).__name__, "params": nir_params(nir_node), "metadata": metadata(node)}
    dtype = node.params()[next(iter(node.float_params()))].dtype.name \
        if any(p in node.params() for p in node.float_params()) else "float32"
    try:
        made = read_node(Context(dt, "euler", dtype), node.id, leaf)
        back = [restore(made[-1], leaf, dt, in_shape)] if len(made) == 1 else made
        if spikes_before_update(node) and len(back) == 1:
            back = [as_pre_spike(back[0])]  # the NIR neuron and the Delay after it, folded as import folds them
    except NIRConversionError:
        back = []
    differ = _differences(with_clipped_decays(node), back[0]) if len(back) == 1 else ["the node's form"]
    if differ:
        refuse(node, "option(s) " + ", ".join(f"{f}={_show(getattr(node, f, None))}" for f in differ) +
               " have no NIR equivalent", "NIR's neurons spike when v > threshold in the step of their input and "
               "reset to v_reset; help(snnir.to_nir) says what is exported")


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array{list(value.shape)}"
    return repr(value)


def _differences(a: Node, b: Node) -> list[str]:
    if type(a) is not type(b):
        return ["kind"]
    out = []
    for name in type(a).model_fields:
        x, y = getattr(a, name), getattr(b, name)
        if name in a.array_fields():
            if (x is None) != (y is None):
                if not (name == "leak" and not np.any(x if x is not None else y)):  # no leak == zero leak
                    out.append(name)
            elif x is not None:
                if name == "weight" and a.kind == "Linear" and a.mask is not None:
                    x = np.asarray(x, np.float64) * a.mask
                xs, ys = np.asarray(x, np.float64), np.asarray(y, np.float64)
                if xs.shape != ys.shape or not np.allclose(xs, ys, rtol=RTOL, atol=1e-6):
                    out.append(name)
        elif x != y:
            out.append(name)
    return out


__all__ = ["to_nir", "write_nir"]
