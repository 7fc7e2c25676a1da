"""Read a NIR (HDF5) file into a plain tree, in a child process: ``python -P _hdf5_child.py FILE MAX_BYTES MAX_NODES``.

A damaged HDF5 file can crash the HDF5 library itself (a segmentation fault, not an exception), or make
it loop; run here, that ends only this process, and the parent (``snnir.io.nir.hdf5.read_nir_file``)
reports the file as a ``ModelFileError``. This script imports only numpy and h5py (never snnir), so it
starts quickly, and writes its answer to stdout:

    8 bytes: the length n of the JSON header (little-endian)
    n bytes: the JSON header, {"tree": TREE} or {"error": message, "hint": hint}
    then:    the bytes of every numeric array, in the order the header names them

In TREE a value is {"s": str}, {"o": nested list of str, "shape": [...]} for string arrays, or
{"a": [dtype, shape, offset, nbytes, is_scalar]} for a numeric array whose bytes follow the header.
"""

from __future__ import annotations

import json
import struct
import sys
from typing import Any


class _Refused(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


def read_tree(path: str, max_bytes: int, max_nodes: int) -> dict:
    import h5py

    budget = {"bytes": max_bytes, "nodes": max_nodes}
    with h5py.File(path, "r") as f:
        if "node" not in f or not isinstance(f["node"], h5py.Group):
            raise _Refused("the file has no /node group", "is this a file written by nir.write?")
        return _read_group(f["node"], "node", 0, budget)


def _read_group(group, where: str, depth: int, budget: dict) -> dict:
    import h5py
    import numpy as np

    if depth > 32:
        raise _Refused(f"{where}: sub-graphs nest deeper than 32 levels")
    budget["nodes"] -= 1
    if budget["nodes"] < 0:
        raise _Refused("the file holds too many nodes")
    items = _children(group, where)
    if not isinstance(items.get("type"), h5py.Dataset):
        raise _Refused(f"{where}: a node without a 'type'")
    typ = _read_value(items["type"], where, budget)
    if not isinstance(typ, str):
        raise _Refused(f"{where}: the node type is not a string")
    tree: dict[str, Any] = {"type": typ, "params": {}, "metadata": {}}
    for key, item in items.items():
        if key == "type":
            continue
        if key == "metadata" and isinstance(item, h5py.Group):
            tree["metadata"] = {k: _read_value(v, f"{where}/metadata", budget)
                                for k, v in _children(item, where).items() if isinstance(v, h5py.Dataset)}
        elif key == "nodes" and typ == "NIRGraph":
            if not isinstance(item, h5py.Group):
                raise _Refused(f"{where}: 'nodes' is not a group")
            tree["nodes"] = {k: _read_group(v, f"{where}/{k}", depth + 1, budget)
                             for k, v in _children(item, where).items() if isinstance(v, h5py.Group)}
        elif isinstance(item, h5py.Dataset):
            tree["params"][key] = _read_value(item, f"{where}/{key}", budget)
    if typ == "NIRGraph":
        tree.setdefault("nodes", {})
        tree["edges"] = _edges(tree["params"].pop("edges", np.zeros((0, 2), object)), where)
    return tree


def _children(group, where: str) -> dict:
    """A group's members, refusing soft and external links."""
    import h5py

    out = {}
    for key in group.keys():
        if not isinstance(group.get(key, getlink=True), h5py.HardLink):
            raise _Refused(f"{where}/{key}: NIR files hold no soft or external links")
        out[key] = group[key]
    return out


def _read_value(dataset, where: str, budget: dict) -> Any:
    import numpy as np

    budget["bytes"] -= int(dataset.size or 0) * max(int(dataset.dtype.itemsize), 1)
    if budget["bytes"] < 0:
        raise _Refused(f"{where}: the arrays are larger than the limit",
                       "raise read_nir_file's max_bytes if you trust this file")
    if dataset.dtype.kind not in "biufcOS":
        raise _Refused(f"{where}: a dataset of type {dataset.dtype}, which NIR files do not hold")
    value = dataset[()]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.dtype.kind in "OS":
        return np.vectorize(lambda s: s.decode("utf-8") if isinstance(s, bytes) else str(s), otypes=[object])(value) \
            if value.size else value.astype(object)
    return value


def _edges(raw: Any, where: str) -> list:
    import numpy as np

    arr = np.asarray(raw, dtype=object)
    if arr.size == 0:
        return []
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise _Refused(f"{where}: edges must be an (E, 2) array of node names, got shape {arr.shape}")
    return [(str(a), str(b)) for a, b in arr]


def encode(tree: dict) -> bytes:
    """The wire form described in the module docstring."""
    import numpy as np

    chunks: list[bytes] = []
    offset = 0

    def value(v: Any) -> Any:
        nonlocal offset
        if isinstance(v, str):
            return {"s": v}
        if isinstance(v, np.ndarray) and v.dtype.kind == "O":
            return {"o": v.tolist(), "shape": list(v.shape)}
        arr = np.asarray(v)
        if arr.dtype.kind not in "biufc":
            raise _Refused(f"a value of type {arr.dtype}, which NIR files do not hold")
        data = np.ascontiguousarray(arr).tobytes()
        chunks.append(data)
        ref = {"a": [arr.dtype.str, list(arr.shape), offset, len(data), not isinstance(v, np.ndarray)]}
        offset += len(data)
        return ref

    def node(t: dict) -> dict:
        out = {"type": t["type"], "params": {k: value(v) for k, v in t["params"].items()},
               "metadata": {k: value(v) for k, v in t["metadata"].items()}}
        if "nodes" in t:
            out["nodes"] = {k: node(v) for k, v in t["nodes"].items()}
            out["edges"] = [list(e) for e in t["edges"]]
        return out

    header = json.dumps({"tree": node(tree)}).encode()
    return struct.pack("<Q", len(header)) + header + b"".join(chunks)


def _answer(header: dict) -> bytes:
    data = json.dumps(header).encode()
    return struct.pack("<Q", len(data)) + data


def main(argv: list[str]) -> int:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind
    except (ImportError, ValueError, OSError):  # pragma: no cover  (Windows)
        pass
    path, max_bytes, max_nodes = argv[0], int(argv[1]), int(argv[2])
    try:
        out = encode(read_tree(path, max_bytes, max_nodes))
    except _Refused as err:
        out = _answer({"error": err.message, "hint": err.hint})
    except Exception as err:  # noqa: BLE001  (OSError, KeyError, ...: whatever a truncated or hostile file provokes)
        out = _answer({"error": f"corrupt NIR file: {type(err).__name__}: {err}", "hint": ""})
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
