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
import functools
import json
import math
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
from ..kernels.quant import fake_quantized
from . import checks, memory
from .plan import NodePlan, history_var
from .scan import time_scan

_MAX_STEP = 2**31 - 1  # the last step the int32 clock counts (docs/semantics.md)
_STATE_HINT = ("make the state with prog.init_state(batch_shape={}) and pass on the state each call returns "
               "unchanged in structure, shape and dtype")
CLOCK = "@clock"  # state entry holding the absolute step counter (ids never contain "@")
# clock variable whose shape is the state's batch shape + (0,): it records the batch shape in the state
# itself (no memory, and it survives jit, vmap and previous calls), also for a program without state
BATCH = "batch"


class _BoundMethod(eqx.Module):
    """``prog.step`` and ``prog.trace``: like Equinox's bound methods a pytree holding the program (so
    ``eqx.filter_jit(prog.step)`` traces the parameters), but compared with the Program's ``==``: JAX's
    caches compare the functions given to ``jax.jit``, also while another trace runs, where Equinox's
    array comparison would itself be traced."""

    __func__: Any = eqx.field(static=True)
    __self__: Any

    def __call__(self, *args: Any, **kwargs: Any):
        return self.__func__(self.__self__, *args, **kwargs)

    @property
    def __wrapped__(self):
        return self.__func__.__get__(self.__self__, type(self.__self__))

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and self.__func__ is other.__func__
                and bool(self.__self__ == other.__self__))

    def __hash__(self) -> int:
        return hash((self.__func__, self.__self__))


class _method:
    """A Program method whose bound form is a :class:`_BoundMethod`."""

    def __init__(self, func):
        self.func = func
        functools.update_wrapper(self, func)

    def __get__(self, obj, objtype=None):
        return self.func if obj is None else _BoundMethod(self.func, obj)


class Program(eqx.Module):
    """A graph lowered to JAX. Call it like a function; jit, grad and vmap it like any Equinox module.

    ``state = prog.init_state(batch_shape=(B,))`` then ``state, ys = prog(state, xs)`` with
    ``xs`` of shape [T, B, *shape] (or a dict by input id) and ``ys`` a dict by output id.

    ``jax.jit(prog)``, ``jax.jit(prog.step)`` and ``jax.jit(prog.trace)`` compile the program's arrays in
    as constants (one trace per program and input shapes); to train, pass the program as an argument
    (``eqx.filter_jit``, or ``jax.jit`` of a function taking it), so one trace serves every update.
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
    # the nodes whose rest values some history or Delay buffer needs, in the order they are computed
    rest_order: tuple[str, ...] = eqx.field(static=True, default=())
    # checked mode: look for NaN and inf in every value (see ``checked``); False adds nothing to the program
    check: bool = eqx.field(static=True, default=False)
    # (node id, state variable, shape and dtype per sample, bytes per sample) of every state entry: what
    # init_state allocates, known in advance, and what a call checks the given state against
    state_spec: tuple[tuple[str, str, Any, Any, int], ...] = eqx.field(static=True, default=())
    # compiled with strategy="auto" and layered by structure: each call runs layered while the hoisted
    # activations fit the budget (``strategy_for``), else the fused scan
    auto: bool = eqx.field(static=True, default=False)
    # that budget in bytes per device (None: SNNIR_LAYERED_MAX_BYTES or the device's default, at trace time)
    memory_budget: int | None = eqx.field(static=True, default=None)
    # (node id, kernel field, spec) per quantized parameter: every call uses q(w), with a straight-through
    # gradient (snnir.kernels.quant); the leaves keep the float w, which trains
    quant: tuple = eqx.field(static=True, default=())
    # hoisted_bytes(plan, stages, dtype), which every call of an auto program weighs: worked out once
    hoisted: int = eqx.field(static=True, default=0)

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
    def init_state(self, batch_shape: tuple[int, ...] = (), key: jax.Array | None = None, *,
                   max_bytes: int | None = None) -> dict:
        """{node_id: {var: array}} for every node with state or history, plus the step counter.

        The state's size is added up first (``state_bytes``); over the limit, ``max_bytes`` or else the
        environment variable ``SNNIR_MAX_STATE_BYTES`` or else half the device's memory, it raises
        :class:`~snnir.runtime.memory.StateMemoryError` instead of allocating."""
        self = _fake_quantized(self)  # rest values see q(w) too (a Linear rests at q(b))
        batch = _as_batch_shape(batch_shape)
        if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer))
                                      or max_bytes < 0):
            raise ProgramInputError(f"max_bytes must be a non-negative int or None, got {max_bytes!r}")
        memory.check_state_size(self.state_spec, batch, max_bytes)
        dtype = jnp.dtype(self.dtype)
        state: dict[str, dict[str, jax.Array]] = {}
        for p in self.plan:
            entry = dict(_kernel_init(self.kernels[p.id], p.id, batch, dtype, key)) if p.id in self.kernels else {}
            if entry:
                state[p.id] = entry
        rest = self._rest(state, batch, dtype, key)
        for p in self.plan:  # every history buffer starts filled with its port's rest value
            for port, depth in p.history:
                value = jnp.expand_dims(rest[(p.id, port)], len(batch))
                state.setdefault(p.id, {})[history_var(port)] = jnp.broadcast_to(
                    value, batch + (depth,) + p.output_shape(port)).astype(dtype)
        state[CLOCK] = _new_clock(batch)
        return state

    def state_bytes(self, batch_shape: tuple[int, ...] = ()) -> int:
        """The bytes ``init_state(batch_shape)`` allocates (state variables, Delay and history buffers),
        computed from the plan without allocating."""
        return memory.state_bytes(self.state_spec, _as_batch_shape(batch_shape))

    def _rest(self, state: dict, batch: tuple[int, ...], dtype, key) -> dict[tuple[str, str], jax.Array]:
        """The network at rest, before step 0 (docs/semantics.md): {(node, port): value [*batch, *shape]}
        for the nodes of ``rest_order``. Inputs rest at zero; a stateful node at what its initial state
        gives; a stateless node (and a Delay) at its kernel's response to the sum of its sources' rest
        values, sources in ``rest_order`` before it, so inside a cycle a source not yet at rest adds zero.
        A Delay's buffer is filled with its input's rest value here (``state`` is updated in place)."""
        plans = {p.id: p for p in self.plan}
        rest: dict[tuple[str, str], jax.Array] = {}

        def settle(p, x):
            kernel = self.kernels[p.id]
            node_key = None if key is None else jax.random.fold_in(key, zlib.crc32(p.id.encode()) & 0x7FFFFFFF)
            kstate, y = kernel.rest(_kernel_state(state, p), x, node_key)
            if p.id in state:
                state[p.id].update(kstate)
            for port, shape, _ in p.outputs:
                rest[(p.id, port)] = jnp.broadcast_to(kernel.port(port, kstate, y), batch + shape).astype(dtype)

        later = []
        for nid in self.rest_order:  # rests that come from the initial state alone
            p = plans[nid]
            if p.role == "input":
                rest[(nid, "out")] = jnp.zeros(batch + p.output_shape(), dtype)
            elif p.role == "node" and not self.kernels[nid].rest_reads_input():
                settle(p, None)
            elif p.role == "node":
                later.append(p)
        for p in later:  # in order: each reads the rest values known so far
            received = {}
            for port, sources, shape in p.inputs:
                total = jnp.zeros(batch + shape, dtype)
                for src in sources:
                    if (src.node, src.port) in rest:
                        total = total + rest[(src.node, src.port)]
                received[port] = total
            settle(p, received["in"] if len(received) == 1 and "in" in received else received)
        return rest

    # ------------------------------------------------------------------ running
    def __call__(self, state: dict, xs: Any, key: jax.Array | None = None, lengths: Any = None):
        """Run T steps. Returns ``(state, ys)`` with ``ys = {output_id: [T, *batch, *shape]}``."""
        self = _fake_quantized(self)
        inputs, batch = self._check_inputs(xs, time_major=True)
        batch = self._check_state(state, batch, inputs, time_major=True)
        lengths = self._check_lengths(lengths, batch)
        self._check_clock(state, _steps(inputs))
        new_state, ys, record = _dispatch(self, state, inputs, batch, key, lengths, None, False)
        self._report(state, record, batch)
        return new_state, ys

    def checkpointed(self, every: int | None) -> "Program":
        """This program with its time loop cut into segments of ``every`` steps that the backward pass
        recomputes instead of storing (memory ~ T/every + every instead of T; same results). ``None``
        turns it off. About sqrt(T) is a good choice for long sequences."""
        if every is not None and (not isinstance(every, (int, np.integer)) or isinstance(every, bool) or every < 1):
            raise ProgramInputError(f"checkpoint segment length must be a positive int or None, got {every!r}")
        return dataclasses.replace(self, checkpoint_every=None if every is None else int(every))

    def checked(self, on: bool = True) -> "Program":
        """This program in checked mode (``on=False``: without): every output port and state variable is
        tested for NaN and inf at every step, and a call raises :class:`~snnir.errors.NonFiniteError`
        naming the first node, variable, step and sample where one appeared. Results are unchanged; the
        tests cost about one extra pass over the values. Inside the caller's ``jax.jit`` (or ``vmap``,
        ``grad``) the program cannot raise: wrap the jitted function in :func:`snnir.checked`, which raises
        the same error (see docs/semantics.md, "Non-finite values")."""
        if not isinstance(on, bool):
            raise ProgramInputError(f"checked(on) takes True or False, got {on!r}")
        return dataclasses.replace(self, check=on)

    def __hash__(self) -> int:
        # ``jax.jit(prog)`` hashes the function it compiles (Equinox's default hash fails on the kernels
        # dict and on arrays). Hash the static configuration only: programs that are equal (``==``: same
        # structure and equal arrays) hash alike, so ``jax.jit`` reuses a trace exactly when the arrays
        # compiled into it are the ones this program holds.
        return hash(jax.tree_util.tree_structure(self))

    def __eq__(self, other: object) -> bool:
        # Same structure and equal leaves, always as a Python bool: JAX's caches compare the functions
        # they compile while a trace is running, where Equinox's array comparison would be traced.
        if self is other:
            return True
        if not isinstance(other, Program):
            return False
        leaves, tree = jax.tree_util.tree_flatten(self)
        other_leaves, other_tree = jax.tree_util.tree_flatten(other)
        return tree == other_tree and all(_same_leaf(a, b) for a, b in zip(leaves, other_leaves))

    def __repr__(self) -> str:
        # One line, whatever the size: ``jax.jit(prog)`` names a callable without ``__code__`` by its
        # str(), and Equinox's pretty-print of every kernel took seconds for a graph of 1,000 nodes.
        return (f"Program({len(self.plan)} nodes, mode={self.mode!r}, strategy={self.strategy!r}, "
                f"dtype={self.dtype!r}, inputs={list(self.input_ids)}, outputs={list(self.output_ids)})")

    def _report(self, state: dict, record: dict, batch: tuple[int, ...]) -> None:
        """Checked mode: raise for the first non-finite value of the run that started from ``state``."""
        if self.check:
            checks.report(self, state, record.pop(checks.CHECK_KEY), batch)

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

    def hoisted_bytes(self) -> int:
        """Bytes per step and sample that the layered strategy passes between its stages and the fused
        scan does not hold (:func:`hoisted_bytes`, worked out once when the program is lowered)."""
        return self.hoisted

    def layered_bytes(self, steps: int, batch_shape: tuple[int, ...] = (), *, shards: int = 1) -> int:
        """The bytes of hoisted activations a layered call of ``steps`` steps on ``batch_shape`` holds,
        per device when the batch is split over ``shards`` devices (with ``checkpoint_every`` = k, at most
        k steps are held at once). The fused scan holds none of them."""
        return memory.layered_bytes(self.hoisted_bytes(), _count("steps", steps), _as_batch_shape(batch_shape),
                                    self.checkpoint_every, _count("shards", shards, 1))

    def strategy_for(self, steps: int, batch_shape: tuple[int, ...] = (), *, shards: int = 1) -> str:
        """The strategy a call of ``steps`` steps on ``batch_shape`` runs: ``prog.strategy``, except for a
        program compiled with ``strategy="auto"`` that picked "layered": such a call runs the fused scan
        when its hoisted activations (``layered_bytes``, per device) exceed the budget
        (``memory.layered_budget``: ``compile(..., memory_budget=)``, else ``SNNIR_LAYERED_MAX_BYTES``,
        else an eighth of an accelerator's memory or 256 MiB on CPU). Decided when a call is traced, from
        its shapes; the results are the same either way."""
        return _strategy_for(self, _count("steps", steps), _as_batch_shape(batch_shape), _count("shards", shards, 1))

    @_method
    def step(self, state: dict, x_t: Any, key: jax.Array | None = None):
        """One step: ``x_t`` is [*batch, *shape] (or a dict). Chunked steps equal one run."""
        self = _fake_quantized(self)
        inputs, batch = self._check_inputs(x_t, time_major=False)
        batch = self._check_state(state, batch, inputs, time_major=False)
        self._check_clock(state, 1)
        if self.check:
            new_state, ys, record = _one_step_checked(self, state, inputs, key, len(batch))
            checks.report(self, state, record, batch)
            return new_state, ys
        return _one_step(self, state, inputs, key, len(batch))

    @_method
    def trace(self, state: dict, xs: Any, nodes: Any = None, state_vars: bool = False,
              key: jax.Array | None = None, lengths: Any = None):
        """Run T steps recording every node's "out" value (Output nodes: what they return).

        Returns ``(state, traces)`` with ``traces[node_id]`` of shape [T, *batch, ...]; with
        ``state_vars=True`` also ``traces["node_id:var"]`` for each state variable after each step.
        """
        self = _fake_quantized(self)
        inputs, batch = self._check_inputs(xs, time_major=True)
        batch = self._check_state(state, batch, inputs, time_major=True)
        lengths = self._check_lengths(lengths, batch)
        self._check_clock(state, _steps(inputs))
        wanted = self._check_trace_nodes(nodes)
        new_state, _, traces = _dispatch(self, state, inputs, batch, key, lengths, wanted, state_vars)
        self._report(state, traces, batch)
        return new_state, traces

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
        return out, batch  # None: the program has no inputs

    def _check_state(self, state: Any, batch: tuple[int, ...] | None, inputs: Mapping[str, jax.Array],
                     time_major: bool) -> tuple[int, ...]:
        """Check ``state``'s structure and that the inputs' batch shape equals the state's exactly (a
        prefix test would let the empty batch shape match anything, so a forgotten time axis would run as
        time). Returns the state's batch shape."""
        if not isinstance(state, Mapping) or not isinstance(state.get(CLOCK), Mapping):
            raise ProgramInputError("state must be the dict returned by prog.init_state(...) or by a previous call")
        missing = sorted(set(self.stateful_ids) - set(state))
        if missing:
            raise ProgramInputError(f"state lacks entries for {missing}; was it made by another program?")
        expected = state_batch_shape(state)
        if expected is None:
            raise ProgramInputError(f"state[{CLOCK!r}] lacks {BATCH!r}, the record of the state's batch shape"
                                    "\n  hint: make the state with prog.init_state(batch_shape=...) and pass on the "
                                    "state each call returns")
        if batch is not None and batch != expected:
            raise ShapeError(self._batch_mismatch(inputs, batch, expected, time_major))
        for nid, entry in state.items():
            if nid == CLOCK:
                continue
            if not isinstance(entry, Mapping):
                raise ProgramInputError(f"state[{nid!r}] must be a dict of arrays, got {type(entry).__name__}"
                                        f"\n  hint: {_STATE_HINT.format(expected)}")
            for var, leaf in entry.items():
                if not hasattr(leaf, "shape"):
                    continue  # a user layer's nested state: checked against the spec below
                if tuple(leaf.shape[: len(expected)]) != expected:
                    raise ShapeError(
                        f"state {nid}:{var} has shape {tuple(leaf.shape)}, which does not start with the "
                        f"state's batch shape {expected}\n  hint: make the state with "
                        f"prog.init_state(batch_shape={expected}) and pass on the state each call returns")
        self._check_state_entries(state, expected)
        return expected

    def _check_state_entries(self, state: Mapping, batch: tuple[int, ...]) -> None:
        """Every entry of ``state`` against what init_state makes (``state_spec``): no unknown node, no
        missing or extra variable, and each array's shape and dtype, so that a wrong state is an error
        naming the node and variable instead of a TypeError from inside ``lax.scan``."""
        spec: dict[str, dict[str, tuple]] = {}
        for nid, var, shape, dtype, _ in self.state_spec:
            spec.setdefault(nid, {})[var] = (shape, dtype)
        if not spec:
            return  # a program lowered without a spec: nothing to compare with
        hint = _STATE_HINT.format(batch)
        unknown = sorted(nid for nid in state if nid != CLOCK and nid not in spec)
        if unknown:
            raise ProgramInputError(f"state has entries for {unknown}, which hold no state in this program"
                                    f"\n  hint: {hint}")
        for nid, want in spec.items():
            entry = state[nid]
            missing, extra = [v for v in want if v not in entry], sorted(set(entry) - set(want))
            if missing or extra:
                raise ProgramInputError(
                    f"state[{nid!r}] has variables {sorted(entry)}, but {nid!r} holds {list(want)}"
                    + (f"; missing {missing}" if missing else "") + (f"; unknown {extra}" if extra else "")
                    + f"\n  hint: {hint}")
            for var, (shape, dtype) in want.items():
                leaf = entry[var]
                if shape is None:
                    continue
                if not hasattr(leaf, "shape") or not hasattr(leaf, "dtype"):
                    raise ProgramInputError(f"state {nid}:{var} must be an array, got {type(leaf).__name__}"
                                            f"\n  hint: {hint}")
                if tuple(leaf.shape) != batch + shape:
                    raise ShapeError(f"state {nid}:{var} has shape {tuple(leaf.shape)}, but the program needs "
                                     f"{batch + shape} (batch shape {batch}, then {shape})\n  hint: {hint}")
                if jnp.dtype(leaf.dtype) != jnp.dtype(dtype):
                    raise ProgramInputError(f"state {nid}:{var} has dtype {jnp.dtype(leaf.dtype).name}, but the "
                                            f"program keeps it in {dtype}\n  hint: {hint}"
                                            f" (or cast it: .astype({dtype!r}))")
        clock = state[CLOCK].get("t")
        if not hasattr(clock, "shape") or tuple(clock.shape) != () or jnp.dtype(clock.dtype) != jnp.int32:
            raise ProgramInputError(f"state[{CLOCK!r}]['t'] must be an int32 scalar (the step counter), got "
                                    f"{getattr(clock, 'dtype', type(clock).__name__)}"
                                    f"{list(getattr(clock, 'shape', ()))}\n  hint: {hint}")

    def _batch_mismatch(self, inputs: Mapping[str, jax.Array], batch: tuple[int, ...],
                        expected: tuple[int, ...], time_major: bool) -> str:
        """The message for inputs whose batch shape is not the state's, with the likely fix first."""
        iid = next(iter(inputs))
        shape, sample = tuple(inputs[iid].shape), self.input_shapes[iid]
        layout = ", ".join(map(str, expected + sample))
        if not time_major:
            head = (f"input {iid!r} has shape {shape}, batch shape {batch}, but the state was made for batch "
                    f"shape {expected}\n  hint: prog.step takes one step, [*batch, *shape] = [{layout}]")
            if batch[1:] == expected:
                return head + "; for a sequence [T, *batch, *shape] call prog(state, xs)"
            return head + f"; for inputs of batch shape {batch} make the state with prog.init_state(batch_shape={batch})"
        head = (f"input {iid!r} has shape {shape}, which reads as {shape[0]} time steps of batch shape {batch}, but "
                f"the state was made for batch shape {expected}\n  hint: inputs are time-major, [T, *batch, *shape] = "
                f"[T, {layout}] for this state")
        if expected and shape[:len(expected)] == expected and len(shape) == len(expected) + 1 + len(sample):
            move = "jnp.swapaxes(xs, 0, 1)" if len(expected) == 1 else f"jnp.moveaxis(xs, {len(expected)}, 0)"
            return (head + f"; for batch-major data [*batch, T, *shape] pass {move}"
                    f" (only if {shape[0]} really is the number of steps, make the state with "
                    f"prog.init_state(batch_shape={batch}))")
        if not batch and shape == expected + sample:
            return head + "; an array without a time axis is one step: call prog.step(state, x_t)"
        return head + f"; if xs really is [T, *batch, *shape], make the state with prog.init_state(batch_shape={batch})"

    def _check_lengths(self, lengths: Any, batch: tuple[int, ...]) -> jax.Array | None:
        """``lengths`` as int32 of the batch shape. Concrete values are checked before the cast, which
        would wrap a length of 2^40 to 0 and silently zero that sample: each must lie in 0 … 2^31 − 1
        (the range of the step clock they are compared with)."""
        if lengths is None:
            return None
        if not isinstance(lengths, jax.core.Tracer):
            given = np.asarray(lengths)
            if given.dtype == object or not np.issubdtype(given.dtype, np.integer):
                raise ShapeError(f"lengths must be integers, got dtype {given.dtype}")
            if given.size and (given.min() < 0 or given.max() > _MAX_STEP):
                bad = given.min() if given.min() < 0 else given.max()
                raise ShapeError(f"lengths must lie in 0 ... {_MAX_STEP} (steps the int32 clock counts), got {int(bad)}"
                                 "\n  hint: a length is the number of steps of a sample's data, at most T of the "
                                 "call (or the whole sequence's length, for chunked calls)")
        lengths = jnp.asarray(lengths)
        if tuple(lengths.shape) != batch:
            raise ShapeError(f"lengths must have the batch shape {batch} (one length per sample), got {tuple(lengths.shape)}")
        if not jnp.issubdtype(lengths.dtype, jnp.integer):
            raise ShapeError(f"lengths must be integers, got dtype {lengths.dtype}")
        return lengths.astype(jnp.int32)

    def _check_clock(self, state: Mapping, steps: int) -> None:
        """The step clock is int32 (JAX without 64-bit mode): refuse a run that would carry it past
        2^31 − 1, where it would wrap and restart keys and ``lengths`` at negative steps."""
        t = state[CLOCK].get("t")
        if t is None or isinstance(t, jax.core.Tracer):
            return
        if callable(getattr(t, "is_ready", None)) and not t.is_ready():
            return  # reading it would wait for the previous call: never stall dispatch for this check
        if int(np.asarray(t)) + steps > _MAX_STEP:
            raise ProgramInputError(
                f"this call would take the step clock from {int(np.asarray(t))} past {_MAX_STEP}, the last step "
                "an int32 counts\n  hint: start again from prog.init_state(...); a single sequence can be at "
                f"most {_MAX_STEP} steps long")

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
def _kernel_init(kernel: Kernel, nid: str, batch, dtype, key) -> dict:
    """A kernel's initial state (a plain function: see ``advance`` on why not a method)."""
    if getattr(kernel, "KEYED_INIT", False):  # a user layer's init_state may draw random numbers
        node_key = None if key is None else jax.random.fold_in(key, zlib.crc32(nid.encode()) & 0x7FFFFFFF)
        return kernel.init_state(batch, dtype, key=node_key)
    return kernel.init_state(batch, dtype)


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


# ---------------------------------------------------------------------- one step
# Plain functions of the program, not methods: Equinox makes a bound method of a Module a new Module,
# and making one flattens the whole program (every kernel's leaves) to check its fields, so a call per
# node would make tracing quadratic in the number of nodes.
def advance(prog: Program, state: dict, inputs: Mapping[str, jax.Array], key, n_batch: int,
            plans: tuple[NodePlan, ...] | None = None, external: Mapping | None = None):
    """One step of every node, or only of ``plans`` (a layered scan stage's members in schedule order),
    whose in-edges from other nodes are read from ``external[source]`` (the layered strategy
    precomputes those over all steps)."""
    t = state[CLOCK]["t"]
    step_key = None if key is None else jax.random.fold_in(key, t)
    values: dict[tuple[str, str], jax.Array] = {}
    members = None if plans is None else frozenset(p.id for p in plans)
    plans = prog.plan if plans is None else plans
    kernels = prog.kernels
    for p in plans:  # 1. values that depend on the state only
        for port in p.no_feedthrough_ports:
            values[(p.id, port)] = kernels[p.id].output(_kernel_state(state, p))
    new_state = {CLOCK: {**state[CLOCK], "t": t + 1}}
    for p in plans:  # 2. updates in schedule order
        if p.role == "input":
            values[(p.id, "out")] = inputs[p.id]
            continue
        received = {port: _receive(prog.dtype, state, values, sources, shape, inputs, n_batch, members, external)
                    for port, sources, shape in p.inputs}
        if p.role == "output":
            values[(p.id, "in")] = received["in"]
            continue
        kernel = kernels[p.id]
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


def _receive(dtype, state, values, sources, shape, inputs, n_batch, members=None, external=None):
    """The sum of one input port's in-edges at this step."""
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
        return jnp.zeros(batch + shape, dtype)
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


@eqx.filter_jit(inline=True)
def _one_step(prog: Program, state, inputs, key, n_batch: int):
    state, values = advance(prog, state, inputs, key, n_batch)
    return state, {oid: values[(oid, "in")] for oid in prog.output_ids}


@eqx.filter_jit(inline=True)
def _one_step_checked(prog: Program, state, inputs, key, n_batch: int):
    """``_one_step`` plus the checked mode's flags of this step, of shape [1, N]."""
    new_state, values = advance(prog, state, inputs, key, n_batch)
    found = checks.step_flags(prog, state, values, new_state, n_batch)
    anys, samples = checks.stack(prog, state, found, ())
    return new_state, {oid: values[(oid, "in")] for oid in prog.output_ids}, (anys[None], samples[None])


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
        new, values = advance(prog, carry, x_t, key, n_batch)
        if prog.check:  # checked mode: this step's flags, [N] each (the scan stacks them to [T, N])
            found = checks.step_flags(prog, carry, values, new, n_batch, None if lengths is None else t < lengths)
            flags = checks.stack(prog, carry, found, ())
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
        if prog.check:
            record = {**record, checks.CHECK_KEY: flags}
        return new, (ys, record)

    steps = next(iter(inputs.values())).shape[0]
    state, (ys, record) = time_scan(body, state, inputs, steps, prog.checkpoint_every)
    return state, ys, record


def _steps(inputs: Mapping[str, jax.Array]) -> int:
    """The number of steps of a call's (time-major) inputs; 0 for a program without inputs."""
    return next(iter(inputs.values())).shape[0] if inputs else 0


def _batch_rank(prog: Program, inputs: Mapping[str, jax.Array]) -> int:
    shapes = prog.input_shapes
    iid = next(iter(inputs))
    return inputs[iid].ndim - 1 - len(shapes[iid])


def _same_leaf(a: Any, b: Any) -> bool:
    """Whether two leaves of programs are equal, decided on the host (never traced): arrays by shape,
    dtype and values; a traced array only equals itself."""
    if a is b:
        return True
    if isinstance(a, jax.core.Tracer) or isinstance(b, jax.core.Tracer):
        return False
    if hasattr(a, "shape") and hasattr(b, "shape"):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    return type(a) is type(b) and bool(a == b)


def _new_clock(batch: tuple[int, ...]) -> dict[str, jax.Array]:
    """The clock of a state for ``batch``: step 0, and the batch shape as the shape of an empty array."""
    return {"t": jnp.zeros((), jnp.int32), BATCH: jnp.zeros(batch + (0,), jnp.int32)}


def state_batch_shape(state: Mapping) -> tuple[int, ...] | None:
    """The batch shape ``state`` was made for (None for a state without the clock's batch record)."""
    marker = state[CLOCK].get(BATCH)
    return None if marker is None or not hasattr(marker, "shape") else tuple(marker.shape[:-1])


# Functions of a program rather than methods: Equinox makes each bound method of a Module a new Module,
# which flattens the whole program, once per call (docs/performance.md, "Large graphs")
def _fake_quantized(prog: Program) -> Program:
    """``prog`` with every quantized parameter replaced by q(w) + its straight-through gradient
    (``quant``; docs/semantics.md, "Quantization and integer arithmetic"); ``prog`` itself when none is."""
    if not prog.quant:
        return prog
    return dataclasses.replace(prog, kernels=fake_quantized(prog.kernels, prog.quant), quant=())


def _dispatch(prog: Program, state, inputs, batch, key, lengths, trace_nodes, state_vars):
    """Run with the strategy this call gets (``strategy_for`` its steps, batch and sharding)."""
    if prog.strategy != "layered":
        return _run(prog, state, inputs, key, lengths, trace_nodes, state_vars)
    from .layered import batch_sharding, run_layered

    on_mesh, shards = batch_sharding(inputs, len(batch))
    if _strategy_for(prog, _steps(inputs), batch, shards) != "layered":
        return _run(prog, state, inputs, key, lengths, trace_nodes, state_vars)
    return run_layered(prog, state, inputs, key, lengths, trace_nodes, state_vars, on_mesh)


def _strategy_for(prog: Program, steps: int, batch: tuple[int, ...], shards: int) -> str:
    if not prog.auto or prog.strategy != "layered":
        return prog.strategy
    budget, _ = memory.layered_budget(prog.memory_budget)
    held = memory.layered_bytes(prog.hoisted, steps, batch, prog.checkpoint_every, shards)
    return "layered" if held <= budget else "fused-scan"


def hoisted_bytes(plan: tuple[NodePlan, ...], stages: tuple, dtype: str) -> int:
    """Bytes per step and sample that the layered strategy passes between its stages and the fused
    scan does not hold: every value a node of another stage reads, other than the program's inputs
    and what only the Output nodes read (both strategies return those). These are the hoisted nodes'
    outputs and inputs (a Linear's [T, B, out], and the spikes [T, B, in] a scan made for it), each
    held over all the steps of a call. 0 for a program without map stages."""
    if not stages:
        return 0
    plans = {p.id: p for p in plan}
    stage_of = {nid: i for i, (_, members) in enumerate(stages) for nid in members}
    passed = {(src.node, src.port) for p in plan if p.role == "node" for _, sources, _ in p.inputs
              for src in sources if plans[src.node].role != "input" and stage_of[src.node] != stage_of[p.id]}
    itemsize = jnp.dtype(dtype).itemsize
    return sum(math.prod(plans[nid].output_shape(port)) * itemsize for nid, port in passed)


def _count(what: str, value: Any, least: int = 0) -> int:
    """``value`` as an int of at least ``least`` (numbers of steps and devices)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ProgramInputError(f"{what} must be an int >= {least}, got {value!r}\n  hint: strategy_for(T, "
                                f"(B,), shards=k) takes the call's number of steps, its batch shape and the "
                                f"number of devices its batch is split over")
    return int(value)


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
