"""Saving and loading model files.

Two formats, told apart by their first bytes (never by trusting the name):

* **container** (``.snnir``): a ZIP archive holding ``snnir.json`` (the graph document, each array
  replaced by a reference ``{"$array": "arrays/0.npy", "dtype": ..., "shape": [...]}``) and one NumPy
  ``.npy`` file per array, read with ``allow_pickle=False`` semantics (only plain numeric dtypes).
* **plain JSON** (``.json``): the same document with arrays inline as ``{"dtype", "shape", "data"}``;
  handy for small hand-written models.

Both record every array's dtype (so bfloat16 survives: it is stored as its 16-bit pattern) and the
schema version. Writes are atomic (temporary file in the same folder, fsync, rename) and get the
permissions of an ordinary write (``0o666`` minus the umask; an existing file keeps its own). Loading
checks the format, version, sizes, shapes and dtypes before allocating anything large, and ends every
failure with a :class:`ModelFileError` (or the graph's own ``InvalidIRError`` / ``VerifyError``) naming
the file.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import pathlib
import re
import zipfile
from typing import Any

import numpy as np

from .._atomic import write_atomic
from ..errors import InvalidIRError, SnnirError, VerifyError
from ..ir import SCHEMA_VERSION, Graph
from ..ir.arrays import FLOAT_DTYPES, INT_DTYPES
from ..ir.kinds.custom import LayerEncodingError, encode_layer
from ..verification import verify as verify_graph
from .migrate import migrate

FORMAT_NAME = "snnir-model"
MANIFEST = "snnir.json"
ZIP_MAGIC = b"PK\x03\x04"
_ARRAY_NAME = re.compile(r"^arrays/[0-9]{1,9}\.npy$")
# how each dtype is stored in .npy (bfloat16 has no portable .npy descriptor: keep its bit pattern)
_STORAGE = {name: np.dtype(dt).newbyteorder("<") for name, dt in {**FLOAT_DTYPES, **INT_DTYPES}.items()}
_STORAGE["bfloat16"] = np.dtype("<u2")


class ModelFileError(SnnirError, ValueError):
    """A model file is missing, malformed, too large, of an unknown version, or otherwise unreadable."""

    def __init__(self, path: Any, message: str, hint: str = ""):
        self.path = str(path)
        super().__init__(f"{self.path}: {message}" + (f"\n  hint: {hint}" if hint else ""))


@dataclasses.dataclass(frozen=True)
class LoadLimits:
    """Upper bounds checked before allocating; raise them for very large models."""

    max_file_bytes: int = 4 << 30
    max_json_bytes: int = 64 << 20
    max_json_depth: int = 64
    max_array_elements: int = 1 << 30
    max_total_elements: int = 1 << 31
    max_arrays: int = 100_000


# ---------------------------------------------------------------------- saving
def save(graph: Graph, path: str | os.PathLike, format: str | None = None) -> pathlib.Path:  # noqa: A002
    """Verify ``graph`` and write it to ``path`` atomically.

    ``format`` is "snnir" (the container) or "json"; by default ``.json`` paths get plain JSON and
    everything else the container.
    """
    path = pathlib.Path(path)
    if not isinstance(graph, Graph):
        raise ModelFileError(path, f"save expects a snnir.Graph, got {type(graph).__name__}")
    fmt = format or ("json" if path.suffix.lower() == ".json" else "snnir")
    if fmt not in ("snnir", "json"):
        raise ModelFileError(path, f"unknown format {fmt!r}", "use format='snnir' or format='json'")
    verify_graph(graph)
    _check_serialisable(graph, path)
    if fmt == "json":
        payload = _format_document(_document(graph.model_dump(mode="json"))).encode()
    else:
        payload = _container(graph)
    _atomic_write(path, payload)
    return path


def _check_serialisable(graph: Graph, path: pathlib.Path) -> None:
    from ..ir import node_kinds

    for n in graph.nodes:
        if node_kinds().get(n.kind) is not type(n):
            raise ModelFileError(path, f"node {n.id!r} is of kind {n.kind!r}, which is not a registered kind",
                                 "register the kind with snnir.register_kind so files can name it")
        surrogate = getattr(n, "surrogate", None)
        if surrogate is not None and not getattr(surrogate, "storable", True):  # an in-memory spike function
            raise ModelFileError(path, f"node {n.id!r} spikes with the Python function {surrogate}, which a "
                                 "model file cannot hold", "name it with snnir.register_spike_function"
                                 "(fn, 'mylib.spike') before saving (and before loading)")
        for field in _object_fields(n):  # a user layer: its class registered, every field storable
            try:
                encode_layer(getattr(n, field), store=lambda a: None, where=field)
            except LayerEncodingError as err:
                raise ModelFileError(path, f"node {n.id!r} ({type(getattr(n, field)).__qualname__}): {err.message}",
                                     err.hint) from None


def _object_fields(node) -> tuple[str, ...]:
    return tuple(getattr(node, "OBJECT_FIELDS", ()))


def _document(graph_json: dict) -> dict:
    return {"format": FORMAT_NAME, "schema_version": graph_json.get("schema_version", SCHEMA_VERSION),
            "graph": graph_json}


def _format_document(doc: dict) -> str:
    """Readable, diff-friendly JSON: one line per node and per edge, ``kind`` and ``id`` first."""
    graph = doc["graph"]
    one = lambda value: json.dumps(value, separators=(", ", ": "))  # noqa: E731
    nodes = [{"kind": n["kind"], "id": n["id"], **{k: v for k, v in n.items() if k not in ("kind", "id")}}
             for n in graph["nodes"]]
    lines = ['{"format": ' + one(doc["format"]) + ', "schema_version": ' + one(doc["schema_version"]) + ',',
             ' "graph": {', '  "nodes": [']
    lines += ["   " + one(n) + ("," if i < len(nodes) - 1 else "") for i, n in enumerate(nodes)]
    lines += ["  ],", '  "edges": [']
    lines += ["   " + one(e) + ("," if i < len(graph["edges"]) - 1 else "") for i, e in enumerate(graph["edges"])]
    lines += ["  ],", '  "metadata": ' + one(graph["metadata"]) + ",",
              '  "schema_version": ' + one(graph["schema_version"]), " }", "}", ""]
    return "\n".join(lines)


def _container(graph: Graph) -> bytes:
    live = {i: set(_object_fields(n)) for i, n in enumerate(graph.nodes) if _object_fields(n)}
    doc = graph.model_dump(mode="json", exclude={"nodes": live} if live else None)
    arrays: list[tuple[str, np.ndarray]] = []

    def store(value: np.ndarray) -> dict:
        name = f"arrays/{len(arrays)}.npy"
        arrays.append((name, value))
        return {"$array": name, "dtype": value.dtype.name, "shape": list(value.shape)}

    def store_nodes(nodes, specs) -> None:
        for node, spec in zip(nodes, specs):
            for field, value in node.params().items():
                spec[field] = store(value)
            for field in _object_fields(node):  # a user layer's arrays, nested in its module's fields
                spec[field] = encode_layer(getattr(node, field), store, field)
            if node.kind == "Subgraph":  # a composite's nested graph: its arrays become entries too
                store_nodes(node.graph.nodes, spec["graph"]["nodes"])

    store_nodes(graph.nodes, doc["nodes"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, _format_document(_document(doc)))
        for name, value in arrays:
            out = io.BytesIO()
            np.lib.format.write_array(out, value.view(_STORAGE[value.dtype.name]),
                                      allow_pickle=False)
            zf.writestr(name, out.getvalue())
    return buffer.getvalue()


def _atomic_write(path: pathlib.Path, payload: bytes) -> None:
    """Write a model file atomically, with the permissions an ordinary write gives (see snnir._atomic)."""
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    if not folder.is_dir():
        raise ModelFileError(path, "the folder does not exist", f"create {folder} first")
    write_atomic(path, payload)


# ---------------------------------------------------------------------- loading
def load(path: str | os.PathLike, verify: bool = True, limits: LoadLimits = LoadLimits()) -> Graph:
    """Read a model file. ``verify=False`` returns an unverified graph (e.g. to draw an invalid file)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise ModelFileError(path, "no such file" if not path.exists() else "not a regular file")
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise ModelFileError(path, f"file is {size} bytes, over the limit of {limits.max_file_bytes}",
                             "raise LoadLimits.max_file_bytes if you trust this file")
    with open(path, "rb") as f:
        head = f.read(4)
    if head == ZIP_MAGIC:
        graph_doc = _read_container(path, limits)
    elif head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{" or head.startswith(b"\xef\xbb\xbf"):
        if size > limits.max_json_bytes:
            raise ModelFileError(path, f"JSON of {size} bytes is over the limit of {limits.max_json_bytes}")
        graph_doc = _read_document(path, path.read_bytes(), limits)
    else:
        raise ModelFileError(path, f"not a snnir model file (starts with {head!r})",
                             "snnir files are ZIP containers (.snnir) or JSON documents (.json)")
    try:
        graph = Graph.model_validate(graph_doc)
    except (InvalidIRError, SnnirError) as err:
        message = str(err)  # the IR's own errors already begin "invalid graph:"
        raise ModelFileError(path, message if message.startswith("invalid graph") else f"invalid graph:\n{message}") from None
    except (TypeError, ValueError, RecursionError) as err:  # anything pydantic could not even classify
        raise ModelFileError(path, f"invalid graph: {type(err).__name__}: {err}") from None
    if verify:
        try:
            verify_graph(graph)
        except VerifyError as err:
            raise VerifyError(err.diagnostics, rendered=f"in {path}:\n\n" + str(err).split(":\n\n", 1)[-1]) from None
    return graph


def _read_document(path: pathlib.Path, raw: bytes, limits: LoadLimits) -> dict:
    """Parse and check the JSON document; migrate it to the current schema; return the graph part."""
    try:
        text = raw.decode("utf-8-sig")
        doc = json.loads(text)
    except UnicodeDecodeError as err:
        raise ModelFileError(path, f"not UTF-8 text: {err}") from None
    except json.JSONDecodeError as err:
        raise ModelFileError(path, f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from None
    except RecursionError:
        raise ModelFileError(path, "JSON nests too deeply") from None
    _check_depth(path, doc, limits.max_json_depth)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise ModelFileError(path, f"not a snnir model document (expected \"format\": \"{FORMAT_NAME}\")")
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(path, f"schema_version must be a positive integer, got {version!r}")
    if version > SCHEMA_VERSION:
        raise ModelFileError(path, f"written with schema version {version}; this snnir reads versions up to "
                                   f"{SCHEMA_VERSION}", "upgrade snnir to load this file")
    graph = doc.get("graph")
    if not isinstance(graph, dict):
        raise ModelFileError(path, "the document has no \"graph\" object")
    if graph.get("schema_version", version) != version:
        raise ModelFileError(path, "the graph's schema_version disagrees with the document's")
    graph["schema_version"] = version
    return migrate(graph, version, SCHEMA_VERSION)


def _check_depth(path: pathlib.Path, doc: Any, max_depth: int) -> None:
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            raise ModelFileError(path, f"JSON nests deeper than {max_depth} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _read_container(path: pathlib.Path, limits: LoadLimits) -> dict:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            if len(infos) > limits.max_arrays + 1:
                raise ModelFileError(path, f"archive holds {len(infos)} entries, over the limit")
            if MANIFEST not in infos:
                raise ModelFileError(path, f"archive has no {MANIFEST}", "is this a snnir model file?")
            graph = _read_document(path, _read_entry(zf, infos[MANIFEST], limits.max_json_bytes, path), limits)
            _resolve_arrays(path, zf, infos, graph, limits)
            return graph
    except ModelFileError:
        raise
    except Exception as err:  # BadZipFile, zlib.error, EOFError, ...: whatever a hostile archive provokes
        raise ModelFileError(path, f"corrupt archive: {type(err).__name__}: {err}") from None


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, path: pathlib.Path) -> bytes:
    """An entry's bytes, refusing declared or actual sizes over ``limit`` (no zip-bomb inflation)."""
    if info.file_size > limit:
        raise ModelFileError(path, f"entry {info.filename} declares {info.file_size} bytes, over the limit of {limit}")
    with zf.open(info) as f:
        data = _bounded_read(f, info.file_size)
    if len(data) != info.file_size:
        raise ModelFileError(path, f"entry {info.filename} does not hold the size it declares")
    return data


def _bounded_read(f, size: int, chunk: int = 1 << 20) -> bytes:
    """Read at most ``size + 1`` bytes in chunks, so a lying header never makes us allocate more than
    what is really there (plus one chunk)."""
    parts, total = [], 0
    while total <= size:
        part = f.read(min(chunk, size + 1 - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
    return b"".join(parts)


def _resolve_arrays(path, zf, infos, graph: dict, limits: LoadLimits) -> None:
    """Replace each ``{"$array": ...}`` reference in the node fields by the checked array."""
    nodes = graph.get("nodes")
    if not isinstance(nodes, list):
        return  # the graph model reports the missing nodes
    total = 0
    for index, node in enumerate(nodes):
        if not isinstance(node, dict):
            continue
        for holder, key, value, field in _references(node, ""):
            where = f"node {node.get('id', '#' + str(index))!r} field {field}"
            dtype, shape = _check_reference(path, where, value, limits)
            total += math.prod(shape)
            if total > limits.max_total_elements:
                raise ModelFileError(path, f"arrays hold more than {limits.max_total_elements} elements in all")
            info = infos.get(value["$array"])
            if info is None:
                raise ModelFileError(path, f"{where}: the archive has no entry {value['$array']!r}")
            holder[key] = _read_npy(path, where, zf, info, dtype, shape)


def _references(value, prefix: str):
    """Every ``{"$array": ...}`` reference in a node's fields as (holder, key, reference, field path), nested
    ones included (a user layer's module stores its arrays in nested fields); depth is bounded by the
    JSON depth check."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in list(items):
        if isinstance(item, dict) and "$array" in item:
            yield value, key, item, f"{prefix}{key}"
        elif isinstance(item, (dict, list)):
            yield from _references(item, f"{prefix}{key}.")


def _check_reference(path, where: str, ref: dict, limits: LoadLimits) -> tuple[str, tuple[int, ...]]:
    if set(ref) != {"$array", "dtype", "shape"}:
        raise ModelFileError(path, f"{where}: an array reference has exactly the keys $array, dtype, shape")
    name, dtype, shape = ref["$array"], ref["dtype"], ref["shape"]
    if not isinstance(name, str) or not _ARRAY_NAME.match(name):
        raise ModelFileError(path, f"{where}: bad array entry name {name!r}")
    if dtype not in _STORAGE:
        raise ModelFileError(path, f"{where}: unsupported dtype {dtype!r}", f"use one of {sorted(_STORAGE)}")
    if not isinstance(shape, list) or len(shape) > 32 or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d for d in shape):
        raise ModelFileError(path, f"{where}: shape must be a list of at most 32 non-negative integers")
    count = math.prod(shape)
    if count > limits.max_array_elements:
        raise ModelFileError(path, f"{where}: shape {shape} has {count} elements, over the limit of "
                                   f"{limits.max_array_elements}", "raise LoadLimits.max_array_elements if you trust it")
    return dtype, tuple(shape)


def _read_npy(path, where: str, zf, info, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    storage = _STORAGE[dtype]
    expected = math.prod(shape) * storage.itemsize
    data = _read_entry(zf, info, expected + 65536, path)  # the .npy header is small
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            header_shape, fortran, header_dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            header_shape, fortran, header_dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except ValueError as err:
        raise ModelFileError(path, f"{where}: not a valid .npy entry: {err}") from None
    if header_dtype != storage or tuple(header_shape) != shape or fortran:
        raise ModelFileError(path, f"{where}: the array holds {header_dtype}{list(header_shape)} but the graph "
                                   f"declares {dtype}{list(shape)}")
    body = data[stream.tell():]
    if len(body) != expected:
        raise ModelFileError(path, f"{where}: the array data has {len(body)} bytes, expected {expected}")
    array = np.frombuffer(body, dtype=storage).reshape(shape)
    return array.view(FLOAT_DTYPES.get(dtype) or INT_DTYPES[dtype]).copy()
