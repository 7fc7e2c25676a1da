"""Integer-exact simulation of a quantized graph: every value an int32, every state saturated to its bits.

``snnir.compile(graph, arithmetic="integer")`` builds an :class:`IntegerProgram` from a fully quantized
graph of Input, Linear, LIF, IF, LI and Output nodes (passes/lower_integer.py checks the graph and turns
each Quantization into the integers below). One step, with sat_B(z) = clip(z, −2^(B−1), 2^(B−1) − 1)
(B the state's bits, sat₃₂ the int32 range) and ``>>`` the arithmetic right shift (rounds towards −∞):

    port sum       x = sat₃₂(…sat₃₂(e₁ + e₂)… + e_k)      the in-edges in the order of graph.edges
    Linear         y = W·x + b                                exact: compile checks it fits int32
    LIF            a = D(v);  u = sat_B(a + x);  s = H(u − θ);  v ← sat_B(u − θ·s)
                   (reset="zero": v ← u·(1 − s));  outputs s (0/1) on "out", v on "v"
    IF             as LIF with a = v
    LI             v ← sat_B(D(v) + x);  y = v
    Output         y = x

with W, b, θ the stored integers and D the decay, in one of two forms:

    shift    D(v) = v − (v >> d)           β = 1 − 2^(−d) (Xylo's dash; a shift over 31 acts as 31)
    linear   D(v) = (β_int · v) >> k       β = β_int / 2^k (Loihi 2's 1 − dv/4096), computed exactly in
             int32 as β_int·(v >> k) + ((β_int·(v mod 2^k)) >> k), k ≤ 15

(both round towards −∞, as the arithmetic shift does),
H(z) = 1 if z > 0 (z ≥ 0 with ``fire_at_threshold``). Inputs are cast to integers (floats rounded half
to even) and saturated to ``input_bits``. Edges with an effective delay read the value that many steps
back; before step 0 every port rests at 0 except a Linear's, which rests at its bias b (its sources
rest at 0), as in docs/semantics.md.

This module knows arrays and static tuples only, never the IR.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def sat_add(a: jax.Array, b: jax.Array) -> jax.Array:
    """a + b saturated to int32, exactly (the wrapped sum is corrected where it overflowed)."""
    r = a + b
    overflow = ((a ^ r) & (b ^ r)) < 0  # both operands' signs differ from the result's
    return jnp.where(overflow, jnp.where(a < 0, INT32_MIN, INT32_MAX).astype(jnp.int32), r)


def sat_sub(a: jax.Array, b: jax.Array) -> jax.Array:
    """a − b saturated to int32, exactly."""
    r = a - b
    overflow = ((a ^ b) & (a ^ r)) < 0  # operands of different signs and the result's sign not a's
    return jnp.where(overflow, jnp.where(a < 0, INT32_MIN, INT32_MAX).astype(jnp.int32), r)


def saturate(x: jax.Array, bits: int) -> jax.Array:
    """sat_B: x clipped to the signed range of ``bits`` bits (x an int32)."""
    if bits >= 32:
        return x
    return jnp.clip(x, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1).astype(jnp.int32)


def decayed(v: jax.Array, beta: jax.Array, form: str, k: int) -> jax.Array:
    """D(v): ``form="shift"``: v − (v >> d) with d = ``beta``; ``"linear"``: (β_int·v) >> k, exact in
    int32 (v = (v >> k)·2^k + (v mod 2^k), and neither partial product overflows for β_int ≤ 2^k, k ≤ 15)."""
    if form == "shift":
        return v - jnp.right_shift(v, beta)
    high = beta * jnp.right_shift(v, k)
    low = jnp.right_shift(beta * jnp.bitwise_and(v, 2**k - 1), k)
    return high + low


class IntegerProgram(eqx.Module):
    """A compiled integer simulation. ``init_state(batch_shape)`` gives the state (membranes and
    history buffers, all int32); ``prog(state, xs)`` runs T steps of ``xs`` ([T, *batch, *shape], or
    ``{input_id: ...}``) and returns ``(state, {output_id: int32 [T, *batch, *shape]})``;
    ``prog.step(state, x_t)`` runs one. ``params`` holds the integers ({node: {name: int32 array}})."""

    params: dict[str, dict[str, jax.Array]]
    #: per node in schedule order: (id, kind, shape, options, sources); sources are (src, port, delay)
    #: in the order of graph.edges; options (bits, reset, fire_at_threshold, decay form, k) for neurons
    nodes: tuple = eqx.field(static=True)
    #: ((node, port), depth, shape) of every port a delayed edge reads
    history: tuple = eqx.field(static=True)
    input_ids: tuple[str, ...] = eqx.field(static=True)
    output_ids: tuple[str, ...] = eqx.field(static=True)
    input_bits: int = eqx.field(static=True, default=16)
    feedback_edges: tuple[tuple[str, str], ...] = eqx.field(static=True, default=())
    mode: str = eqx.field(static=True, default="straight")

    # ------------------------------------------------------------------ state
    def init_state(self, batch_shape: tuple[int, ...] = ()) -> dict:
        """{node: {"v": int32 [*batch, *shape]}} for neurons and {node: {"<port>_history": [*batch, depth,
        *shape]}} for delayed reads (filled with the rest values: a Linear's bias, else 0)."""
        batch = tuple(int(b) for b in batch_shape)
        state: dict[str, dict[str, jax.Array]] = {}
        for nid, kind, shape, _, _ in self.nodes:
            if kind in ("LIF", "IF", "LI"):
                state.setdefault(nid, {})["v"] = jnp.zeros(batch + shape, jnp.int32)
        for (nid, port), depth, shape in self.history:
            rest = self.params.get(nid, {}).get("bias", 0) if self._kind(nid) == "Linear" else 0
            state.setdefault(nid, {})[f"{port}_history"] = jnp.broadcast_to(
                jnp.asarray(rest, jnp.int32), batch + (depth,) + shape)
        return state

    def _kind(self, nid: str) -> str:
        return next(k for i, k, *_ in self.nodes if i == nid)

    # ------------------------------------------------------------------ running
    def __call__(self, state: dict, xs: Any) -> tuple[dict, dict[str, jax.Array]]:
        inputs = self._inputs(xs)
        return _run(self, state, inputs)

    def trace(self, state: dict, xs: Any, nodes: Any = None, state_vars: bool = False):
        """Run T steps recording every node's "out" value (Output nodes: what they return), as
        ``Program.trace``: ``(state, traces)`` with ``traces[node_id]`` int32 [T, *batch, ...], and with
        ``state_vars=True`` also ``traces["node_id:v"]``, each neuron's membrane after each step.
        ``nodes`` (an id or a list of ids) keeps only those."""
        ids = [n[0] for n in self.nodes]
        wanted = ids if nodes is None else ([nodes] if isinstance(nodes, str) else list(nodes))
        unknown = [n for n in wanted if n not in ids]
        if unknown:
            from ..errors import ProgramInputError

            raise ProgramInputError(f"cannot trace unknown node(s) {unknown}; the program has {ids}"
                                    "\n  hint: name nodes of the graph the program was compiled from")
        return _run(self, state, self._inputs(xs), tuple(wanted), bool(state_vars))

    def step(self, state: dict, x_t: Any) -> tuple[dict, dict[str, jax.Array]]:
        """One step: ``x_t`` is [*batch, *shape] (or a dict); outputs [*batch, *shape]."""
        if isinstance(x_t, dict):
            xs = {k: jnp.asarray(v)[None] for k, v in x_t.items()}
        else:
            xs = jnp.asarray(x_t)[None]
        state, ys = self(state, xs)
        return state, {k: v[0] for k, v in ys.items()}

    def _inputs(self, xs: Any) -> dict[str, jax.Array]:
        if not isinstance(xs, dict):
            if len(self.input_ids) != 1:
                from ..errors import ProgramInputError

                raise ProgramInputError(f"the program has inputs {list(self.input_ids)}; give xs as "
                                        "{input_id: [T, *batch, *shape]}\n  hint: one array only for one Input")
            xs = {self.input_ids[0]: xs}
        lo, hi = -(2 ** (self.input_bits - 1)), 2 ** (self.input_bits - 1) - 1
        out = {}
        for nid in self.input_ids:
            x = jnp.asarray(xs[nid])
            if jnp.issubdtype(x.dtype, jnp.floating):
                x = jnp.round(x)
            elif x.dtype == jnp.bool_:
                x = x.astype(jnp.int32)
            out[nid] = jnp.clip(x, lo, hi).astype(jnp.int32)
        return out


@eqx.filter_jit
def _run(prog: IntegerProgram, state: dict, inputs: dict[str, jax.Array], recorded: tuple[str, ...] | None = None,
         state_vars: bool = False):
    """T steps; with ``recorded`` (node ids) the traces of those nodes instead of the outputs."""
    n_batch = next(iter(inputs.values())).ndim - 1 - len(_node_shape(prog, prog.input_ids[0]))

    def body(carry, x_t):
        new_state, ys, values = _step(prog, carry, x_t, n_batch)
        if recorded is None:
            return new_state, ys
        traces = {nid: ys[nid] if nid in ys else values[(nid, "out")] for nid in recorded}
        if state_vars:
            traces.update({f"{nid}:v": new_state[nid]["v"] for nid in recorded if "v" in new_state.get(nid, {})})
        return new_state, traces

    return jax.lax.scan(body, state, inputs)


def _node_shape(prog: IntegerProgram, nid: str) -> tuple[int, ...]:
    return next(shape for i, _, shape, *_ in prog.nodes if i == nid)


def _step(prog: IntegerProgram, state: dict, x_t: dict, n_batch: int):
    values: dict[tuple[str, str], jax.Array] = {}
    new_state = {nid: dict(entry) for nid, entry in state.items()}
    ys = {}
    for nid, kind, shape, options, sources in prog.nodes:
        if kind == "Input":
            values[(nid, "out")] = x_t[nid]
            continue
        x = None
        for src, port, delay in sources:
            if delay == 0:
                value = values[(src, port)]
            else:
                value = jnp.take(state[src][f"{port}_history"], delay - 1, axis=n_batch)
            x = value if x is None else sat_add(x, value)
        p = prog.params.get(nid, {})
        if kind == "Output":
            ys[nid] = x
            continue
        if kind == "Linear":
            y = jnp.matmul(x, p["weight"].T, preferred_element_type=jnp.int32)
            values[(nid, "out")] = y + p["bias"] if "bias" in p else y
            continue
        bits, reset, at_threshold, form, k = options
        v = state[nid]["v"]
        leaked = v if kind == "IF" else decayed(v, p["decay"], form, k)
        u = saturate(sat_add(leaked, x), bits)
        if kind == "LI":
            new_state[nid]["v"] = u
            values[(nid, "out")] = values[(nid, "v")] = u
            continue
        spike = (u >= p["threshold"]) if at_threshold else (u > p["threshold"])
        if reset == "zero":
            v_new = jnp.where(spike, jnp.zeros_like(u), u)
        else:
            v_new = saturate(sat_sub(u, jnp.where(spike, p["threshold"], 0).astype(jnp.int32)), bits)
        new_state[nid]["v"] = v_new
        values[(nid, "out")] = spike.astype(jnp.int32)
        values[(nid, "v")] = v_new
    for (nid, port), depth, _ in prog.history:
        buf = state[nid][f"{port}_history"]
        merged = jnp.concatenate([jnp.expand_dims(values[(nid, port)], n_batch), buf], axis=n_batch)
        new_state[nid][f"{port}_history"] = jax.lax.slice_in_dim(merged, 0, depth, axis=n_batch)
    return new_state, ys, values


def as_int32(values: np.ndarray) -> jax.Array:
    """An int64 numpy array (already in range) as an int32 JAX array."""
    return jnp.asarray(np.asarray(values, np.int64).astype(np.int32))


__all__ = ["IntegerProgram", "sat_add", "sat_sub", "saturate", "INT32_MIN", "INT32_MAX", "as_int32"]
