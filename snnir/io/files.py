"""Saving and loading model files.

Two formats, told apart by their first bytes (never by trusting the name):

* **container** (``.snnir``): a ZIP archive holding ``snnir.json`` (the graph document, each array
  replaced by a reference ``{"$array": "arrays/0.npy", "dtype": ..., "shape": [...]}``) and one NumPy
  ``.npy`` file per array, read with ``allow_pickle=False`` semantics (only plain numeric dtypes).
* **plain JSON** (``.json``): the same document with arrays inline as ``{"dtype", "shape", "data"}``;
  handy for small hand-written models.

A container may also carry a **training checkpoint** (``checkpoint.json`` and ``checkpoint/<n>.npy``
entries: optimiser state, epoch, shuffle key, history; see :func:`save_checkpoint_file`). ``load``
ignores it, so a checkpoint is an ordinary model file; :func:`read_checkpoint_file` reads it back with
the same checks.

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
import struct
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

# the training-checkpoint section: its own entry names, and every plain numeric dtype (an optimiser's
# state holds step counters, a random key is uint32, a flag may be bool)
CHECKPOINT = "checkpoint.json"
CHECKPOINT_FORMAT = "snnir-checkpoint"
CHECKPOINT_VERSION = 1
_CHECKPOINT_ARRAY = re.compile(r"^checkpoint/[0-9]{1,9}\.npy$")
_SECTION_DTYPES = {**FLOAT_DTYPES, **{name: np.dtype(name) for name in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")}}
_SECTION_STORAGE = {name: (np.dtype("<u2") if name == "bfloat16" else dt.newbyteorder("<"))
                    for name, dt in _SECTION_DTYPES.items()}
_NO_CHECKPOINT_HINT = "write one with snnir.train.save_checkpoint, or fit(..., checkpoint=path)"


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
    #: the container's ``snnir.json`` once inflated: it holds array references, never array data, so
    #: a few MiB fit any real model; every byte of it costs tens of bytes of Python objects
    max_manifest_bytes: int = 8 << 20
    #: JSON values (numbers, strings, lists, objects) in the container's ``snnir.json``: bounds the work
    max_manifest_values: int = 1_000_000
    #: nodes in the graph, composites' inner nodes included (verifying costs more than linear time in them)
    max_nodes: int = 10_000


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
    _atomic_write(path, _payload(graph, path, fmt))
    return path


def _payload(graph: Graph, path: pathlib.Path, fmt: str, extra: list[tuple[str, bytes]] = ()) -> bytes:
    """The bytes of the model file: verified, serialisable, loadable (``extra``: more container entries)."""
    verify_graph(graph)
    _check_serialisable(graph, path)
    try:
        if fmt == "json":
            doc = _document(graph.model_dump(mode="json"))
            _check_loadable(path, doc)
            return _format_document(doc).encode()
        return _container(graph, path, extra)
    except ModelFileError:
        raise
    except ValueError as err:  # json.dumps(allow_nan=False): a NaN or infinity outside the parameters
        raise ModelFileError(path, f"the graph holds a value JSON cannot store: {err}",
                             "metadata must be finite numbers, strings, lists and objects "
                             "(store NaN as null or as the string 'nan')") from None


def _check_loadable(path: pathlib.Path, doc: dict, limits: "LoadLimits | None" = None) -> None:
    """Refuse at save time what load would refuse: what save writes, load reads."""
    limits = limits or LoadLimits()
    depth = _depth(doc)
    if depth > limits.max_json_depth:
        raise ModelFileError(path, f"the document would nest {depth} levels deep, over the limit of "
                                   f"{limits.max_json_depth} that load enforces (composites nested too deeply?)",
                             "flatten some composites (snnir.expand) before saving")


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
    one = lambda value: json.dumps(value, separators=(", ", ": "), allow_nan=False)  # noqa: E731
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


def _container(graph: Graph, path: pathlib.Path, extra: list[tuple[str, bytes]] = ()) -> bytes:
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
    document = _document(doc)
    _check_loadable(path, document)
    manifest = _format_document(document).encode()
    if len(manifest) > LoadLimits().max_manifest_bytes:
        raise ModelFileError(path, f"the container's {MANIFEST} would be {len(manifest)} bytes, over the limit "
                                   f"of {LoadLimits().max_manifest_bytes} that load enforces",
                             "move large metadata out of the graph")
    entries = 1 + len(arrays) + len(extra)
    if entries > LoadLimits().max_arrays + 1:
        raise ModelFileError(path, f"the container would hold {entries} entries, over the limit of "
                                   f"{LoadLimits().max_arrays + 1} that load enforces",
                             "merge small parameters into fewer nodes, or keep fewer arrays in a checkpoint")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, manifest)
        for name, value in arrays:
            out = io.BytesIO()
            np.lib.format.write_array(out, value.view(_STORAGE[value.dtype.name]),
                                      allow_pickle=False)
            zf.writestr(name, out.getvalue())
        for name, data in extra:
            zf.writestr(name, data)
    return buffer.getvalue()


# ---------------------------------------------------------------------- training checkpoints
def save_checkpoint_file(graph: Graph, path: str | os.PathLike, document: dict,
                         arrays: list[np.ndarray]) -> pathlib.Path:
    """Write ``graph`` as a container model file that also carries a training checkpoint, atomically.

    ``document`` is any JSON object (what the checkpoint records); in it, ``{"$array": k}`` stands for
    ``arrays[k]``, stored as the entry ``checkpoint/<k>.npy`` and written as a reference with its dtype
    and shape, as the graph's arrays are. The file stays an ordinary model file: ``load`` reads the graph
    and ignores the checkpoint; :func:`read_checkpoint_file` reads the checkpoint back.
    """
    path = pathlib.Path(path)
    if not isinstance(graph, Graph):
        raise ModelFileError(path, f"a checkpoint holds a snnir.Graph, got {type(graph).__name__}")
    if path.suffix.lower() == ".json":
        raise ModelFileError(path, "a checkpoint is a container file; plain JSON cannot hold it",
                             "use a .snnir path")
    entries = []

    def reference(value):
        if isinstance(value, dict):
            if set(value) == {"$array"}:
                array = np.asarray(arrays[value["$array"]])
                if array.dtype.name not in _SECTION_STORAGE:
                    raise ModelFileError(path, f"a checkpoint cannot store arrays of dtype {array.dtype.name}",
                                         f"use one of {sorted(_SECTION_STORAGE)}")
                name = f"checkpoint/{len(entries)}.npy"
                out = io.BytesIO()
                np.lib.format.write_array(out, array.copy(order="C").view(_SECTION_STORAGE[array.dtype.name]),
                                          allow_pickle=False)
                entries.append((name, out.getvalue()))
                return {"$array": name, "dtype": array.dtype.name, "shape": list(array.shape)}
            return {k: reference(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [reference(v) for v in value]
        return value

    doc = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **reference(document)}
    try:
        manifest = json.dumps(doc, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as err:
        raise ModelFileError(path, f"the checkpoint holds a value JSON cannot store: {err}",
                             "pass numbers as arrays ({'$array': k}); JSON holds ints, strings, lists and "
                             "objects") from None
    limits = LoadLimits()
    if len(manifest) > limits.max_manifest_bytes or _depth(doc) > limits.max_json_depth:
        raise ModelFileError(path, f"the checkpoint's {CHECKPOINT} would be over the limits that loading enforces",
                             "keep large values in arrays")
    _atomic_write(path, _payload(graph, path, "snnir", [(CHECKPOINT, manifest), *entries]))
    return path


def read_checkpoint_file(path: str | os.PathLike, limits: LoadLimits = LoadLimits()) -> dict:
    """The checkpoint document of a model file, each array reference replaced by its checked array.

    The same rules as :func:`load` apply (sizes and shapes checked before allocating, no pickle, one
    entry per name); every problem is a :class:`ModelFileError` naming the file. A model file without a
    checkpoint is one too.
    """
    path = pathlib.Path(path)
    _, head = _opened(path, limits)
    if head != ZIP_MAGIC:
        raise ModelFileError(path, "holds no training checkpoint (it is not a .snnir container)", _NO_CHECKPOINT_HINT)
    _check_central_directory(path, limits)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = _entries(zf, path, limits)
            if CHECKPOINT not in infos:
                raise ModelFileError(path, f"holds no training checkpoint (no {CHECKPOINT} entry)", _NO_CHECKPOINT_HINT)
            raw = _read_entry(zf, infos[CHECKPOINT], min(limits.max_json_bytes, limits.max_manifest_bytes), path,
                              "raise LoadLimits.max_manifest_bytes if you trust this file")
            try:
                doc = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError) as err:
                raise ModelFileError(path, f"{CHECKPOINT} is not valid JSON: {err}", _DAMAGED) from None
            _check_depth(path, doc, limits.max_json_depth, limits.max_manifest_values)
            if not isinstance(doc, dict) or doc.get("format") != CHECKPOINT_FORMAT:
                raise ModelFileError(path, f"{CHECKPOINT} is not a snnir checkpoint "
                                           f"(expected \"format\": \"{CHECKPOINT_FORMAT}\")", _DAMAGED)
            version = doc.get("version")
            if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                raise ModelFileError(path, f"the checkpoint's version must be a positive integer, got {version!r}",
                                     _DAMAGED)
            if version > CHECKPOINT_VERSION:
                raise ModelFileError(path, f"the checkpoint has version {version}; this snnir reads versions up to "
                                           f"{CHECKPOINT_VERSION}", "upgrade snnir to resume from this file")
            total = 0
            for holder, key, ref, where in list(_references(doc, "")):
                where = f"{CHECKPOINT} field {where}"
                dtype, shape = _check_reference(path, where, ref, limits, _CHECKPOINT_ARRAY, _SECTION_STORAGE)
                total += math.prod(shape)
                if total > limits.max_total_elements:
                    raise ModelFileError(path, f"the checkpoint's arrays hold more than {limits.max_total_elements} "
                                               "elements in all", "raise LoadLimits.max_total_elements if you trust it")
                info = infos.get(ref["$array"])
                if info is None:
                    raise ModelFileError(path, f"{where}: the archive has no entry {ref['$array']!r}", _DAMAGED)
                holder[key] = _read_npy(path, where, zf, info, dtype, shape, _SECTION_STORAGE, _SECTION_DTYPES)
            return doc
    except ModelFileError:
        raise
    except Exception as err:  # BadZipFile, zlib.error, EOFError, ...: whatever a hostile archive provokes
        raise ModelFileError(path, f"corrupt archive: {type(err).__name__}: {err}", _DAMAGED) from None


def _atomic_write(path: pathlib.Path, payload: bytes) -> None:
    """Write a model file atomically, with the permissions an ordinary write gives (see snnir._atomic)."""
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    if not folder.is_dir():
        raise ModelFileError(path, "the folder does not exist", f"create {folder} first")
    try:
        write_atomic(path, payload)
    except OSError as err:
        raise ModelFileError(path, f"cannot write the file: {err.strerror or err}",
                             "check that the folder is writable and the disk has room; "
                             "the old file, if any, is unchanged") from None


# ---------------------------------------------------------------------- loading
def _opened(path: pathlib.Path, limits: LoadLimits) -> tuple[int, bytes]:
    """(size, first 4 bytes) of a model file that exists, is a regular file and is within the size limit."""
    if not path.is_file():
        raise ModelFileError(path, "no such file" if not path.exists() else "not a regular file")
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise ModelFileError(path, f"file is {size} bytes, over the limit of {limits.max_file_bytes}",
                             "raise LoadLimits.max_file_bytes if you trust this file")
    with open(path, "rb") as f:
        return size, f.read(4)


def load(path: str | os.PathLike, verify: bool = True, limits: LoadLimits = LoadLimits()) -> Graph:
    """Read a model file. ``verify=False`` returns an unverified graph (e.g. to draw an invalid file)."""
    path = pathlib.Path(path)
    size, head = _opened(path, limits)
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
    except (TypeError, ValueError, RecursionError, ArithmeticError) as err:  # anything pydantic could not classify
        raise ModelFileError(path, f"invalid graph: {type(err).__name__}: {err}",
                             "the file was damaged or written by hand; run 'snnir explain invalid-ir' for the rules") from None
    if verify:
        try:
            verify_graph(graph)
        except VerifyError as err:
            raise VerifyError(err.diagnostics, rendered=f"in {path}:\n\n" + str(err).split(":\n\n", 1)[-1]) from None
    return graph


def _read_document(path: pathlib.Path, raw: bytes, limits: LoadLimits, max_values: int | None = None) -> dict:
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
    except ValueError as err:  # an integer literal of more than 4300 digits (int_max_str_digits)
        raise ModelFileError(path, f"invalid JSON: {err}", "numbers in a model file have at most a few dozen digits") from None
    _check_depth(path, doc, limits.max_json_depth, max_values)
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
    for key in ("nodes", "edges"):
        if key in graph and not isinstance(graph[key], list):
            raise ModelFileError(path, f"the graph's \"{key}\" is a {type(graph[key]).__name__}, not a list",
                                 f"\"{key}\" holds a list of objects, one per line")
    count = _count_nodes(graph)
    if count > limits.max_nodes:
        raise ModelFileError(path, f"the graph has {count} nodes (inner graphs included), over the limit of "
                                   f"{limits.max_nodes}", "raise LoadLimits.max_nodes if you trust this file")
    graph["schema_version"] = version
    return migrate(graph, version, SCHEMA_VERSION)


def _count_nodes(graph: dict) -> int:
    """Nodes of a graph document and of its composites' inner graphs (depth is bounded by then)."""
    total, stack = 0, [graph]
    while stack:
        nodes = stack.pop().get("nodes")
        if not isinstance(nodes, list):
            continue
        total += len(nodes)
        stack.extend(n["graph"] for n in nodes if isinstance(n, dict) and isinstance(n.get("graph"), dict))
    return total


def _check_depth(path: pathlib.Path, doc: Any, max_depth: int, max_values: int | None = None) -> None:
    stack, values = [(doc, 1)], 0
    while stack:
        value, depth = stack.pop()
        values += 1
        if depth > max_depth:
            raise ModelFileError(path, f"JSON nests deeper than {max_depth} levels",
                                 "raise LoadLimits.max_json_depth if you trust this file")
        if max_values is not None and values > max_values:
            raise ModelFileError(path, f"{MANIFEST} holds more than {max_values} JSON values",
                                 "raise LoadLimits.max_manifest_values if you trust this file")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _depth(value: Any) -> int:
    """The nesting depth of a JSON value, counted as _check_depth counts it (a scalar is 1)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


_EOCD = struct.Struct("<4s4H2LH")  # end of central directory: signature, disks, entries here, entries, size, offset, comment
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_DAMAGED = "the file was truncated or altered: save it again, or fetch a fresh copy"
_CENTRAL_ENTRY_BYTES = 256  # a generous bound on one central-directory entry of a snnir container


def _check_central_directory(path: pathlib.Path, limits: LoadLimits) -> None:
    """Read the end-of-central-directory record (and the zip64 one) as zipfile will, and refuse absurd
    entry counts or directory sizes before zipfile builds its entry list (a ZipInfo per entry)."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        tail_start = max(0, size - (_EOCD.size + 65535))
        f.seek(tail_start)
        tail = f.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _EOCD.size:
            raise ModelFileError(path, "corrupt archive: no end-of-central-directory record (truncated?)", _DAMAGED)
        _, _, _, _, entries, cd_size, _, _ = _EOCD.unpack_from(tail, at)
        locator = at - _ZIP64_LOCATOR.size
        if locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
            _, _, offset, _ = _ZIP64_LOCATOR.unpack_from(tail, locator)
            if offset > size - _ZIP64_EOCD.size:
                raise ModelFileError(path, "corrupt archive: the zip64 record lies outside the file", _DAMAGED)
            f.seek(offset)
            record = f.read(_ZIP64_EOCD.size)
            if len(record) == _ZIP64_EOCD.size and record[:4] == b"PK\x06\x06":
                fields = _ZIP64_EOCD.unpack(record)
                entries, cd_size = max(entries, fields[7]), max(cd_size, fields[8])
    most = limits.max_arrays + 1
    if entries > most:
        raise ModelFileError(path, f"archive declares {entries} entries, over the limit of {most}",
                             "raise LoadLimits.max_arrays if you trust this file")
    if cd_size > most * _CENTRAL_ENTRY_BYTES:
        raise ModelFileError(path, f"archive's central directory is {cd_size} bytes, more than {most} entries need",
                             "raise LoadLimits.max_arrays if you trust this file")


def _read_container(path: pathlib.Path, limits: LoadLimits) -> dict:
    _check_central_directory(path, limits)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = _entries(zf, path, limits)
            if MANIFEST not in infos:
                raise ModelFileError(path, f"archive has no {MANIFEST}", "is this a snnir model file?")
            manifest = _read_entry(zf, infos[MANIFEST], min(limits.max_json_bytes, limits.max_manifest_bytes), path,
                                   "raise LoadLimits.max_manifest_bytes if you trust this file")
            graph = _read_document(path, manifest, limits, limits.max_manifest_values)
            _resolve_arrays(path, zf, infos, graph, limits)
            return graph
    except ModelFileError:
        raise
    except Exception as err:  # BadZipFile, zlib.error, EOFError, ...: whatever a hostile archive provokes
        raise ModelFileError(path, f"corrupt archive: {type(err).__name__}: {err}", _DAMAGED) from None


def _entries(zf: zipfile.ZipFile, path: pathlib.Path, limits: LoadLimits) -> dict[str, zipfile.ZipInfo]:
    """The archive's entries by name, refusing too many and names given twice."""
    listed = zf.infolist()
    if len(listed) > limits.max_arrays + 1:
        raise ModelFileError(path, f"archive holds {len(listed)} entries, over the limit")
    infos = {i.filename: i for i in listed}
    if len(infos) != len(listed):
        twice = sorted({i.filename for i in listed if sum(j.filename == i.filename for j in listed) > 1}
                       if len(listed) < 1000 else {"..."})
        raise ModelFileError(path, f"archive holds two or more entries named {', '.join(twice)}",
                             "a snnir container names each entry once; it was not written by snnir.save")
    return infos


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, path: pathlib.Path, hint: str = "") -> bytes:
    """An entry's bytes, refusing declared or actual sizes over ``limit`` (no zip-bomb inflation)."""
    if info.file_size > limit:
        raise ModelFileError(path, f"entry {info.filename} declares {info.file_size} bytes, over the limit of {limit}",
                             hint)
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


def _check_reference(path, where: str, ref: dict, limits: LoadLimits, names: re.Pattern = _ARRAY_NAME,
                     storage: dict | None = None) -> tuple[str, tuple[int, ...]]:
    storage = _STORAGE if storage is None else storage
    if set(ref) != {"$array", "dtype", "shape"}:
        raise ModelFileError(path, f"{where}: an array reference has exactly the keys $array, dtype, shape")
    name, dtype, shape = ref["$array"], ref["dtype"], ref["shape"]
    if not isinstance(name, str) or not names.match(name):
        raise ModelFileError(path, f"{where}: bad array entry name {name!r}")
    if not isinstance(dtype, str) or dtype not in storage:
        raise ModelFileError(path, f"{where}: unsupported dtype {dtype!r}", f"use one of {sorted(storage)}")
    if not isinstance(shape, list) or len(shape) > 32 or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d for d in shape):
        raise ModelFileError(path, f"{where}: shape must be a list of at most 32 non-negative integers")
    count = math.prod(shape)
    if count > limits.max_array_elements:
        raise ModelFileError(path, f"{where}: shape {shape} has {count} elements, over the limit of "
                                   f"{limits.max_array_elements}", "raise LoadLimits.max_array_elements if you trust it")
    return dtype, tuple(shape)


def _read_npy(path, where: str, zf, info, dtype: str, shape: tuple[int, ...], storages: dict | None = None,
              dtypes: dict | None = None) -> np.ndarray:
    storage = (_STORAGE if storages is None else storages)[dtype]
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
    if fortran:
        raise ModelFileError(path, f"{where}: the array is stored in Fortran (column-major) order; snnir reads "
                                   "C-order arrays only", "write it with np.save(np.ascontiguousarray(a))")
    if header_dtype != storage or tuple(header_shape) != shape:
        raise ModelFileError(path, f"{where}: the array holds {_storage_name(header_dtype)}{list(header_shape)} "
                                   f"but the graph declares {dtype}{list(shape)} (stored as {storage.str})",
                             "the entry and the document disagree: the file was damaged or edited; save it again "
                             "with snnir.save")
    body = data[stream.tell():]
    if len(body) != expected:
        raise ModelFileError(path, f"{where}: the array data has {len(body)} bytes, expected {expected}")
    array = np.frombuffer(body, dtype=storage).reshape(shape)
    return array.view((dtypes or {}).get(dtype) or FLOAT_DTYPES.get(dtype) or INT_DTYPES[dtype]).copy()


def _storage_name(dtype: np.dtype) -> str:
    """A .npy header's dtype with its byte order, so '>f4' and '<f4' do not both print as float32."""
    return f"{dtype.name} ({dtype.str})" if dtype.str != dtype.newbyteorder("<").str else dtype.name
