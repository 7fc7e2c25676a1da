"""NIR's wire form as plain trees: HDF5 files read with h5py in a child process (never ``nir.read``), and
``nir`` objects.

A tree is ``{"type": str, "params": {name: value}, "metadata": {...}}``, plus ``"nodes"`` (name ->
tree) and ``"edges"`` ([(src, dst)]) for a NIRGraph. Reading a file directly means a hostile file never
reaches ``nir``'s asserts or type inference, and sub-graphs written with ``type_check=False`` still load.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import struct
import subprocess
import sys
from typing import Any

import numpy as np

from ..files import ModelFileError
from .errors import NIRConversionError

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def read_nir_file(path: str | os.PathLike, max_bytes: int = 1 << 31, max_nodes: int = 100_000,
                  timeout: float = 120.0) -> dict:
    """The node tree of a NIR file as plain dicts; every malformed file raises ModelFileError.

    Only hard links are followed (a soft or external link could point anywhere on the disk), nesting
    is bounded, and the declared size of every dataset counts against ``max_bytes`` before it is read
    (so compressed datasets cannot inflate without bound). The HDF5 library reads the file in a child
    process (snnir/io/_hdf5_child.py), since a damaged file can crash it (a segmentation fault) or make
    it loop: that ends the child only, after at most ``timeout`` seconds, and is reported here."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise ModelFileError(path, "no such file" if not path.exists() else "not a regular file")
    with open(path, "rb") as f:
        head = f.read(8)
    if head != HDF5_MAGIC:
        raise ModelFileError(path, f"not a NIR file (starts with {head!r}, not the HDF5 signature)",
                             "NIR files are HDF5 files written by nir.write")
    damaged = "the file is damaged: export it again (nir.write) or fetch a fresh copy"
    command = [sys.executable, "-P", str(_CHILD), str(path.resolve()), str(int(max_bytes)), str(int(max_nodes))]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ModelFileError(path, f"corrupt NIR file: the HDF5 library did not finish reading it in {timeout:g} s",
                             damaged + "; or pass a larger timeout to read_nir_file") from None
    except OSError as err:
        raise ModelFileError(path, f"cannot start the NIR reader ({sys.executable}): {err}") from None
    if done.returncode != 0:
        if done.returncode < 0:
            try:
                name = signal.Signals(-done.returncode).name
            except ValueError:
                name = f"signal {-done.returncode}"
            raise ModelFileError(path, f"corrupt NIR file: the HDF5 library crashed reading it ({name})", damaged)
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        raise ModelFileError(path, f"the NIR reader failed (exit status {done.returncode}): {last}",
                             "is h5py installed? pip install 'snnir[nir]'" if "h5py" in last else damaged)
    return _decode(path, done.stdout)


_CHILD = pathlib.Path(__file__).resolve().parents[1] / "_hdf5_child.py"


def _decode(path: pathlib.Path, out: bytes) -> dict:
    """The tree from the child's answer (see _hdf5_child.py for the wire form)."""
    if len(out) < 8:
        raise ModelFileError(path, "the NIR reader gave no answer")
    (n,) = struct.unpack_from("<Q", out)
    header = json.loads(out[8:8 + n])
    if "error" in header:
        raise ModelFileError(path, header["error"], header.get("hint", ""))
    body = memoryview(out)[8 + n:]

    def value(v: dict) -> Any:
        if "s" in v:
            return v["s"]
        if "o" in v:  # strings
            if not v["shape"]:
                arr = np.empty((), dtype=object)
                arr[()] = v["o"]
                return arr
            return np.array(v["o"], dtype=object).reshape(v["shape"])
        dtype, shape, offset, nbytes, scalar = v["a"]
        dt = np.dtype(dtype)
        if dt.kind not in "biufc":
            raise ModelFileError(path, f"the NIR reader sent an array of type {dt}")
        arr = np.frombuffer(body[offset:offset + nbytes], dtype=dt).reshape(shape).copy()
        return arr[()] if scalar else arr

    def node(t: dict) -> dict:
        out = {"type": t["type"], "params": {k: value(v) for k, v in t["params"].items()},
               "metadata": {k: value(v) for k, v in t["metadata"].items()}}
        if "nodes" in t:
            out["nodes"] = {k: node(v) for k, v in t["nodes"].items()}
            out["edges"] = [(str(a), str(b)) for a, b in t["edges"]]
        return out

    return node(header["tree"])


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

