"""NIR's wire form as plain trees: HDF5 files read with h5py (never ``nir.read``), and ``nir`` objects.

A tree is ``{"type": str, "params": {name: value}, "metadata": {...}}``, plus ``"nodes"`` (name ->
tree) and ``"edges"`` ([(src, dst)]) for a NIRGraph. Reading a file directly means a hostile file never
reaches ``nir``'s asserts or type inference, and sub-graphs written with ``type_check=False`` still load.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

import numpy as np

from ..files import ModelFileError
from .errors import NIRConversionError

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


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


def tree_from_object(node: Any, depth: int = 0) -> dict:
    import nir

    if depth == 0 and not isinstance(node, nir.NIRGraph):
        raise NIRConversionError("from_nir", f"expects a file path or a nir.NIRGraph, got {type(node).__name__}",
                                 "wrap single nodes with nir.NIRGraph.from_list(...)")
    if isinstance(node, nir.NIRGraph):
        return {"type": "NIRGraph", "params": {}, "metadata": dict(node.metadata or {}),
                "nodes": {str(k): tree_from_object(v, depth + 1) for k, v in node.nodes.items()},
                "edges": [(str(a), str(b)) for a, b in node.edges]}
    if not isinstance(node, nir.NIRNode):
        raise NIRConversionError("from_nir", f"a graph holds a {type(node).__name__}, not a NIR node")
    if type(node).__name__ == "Identity":  # nir's own to_dict fails on it (it is unregistered): a wire
        return {"type": "Identity", "params": {}, "metadata": dict(node.metadata or {})}
    d = node.to_dict()
    meta = d.pop("metadata", None) or {}
    return {"type": d.pop("type"), "params": d, "metadata": dict(meta)}

