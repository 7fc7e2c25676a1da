"""``Program``: the compiled graph. Parameters are its array leaves; everything else is static.

Within one step (straight-through semantics; delayed mode is the same program on a graph whose edges
were delayed by a pass):
  1. ports without direct feedthrough emit their value from the state before the step;
  2. nodes update in schedule order; each input port receives the sum of its in-edges, read from this
     step's values (delay 0) or from the source's history buffer (delay d ≥ 1: the value of step t − d);
  3. ports that later steps read are pushed into their history buffers.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from typing import Any, Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..errors import ProgramInputError, ShapeError
from ..ir import Graph
from ..ir.arrays import FLOAT_DTYPES
from ..kernels import Kernel
from ..kernels.precision import PRECISIONS
from .plan import NodePlan, history_var
from .scan import time_scan

CLOCK = "@clock"  # state entry holding the absolute step counter (ids never contain "@")


class Program(eqx.Module):
    """A graph lowered to JAX. Call it like a function; jit, grad and vmap it like any Equinox module.

    ``state = prog.init_state(batch_shape=(B,))`` then ``state, ys = prog(state, xs)`` with
    ``xs`` of shape [T, B, *shape] (or a dict by input id) and ``ys`` a dict by output id.
    """

    kernels: dict[str, Kernel]
    plan: tuple[NodePlan, ...] = eqx.field(static=True)
    mode: str = eqx.field(static=True)
    dtype: str = eqx.field(static=True)
    feedback_edges: tuple[tuple[str, str], ...] = eqx.field(static=True)
    # (node id, IR field, kernel field, IR dtype): where each IR parameter lives, and its dtype in the IR
    param_map: tuple[tuple[str, str, str, str], ...] = eqx.field(static=True)
    trainable_fields: tuple[tuple[str, str], ...] = eqx.field(static=True)  # (node id, kernel field)
    graph_template: str = eqx.field(static=True)  # the graph as JSON without its arrays
    declaration: tuple[str, ...] = eqx.field(static=True)  # node ids in declaration order
    stateful_ids: tuple[str, ...] = eqx.field(static=True)  # nodes with an entry in the state
    strategy: str = eqx.field(static=True, default="fused-scan")
    # ("map" | "scan", node ids): the layered strategy's stages, in dependency order
    stages: tuple[tuple[str, tuple[str, ...]], ...] = eqx.field(static=True, default=())
    # scan segments of this many steps, each recomputed in the backward pass (None: store every step)
    checkpoint_every: int | None = eqx.field(static=True, default=None)
    # dtype of the synaptic products (Linear and Conv matmuls); None: the program's dtype throughout
    precision: str | None = eqx.field(static=True, default=None)

    # ------------------------------------------------------------------ structure
    @property
    def input_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.plan if p.role == "input")

    @property
    def output_ids(self) -> tuple[str, ...]:
        roles = {p.id: p.role for p in self.plan}
        return tuple(nid for nid in self.declaration if roles.get(nid) == "output")

    @property
    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        return {p.id: p.output_shape() for p in self.plan if p.role == "input"}

    @property
    def output_shapes(self) -> dict[str, tuple[int, ...]]:
        return {p.id: p.inputs[0][2] for p in self.plan if p.role == "output"}

    @property
    def order(self) -> tuple[str, ...]:
        """The per-step update schedule."""
        return tuple(p.id for p in self.plan)

    # ------------------------------------------------------------------ state
    def init_state(self, batch_shape: tuple[int, ...] = (), key: jax.Array | None = None) -> dict:
        """{node_id: {var: array}} for every node with state or history, plus the step counter."""
        batch = _as_batch_shape(batch_shape)
        dtype = jnp.dtype(self.dtype)
        state: dict[str, dict[str, jax.Array]] = {}
        for p in self.plan:
            entry = dict(self._kernel_init(p.id, batch, dtype, key)) if p.id in self.kernels else {}
            first = self._zero_response(p, dtype) if p.initial == "zero_response" and p.history else {}
            for port, depth in p.history:
                shape = batch + (depth,) + p.output_shape(port)
                entry[history_var(port)] = (jnp.broadcast_to(first[port], shape).astype(dtype) if port in first
                                            else jnp.zeros(shape, dtype))
            if entry:
                state[p.id] = entry
        state[CLOCK] = {"t": jnp.zeros((), jnp.int32)}
        return state

    def _kernel_init(self, nid: str, batch, dtype, key) -> dict:
        kernel = self.kernels[nid]
        if getattr(kernel, "KEYED_INIT", False):  # a user layer's init_state may draw random numbers
            node_key = None if key is None else jax.random.fold_in(key, zlib.crc32(nid.encode()) & 0x7FFFFFFF)
            return kernel.init_state(batch, dtype, key=node_key)
        return kernel.init_state(batch, dtype)

    def _zero_response(self, p, dtype) -> dict[str, jax.Array]:
        """A stateless node's output per port for an all-zero input (one sample): its value "before step 0"
        when the IR asks for ``initial_output="zero_response"`` (e.g. a Linear's bias, as SNNAX starts)."""
        received = {port: jnp.zeros(shape, dtype) for port, _, shape in p.inputs}
        x = received["in"] if len(received) == 1 and "in" in received else received
        kernel = self.kernels[p.id]
        kstate, y = kernel.step({}, x, None)
        return {port: kernel.port(port, kstate, y) for port, _, _ in p.outputs}

    # ------------------------------------------------------------------ running
    def __call__(self, state: dict, xs: Any, key: jax.Array | None = None, lengths: Any = None):
        """Run T steps. Returns ``(state, ys)`` with ``ys = {output_id: [T, *batch, *shape]}``."""
        inputs, batch = self._check_inputs(xs, time_major=True)
        self._check_state(state, batch)
        lengths = self._check_lengths(lengths, batch)
        return self._runner(self, state, inputs, key, lengths, None, False)[:2]

    def checkpointed(self, every: int | None) -> "Program":
        """This program with its time loop cut into segments of ``every`` steps that the backward pass
        recomputes instead of storing (memory ~ T/every + every instead of T; same results). ``None``
        turns it off. About sqrt(T) is a good choice for long sequences."""
        if every is not None and (not isinstance(every, (int, np.integer)) or isinstance(every, bool) or every < 1):
            raise ProgramInputError(f"checkpoint segment length must be a positive int or None, got {every!r}")
        return dataclasses.replace(self, checkpoint_every=None if every is None else int(every))

    def with_precision(self, precision: str | None) -> "Program":
        """This program with its synaptic products (Linear and Conv matmuls) computed in ``precision``
        ("bfloat16", "float16" or "float32"): inputs and weights are rounded to it, products accumulate
        and come back in the program's dtype, and every state variable (membranes, traces, histories)
        stays in the program's dtype. Parameters are not changed, so gradients and optimisers still see
        float32 weights. ``None`` turns the policy off."""
        if precision is not None and precision not in PRECISIONS:
            raise ProgramInputError(f"unknown precision {precision!r}; choose one of {list(PRECISIONS)} or None"
                                    "\n  hint: bfloat16 keeps float32's range, float16 has more mantissa bits")
        kernels = {nid: (dataclasses.replace(k, compute_dtype=precision) if hasattr(k, "compute_dtype") else k)
                   for nid, k in self.kernels.items()}
        return dataclasses.replace(self, kernels=kernels, precision=precision)

    @property
    def _runner(self):
        if self.strategy == "layered":
            from .layered import run_layered

            return run_layered
        return _run

    def step(self, state: dict, x_t: Any, key: jax.Array | None = None):
        """One step: ``x_t`` is [*batch, *shape] (or a dict). Chunked steps equal one run."""
        inputs, batch = self._check_inputs(x_t, time_major=False)
        self._check_state(state, batch)
        return _one_step(self, state, inputs, key, len(batch))

    def trace(self, state: dict, xs: Any, nodes: Any = None, state_vars: bool = False,
              key: jax.Array | None = None, lengths: Any = None):
        """Run T steps recording every node's "out" value (Output nodes: what they return).

        Returns ``(state, traces)`` with ``traces[node_id]`` of shape [T, *batch, ...]; with
        ``state_vars=True`` also ``traces["node_id:var"]`` for each state variable after each step.
        """
        inputs, batch = self._check_inputs(xs, time_major=True)
        self._check_state(state, batch)
        lengths = self._check_lengths(lengths, batch)
        wanted = self._check_trace_nodes(nodes)
        state, _, traces = self._runner(self, state, inputs, key, lengths, wanted, state_vars)
        return state, traces

    # ------------------------------------------------------------------ one step
    def _advance(self, state: dict, inputs: Mapping[str, jax.Array], key, n_batch: int,
                 members: frozenset[str] | None = None, external: Mapping | None = None):
        """One step of every node, or only of ``members``, whose in-edges from other nodes are read from
        ``external[source]`` (the layered strategy precomputes those over all steps)."""
        t = state[CLOCK]["t"]
        step_key = None if key is None else jax.random.fold_in(key, t)
        values: dict[tuple[str, str], jax.Array] = {}
        plans = self.plan if members is None else tuple(p for p in self.plan if p.id in members)
        for p in plans:  # 1. values that depend on the state only
            for port in p.no_feedthrough_ports:
                values[(p.id, port)] = self.kernels[p.id].output(_kernel_state(state, p))
        new_state = {CLOCK: {"t": t + 1}}
        for p in plans:  # 2. updates in schedule order
            if p.role == "input":
                values[(p.id, "out")] = inputs[p.id]
                continue
            received = {port: self._receive(state, values, sources, shape, inputs, n_batch, members, external)
                        for port, sources, shape in p.inputs}
            if p.role == "output":
                values[(p.id, "in")] = received["in"]
                continue
            kernel = self.kernels[p.id]
            x = received["in"] if len(received) == 1 and "in" in received else received
            node_key = None if step_key is None else jax.random.fold_in(step_key, zlib.crc32(p.id.encode()) & 0x7FFFFFFF)
            kstate, y = kernel.step(_kernel_state(state, p), x, node_key)
            for port, _, _ in p.outputs:
                values.setdefault((p.id, port), kernel.port(port, kstate, y))
            if p.id in state:
                new_state[p.id] = dict(kstate)
        for p in plans:  # 3. histories for later steps
            for port, depth in p.history:
                buf = state[p.id][history_var(port)]
                new_state.setdefault(p.id, {})[history_var(port)] = _push(buf, values[(p.id, port)], n_batch, depth)
        return new_state, values

    def _receive(self, state, values, sources, shape, inputs, n_batch, members=None, external=None):
        terms = []
        for src in sources:
            if members is not None and src.node not in members:
                terms.append(external[src])
            elif src.delay == 0:
                terms.append(values[(src.node, src.port)])
            else:
                buf = state[src.node][history_var(src.port)]
                terms.append(jax.lax.index_in_dim(buf, src.delay - 1, axis=n_batch, keepdims=False))
        if not terms:
            batch = next(iter(inputs.values())).shape[:n_batch] if inputs else ()
            return jnp.zeros(batch + shape, self.dtype)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    # ------------------------------------------------------------------ checks on the caller's data
    def _check_inputs(self, xs: Any, time_major: bool) -> tuple[dict[str, jax.Array], tuple[int, ...]]:
        ids = self.input_ids
        if isinstance(xs, Mapping):
            unknown = sorted(set(xs) - set(ids))
            missing = [i for i in ids if i not in xs]
            if unknown or missing:
                raise ProgramInputError(
                    f"inputs {sorted(xs)} do not match the program's inputs {list(ids)}"
                    + (f"; unknown {unknown}" if unknown else "") + (f"; missing {missing}" if missing else "")
                    + "\n  hint: pass a dict with exactly one array per Input node id")
            given = dict(xs)
        elif len(ids) == 1:
            given = {ids[0]: xs}
        else:
            raise ProgramInputError(
                f"the program has {len(ids)} inputs {list(ids)}; pass a dict {{input_id: array}}")
        shapes = self.input_shapes
        out, batch, steps = {}, None, None
        for iid in ids:
            x = given[iid]
            if not hasattr(x, "shape"):
                x = np.asarray(x)
            lead = 1 if time_major else 0
            shape = shapes[iid]
            nd = len(shape)
            expect = "[T, *batch, " if time_major else "[*batch, "
            expect += ", ".join(map(str, shape)) + "]"
            if x.ndim < lead + nd or tuple(x.shape[x.ndim - nd:]) != shape:
                raise ShapeError(f"input {iid!r} expects an array of shape {expect}, got {tuple(x.shape)}"
                                 "\n  hint: time comes first, then batch axes, then the per-sample shape")
            b = tuple(x.shape[lead: x.ndim - nd])
            if batch is not None and b != batch:
                raise ShapeError(f"input {iid!r} has batch shape {b} but other inputs have {batch}")
            if time_major:
                if steps is not None and x.shape[0] != steps:
                    raise ShapeError(f"input {iid!r} has {x.shape[0]} steps but other inputs have {steps}")
                steps = x.shape[0]
            batch = b
            out[iid] = jnp.asarray(x, dtype=self.dtype)
        return out, batch if batch is not None else ()

    def _check_state(self, state: Any, batch: tuple[int, ...]) -> None:
        if not isinstance(state, Mapping) or CLOCK not in state:
            raise ProgramInputError("state must be the dict returned by prog.init_state(...) or by a previous call")
        missing = sorted(set(self.stateful_ids) - set(state))
        if missing:
            raise ProgramInputError(f"state lacks entries for {missing}; was it made by another program?")
        for nid, entry in state.items():
            if nid == CLOCK:
                continue
            for var, leaf in entry.items():
                if tuple(leaf.shape[: len(batch)]) != batch:
                    raise ShapeError(
                        f"state {nid}:{var} has shape {tuple(leaf.shape)}, which does not start with the "
                        f"inputs' batch shape {batch}\n  hint: make the state with prog.init_state(batch_shape={batch})")

    def _check_lengths(self, lengths: Any, batch: tuple[int, ...]) -> jax.Array | None:
        if lengths is None:
            return None
        lengths = jnp.asarray(lengths)
        if tuple(lengths.shape) != batch:
            raise ShapeError(f"lengths must have the batch shape {batch} (one length per sample), got {tuple(lengths.shape)}")
        if not jnp.issubdtype(lengths.dtype, jnp.integer):
            raise ShapeError(f"lengths must be integers, got dtype {lengths.dtype}")
        return lengths.astype(jnp.int32)

    def _check_trace_nodes(self, nodes: Any) -> tuple[str, ...]:
        known = self.declaration
        if nodes is None:
            return known
        nodes = (nodes,) if isinstance(nodes, str) else tuple(nodes)
        unknown = [n for n in nodes if n not in known]
        if unknown:
            raise ProgramInputError(f"cannot trace unknown node(s) {unknown}; the program has {list(known)}")
        return nodes

    # ------------------------------------------------------------------ parameters
    def trainable(self) -> "Program":
        """The Equinox filter spec: True on the parameters that train (as the IR's flags say)."""
        spec = jax.tree_util.tree_map(lambda _: False, self)
        for nid, field in self.trainable_fields:
            spec = eqx.tree_at(lambda p, n=nid, f=field: getattr(p.kernels[n], f), spec, replace=True)
        for nid, kernel in self.kernels.items():  # kernels holding a user module give their own spec
            if hasattr(kernel, "trainable_spec"):
                spec = eqx.tree_at(lambda p, n=nid: p.kernels[n], spec, replace=kernel.trainable_spec())
        return spec

    def to_graph(self) -> Graph:
        """The graph this program runs, with the program's current (e.g. trained) parameters."""
        data = json.loads(self.graph_template)
        nodes = {n["id"]: n for n in data["nodes"]}
        for nid, ir_field, kernel_field, dtype in self.param_map:
            value = np.asarray(getattr(self.kernels[nid], kernel_field))
            nodes[nid][ir_field] = value.astype(FLOAT_DTYPES.get(dtype, value.dtype))
        for nid, kernel in self.kernels.items():  # fields the template leaves out (a user layer's module)
            if hasattr(kernel, "ir_fields"):
                nodes[nid].update(kernel.ir_fields())
        return Graph.model_validate(data)


# ---------------------------------------------------------------------- the scan
def _kernel_state(state: dict, p: NodePlan) -> dict:
    entry = state.get(p.id, {})
    return {k: v for k, v in entry.items() if not k.endswith("_history")}


def _push(buf: jax.Array, value: jax.Array, n_batch: int, depth: int) -> jax.Array:
    """Newest first: the value of this step at index 0, the oldest one dropped."""
    merged = jnp.concatenate([jnp.expand_dims(value, n_batch), buf], axis=n_batch)
    return jax.lax.slice_in_dim(merged, 0, depth, axis=n_batch)


def _freeze(active: jax.Array, new: Any, old: Any, n_batch: int) -> Any:
    def pick(a, b):
        mask = active.reshape(active.shape + (1,) * (a.ndim - n_batch))
        return jnp.where(mask, a, b)

    return jax.tree_util.tree_map(pick, new, old)


@eqx.filter_jit(inline=True)
def _one_step(prog: Program, state, inputs, key, n_batch: int):
    state, values = prog._advance(state, inputs, key, n_batch)
    return state, {oid: values[(oid, "in")] for oid in prog.output_ids}


def loop_layout(prog: Program, members: frozenset[str] | None = None) -> Program:
    """``prog`` (traced, inside jit) with the weights of the Linear kernels that run inside a time loop
    transposed once before it (``LinearKernel.in_out_layout``); gradients flow back through the
    transposition to the program's own [out, in] weights."""
    kernels = {nid: (k.in_out_layout() if hasattr(k, "in_out_layout") and (members is None or nid in members) else k)
               for nid, k in prog.kernels.items()}
    return dataclasses.replace(prog, kernels=kernels)


@eqx.filter_jit(inline=True)
def _run(prog: Program, state, inputs, key, lengths, trace_nodes, state_vars):
    prog = loop_layout(prog)
    n_batch = _batch_rank(prog, inputs)
    outputs = prog.output_ids

    def body(carry, x_t):
        t = carry[CLOCK]["t"]
        new, values = prog._advance(carry, x_t, key, n_batch)
        ys = {oid: values[(oid, "in")] for oid in outputs}
        record = {}
        if trace_nodes is not None:
            for nid in trace_nodes:
                record[nid] = values[(nid, "in")] if nid in outputs else values.get((nid, "out"))
            if state_vars:
                for nid, entry in new.items():
                    if nid != CLOCK and (nid in trace_nodes):
                        for var, v in entry.items():
                            if not var.endswith("_history"):
                                record[f"{nid}:{var}"] = v
            record = {k: v for k, v in record.items() if v is not None}
        if lengths is not None:
            active = t < lengths
            kept = {k: v for k, v in new.items() if k != CLOCK}
            old = {k: carry[k] for k in kept}
            new = {**_freeze(active, kept, old, n_batch), CLOCK: new[CLOCK]}
            zero = lambda v: jnp.where(active.reshape(active.shape + (1,) * (v.ndim - n_batch)), v, jnp.zeros_like(v))
            ys = {k: zero(v) for k, v in ys.items()}
            record = {k: zero(v) if not k.count(":") else v for k, v in record.items()}
        return new, (ys, record)

    steps = next(iter(inputs.values())).shape[0]
    state, (ys, record) = time_scan(body, state, inputs, steps, prog.checkpoint_every)
    return state, ys, record


def _batch_rank(prog: Program, inputs: Mapping[str, jax.Array]) -> int:
    shapes = prog.input_shapes
    iid = next(iter(inputs))
    return inputs[iid].ndim - 1 - len(shapes[iid])


def _as_batch_shape(batch_shape: Any) -> tuple[int, ...]:
    if isinstance(batch_shape, int):
        return (batch_shape,)
    try:
        batch = tuple(batch_shape)
    except TypeError:
        batch = None
    if batch is None or not all(isinstance(b, (int, np.integer)) and not isinstance(b, bool) for b in batch):
        raise ShapeError(f"batch_shape must be a tuple of ints, got {batch_shape!r}")
    batch = tuple(int(b) for b in batch)
    if any(b < 1 for b in batch):
        raise ShapeError(f"batch_shape entries must be >= 1, got {batch}")
    return batch
