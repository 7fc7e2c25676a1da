"""NIR interop: import NIR graphs into snnir (``from_nir``) and export snnir graphs to NIR (``to_nir``).

NIR (the Neuromorphic Intermediate Representation, package ``nir``) describes neurons as
continuous-time ODEs without a time step, so both directions take an explicit ``dt`` (seconds) and
import takes a ``discretization``. With β the membrane decay per step:

    LIF   τ·dv/dt = (v_leak − v) + R·I         euler: β = 1 − dt/τ     exact: β = exp(−dt/τ)
          snnir:  u = β·v + (1 − β)·R·x + (1 − β)·v_leak        (input held constant over the step)
    IF    dv/dt = R·I                          snnir:  u = v + dt·R·x
    CubaLIF: the current first, i ← α·i + (1 − α)·w_in·x (α from τ_syn as β from τ), then the
          membrane driven by the new current, u = β·v + (1 − β)·R·i + (1 − β)·v_leak

Export writes τ = dt/(1 − β), R and v_leak so that NIR's forward Euler gives back snnir's update
exactly. docs/nir.md has the full table, the recurrence rule and what is refused.

Files are read with h5py directly (not ``nir.read``), so a hostile file never reaches ``nir``'s
asserts or type inference, and sub-graphs written with ``type_check=False`` still load.
"""

from __future__ import annotations

import io
import json
import math
import os
import pathlib
import re
from collections import deque
from typing import Any

import numpy as np

from ..analysis import feedback_candidates, infer_shapes
from ..errors import SnnirError, VerifyError
from ..ir import Edge, Graph, Node
from ..ir.kinds.layers import resolve_padding
from ..ir.node import ID_PATTERN, kind_class
from ..verification import verify as verify_graph
from .files import ModelFileError, _atomic_write

DISCRETIZATIONS = ("euler", "exact")
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
META = "snnir"          # node / graph metadata key holding snnir's JSON note (ids, options, order)
MASK_META = "snnir_mask"  # node metadata key holding a Linear's 0/1 mask
# parameters NIR holds only through τ or v_leak: their exact values travel as metadata arrays, so a round
# trip does not drift by float rounding (used only when they agree with what the NIR parameters give)
_DERIVED = ("decay", "syn_decay", "mem_decay", "leak")
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_ID = re.compile(ID_PATTERN)
_RTOL = 1e-5  # tolerance when snapping gains to 1 and comparing round-tripped parameters

# fields that only shape gradients or training: kept through NIR in snnir's metadata note
_GRADIENT_ONLY = frozenset({"trainable", "surrogate", "detach_reset"})
# non-array fields each exporter reads (so a restored value is checked against the NIR parameters)
_SPIKING = frozenset({"shape", "reset", "spike_from", "reset_at", "fire_at_threshold"})
_HANDLED = {
    "Input": {"shape"}, "Output": {"shape"}, "Linear": set(), "Scale": set(), "Delay": set(),
    "Flatten": {"start_dim", "end_dim"},
    "Conv1d": {"stride", "padding", "dilation", "groups"}, "Conv2d": {"stride", "padding", "dilation", "groups"},
    "SumPool2d": {"kernel_size", "stride", "padding"}, "AvgPool2d": {"kernel_size", "stride", "padding"},
    "LIF": _SPIKING | {"input_scale"}, "IF": _SPIKING, "CubaLIF": _SPIKING | {"input_scale"},
    "LI": {"shape", "input_scale"},
}


class NIRConversionError(SnnirError, ValueError):
    """A NIR graph snnir cannot import, or a snnir graph NIR cannot express; names the node and the option."""

    def __init__(self, where: str, message: str, hint: str = ""):
        self.where = where
        super().__init__(f"{where}: {message}" + (f"\n  hint: {hint}" if hint else ""))


class NIRFileError(NIRConversionError, ModelFileError):
    """A NIR file whose graph cannot be imported: names the file and the node (both error families match)."""

    def __init__(self, path: Any, message: str):
        self.path = str(path)
        self.where = self.path
        SnnirError.__init__(self, f"{self.path}: {message}")


# ====================================================================== import
def from_nir(source: Any, dt: float | None = None, discretization: str = "euler", *, dtype: str = "float32",
             verify: bool = True) -> Graph:
    """A snnir graph from a NIR file path or a ``nir.NIRGraph``.

    ``dt`` (seconds per step) is required; ``discretization`` is "euler" (forward Euler: β = 1 − dt/τ,
    what snnTorch's export assumes) or "exact" (β = exp(−dt/τ), input held over the step). Parameters
    become ``dtype``. Cycles get feedback marks by snnir's rule, written into the edges (docs/nir.md).
    """
    dt = _check_dt(dt, "from_nir")
    if discretization not in DISCRETIZATIONS:
        raise NIRConversionError("from_nir", f"unknown discretization {discretization!r}",
                                 "use discretization='euler' or 'exact'")
    if isinstance(source, (str, os.PathLike)):
        path = pathlib.Path(source)
        tree = read_nir_file(path)
        try:
            return _Importer(dt, discretization, dtype).run(tree, verify)
        except VerifyError:
            raise
        except SnnirError as err:  # conversion and construction problems of this file's contents
            raise NIRFileError(path, str(err)) from None
        except Exception as err:  # noqa: BLE001  (garbage in a well-formed HDF5 file)
            raise NIRFileError(path, f"not a valid NIR graph: {type(err).__name__}: {err}") from None
    return _Importer(dt, discretization, dtype).run(_tree_from_object(source), verify)


def _check_dt(dt: Any, where: str) -> float:
    if dt is None:
        raise NIRConversionError(where, "dt is required: NIR graphs are continuous-time and do not record a step",
                                 "pass dt in seconds, e.g. dt=1e-4 for snnTorch exports, 1e-3 for Norse")
    try:
        value = float(dt)
    except (TypeError, ValueError):
        raise NIRConversionError(where, f"dt must be a number of seconds, got {dt!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise NIRConversionError(where, f"dt must be a positive finite number of seconds, got {dt!r}")
    return value


# ---------------------------------------------------------------------- reading files
def read_nir_file(path: str | os.PathLike, max_bytes: int = 1 << 31, max_nodes: int = 100_000) -> dict:
    """The node tree of a NIR file as plain dicts; every malformed file raises ModelFileError.

    Only hard links are followed (a soft or external link could point anywhere on the disk), nesting
    is bounded, and the declared size of every dataset counts against ``max_bytes`` before it is read
    (so compressed datasets cannot inflate without bound)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise ModelFileError(path, "no such file" if not path.exists() else "not a regular file")
    with open(path, "rb") as f:
        head = f.read(8)
    if head != HDF5_MAGIC:
        raise ModelFileError(path, f"not a NIR file (starts with {head!r}, not the HDF5 signature)",
                             "NIR files are HDF5 files written by nir.write")
    import h5py

    budget = {"bytes": max_bytes, "nodes": max_nodes}
    try:
        with h5py.File(path, "r") as f:
            if "node" not in f or not isinstance(f["node"], h5py.Group):
                raise ModelFileError(path, "the file has no /node group", "is this a file written by nir.write?")
            return _read_group(path, f["node"], "node", 0, budget)
    except ModelFileError:
        raise
    except Exception as err:  # noqa: BLE001  (OSError, KeyError, ...: whatever a truncated or hostile file provokes)
        raise ModelFileError(path, f"corrupt NIR file: {type(err).__name__}: {err}") from None


def _read_group(path, group, where: str, depth: int, budget: dict) -> dict:
    import h5py

    if depth > 32:
        raise ModelFileError(path, f"{where}: sub-graphs nest deeper than 32 levels")
    budget["nodes"] -= 1
    if budget["nodes"] < 0:
        raise ModelFileError(path, "the file holds too many nodes")
    items = _children(path, group, where)
    if not isinstance(items.get("type"), h5py.Dataset):
        raise ModelFileError(path, f"{where}: a node without a 'type'")
    typ = _read_value(path, items["type"], where, budget)
    if not isinstance(typ, str):
        raise ModelFileError(path, f"{where}: the node type is not a string")
    tree: dict[str, Any] = {"type": typ, "params": {}, "metadata": {}}
    for key, item in items.items():
        if key == "type":
            continue
        if key == "metadata" and isinstance(item, h5py.Group):
            tree["metadata"] = {k: _read_value(path, v, f"{where}/metadata", budget)
                                for k, v in _children(path, item, where).items() if isinstance(v, h5py.Dataset)}
        elif key == "nodes" and typ == "NIRGraph":
            if not isinstance(item, h5py.Group):
                raise ModelFileError(path, f"{where}: 'nodes' is not a group")
            tree["nodes"] = {k: _read_group(path, v, f"{where}/{k}", depth + 1, budget)
                             for k, v in _children(path, item, where).items() if isinstance(v, h5py.Group)}
        elif isinstance(item, h5py.Dataset):
            tree["params"][key] = _read_value(path, item, f"{where}/{key}", budget)
    if typ == "NIRGraph":
        tree.setdefault("nodes", {})
        tree["edges"] = _edges(path, tree["params"].pop("edges", np.zeros((0, 2), object)), where)
    return tree


def _children(path, group, where: str) -> dict:
    """A group's members, refusing soft and external links."""
    import h5py

    out = {}
    for key in group.keys():
        if not isinstance(group.get(key, getlink=True), h5py.HardLink):
            raise ModelFileError(path, f"{where}/{key}: NIR files hold no soft or external links")
        out[key] = group[key]
    return out


def _read_value(path, dataset, where: str, budget: dict) -> Any:
    budget["bytes"] -= int(dataset.size or 0) * max(int(dataset.dtype.itemsize), 1)
    if budget["bytes"] < 0:
        raise ModelFileError(path, f"{where}: the arrays are larger than the limit",
                             "raise read_nir_file's max_bytes if you trust this file")
    value = dataset[()]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.dtype.kind in "OS":
        return np.vectorize(lambda s: s.decode("utf-8") if isinstance(s, bytes) else str(s), otypes=[object])(value) \
            if value.size else value.astype(object)
    return value


def _edges(path, raw: Any, where: str) -> list[tuple[str, str]]:
    arr = np.asarray(raw, dtype=object)
    if arr.size == 0:
        return []
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ModelFileError(path, f"{where}: edges must be an (E, 2) array of node names, got shape {arr.shape}")
    return [(str(a), str(b)) for a, b in arr]


def _tree_from_object(node: Any, depth: int = 0) -> dict:
    import nir

    if depth == 0 and not isinstance(node, nir.NIRGraph):
        raise NIRConversionError("from_nir", f"expects a file path or a nir.NIRGraph, got {type(node).__name__}",
                                 "wrap single nodes with nir.NIRGraph.from_list(...)")
    if isinstance(node, nir.NIRGraph):
        return {"type": "NIRGraph", "params": {}, "metadata": dict(node.metadata or {}),
                "nodes": {str(k): _tree_from_object(v, depth + 1) for k, v in node.nodes.items()},
                "edges": [(str(a), str(b)) for a, b in node.edges]}
    if not isinstance(node, nir.NIRNode):
        raise NIRConversionError("from_nir", f"a graph holds a {type(node).__name__}, not a NIR node")
    d = node.to_dict()
    meta = d.pop("metadata", None) or {}
    return {"type": d.pop("type"), "params": d, "metadata": dict(meta)}


# ---------------------------------------------------------------------- flattening
class _Flat:
    """A flat view of a (nested) NIR graph: leaves by flat name ``outer/inner`` and edges between them."""

    def __init__(self):
        self.leaves: dict[str, dict] = {}
        self.virtual: set[str] = set()  # Input/Output nodes of sub-graphs: identities, contracted away
        self.edges: list[tuple[str, str]] = []


def _flatten(tree: dict, prefix: str, flat: _Flat, top: bool) -> None:
    names = _segments(tree["nodes"], top)
    for name, child in tree["nodes"].items():
        full = prefix + names[name]
        if child["type"] == "NIRGraph":
            _flatten(child, full + "/", flat, top=False)
        else:
            flat.leaves[full] = child
            if not top and child["type"] in ("Input", "Output"):
                flat.virtual.add(full)
    for a, b in tree["edges"]:
        for src in _resolve(tree, prefix, names, a, "src"):
            for dst in _resolve(tree, prefix, names, b, "dst"):
                flat.edges.append((src, dst))


def _segments(nodes: dict, top: bool) -> dict[str, str]:
    """Each NIR name's id segment: the name itself when it is a valid id part, else a sanitized form
    (invalid characters become '_'); a top-level node exported by snnir gets its recorded id back."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name, child in nodes.items():
        note = _note(child) if top else {}
        seg = note.get("id") if isinstance(note.get("id"), str) and _ID.match(note.get("id", "")) else None
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
    """Remove sub-graph Input/Output identities: every path a -> p -> b becomes a -> b (sums distribute)."""
    for p in [n for n in flat.leaves if n in flat.virtual]:
        ins = [a for a, b in flat.edges if b == p]
        outs = [b for a, b in flat.edges if a == p]
        if p in ins:
            raise NIRConversionError(p, "a sub-graph Input/Output node feeds itself")
        flat.edges = [e for e in flat.edges if p not in e] + [(a, b) for a in ins for b in outs]
        del flat.leaves[p]


# ---------------------------------------------------------------------- the importer
class _Importer:
    def __init__(self, dt: float, discretization: str, dtype: str):
        self.dt = dt
        self.disc = discretization
        self.dtype = np.dtype(dtype) if dtype != "bfloat16" else dtype

    def run(self, tree: dict, verify: bool) -> Graph:
        if tree.get("type") != "NIRGraph":
            raise NIRConversionError("from_nir", f"the top node is a {tree.get('type')!r}, not a NIRGraph")
        flat = _Flat()
        _flatten(tree, "", flat, top=True)
        _contract(flat)
        edges = self._fold_delays(flat)
        order = self._order(flat, edges, _note(tree).get("order"))
        nodes: list[Node] = []
        entry: dict[str, str] = {}
        exit_: dict[str, str] = {}
        inner: list[Edge] = []
        for name in order:
            made = self.convert(name, flat.leaves[name])
            nodes += made
            entry[name], exit_[name] = made[0].id, made[-1].id
            inner += [Edge(a.id, b.id) for a, b in zip(made, made[1:])]
        graph_edges = [Edge(exit_[a], entry[b], delay=k, feedback=fb) for a, b, k, fb in edges]
        meta = _note(tree).get("graph_metadata")
        graph = Graph(nodes=nodes, edges=inner + graph_edges, metadata=meta if isinstance(meta, dict) else {})
        marked = set(feedback_candidates(graph))
        if marked:
            graph = graph.replace(edges=tuple(e.replace(feedback=True) if i in marked else e
                                              for i, e in enumerate(graph.edges)))
        if verify:
            verify_graph(graph)
        return graph

    # -- Delay nodes that snnir wrote for edge delays and feedback marks fold back into edges
    def _fold_delays(self, flat: _Flat) -> list[tuple[str, str, int, bool]]:
        edges = [(a, b, 0, False) for a, b in flat.edges]
        for name, leaf in list(flat.leaves.items()):
            note = _note(leaf).get("edge")
            if leaf["type"] != "Delay" or not isinstance(note, dict):
                continue
            ins = [e for e in edges if e[1] == name]
            outs = [e for e in edges if e[0] == name]
            k, fb = note.get("delay"), note.get("feedback")
            if len(ins) != 1 or len(outs) != 1 or not isinstance(k, int) or isinstance(k, bool) or k < 0 \
                    or not isinstance(fb, bool) or ins[0][0] == name:
                continue
            try:
                seconds = np.asarray(leaf["params"]["delay"], dtype=np.float64)
            except (KeyError, TypeError, ValueError):
                continue
            if seconds.size == 0 or not np.allclose(seconds, (k + fb) * self.dt, rtol=_RTOL, atol=0):
                continue
            folded = (ins[0][0], outs[0][1], k, fb)  # in the in-edge's place, so edge order survives
            edges = [folded if e is ins[0] else e for e in edges if e is not outs[0]]
            del flat.leaves[name]
        return edges

    # -- declaration order: recorded by snnir's export, else breadth-first from the inputs
    def _order(self, flat: _Flat, edges, recorded: Any) -> list[str]:
        names = list(flat.leaves)
        if isinstance(recorded, list) and sorted(map(str, recorded)) == sorted(names):
            return [str(n) for n in recorded]
        succ: dict[str, set[str]] = {n: set() for n in names}
        for a, b, *_ in edges:
            succ[a].add(b)
        order: list[str] = []
        seen: set[str] = set()
        roots = sorted(n for n in names if flat.leaves[n]["type"] == "Input") + sorted(names)
        for root in roots:
            if root in seen:
                continue
            seen.add(root)
            queue = deque([root])
            while queue:
                n = queue.popleft()
                order.append(n)
                for m in sorted(succ[n] - seen):
                    seen.add(m)
                    queue.append(m)
        return order

    # -- one NIR node -> one or more snnir nodes (the first takes the in-edges, the last gives the out-edges)
    def convert(self, nid: str, leaf: dict, in_shape: Any = None) -> list[Node]:
        typ = leaf["type"]
        rule = getattr(self, f"_import_{typ}", None)
        if rule is None:
            raise NIRConversionError(f"node {nid!r}", f"NIR node type {typ!r} has no snnir equivalent",
                                     "snnir imports " + ", ".join(sorted(IMPORTED)))
        made = rule(nid, leaf["params"])
        if len(made) == 1:
            made = [_restore(made[0], leaf, self.dt, in_shape)]
        return made

    def _arr(self, nid: str, params: dict, key: str, default: Any = None, allow_inf: bool = False) -> np.ndarray:
        if key not in params or params[key] is None:
            if default is not None:
                return np.asarray(default, np.float64)
            raise NIRConversionError(f"node {nid!r}", f"parameter {key!r} is missing",
                                     "the NIR spec requires it for this node type")
        try:
            arr = np.asarray(params[key], dtype=np.float64)
        except (TypeError, ValueError):
            raise NIRConversionError(f"node {nid!r}", f"parameter {key!r} is not numeric") from None
        bad = ~np.isfinite(arr) if not allow_inf else np.isnan(arr) | (arr == -np.inf)
        if bad.any():
            raise NIRConversionError(f"node {nid!r}", f"parameter {key!r} holds non-finite values")
        return arr

    def _cast(self, arr: np.ndarray) -> np.ndarray:
        import ml_dtypes

        return arr.astype(ml_dtypes.bfloat16 if self.dtype == "bfloat16" else self.dtype)

    def _shape(self, nid: str, params: dict, key: str) -> tuple[int, ...]:
        raw = self._arr(nid, params, key)
        if raw.ndim > 1 or (raw.size and (raw.min() < 1 or not np.all(raw == np.round(raw)))):
            raise NIRConversionError(f"node {nid!r}", f"{key} {raw.tolist()} is not a list of positive sizes")
        return tuple(int(v) for v in raw.reshape(-1))

    def _population(self, nid: str, typ: str, arrays: dict[str, np.ndarray]) -> tuple[int, ...]:
        shapes = {k: v.shape for k, v in arrays.items()}
        if len(set(shapes.values())) > 1:
            raise NIRConversionError(f"node {nid!r}", f"{typ} parameters have different shapes {shapes}",
                                     "NIR requires one shape (the population's) for every neuron parameter")
        return next(iter(shapes.values()))

    def _decay(self, nid: str, tau: np.ndarray, what: str = "tau") -> np.ndarray:
        if (tau <= 0).any():
            raise NIRConversionError(f"node {nid!r}", f"{what} must be positive, got a minimum of {tau.min():g}")
        if self.disc == "exact":
            return np.exp(-self.dt / tau)
        if (tau < self.dt).any():
            raise NIRConversionError(
                f"node {nid!r}", f"{what} = {tau.min():g} s is shorter than dt = {self.dt:g} s: forward Euler gives "
                f"a decay 1 − dt/{what} < 0", "use discretization='exact' or a smaller dt")
        return 1.0 - self.dt / tau

    def _gain_node(self, nid: str, gain: np.ndarray, suffix: str = "gain") -> list[Node]:
        """A Scale in front of a neuron when its input gain is not one of the kind's own forms."""
        if np.allclose(gain, 1.0, rtol=_RTOL, atol=0):
            return []
        value = gain.flat[0] if np.all(gain == gain.flat[0]) else gain
        return [kind_class("Scale")(id=f"{nid}.{suffix}", scale=self._cast(np.asarray(value)), trainable=())]

    def _leak(self, nid: str, kind: str, beta: np.ndarray, v_leak: np.ndarray) -> dict:
        """λ = −(1 − β)·v_leak (snnir subtracts λ every step); refused where the kind has no leak."""
        if not np.any(v_leak):
            return {}
        if "leak" not in kind_class(kind).model_fields:
            raise NIRConversionError(f"node {nid!r}", f"v_leak ≠ 0 needs a constant drive, which snnir's {kind} lacks",
                                     "set v_leak to 0 in the NIR graph (or shift thresholds and resets by it)")
        return {"leak": self._cast(-(1.0 - beta) * v_leak)}

    def _scale_form(self, gain: np.ndarray, beta: np.ndarray) -> tuple[str, np.ndarray]:
        """snnir's input_scale for an input gain, and what is left for a Scale node in front."""
        if np.allclose(gain, 1.0, rtol=_RTOL, atol=0):
            return "one", np.ones_like(gain)
        if np.all(beta < 1) and np.allclose(gain, 1.0 - beta, rtol=_RTOL, atol=1e-12):
            return "one_minus_decay", np.ones_like(gain)
        return "one", gain

    def _reset(self, v_reset: np.ndarray) -> dict:
        if not np.any(v_reset):
            return {"reset": "zero"}
        return {"reset": "to_value", "reset_value": self._cast(v_reset)}

    # -- stateless nodes
    def _import_Input(self, nid, p):
        return [kind_class("Input")(id=nid, shape=self._shape(nid, p, "shape"))]

    def _import_Output(self, nid, p):
        shape = self._shape(nid, p, "shape") if p.get("shape") is not None else None
        return [kind_class("Output")(id=nid, shape=shape)]

    def _import_Affine(self, nid, p):
        w, b = self._arr(nid, p, "weight"), self._arr(nid, p, "bias")
        if w.ndim != 2:
            raise NIRConversionError(f"node {nid!r}", f"weight has {w.ndim} dimensions; snnir's Linear takes [out, in]",
                                     "leading (batched) weight dimensions are not supported")
        return [kind_class("Linear")(id=nid, weight=self._cast(w), bias=self._cast(b))]

    def _import_Linear(self, nid, p):
        w = self._arr(nid, p, "weight")
        if w.ndim != 2:
            raise NIRConversionError(f"node {nid!r}", f"weight has {w.ndim} dimensions; snnir's Linear takes [out, in]",
                                     "leading (batched) weight dimensions are not supported")
        return [kind_class("Linear")(id=nid, weight=self._cast(w))]

    def _import_Scale(self, nid, p):
        return [kind_class("Scale")(id=nid, scale=self._cast(self._arr(nid, p, "scale")))]

    def _import_Flatten(self, nid, p):
        return [kind_class("Flatten")(id=nid, start_dim=int(p.get("start_dim", 1)), end_dim=int(p.get("end_dim", -1)))]

    def _import_Delay(self, nid, p):
        seconds = self._arr(nid, p, "delay")
        steps = seconds / self.dt
        if (steps < 0).any() or not np.allclose(steps, np.round(steps), rtol=0, atol=1e-6 * max(1.0, steps.max(initial=1))):
            raise NIRConversionError(f"node {nid!r}", f"delays {seconds.reshape(-1)[:4].tolist()} s are not whole "
                                     f"non-negative multiples of dt = {self.dt:g} s", "choose dt dividing every delay")
        return [kind_class("Delay")(id=nid, steps=np.round(steps).astype(np.int32))]

    def _conv(self, nid, p, kind: str, ndim: int):
        w = self._arr(nid, p, "weight")
        if w.ndim != ndim + 2:
            raise NIRConversionError(f"node {nid!r}", f"{kind} weight must have {ndim + 2} dimensions, got {w.shape}")
        bias = self._arr(nid, p, "bias") if p.get("bias") is not None else None

        def ints(key, default):
            raw = p.get(key, default)
            if isinstance(raw, str):
                return raw
            arr = np.asarray(raw).reshape(-1)
            return tuple(int(v) for v in (arr if arr.size == ndim else np.repeat(arr, ndim)))

        stride, padding = ints("stride", 1), ints("padding", 0)
        if isinstance(padding, str) and padding == "same" and any(s != 1 for s in stride):
            raise NIRConversionError(f"node {nid!r}", "padding='same' with a stride above 1 is ambiguous in NIR",
                                     "give explicit integer padding")
        return [kind_class(kind)(id=nid, weight=self._cast(w), bias=None if bias is None else self._cast(bias),
                                 stride=stride, padding=padding, dilation=ints("dilation", 1),
                                 groups=int(np.asarray(p.get("groups", 1))))]

    def _import_Conv1d(self, nid, p):
        return self._conv(nid, p, "Conv1d", 1)

    def _import_Conv2d(self, nid, p):
        return self._conv(nid, p, "Conv2d", 2)

    def _pool(self, nid, p, kind):
        def pair(key):
            arr = np.asarray(p.get(key)).reshape(-1)
            if arr.size not in (1, 2):
                raise NIRConversionError(f"node {nid!r}", f"{key} must hold 1 or 2 integers, got {arr.tolist()}")
            return tuple(int(v) for v in np.broadcast_to(arr, (2,)))

        return [kind_class(kind)(id=nid, kernel_size=pair("kernel_size"), stride=pair("stride"), padding=pair("padding"))]

    def _import_SumPool2d(self, nid, p):
        return self._pool(nid, p, "SumPool2d")

    def _import_AvgPool2d(self, nid, p):
        return self._pool(nid, p, "AvgPool2d")

    # -- neurons
    def _import_LIF(self, nid, p):
        arrays = {k: self._arr(nid, p, k, allow_inf=k == "tau") for k in ("tau", "r", "v_leak", "v_threshold")}
        arrays["v_reset"] = self._arr(nid, p, "v_reset", default=np.zeros_like(arrays["v_threshold"]))
        shape = self._population(nid, "LIF", arrays)
        beta = self._decay(nid, arrays["tau"])
        form, rest = self._scale_form((1.0 - beta) * arrays["r"], beta)
        lif = kind_class("LIF")(id=nid, shape=shape, decay=self._cast(beta), threshold=self._cast(arrays["v_threshold"]),
                                input_scale=form, **self._reset(arrays["v_reset"]),
                                **self._leak(nid, "LIF", beta, arrays["v_leak"]))
        return self._gain_node(nid, rest) + [lif]

    def _import_IF(self, nid, p):
        arrays = {k: self._arr(nid, p, k) for k in ("r", "v_threshold")}
        arrays["v_reset"] = self._arr(nid, p, "v_reset", default=np.zeros_like(arrays["v_threshold"]))
        shape = self._population(nid, "IF", arrays)
        neuron = kind_class("IF")(id=nid, shape=shape, threshold=self._cast(arrays["v_threshold"]),
                                  **self._reset(arrays["v_reset"]))
        return self._gain_node(nid, self.dt * arrays["r"]) + [neuron]

    def _import_LI(self, nid, p):
        arrays = {k: self._arr(nid, p, k, allow_inf=k == "tau") for k in ("tau", "r", "v_leak")}
        shape = self._population(nid, "LI", arrays)
        beta = self._decay(nid, arrays["tau"])
        form, rest = self._scale_form((1.0 - beta) * arrays["r"], beta)
        li = kind_class("LI")(id=nid, shape=shape, decay=self._cast(beta), input_scale=form,
                              **self._leak(nid, "LI", beta, arrays["v_leak"]))
        return self._gain_node(nid, rest) + [li]

    def _import_I(self, nid, p):
        r = self._arr(nid, p, "r")
        li = kind_class("LI")(id=nid, shape=r.shape, decay=self._cast(np.ones_like(r)), input_scale="one")
        return self._gain_node(nid, self.dt * r) + [li]

    def _cuba(self, nid, p, typ):
        keys = ("tau_syn", "tau_mem", "r", "v_leak") + (("v_threshold",) if typ == "CubaLIF" else ())
        arrays = {k: self._arr(nid, p, k, allow_inf=k.startswith("tau")) for k in keys}
        if typ == "CubaLIF":
            arrays["v_reset"] = self._arr(nid, p, "v_reset", default=np.zeros_like(arrays["v_threshold"]))
        shape = self._population(nid, typ, arrays)
        w_in = np.broadcast_to(self._arr(nid, p, "w_in", default=1.0), shape)
        alpha = self._decay(nid, arrays["tau_syn"], "tau_syn")
        beta = self._decay(nid, arrays["tau_mem"], "tau_mem")
        g_syn, g_mem = (1.0 - alpha) * w_in, (1.0 - beta) * arrays["r"]
        # snnir applies one input_scale to both stages; the product of what is left goes in front
        # (the current is linear in x, so scaling x by k and the membrane gain by 1/k changes only port "i")
        if np.allclose(g_syn, 1, rtol=_RTOL) and np.allclose(g_mem, 1, rtol=_RTOL):
            form, rest = "one", np.ones(shape)
        elif np.all(alpha < 1) and np.all(beta < 1) and np.allclose(w_in, 1, rtol=_RTOL) \
                and np.allclose(arrays["r"], 1, rtol=_RTOL):
            form, rest = "one_minus_decay", np.ones(shape)
        else:
            form, rest = "one", g_syn * g_mem
        return arrays, shape, alpha, beta, form, rest

    def _import_CubaLIF(self, nid, p):
        arrays, shape, alpha, beta, form, rest = self._cuba(nid, p, "CubaLIF")
        neuron = kind_class("CubaLIF")(
            id=nid, shape=shape, syn_decay=self._cast(alpha), mem_decay=self._cast(beta), input_scale=form,
            threshold=self._cast(arrays["v_threshold"]), **self._reset(arrays["v_reset"]),
            **self._leak(nid, "CubaLIF", beta, arrays["v_leak"]))
        return self._gain_node(nid, rest) + [neuron]

    def _import_CubaLI(self, nid, p):
        arrays, shape, alpha, beta, form, rest = self._cuba(nid, p, "CubaLI")
        syn = kind_class("LI")(id=f"{nid}.syn", shape=shape, decay=self._cast(alpha), input_scale=form)
        mem = kind_class("LI")(id=nid, shape=shape, decay=self._cast(beta), input_scale=form,
                               **self._leak(nid, "LI", beta, arrays["v_leak"]))
        return self._gain_node(nid, rest) + [syn, mem]

    def _import_Threshold(self, nid, p):
        theta = self._arr(nid, p, "threshold")
        # z = H(x − θ) with no state: a LIF whose decay is 0 (frozen) has u = x every step, exactly
        return [kind_class("LIF")(id=nid, shape=theta.shape, decay=self._cast(np.zeros(())), threshold=self._cast(theta),
                                  reset="zero", trainable=())]


IMPORTED = ("Input", "Output", "Affine", "Linear", "Scale", "Flatten", "Delay", "Conv1d", "Conv2d", "SumPool2d",
            "AvgPool2d", "LIF", "IF", "LI", "I", "CubaLIF", "CubaLI", "Threshold", "NIRGraph")


def _note(leaf: dict) -> dict:
    """snnir's JSON note in a node's metadata ({} when absent or unreadable: it is only a hint)."""
    raw = (leaf.get("metadata") or {}).get(META)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str) or len(raw) > (1 << 22):
        return {}
    try:
        note = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    return note if isinstance(note, dict) else {}


def _restore(candidate: Node, leaf: dict, dt: float, in_shape: Any = None) -> Node:
    """Apply snnir's note (options NIR does not hold, original parameter shapes) when, and only when,
    the restored node exports to the same NIR parameters: the note can never change the semantics."""
    note = _note(leaf)
    fields = note.get("fields")
    if note.get("kind") != candidate.kind or not isinstance(fields, dict):
        return candidate
    allowed = (_HANDLED.get(candidate.kind, set()) | _GRADIENT_ONLY) & set(type(candidate).model_fields)
    changes = {k: v for k, v in fields.items() if k in allowed}
    if changes.get("reset") == "to_value" and getattr(candidate, "reset", None) == "zero":
        changes["reset_value"] = np.zeros(candidate.shape, candidate.threshold.dtype)
    for name in _DERIVED:
        exact = (leaf.get("metadata") or {}).get(f"{META}_{name}")
        value = getattr(candidate, name, None)
        if exact is None or name not in type(candidate).model_fields:
            continue
        exact = np.asarray(exact, np.float64)
        if value is None:  # a zero leak the original spelled out (NIR's v_leak = 0 reads back as no leak)
            if not np.any(exact):
                changes[name] = exact.astype(candidate.threshold.dtype if hasattr(candidate, "threshold")
                                             else np.float32)
            continue
        try:
            close = np.allclose(np.broadcast_to(exact, value.shape), np.asarray(value, np.float64), rtol=_RTOL, atol=1e-7)
        except ValueError:
            close = False
        if close:
            changes[name] = exact.astype(value.dtype)
    mask = (leaf.get("metadata") or {}).get(MASK_META)
    if candidate.kind == "Linear" and mask is not None:
        changes["mask"] = np.asarray(mask).astype(np.int32)
    shapes = note.get("shapes") if isinstance(note.get("shapes"), dict) else {}
    for name, value in candidate.params().items():  # an optional parameter the original did not set
        if name not in shapes and name not in changes and not np.any(value) \
                and type(candidate).model_fields[name].default is None:
            changes[name] = None
    for name, shape in shapes.items():
        value = changes.get(name, getattr(candidate, name, None))
        if isinstance(value, np.ndarray) and isinstance(shape, list) and name in candidate.array_fields():
            reduced = _reduce(value, tuple(shape))
            if reduced is not None:
                changes[name] = reduced
    try:
        restored = candidate.replace(**changes)
        in_shape = in_shape if in_shape is not None else _incoming_in_shape(leaf)
        exported = _export_node(restored, in_shape, dt, np.float64)
    except (SnnirError, TypeError, ValueError):
        return candidate
    return restored if _same_params(_nir_params(exported), leaf["params"]) else candidate


def _reduce(value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """``value`` cut down to ``shape`` when it is that smaller array broadcast, else None."""
    try:
        if np.broadcast_shapes(shape, value.shape) != value.shape:
            return None
    except ValueError:
        return None
    lead = value.ndim - len(shape)
    index = tuple(0 for _ in range(lead)) + tuple(slice(None) if s != 1 else slice(0, 1) for s in shape)
    small = value[index].reshape(shape)
    return small if np.array_equal(np.broadcast_to(small, value.shape), value) else None


def _incoming_in_shape(leaf: dict) -> tuple[int, ...] | None:
    p, typ = leaf["params"], leaf["type"]
    key = {"Output": "shape", "Input": "shape", "Flatten": "input_type"}.get(typ)
    if key and p.get(key) is not None:
        return tuple(int(v) for v in np.asarray(p[key]).reshape(-1))
    if typ in ("Delay", "Scale"):
        return np.asarray(p[typ.lower()]).shape
    if typ in ("Conv1d", "Conv2d") and p.get("input_shape") is not None:
        w = np.asarray(p["weight"])
        return (int(w.shape[1]) * int(np.asarray(p.get("groups", 1))),) + tuple(
            int(v) for v in np.asarray(p["input_shape"]).reshape(-1))
    return None


def _nir_params(node: Any) -> dict:
    d = node.to_dict()
    d.pop("type", None)
    d.pop("metadata", None)
    return d


def _same_params(ours: dict, theirs: dict) -> bool:
    for key, value in ours.items():
        if key not in theirs:
            if value is None:
                continue
            return False
        other = theirs[key]
        if value is None or other is None:
            if value is not other:
                return False
            continue
        if isinstance(value, str) or isinstance(other, str):
            if str(value) != str(other):
                return False
            continue
        try:
            a, b = np.asarray(value, np.float64), np.asarray(other, np.float64)
        except (TypeError, ValueError):
            return False
        if a.shape != b.shape and a.size != b.size:
            return False
        if not np.allclose(a.reshape(-1), b.reshape(-1), rtol=_RTOL, atol=1e-12):
            return False
    return True


# ====================================================================== export
def to_nir(graph: Graph, dt: float | None = None):
    """A ``nir.NIRGraph`` for ``graph`` with time step ``dt`` (seconds).

    Neurons get τ = dt/(1 − β), R and v_leak such that NIR's forward Euler gives back snnir's update;
    edge delays and feedback marks (those the graph holds and those compile would choose) become NIR
    Delay nodes; Dropout (the identity at inference) is dropped. Options NIR cannot express raise
    :class:`NIRConversionError` naming the node and the option. snnir's ids, declaration order and
    training options travel in metadata, so ``from_nir(to_nir(g, dt), dt)`` gives ``g`` back (with the
    feedback marks compile would write).
    """
    import nir

    dt = _check_dt(dt, "to_nir")
    if not isinstance(graph, Graph):
        raise NIRConversionError("to_nir", f"expects a snnir.Graph, got {type(graph).__name__}")
    verify_graph(graph)
    graph = _drop_dropout(graph)
    shapes = infer_shapes(graph)
    chosen = set(feedback_candidates(graph))
    out_dtype = np.float64 if graph.dtype == "float64" else np.float32
    names = _nir_names(graph)
    nodes: dict[str, Any] = {}
    for n in graph.nodes:
        nir_node = _export_node(n, shapes.input(n.id) or shapes.output(n.id), dt, out_dtype)
        _check_round_trip(n, nir_node, shapes.input(n.id) or shapes.output(n.id), dt)
        nir_node.metadata = _metadata(n)
        nodes[names[n.id]] = nir_node
    edges: list[tuple[str, str]] = []
    for i, e in enumerate(graph.edges):
        where = f"edge {e.src!r} -> {e.dst!r}"
        if e.src_port != "out" or e.dst_port != "in":
            raise NIRConversionError(where, f"reads port {e.src_port!r} into port {e.dst_port!r}; NIR edges carry "
                                     "a node's only output into its only input", "read the 'out' port only")
        feedback = e.feedback or i in chosen
        if not e.delay and not feedback:
            if (names[e.src], names[e.dst]) in edges:
                raise NIRConversionError(where, "appears twice; NIR edges are unique",
                                         "merge the two edges (e.g. double the weights) or delay one")
            edges.append((names[e.src], names[e.dst]))
            continue
        steps = e.delay + (1 if feedback else 0)
        shape = shapes.output(e.src) or ()
        name = _fresh(f"delay.{names[e.src]}.{names[e.dst]}", nodes)
        nodes[name] = nir.Delay(delay=np.full(shape, steps * dt, out_dtype),
                                metadata={META: json.dumps({"edge": {"delay": e.delay, "feedback": bool(feedback)}})})
        edges += [(names[e.src], name), (name, names[e.dst])]
    note = {"format": "snnir", "order": [n.id for n in graph.nodes], "dt": dt}
    if graph.metadata:
        note["graph_metadata"] = graph.metadata
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={META: json.dumps(note)}, type_check=False)


def write_nir(graph: Graph, path: str | os.PathLike, dt: float | None = None) -> pathlib.Path:
    """Export ``graph`` with ``to_nir`` and write it as a NIR (HDF5) file, atomically."""
    import nir

    path = pathlib.Path(path)
    converted = to_nir(graph, dt)
    buffer = io.BytesIO()
    nir.write(buffer, converted)
    _atomic_write(path, buffer.getvalue())
    return path


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


def _nir_names(graph: Graph) -> dict[str, str]:
    """NIR names: the id, with '/' (a group separator in HDF5) written as '.'; the id itself is kept in
    the node's metadata."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for n in graph.nodes:
        name = _fresh(n.id.replace("/", "."), taken)
        taken.add(name)
        names[n.id] = name
    return names


def _fresh(name: str, taken) -> str:
    out, i = name, 1
    while out in taken:
        out, i = f"{name}_{i}", i + 1
    return out


def _metadata(node: Node) -> dict:
    fields = {k: v for k, v in node.model_dump(mode="json").items()
              if k not in ("id", "kind") and k not in node.array_fields()}
    shapes = {p: list(v.shape) for p, v in node.params().items()}
    meta: dict[str, Any] = {META: json.dumps({"id": node.id, "kind": node.kind, "fields": fields, "shapes": shapes})}
    if node.kind == "Linear" and getattr(node, "mask", None) is not None:
        meta[MASK_META] = np.asarray(node.mask, np.int32)
    for name in _DERIVED:
        value = getattr(node, name, None)
        if isinstance(value, np.ndarray) and name in node.array_fields():
            # at least 1-d: nir.write compresses every array, which HDF5 refuses for scalars
            meta[f"{META}_{name}"] = np.atleast_1d(np.asarray(value, np.float64 if value.dtype == np.float64
                                                              else np.float32))
    return meta


def _refuse(node: Node, message: str, hint: str = ""):
    raise NIRConversionError(f"node {node.id!r} ({node.kind})", message, hint)


def _full(value: Any, shape, dtype) -> np.ndarray:
    return np.array(np.broadcast_to(np.asarray(value, np.float64), tuple(shape)), dtype=dtype)


def _export_node(node: Node, in_shape, dt: float, dtype) -> Any:
    import nir

    kind = node.kind
    rule = _EXPORTERS.get(kind)
    if rule is None:
        _refuse(node, f"NIR has no {kind} node", "NIR expresses " + ", ".join(sorted(_EXPORTERS)) +
                " (and drops Dropout)")
    return rule(nir, node, in_shape, dt, dtype)


def _check_round_trip(node: Node, nir_node: Any, in_shape, dt: float) -> None:
    """Refuse options the exporter does not express: import the NIR node back and compare."""
    leaf = {"type": type(nir_node).__name__, "params": _nir_params(nir_node), "metadata": _metadata(node)}
    importer = _Importer(dt, "euler", node.params()[next(iter(node.float_params()))].dtype.name
                         if any(p in node.params() for p in node.float_params()) else "float32")
    try:
        back = importer.convert(node.id, leaf, in_shape)
    except NIRConversionError:
        back = []
    differ = _differences(node, back[0]) if len(back) == 1 else ["the node's form"]
    if differ:
        _refuse(node, "option(s) " + ", ".join(f"{f}={_show(getattr(node, f, None))}" for f in differ) +
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
                if xs.shape != ys.shape or not np.allclose(xs, ys, rtol=_RTOL, atol=1e-6):
                    out.append(name)
        elif x != y:
            out.append(name)
    return out


# ---------------------------------------------------------------------- exporters per kind
def _exp_input(nir, node, in_shape, dt, dtype):
    return nir.Input(input_type={"input": np.array(node.shape, dtype=np.int64)})


def _exp_output(nir, node, in_shape, dt, dtype):
    shape = node.shape if node.shape is not None else in_shape
    if shape is None:
        _refuse(node, "its shape is unknown", "feed it from a node of known shape")
    return nir.Output(output_type={"output": np.array(shape, dtype=np.int64)})


def _exp_linear(nir, node, in_shape, dt, dtype):
    w = np.asarray(node.weight, np.float64)
    if node.mask is not None:
        w = w * node.mask  # a masked synapse does not exist: its weight never acts
    if node.bias is None:
        return nir.Linear(weight=w.astype(dtype))
    return nir.Affine(weight=w.astype(dtype), bias=_full(node.bias, (w.shape[0],), dtype))


def _exp_scale(nir, node, in_shape, dt, dtype):
    if in_shape is None:
        _refuse(node, "its input shape is unknown")
    return nir.Scale(scale=_full(node.scale, in_shape, dtype))


def _exp_flatten(nir, node, in_shape, dt, dtype):
    if in_shape is None:
        _refuse(node, "its input shape is unknown")
    n = len(in_shape)
    start = node.start_dim + n if node.start_dim < 0 else node.start_dim
    end = node.end_dim + n if node.end_dim < 0 else node.end_dim
    return nir.Flatten(input_type={"input": np.array(in_shape, dtype=np.int64)}, start_dim=start,
                       end_dim=-1 if end == n - 1 else end)


def _exp_delay(nir, node, in_shape, dt, dtype):
    if in_shape is None:
        _refuse(node, "its input shape is unknown")
    return nir.Delay(delay=_full(np.asarray(node.steps, np.float64) * dt, in_shape, dtype))


def _conv_padding(node, in_shape):
    pad = node.padding
    if pad == "valid":
        return "valid"
    if pad == "same" and all(s == 1 for s in node.stride):
        return "same"
    if in_shape is None:
        _refuse(node, f"padding {pad!r} needs the input shape")
    pairs = resolve_padding(pad, tuple(in_shape[1:]), node.weight.shape[2:], node.stride, node.dilation)
    if any(lo != hi for lo, hi in pairs):
        _refuse(node, f"padding {pad!r} is asymmetric here ({pairs}); NIR pads both sides equally",
                "use symmetric padding")
    return tuple(lo for lo, _ in pairs)


def _exp_conv(nir, node, in_shape, dt, dtype):
    ndim = node.weight.ndim - 2
    bias = _full(0.0 if node.bias is None else node.bias, (node.weight.shape[0],), dtype)
    padding = _conv_padding(node, in_shape)
    spatial = None if in_shape is None else tuple(int(s) for s in in_shape[1:])
    if ndim == 1:
        return nir.Conv1d(input_shape=None if spatial is None else spatial[0], weight=np.asarray(node.weight, dtype),
                          stride=node.stride[0], padding=padding if isinstance(padding, str) else padding[0],
                          dilation=node.dilation[0], groups=node.groups, bias=bias)
    return nir.Conv2d(input_shape=spatial, weight=np.asarray(node.weight, dtype), stride=tuple(node.stride),
                      padding=padding, dilation=tuple(node.dilation), groups=node.groups, bias=bias)


def _exp_pool(nir, node, in_shape, dt, dtype):
    if isinstance(node.padding, str) and in_shape is None:
        _refuse(node, f"padding {node.padding!r} needs the input shape")
    pairs = resolve_padding(node.padding, tuple(in_shape[1:]) if in_shape else (1, 1), node.kernel_size, node.strides)
    if any(lo != hi for lo, hi in pairs):
        _refuse(node, f"padding {node.padding!r} is asymmetric here ({pairs}); NIR pads both sides equally")
    cls = nir.SumPool2d if node.kind == "SumPool2d" else nir.AvgPool2d
    return cls(kernel_size=np.array(node.kernel_size), stride=np.array(node.strides),
               padding=np.array([lo for lo, _ in pairs]))


def _spiking_checks(node):
    if node.spike_from != "post":
        _refuse(node, "spike_from='pre' (a spike from the membrane before the update) has no NIR form",
                "NIR neurons spike from the updated membrane: use spike_from='post'")
    if node.reset_at != "same":
        _refuse(node, "reset_at='next' (the reset lands one step late) has no NIR form", "use reset_at='same'")
    if node.fire_at_threshold:
        _refuse(node, "fire_at_threshold=True spikes at v == θ; NIR spikes only when v > θ",
                "use fire_at_threshold=False")
    if node.reset not in ("zero", "to_value"):
        _refuse(node, f"reset={node.reset!r} has no NIR form: NIR neurons reset to v_reset",
                "use reset='zero' or reset='to_value' (reset by subtraction is not expressible in NIR)")


def _v_reset(node, shape, dtype):
    return _full(0.0 if node.reset == "zero" else node.reset_value, shape, dtype)


def _leak_v(node, one_minus_beta, shape):
    """NIR's v_leak from snnir's λ: (1 − β)·v_leak = −λ."""
    leak = getattr(node, "leak", None)
    if leak is None:
        return np.zeros(shape)
    return -_full(leak, shape, np.float64) / one_minus_beta


def _tau_and_r(node, beta, form, dt, what="decay"):
    if np.any(beta >= 1):
        _refuse(node, f"{what} 1 (no leak) has no finite NIR time constant",
                "use IF for a neuron without leak, or a decay below 1")
    one_minus = 1.0 - beta
    tau = dt / one_minus
    r = 1.0 / one_minus if form == "one" else np.ones_like(beta)
    return tau, r, one_minus


def _exp_lif(nir, node, in_shape, dt, dtype):
    _spiking_checks(node)
    shape = tuple(node.shape)
    beta = _full(node.decay, shape, np.float64)
    tau, r, one_minus = _tau_and_r(node, beta, node.input_scale, dt)
    return nir.LIF(tau=tau.astype(dtype), r=r.astype(dtype), v_leak=_leak_v(node, one_minus, shape).astype(dtype),
                   v_threshold=_full(node.threshold, shape, dtype), v_reset=_v_reset(node, shape, dtype))


def _exp_if(nir, node, in_shape, dt, dtype):
    _spiking_checks(node)
    shape = tuple(node.shape)
    if getattr(node, "leak", None) is not None and np.any(node.leak):
        _refuse(node, "a constant leak has no NIR IF form (dv/dt = R·I)", "use LIF, or drop the leak")
    return nir.IF(r=_full(1.0 / dt, shape, dtype), v_threshold=_full(node.threshold, shape, dtype),
                  v_reset=_v_reset(node, shape, dtype))


def _exp_li(nir, node, in_shape, dt, dtype):
    shape = tuple(node.shape)
    beta = _full(node.decay, shape, np.float64)
    if np.all(beta == 1) and node.input_scale == "one" and getattr(node, "leak", None) is None:
        return nir.I(r=_full(1.0 / dt, shape, dtype))  # v ← v + x: NIR's integrator with R = 1/dt
    tau, r, one_minus = _tau_and_r(node, beta, node.input_scale, dt)
    return nir.LI(tau=tau.astype(dtype), r=r.astype(dtype), v_leak=_leak_v(node, one_minus, shape).astype(dtype))


def _exp_cubalif(nir, node, in_shape, dt, dtype):
    _spiking_checks(node)
    shape = tuple(node.shape)
    if node.mem_decay is None:
        _refuse(node, "mem_decay=None (no membrane leak) has no finite NIR time constant", "give a mem_decay below 1")
    alpha, beta = _full(node.syn_decay, shape, np.float64), _full(node.mem_decay, shape, np.float64)
    tau_syn, w_in, _ = _tau_and_r(node, alpha, node.input_scale, dt, "syn_decay")
    tau_mem, r, one_minus = _tau_and_r(node, beta, node.input_scale, dt, "mem_decay")
    return nir.CubaLIF(tau_syn=tau_syn.astype(dtype), tau_mem=tau_mem.astype(dtype), r=r.astype(dtype),
                       v_leak=_leak_v(node, one_minus, shape).astype(dtype),
                       v_threshold=_full(node.threshold, shape, dtype), v_reset=_v_reset(node, shape, dtype),
                       w_in=w_in.astype(dtype))


_EXPORTERS = {
    "Input": _exp_input, "Output": _exp_output, "Linear": _exp_linear, "Scale": _exp_scale, "Flatten": _exp_flatten,
    "Delay": _exp_delay, "Conv1d": _exp_conv, "Conv2d": _exp_conv, "SumPool2d": _exp_pool, "AvgPool2d": _exp_pool,
    "LIF": _exp_lif, "IF": _exp_if, "LI": _exp_li, "CubaLIF": _exp_cubalif,
}

__all__ = ["from_nir", "to_nir", "write_nir", "read_nir_file", "NIRConversionError", "NIRFileError", "DISCRETIZATIONS"]
