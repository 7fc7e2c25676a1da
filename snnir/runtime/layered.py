"""The layered strategy: run the condensation DAG stage by stage instead of one scan over everything.

A "map" stage is a stateless node outside every cycle (Linear, Scale, Flatten, …): it runs once over all
T steps at once (time becomes one more batch axis), so its matrix products see T·batch rows. A "scan"
stage holds stateful nodes and cycles: it is a ``lax.scan`` over time whose inputs from earlier stages
were computed beforehand. An edge delay between stages is a shift in time, fed at the start by the
source's history buffer, so chunked calls agree with one call. Results equal the single-scan strategy's.

With ``checkpoint_every`` = k the whole layered run is cut into segments of k steps (map stages over
k·batch rows, scans over k steps), each recomputed in the backward pass, so the map stages' [T, ...]
activations are not all kept either: memory grows like T / k + k, and the products stay batched.

On a device mesh (inputs whose type names a mesh: batch-sharded data) a map stage runs per step
instead, ``vmap`` over time: its product is then one [T, B, in] x [in, out] contraction with the batch
axis kept apart from time. Merging T and B into one row axis (what the unsharded path
does, for XLA:CPU's weight gradient) would interleave the samples of every device, so XLA would gather
the whole [T, B, n] activations onto every device and lose data parallelism. A convolution, which has a
single batch axis, merges batch-major instead (time moved inside the batch), which keeps each device's
samples together. Unsharded runs are unchanged.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ..kernels.layers import ConvKernel
from . import checks
from .plan import history_var
from .scan import segmented
from .program import CLOCK, Program, _batch_rank, _freeze, advance, loop_layout


def batch_sharding(inputs, n_batch: int) -> tuple[bool, int]:
    """Whether the inputs live on a device mesh, and over how many devices their batch axes are split
    as far as their sharding says (1 where it does not say: an ``Auto`` mesh axis inside ``jit``, where
    XLA's partitioner decides). Read from concrete arrays' ``.sharding`` and from traced values' types
    (``jax.typeof``), which name the mesh the arguments of a ``jit`` live on. A mesh of any size counts:
    with ``Explicit`` axes even a one-device mesh refuses the merged [T·B] reshape."""
    on_mesh, shards = False, 1
    typeof = getattr(jax, "typeof", None)  # older JAX: a traced value's type names no sharding
    for x in inputs.values():
        if isinstance(x, jax.core.Tracer):
            sharding = getattr(typeof(x) if typeof else None, "sharding", None)
        else:
            sharding = getattr(x, "sharding", None)
        if isinstance(sharding, jax.sharding.NamedSharding):
            mesh = sharding.mesh
            if not mesh.shape:
                continue  # a plain array on one device: its type names the empty mesh
            on_mesh = True
            split = 1
            for entry in tuple(sharding.spec)[1:1 + n_batch]:
                for name in (entry,) if isinstance(entry, str) else (entry or ()):
                    split *= mesh.shape[name]
            shards = max(shards, split)
        elif sharding is not None and not sharding.is_fully_replicated:
            on_mesh = True  # another kind of sharding over several devices: keep the batch apart too
    return on_mesh, shards


def _hoisted(kernel, x, n_batch: int, per_step: bool):
    """A map stage's node over all steps: ``x`` is [T, *batch, ...] (or a dict of such)."""
    if not per_step:
        return kernel.step({}, x, None)[1]
    if isinstance(kernel, ConvKernel):  # one batch axis: merge batch-major, each device's samples together
        y = kernel.step({}, jnp.moveaxis(x, 0, n_batch), None)[1]
        return jnp.moveaxis(y, n_batch, 0)
    return jax.vmap(lambda v: kernel.step({}, v, None)[1])(x)


def _shifted(seq, state, src, n_batch: int, steps: int):
    """Values of ``src`` (node, port, delay d) as read at steps 0..T−1: the sequence delayed by d, its
    first d entries taken from the history buffer (newest first, batch axes leading)."""
    values = seq[(src.node, src.port)]
    if src.delay == 0:
        return values
    hist = state[src.node][history_var(src.port)]
    past = jnp.flip(jax.lax.slice_in_dim(hist, 0, src.delay, axis=n_batch), axis=n_batch)
    past = jnp.moveaxis(past, n_batch, 0)
    return jax.lax.slice_in_dim(jnp.concatenate([past, values], axis=0), 0, steps, axis=0)


def _final_history(values, hist, depth: int, n_batch: int, active_steps):
    """The history buffer after this call: the last ``depth`` values of (old history, this call), newest
    first; with ``lengths`` each sample stops at its own last active step."""
    past = jnp.moveaxis(jnp.flip(hist, axis=n_batch), n_batch, 0)  # oldest first, time leading
    merged = jnp.concatenate([past, values], axis=0)  # [depth + T, *batch, *shape]
    if active_steps is None:
        last = jax.lax.slice_in_dim(merged, merged.shape[0] - depth, merged.shape[0], axis=0)
        return jnp.moveaxis(jnp.flip(last, axis=0), 0, n_batch)
    k = jnp.arange(depth).reshape((depth,) + (1,) * n_batch)
    index = depth + active_steps[None] - 1 - k  # [depth, *batch]
    index = index.reshape(index.shape + (1,) * (merged.ndim - 1 - n_batch))
    index = jnp.broadcast_to(index, (depth,) + merged.shape[1:])
    return jnp.moveaxis(jnp.take_along_axis(merged, index, axis=0), 0, n_batch)


@eqx.filter_jit(inline=True)
def run_layered(prog: Program, state, inputs, key, lengths, trace_nodes, state_vars, per_step: bool = False):
    """The layered run; ``per_step``: the map stages keep the batch axis apart from time (inputs on a
    device mesh, see ``batch_sharding``)."""
    steps = next(iter(inputs.values())).shape[0]
    scanned = frozenset(nid for kind, members in prog.stages if kind == "scan" for nid in members)
    prog = loop_layout(prog, scanned)  # map stages keep [out, in]: one large GEMM, no loop to hoist from

    def run(state, inputs, length):
        state, ys, record = _run_stages(prog, state, inputs, key, lengths, trace_nodes, state_vars,
                                          per_step)
        return state, (ys, record)

    state, (ys, record) = segmented(run, state, inputs, steps, prog.checkpoint_every)
    return state, ys, record


def _run_stages(prog: Program, state, inputs, key, lengths, trace_nodes, state_vars, per_step=False):
    """The stages in order over all the steps of ``inputs``."""
    n_batch = _batch_rank(prog, inputs)
    steps = next(iter(inputs.values())).shape[0]
    t0 = state[CLOCK]["t"]
    plans = {p.id: p for p in prog.plan}
    index = {p.id: i for i, p in enumerate(prog.plan)}
    active = None if lengths is None else (t0 + jnp.arange(steps)).reshape((steps,) + (1,) * n_batch) < lengths
    active_steps = None if lengths is None else jnp.clip(lengths - t0, 0, steps)
    seq: dict[tuple[str, str], jax.Array] = {}
    new_state: dict = {CLOCK: {**state[CLOCK], "t": t0 + steps}}
    state_traces: dict[str, jax.Array] = {}
    found: dict = {}  # checked mode: flags of shape [T] by label

    def receive(p, port_sources):
        total = None
        for src in port_sources:
            term = _shifted(seq, state, src, n_batch, steps)
            total = term if total is None else total + term
        return total

    for kind, members in prog.stages:
        if kind == "map":
            for nid in members:
                p = plans[nid]
                if p.role == "input":
                    seq[(nid, "out")] = inputs[nid]
                elif p.role == "output":
                    seq[(nid, "in")] = receive(p, p.inputs[0][1])
                else:
                    received = {port: receive(p, sources) for port, sources, _ in p.inputs}
                    x = received["in"] if len(received) == 1 and "in" in received else received
                    seq[(nid, "out")] = _hoisted(prog.kernels[nid], x, n_batch, per_step)
                if prog.check:
                    port = "in" if p.role == "output" else "out"
                    found[(nid, port, "port")] = checks.flags(seq[(nid, port)], 1, n_batch, active)
        else:
            member_set = frozenset(members)
            external = {src: _shifted(seq, state, src, n_batch, steps)
                        for nid in members for _, sources, _ in plans[nid].inputs for src in sources
                        if src.node not in member_set}
            carry = {nid: state[nid] for nid in members if nid in state}
            carry[CLOCK] = state[CLOCK]
            ports = [(nid, port) for nid in members for port, _, _ in plans[nid].outputs]
            # the members in schedule order, found without a pass over the whole plan per stage
            stage_plans = tuple(plans[nid] for nid in sorted(members, key=index.__getitem__))

            def body(carry, ext_t, member_set=member_set, ports=ports, stage_plans=stage_plans):
                new, values = advance(prog, carry, {}, key, n_batch, plans=stage_plans, external=ext_t)
                kept = {k: v for k, v in new.items() if k != CLOCK}
                if lengths is not None:
                    kept = _freeze(carry[CLOCK]["t"] < lengths, kept, {k: carry[k] for k in kept}, n_batch)
                out = {port: values[port] for port in ports}
                if prog.check:
                    now = None if lengths is None else carry[CLOCK]["t"] < lengths
                    out[(checks.CHECK_KEY, "")] = checks.step_flags(prog, carry, values, new, n_batch, now, stage_plans)
                if state_vars:
                    out.update({(nid, f":{var}"): v for nid, entry in kept.items() for var, v in entry.items()
                                if not var.endswith("_history")})
                return {**kept, CLOCK: new[CLOCK]}, out

            final, outs = jax.lax.scan(body, carry, external, length=steps)
            found.update(outs.pop((checks.CHECK_KEY, ""), {}))  # keys are (node, port) pairs
            for key_, value in outs.items():
                if key_[1].startswith(":"):
                    state_traces[f"{key_[0]}{key_[1]}"] = value
                else:
                    seq[key_] = value
            new_state.update({k: v for k, v in final.items() if k != CLOCK})
            continue
        for nid in members:  # histories of map nodes
            for port, depth in plans[nid].history:
                new_state.setdefault(nid, {})[history_var(port)] = _final_history(
                    seq[(nid, port)], state[nid][history_var(port)], depth, n_batch, active_steps)

    def zero_after_end(v):
        if active is None:
            return v
        return jnp.where(active.reshape(active.shape + (1,) * (v.ndim - 1 - n_batch)), v, jnp.zeros_like(v))

    outputs = prog.output_ids
    ys = {oid: zero_after_end(seq[(oid, "in")]) for oid in outputs}
    record = {}
    if trace_nodes is not None:
        for nid in trace_nodes:
            value = seq.get((nid, "in")) if nid in outputs else seq.get((nid, "out"))
            if value is not None:
                record[nid] = zero_after_end(value)
        if state_vars:
            record.update({k: v for k, v in state_traces.items() if k.split(":")[0] in trace_nodes})
    if prog.check:
        record[checks.CHECK_KEY] = checks.stack(prog, state, found, (steps,))
    return new_state, ys, record
