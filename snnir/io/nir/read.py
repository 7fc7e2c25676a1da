"""Import: a NIR graph (file or ``nir.NIRGraph``) -> a snnir graph.

The steps, in order: the wire form as a tree (hdf5.py); sub-graphs flattened to ``outer/inner`` ids and
their Input/Output nodes (and NIR Identity nodes) contracted away as wires, the nesting kept in the graph
note ``metadata["nir"]`` from which the export nests them again; the nodes ordered (below);
snnir's own Delay nodes folded back into edge delays, and the Delay after each neuron snnir exported
with ``spike_from="pre"`` into that neuron; every NIR node converted by the table (table.py), its snnir
note applied where it changes no number (notes.py); then every cycle broken by snnir's feedback rule.

Which edge of a NIR cycle reads the previous step depends only on what every NIR reader sees: the
nodes in breadth-first order from the Inputs, by NIR name (never the file's node order, which
``nir.write`` sorts, nor snnir's metadata notes), then the feedback rule (docs/semantics.md) on that
order. A note restores snnir's declaration order afterwards, keeping the marks: a note never changes
what the graph computes.
"""

from __future__ import annotations

import os
import pathlib
import re
from collections import deque
from typing import Any

import numpy as np

from ...analysis import feedback_candidates, infer_shapes
from ...errors import SnnirError, VerifyError
from ...ir import Edge, Graph, Node
from ...ir.node import ID_PATTERN
from ...verification import verify as verify_graph
from .errors import NIRConversionError, NIRFileError, check_dt
from .hdf5 import read_nir_file, tree_from_object
from .notes import NIR_NOTE, exact_gain, note, restore
from .params import DISCRETIZATIONS, RTOL, Context
from .table import PRE_SPIKE_KINDS, as_pre_spike, read_node

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_ID = re.compile(ID_PATTERN)
_WIRES = ("Input", "Output", "Identity")  # identities inside the graph: contracted away
_NEURONS = frozenset({"LIF", "IF", "LI", "I", "CubaLIF", "CubaLI", "Threshold"})


def from_nir(source: Any, dt: float | None = None, discretization: str = "euler", *, dtype: str = "float32",
             verify: bool = True) -> Graph:
    """A snnir graph from a NIR file path or a ``nir.NIRGraph``.

    ``dt`` (seconds per step) is required; ``discretization`` is "euler" (forward Euler: β = 1 − dt/τ,
    what snnTorch's export assumes) or "exact" (β = exp(−dt/τ), input held over the step). Parameters
    become ``dtype``. NIR's cycles are plain: each is broken by snnir's feedback rule, and the marks
    are written into the edges (docs/nir.md, "Recurrence").
    """
    dt = check_dt(dt, "from_nir")
    if discretization not in DISCRETIZATIONS:
        raise NIRConversionError("from_nir", f"unknown discretization {discretization!r}",
                                 "use discretization='euler' or 'exact'")
    ctx = Context(dt, discretization, dtype)
    if isinstance(source, (str, os.PathLike)):
        path = pathlib.Path(source)
        tree = read_nir_file(path)
        try:
            return _Importer(ctx).run(tree, verify)
        except VerifyError:
            raise
        except SnnirError as err:  # conversion and construction problems of this file's contents
            raise NIRFileError(path, str(err)) from None
        except Exception as err:  # noqa: BLE001  (garbage in a well-formed HDF5 file)
            raise NIRFileError(path, f"not a valid NIR graph: {type(err).__name__}: {err}") from None
    return _Importer(ctx).run(tree_from_object(source), verify)


# ---------------------------------------------------------------------- flattening
class _Flat:
    """A flat view of a (nested) NIR graph: leaves by flat id ``outer/inner``, their NIR path names
    (``outer.inner``: what every NIR reader sees) and the edges between them."""

    def __init__(self):
        self.leaves: dict[str, dict] = {}
        self.nir_name: dict[str, str] = {}
        self.virtual: set[str] = set()  # identities: sub-graph Input/Output nodes and NIR Identity nodes
        self.edges: list[tuple[str, str]] = []
        self.nested = False


def _flatten(tree: dict, prefix: str, flat: _Flat, top: bool, nir_prefix: str = "") -> dict:
    """Add ``tree``'s leaves and edges to ``flat``; returns the tree's skeleton: each sub-graph by name
    with its own skeleton, each sub-graph Input/Output by name with its shape, each other node by its
    flat id, and the edges as written (what ``structure`` records)."""
    names = _segments(tree["nodes"], top)
    skeleton: dict[str, Any] = {}
    subgraphs = []
    for name, child in tree["nodes"].items():
        full = prefix + names[name]
        if child["type"] == "NIRGraph":
            flat.nested = True
            subgraphs.append(name)
        else:
            flat.leaves[full] = child
            flat.nir_name[full] = nir_prefix + name
            if child["type"] == "Identity" or (not top and child["type"] in _WIRES):
                flat.virtual.add(full)
                shape = child["params"].get("shape")
                skeleton[name] = {"wire": child["type"],
                                  "shape": None if shape is None else np.asarray(shape).astype(int).tolist()}
            else:
                skeleton[name] = {"leaf": full}
    for a, b in tree["edges"]:
        for src in _resolve(tree, prefix, names, a, "src"):
            for dst in _resolve(tree, prefix, names, b, "dst"):
                flat.edges.append((src, dst))
    # sub-graphs after this graph's own edges, by name: the edge order then never depends on the order
    # the nodes are listed in (nir.write sorts them by name)
    for name in sorted(subgraphs):
        skeleton[name] = {"graph": _flatten(tree["nodes"][name], prefix + names[name] + "/", flat, top=False,
                                            nir_prefix=nir_prefix + name + ".")}
    return {"nodes": skeleton, "edges": [[str(a), str(b)] for a, b in tree["edges"]]}


def _segments(nodes: dict, top: bool) -> dict[str, str]:
    """Each NIR name's id segment: the name itself when it is a valid id part, else a sanitized form
    (invalid characters become '_'); a top-level node exported by snnir gets its recorded id back."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name, child in nodes.items():
        rec = note(child) if top else {}
        seg = rec.get("id") if isinstance(rec.get("id"), str) and _ID.match(rec.get("id", "")) else None
        if seg is None:
            seg = name if _SEGMENT.match(name) else re.sub(r"[^A-Za-z0-9_.\-]", "_", name) or "node"
            if not _SEGMENT.match(seg):
                seg = "n" + seg
        base, i = seg, 1
        while seg in taken:
            seg, i = f"{base}_{i}", i + 1
        taken.add(seg)
        out[name] = seg
    return out


def _resolve(tree: dict, prefix: str, names: dict, name: str, end: str) -> list[str]:
    nodes = tree["nodes"]
    if name in nodes:
        child = nodes[name]
        if child["type"] != "NIRGraph":
            return [prefix + names[name]]
        want = "Output" if end == "src" else "Input"
        ports = [k for k, n in child["nodes"].items() if n["type"] == want]
        if len(ports) != 1:
            raise NIRConversionError(
                f"edge into {name!r}" if end == "dst" else f"edge from {name!r}",
                f"sub-graph {name!r} has {len(ports)} {want} nodes {ports}, so the edge is ambiguous",
                f"address one of them as '{name}.<{want.lower()} name>'")
        return _resolve(child, prefix + names[name] + "/", _segments(child["nodes"], False), ports[0], end)
    for i, ch in enumerate(name):  # the dotted form 'sub.port' of NIR's API design
        if ch == "." and name[:i] in nodes and nodes[name[:i]]["type"] == "NIRGraph":
            child = nodes[name[:i]]
            if name[i + 1:] in child["nodes"]:
                return _resolve(child, prefix + names[name[:i]] + "/", _segments(child["nodes"], False),
                                name[i + 1:], end)
    raise NIRConversionError(f"edge {'from' if end == 'src' else 'into'} {name!r}",
                             f"no node named {name!r} in the graph (nodes: {sorted(nodes)[:20]})",
                             "fix the edge list or the node names")


def _contract(flat: _Flat) -> None:
    """Remove the identities (sub-graph Input/Output nodes, NIR Identity nodes): every path a -> p -> b
    becomes a -> b (sums distribute)."""
    for p in sorted(n for n in flat.leaves if n in flat.virtual):  # by id: whatever order the file lists them in
        ins = [a for a, b in flat.edges if b == p]
        outs = [b for a, b in flat.edges if a == p]
        if p in ins:
            raise NIRConversionError(f"node {p!r}", "an identity (Identity, or a sub-graph Input/Output) feeds itself",
                                     "remove the self-loop: an identity on a loop is an algebraic loop")
        flat.edges = [e for e in flat.edges if p not in e] + [(a, b) for a in ins for b in outs]
        del flat.leaves[p]



# ---------------------------------------------------------------------- the importer
class _Importer:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.pre_spike: set[str] = set()  # neurons whose one-step Delay was folded back (table.as_pre_spike)

    def run(self, tree: dict, verify: bool) -> Graph:
        if tree.get("type") != "NIRGraph":
            raise NIRConversionError("from_nir", f"the top node is a {tree.get('type')!r}, not a NIRGraph",
                                     "wrap single nodes with nir.NIRGraph.from_list(...)")
        flat = _Flat()
        skeleton = _flatten(tree, "", flat, top=True)
        _contract(flat)
        edges = [(a, b, 0, False) for a, b in flat.edges]
        # snnir's Delay nodes fold after ordering: the order (and so the feedback marks) is that of the
        # graph every NIR reader sees, its Delays included. Each folded Delay is at least one step, so no
        # zero-delay cycle passes it (nor a pre-spike neuron's spikes): every such cycle keeps its order
        order = _canonical_order(flat, edges)
        edges = self._fold_pre_spikes(flat, self._fold_delays(flat, edges))
        order = [n for n in order if n in flat.leaves]
        graph = self._build(flat, edges, order, self._shape_hints(flat, edges, order))
        meta = note(tree).get("graph_metadata")
        if isinstance(meta, dict):
            graph = graph.replace(metadata=meta)
        # what snnir's nodes do not hold, for the way back (write.py): sub-graphs' nesting, gain splits
        read_back = {**({"structure": skeleton} if flat.nested else {}), **self.ctx.notes}
        if read_back:
            kept = graph.metadata.get(NIR_NOTE)
            graph = graph.replace(metadata={**graph.metadata,
                                            NIR_NOTE: {**(kept if isinstance(kept, dict) else {}), **read_back}})
        # NIR's cycles are plain: break each by the feedback rule on the canonical order (the marks are
        # data from here on), then give the nodes snnir's recorded order, which moves no mark
        marked = set(feedback_candidates(graph))
        if marked:
            graph = graph.replace(edges=tuple(e.replace(feedback=True) if i in marked else e
                                              for i, e in enumerate(graph.edges)))
        graph = _recorded_order(graph, note(tree).get("order"))
        if verify:
            verify_graph(graph)
        return graph

    def _build(self, flat: _Flat, edges, order: list[str], hints: dict) -> Graph:
        nodes: list[Node] = []
        entry: dict[str, str] = {}
        exit_: dict[str, str] = {}
        inner: list[Edge] = []
        for name in order:
            made = self.convert(name, flat.leaves[name], hint=hints.get(name))
            nodes += made
            entry[name], exit_[name] = made[0].id, made[-1].id
            inner += [Edge(a.id, b.id) for a, b in zip(made, made[1:])]
        graph_edges = [Edge(exit_[a], entry[b], delay=k, feedback=fb) for a, b, k, fb in edges]
        return Graph(nodes=nodes, edges=inner + graph_edges)

    def _shape_hints(self, flat: _Flat, edges, order: list[str]) -> dict:
        """The input shape of each neuron whose parameters are all 0-d or [1] (so they do not say the
        layer's shape): found by inferring shapes with such neurons standing in as identities."""
        scalar = [n for n in order if flat.leaves[n]["type"] in _NEURONS and all(
            np.size(v) <= 1 for v in flat.leaves[n]["params"].values() if isinstance(v, (np.ndarray, float, int)))]
        if not scalar:
            return {}
        stand_in = {n: {"type": "Scale", "params": {"scale": np.ones(())}, "metadata": {}} for n in scalar}
        probe = _Flat()
        probe.leaves = {n: stand_in.get(n, leaf) for n, leaf in flat.leaves.items()}
        try:
            shapes = infer_shapes(self._build(probe, edges, order, {}))
        except SnnirError:
            return {}
        return {n: shapes.input(n) for n in scalar if shapes.input(n) is not None}

    # -- Delay nodes that snnir wrote for edge delays fold back into edges
    def _fold_delays(self, flat: _Flat, edges) -> list[tuple[str, str, int, bool]]:
        for name, leaf in list(flat.leaves.items()):
            rec = note(leaf).get("edge")
            if leaf["type"] != "Delay" or not isinstance(rec, dict):
                continue
            ins = [e for e in edges if e[1] == name]
            outs = [e for e in edges if e[0] == name]
            k, fb = rec.get("delay"), rec.get("feedback")
            # k = 0 with a mark: a marked edge whose step no reader would place (write.py)
            if len(ins) != 1 or len(outs) != 1 or not isinstance(k, int) or isinstance(k, bool) or k < 0 \
                    or not isinstance(fb, bool) or (k == 0 and not fb) or ins[0][0] == name:
                continue
            try:
                seconds = np.asarray(leaf["params"]["delay"], dtype=np.float64)
            except (KeyError, TypeError, ValueError):
                continue
            # the Delay holds the edge's whole delay, k (+ 1 for a mark): folded, the edge delays the same
            if seconds.size == 0 or not np.allclose(seconds, (k + fb) * self.ctx.dt, rtol=RTOL, atol=0):
                continue
            folded = (ins[0][0], outs[0][1], k, fb)  # in the in-edge's place, so edge order survives
            edges = [folded if e is ins[0] else e for e in edges if e is not outs[0]]
            del flat.leaves[name]
        return edges

    # -- the Delay snnir wrote after a pre-spike neuron folds back into the neuron
    def _fold_pre_spikes(self, flat: _Flat, edges):
        """Remove each Delay that ``_pre_spike_source`` accepts; its out-edges leave from the neuron."""
        for name, leaf in list(flat.leaves.items()):
            src = self._pre_spike_source(flat, edges, name, leaf)
            if src is None:
                continue
            # the out-edges keep their places (and delays), so edge order survives the round trip
            edges = [(src,) + tuple(e[1:]) if e[0] == name else e for e in edges if e[1] != name]
            del flat.leaves[name]
            self.pre_spike.add(src)
        return edges

    def _pre_spike_source(self, flat: _Flat, edges, name: str, leaf: dict) -> str | None:
        """The neuron that the Delay ``name`` follows, when folding the two into one pre-spike neuron is
        exact: snnir's note on the Delay names the neuron, whose note says spike_from="pre"; the neuron
        feeds only the Delay, through a plain edge; the Delay is one step (dt) everywhere and no threshold
        is negative (table.as_pre_spike)."""
        rec = note(leaf).get("pre_spike")
        if leaf["type"] != "Delay" or not isinstance(rec, str):
            return None
        ins = [e for e in edges if e[1] == name]
        if len(ins) != 1 or ins[0][0] == name or ins[0][2] or ins[0][3]:
            return None
        src = ins[0][0]
        neuron = flat.leaves.get(src)
        if neuron is None or neuron["type"] not in PRE_SPIKE_KINDS or [e[1] for e in edges if e[0] == src] != [name]:
            return None
        rec_neuron = note(neuron)
        fields = rec_neuron.get("fields")
        if rec_neuron.get("id") != rec or not isinstance(fields, dict) or fields.get("spike_from") != "pre":
            return None
        try:
            seconds = np.asarray(leaf["params"]["delay"], dtype=np.float64)
            theta = np.asarray(neuron["params"]["v_threshold"], dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            return None
        if seconds.size == 0 or not np.allclose(seconds, self.ctx.dt, rtol=RTOL, atol=0) or not np.all(theta >= 0):
            return None
        return src

    def convert(self, nid: str, leaf: dict, in_shape: Any = None, hint: Any = None) -> list[Node]:
        """One NIR node -> snnir nodes, with snnir's note applied to the last (the node itself); a neuron
        whose Delay was folded back spikes from the membrane before its update."""
        made = read_node(self.ctx, nid, leaf, hint)
        made[-1] = restore(made[-1], leaf, self.ctx.dt, in_shape, alone=len(made) == 1)
        if len(made) > 1 and made[0].id == f"{nid}.gain":
            made[0] = exact_gain(made[0], leaf)
        if nid in self.pre_spike and leaf["type"] in PRE_SPIKE_KINDS:
            made[-1] = as_pre_spike(made[-1])
        return made


def _canonical_order(flat: _Flat, edges) -> list[str]:
    """Breadth-first from the Input nodes, by NIR name; nodes no Input reaches follow, breadth-first
    again from the first of them by name. Only NIR names count, never the file's node order or notes."""
    key = flat.nir_name.__getitem__
    names = list(flat.leaves)
    succ: dict[str, set[str]] = {n: set() for n in names}
    for a, b, *_ in edges:
        succ[a].add(b)
    order: list[str] = []
    seen: set[str] = set()
    roots = sorted((n for n in names if flat.leaves[n]["type"] == "Input"), key=key) + sorted(names, key=key)
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        queue = deque([root])
        while queue:
            n = queue.popleft()
            order.append(n)
            for m in sorted(succ[n] - seen, key=key):
                seen.add(m)
                queue.append(m)
    return order


def _recorded_order(graph: Graph, recorded: Any) -> Graph:
    """The nodes in the declaration order snnir's export recorded, when it names exactly these nodes."""
    ids = [n.id for n in graph.nodes]
    if not isinstance(recorded, list) or sorted(map(str, recorded)) != sorted(ids) or len(set(ids)) != len(ids):
        return graph
    by_id = {n.id: n for n in graph.nodes}
    return graph.replace(nodes=tuple(by_id[str(i)] for i in recorded))


__all__ = ["from_nir", "DISCRETIZATIONS"]
