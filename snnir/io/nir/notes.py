"""snnir's notes in NIR metadata: ids, options and exact parameter copies that NIR cannot hold.

Each exported node carries ``metadata["snnir"]`` (a JSON note: id, kind, options, parameter shapes),
exact copies of its decays and leaks (``snnir_decay``, ...) and a Linear's mask (``snnir_mask``). A note
is applied only where the restored node exports to the same NIR parameters, so a note can restore a
form but never change what the graph computes.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ...errors import SnnirError
from ...ir import Node
from .params import RTOL
from .table import write_node

META = "snnir"            # node / graph metadata key holding snnir's JSON note (ids, options, order)
# snnir graph metadata key holding what an import read from NIR that snnir's nodes do not hold, for the
# way back: "structure" (the sub-graphs' nesting, nest.py) and "w_in" (CubaLIF/CubaLI input gains
# split between the two stages as the file had them). Used by to_nir only where it exports the same numbers
NIR_NOTE = "nir"
MASK_META = "snnir_mask"  # node metadata key holding a Linear's 0/1 mask
GAIN_META = "snnir_gain"  # node metadata key holding the exact gain of the frozen Scale an import put in front
# parameters NIR holds only through τ or v_leak: their exact values travel as metadata arrays, so a round
# trip does not drift by float rounding (used only when they agree with what the NIR parameters give)
DERIVED = ("decay", "syn_decay", "mem_decay", "leak")
# fields that only shape gradients or training: kept through NIR in snnir's metadata note
_GRADIENT_ONLY = frozenset({"trainable", "surrogate", "detach_reset"})
# a decay clamp: the export writes the clipped decays (what computes), so re-applying the clamp on import
# changes no number; kept through the note so that training after a round trip clips as before
_CLAMP = frozenset({"decay_clamp", "decay_clamp_op"})
# quantization formats: the export writes each quantized parameter as the value that computes, q(w), so
# re-applying the format on import changes no number (q is idempotent); kept through the note so that
# training after a round trip quantizes as before, and the integer simulation still applies
_QUANT = frozenset({"quant"})
# non-array fields each exporter reads (so a restored value is checked against the NIR parameters).
# Not spike_from: a pre-spike neuron is its NIR neuron plus a Delay, so only folding that Delay away
# (read.py) makes it one; a note on a lone NIR neuron must not.
_SPIKING = frozenset({"shape", "reset", "reset_at", "fire_at_threshold"})
_HANDLED = {
    "Input": {"shape"}, "Output": {"shape"}, "Linear": set(), "Scale": set(), "Delay": set(),
    "Flatten": {"start_dim", "end_dim"},
    "Conv1d": {"stride", "padding", "dilation", "groups"}, "Conv2d": {"stride", "padding", "dilation", "groups"},
    "SumPool2d": {"kernel_size", "stride", "padding"}, "AvgPool2d": {"kernel_size", "stride", "padding"},
    "LIF": _SPIKING | {"input_scale"}, "IF": _SPIKING, "CubaLIF": _SPIKING | {"input_scale"},
    "LI": {"shape", "input_scale"},
}


def note(leaf: dict) -> dict:
    """snnir's JSON note in a node's metadata ({} when absent or unreadable: it is only a hint)."""
    raw = (leaf.get("metadata") or {}).get(META)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str) or len(raw) > (1 << 22):
        return {}
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def metadata(node: Node) -> dict:
    """The metadata an exported node carries (its note, exact decays and leaks, a Linear's mask)."""
    fields = {k: v for k, v in node.model_dump(mode="json").items()
              if k not in ("id", "kind") and k not in node.array_fields()}
    shapes = {p: list(v.shape) for p, v in node.params().items()}
    meta: dict[str, Any] = {META: json.dumps({"id": node.id, "kind": node.kind, "fields": fields, "shapes": shapes})}
    if node.kind == "Linear" and getattr(node, "mask", None) is not None:
        meta[MASK_META] = np.asarray(node.mask, np.int32)
    for name in DERIVED:
        value = getattr(node, name, None)
        if isinstance(value, np.ndarray) and name in node.array_fields():
            # at least 1-d: nir.write compresses every array, which HDF5 refuses for scalars
            meta[f"{META}_{name}"] = np.atleast_1d(np.asarray(value, np.float64 if value.dtype == np.float64
                                                              else np.float32))
    return meta


def exact_gain(helper: Node, leaf: dict) -> Node:
    """The frozen gain Scale ``helper`` (``name.gain``) with the exact value its export recorded, when
    that value is what the NIR parameters give (within rounding): so snnir -> NIR -> snnir keeps it."""
    exact = (leaf.get("metadata") or {}).get(GAIN_META)
    if exact is None:
        return helper
    value = np.asarray(helper.scale)
    try:
        exact = np.asarray(exact, np.float64).reshape(value.shape)
    except (TypeError, ValueError):
        return helper
    if not np.allclose(exact, value, rtol=RTOL, atol=0):
        return helper
    return helper.replace(scale=exact.astype(value.dtype))


def restore(candidate: Node, leaf: dict, dt: float, in_shape: Any = None, alone: bool = True) -> Node:
    """Apply snnir's note (options NIR does not hold, original parameter shapes) when, and only when,
    the restored node exports to the same NIR parameters: the note can never change the semantics."""
    rec = note(leaf)
    fields = rec.get("fields")
    if rec.get("kind") != candidate.kind or not isinstance(fields, dict):
        return candidate
    allowed = (_HANDLED.get(candidate.kind, set()) | _GRADIENT_ONLY | _CLAMP | _QUANT) & set(type(candidate).model_fields)
    changes = {k: v for k, v in fields.items() if k in allowed}
    if changes.get("reset") == "to_value" and getattr(candidate, "reset", None) == "zero":
        changes["reset_value"] = np.zeros(candidate.shape, candidate.threshold.dtype)
    for name in DERIVED:
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
            close = np.allclose(np.broadcast_to(exact, value.shape), np.asarray(value, np.float64),
                                rtol=RTOL, atol=1e-7)
        except ValueError:
            close = False
        if close:
            changes[name] = exact.astype(value.dtype)
    mask = (leaf.get("metadata") or {}).get(MASK_META)
    if candidate.kind == "Linear" and mask is not None:
        changes["mask"] = np.asarray(mask).astype(np.int32)
    shapes = rec.get("shapes") if isinstance(rec.get("shapes"), dict) else {}
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
        exported = write_node(restored, in_shape, dt, np.float64)
        # a neuron imported with frozen nodes in front: the restored neuron must export as the candidate does
        target = leaf["params"] if alone else nir_params(write_node(candidate, in_shape, dt, np.float64))
    except (SnnirError, TypeError, ValueError):
        return candidate
    return restored if same_params(nir_params(exported), target) else candidate


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


def nir_params(node: Any) -> dict:
    d = node.to_dict()
    d.pop("type", None)
    d.pop("metadata", None)
    return d


def same_params(ours: dict, theirs: dict) -> bool:
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
        if not np.allclose(a.reshape(-1), b.reshape(-1), rtol=RTOL, atol=1e-12):
            return False
    return True

