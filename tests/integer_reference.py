"""An independent integer reference for ``snnir.compile(graph, arithmetic="integer")``.

Written from the equations of docs/semantics.md ("Integer arithmetic") and docs/targets.md
("Quantization"), in plain numpy int64 with explicit clipping, step by step: it shares no code with
snnir's lowering or kernels. It reads the feedback marks and delays from the IR (``edge.feedback``,
``edge.delay``) and never chooses marks itself, and it makes the stored integers from each node's
``quant`` entries with its own rounding.
"""

from __future__ import annotations

import math

import numpy as np

INT32 = (-(2**31), 2**31 - 1)


def clip_bits(z, bits: int):
    return np.clip(z, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def clip32(z):
    return np.clip(z, *INT32)


def stored_integers(q, value, shape=None) -> np.ndarray:
    """The integers of ``value`` in the format ``q`` (a snnir.Quantization, read field by field)."""
    w = np.asarray(value, np.float64)
    if shape is not None:
        w = np.broadcast_to(w, shape)
    if q.form == "shift":  # β = 1 − 2^(−d): d = round(−log2(1 − β)) in 0 .. 2^bits − 1
        hi = 2**q.bits - 1
        out = np.empty(w.shape, np.int64)
        for idx, beta in np.ndenumerate(w):
            if beta >= 1.0:
                out[idx] = hi
            else:
                z = -math.log2(1.0 - beta)
                r = np.rint(z) if q.rounding == "nearest" else math.floor(z)
                out[idx] = int(min(max(r, 0), hi))
        return out
    lo, hi = (-(2 ** (q.bits - 1)), 2 ** (q.bits - 1) - 1) if q.signed else (0, 2**q.bits - 1)
    if isinstance(q.scale, tuple):
        axis = 0 if q.axis is None else q.axis % w.ndim
        view = [1] * w.ndim
        view[axis] = len(q.scale)
        s = np.asarray(q.scale, np.float64).reshape(view)
    else:
        s = np.float64(q.scale)
    z = w / s
    r = np.rint(z) if q.rounding == "nearest" else np.floor(z)  # rint: half to even
    return np.clip(r, lo, hi).astype(np.int64)


def decay(v, spec):
    """v − (v >> d) for a shift decay; floor(β_int · v / 2^k) for a linear one (int64: exact)."""
    form, d, k = spec
    if form == "shift":
        return v - (v >> d)
    return (d * v) >> k


def _order(graph) -> list[str]:
    """Nodes in an order where every zero-delay edge's source comes first (Kahn, declaration ties)."""
    ids = [n.id for n in graph.nodes]
    deps = {i: set() for i in ids}
    for e in graph.edges:
        if e.delay == 0 and not e.feedback:
            deps[e.dst].add(e.src)
    done: list[str] = []
    while len(done) < len(ids):
        ready = [i for i in ids if i not in done and deps[i] <= set(done)]
        if not ready:
            raise ValueError("a zero-delay cycle without a feedback mark")
        done.append(ready[0])
    return done


def simulate(graph, xs, input_bits: int = 16) -> dict[str, np.ndarray]:
    """{output id: int64 [T, B, *shape]} for ``xs`` ({input id: [T, B, *shape]} or one array)."""
    nodes = {n.id: n for n in graph.nodes}
    if not isinstance(xs, dict):
        xs = {graph.inputs[0].id: xs}
    xs = {k: clip_bits(np.rint(np.asarray(v, np.float64)).astype(np.int64), input_bits) for k, v in xs.items()}
    steps, batch = next(iter(xs.values())).shape[:2]
    ints: dict[str, dict[str, np.ndarray]] = {}
    for n in graph.nodes:
        q = n.quant or {}
        if n.kind == "Linear":
            w = stored_integers(q["weight"], n.weight)
            if n.mask is not None:
                w = w * np.asarray(n.mask, np.int64)
            b = (stored_integers(q["bias"], n.bias, (w.shape[0],)) if n.bias is not None
                 else np.zeros(w.shape[0], np.int64))
            ints[n.id] = {"W": w, "b": b}
        elif n.kind in ("LIF", "IF", "LI"):
            shape = tuple(n.shape)
            ints[n.id] = {"B": q["v"].bits}
            if n.kind != "LI":
                ints[n.id]["theta"] = stored_integers(q["threshold"], n.threshold, shape)
            if n.kind != "IF":
                qd = q["decay"]
                d = stored_integers(qd, n.decay, shape)
                if qd.form == "shift":
                    ints[n.id]["decay"] = ("shift", np.minimum(d, 31), 0)
                else:  # β = β_int / 2^k: the scale is 2^(−k)
                    k = int(round(-math.log2(qd.scale)))
                    ints[n.id]["decay"] = ("linear", np.minimum(d, 2**k), k)
    into = {n.id: [e for e in graph.edges if e.dst == n.id] for n in graph.nodes}
    order = _order(graph)
    v = {n.id: np.zeros((batch,) + tuple(n.shape), np.int64) for n in graph.nodes if n.kind in ("LIF", "IF", "LI")}
    past: list[dict] = []  # past[t][(node, port)]
    outs = {n.id: [] for n in graph.outputs}

    def rest(node_id: str, port: str):
        """Before step 0: a Linear rests at its bias (its sources rest at 0), everything else at 0."""
        n = nodes[node_id]
        if n.kind == "Linear":
            return np.broadcast_to(ints[node_id]["b"], (batch,) + ints[node_id]["b"].shape)
        return np.zeros((batch,) + tuple(n.shape), np.int64)

    for t in range(steps):
        now: dict[tuple[str, str], np.ndarray] = {}
        for nid in order:
            n = nodes[nid]
            if n.kind == "Input":
                now[(nid, "out")] = xs[nid][t]
                continue
            x = None
            for e in into[nid]:
                d = e.delay + (1 if e.feedback else 0)
                if d == 0:
                    value = now[(e.src, e.src_port)]
                elif t - d >= 0:
                    value = past[t - d][(e.src, e.src_port)]
                else:
                    value = rest(e.src, e.src_port)
                x = np.asarray(value, np.int64) if x is None else clip32(x + value)
            if n.kind == "Output":
                outs[nid].append(np.broadcast_to(x, x.shape))
            elif n.kind == "Linear":
                p = ints[nid]
                now[(nid, "out")] = np.asarray(x, np.int64) @ p["W"].T + p["b"]
            else:
                p = ints[nid]
                B = p["B"]
                old = v[nid]
                if n.kind == "LI":
                    new = clip_bits(decay(old, p["decay"]) + x, B)
                    v[nid] = new
                    now[(nid, "out")] = now[(nid, "v")] = new
                    continue
                a = old if n.kind == "IF" else decay(old, p["decay"])
                u = clip_bits(a + x, B)
                s = (u >= p["theta"]) if n.fire_at_threshold else (u > p["theta"])
                new = np.where(s, 0, u) if n.reset == "zero" else clip_bits(u - p["theta"] * s, B)
                v[nid] = new
                now[(nid, "out")] = s.astype(np.int64)
                now[(nid, "v")] = new
        past.append(now)
    return {k: np.stack(vals) for k, vals in outs.items()}


__all__ = ["simulate", "stored_integers", "clip_bits", "clip32"]
