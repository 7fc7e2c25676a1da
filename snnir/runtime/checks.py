"""Checked mode: find the first NaN or infinity a run computes, and say where it appeared.

A NaN spreads silently in a spiking network: a membrane that is NaN never crosses its threshold, so the
spikes stay finite and nothing downstream looks wrong. A checked program (``prog.checked()`` or
``snnir.compile(..., check=True)``) reduces every value it computes (each node's output ports and state
variables, at every step) to two numbers per step: whether any entry is non-finite, and the first sample
where one is. After the run, the earliest step, and within it the earliest node in schedule order, is the
place the problem started; the program raises :class:`~snnir.errors.NonFiniteError` naming it.

Called on concrete arrays the program raises at once. Inside a trace (the user's ``jax.jit``, ``vmap`` or
``grad``) it cannot raise, so it adds ``jax.experimental.checkify`` checks instead; those must be
functionalised by the caller, e.g. with :func:`checked` (which raises the same typed error), or turned
into runtime errors with ``jax.config.update("jax_xla_runtime_errors", True)``. An unchecked program
contains none of this: its jaxpr is the same as without this module.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from ..errors import NonFiniteError

CHECK_KEY = "@check"  # record entry (never a node id: ids have no "@") with the per-step flags

Label = tuple[str, str, str]  # (node id, port or state variable, "port" | "state")

# message format of each emitted check -> (node, var, kind, batch shape), so that :func:`checked` can turn
# checkify's error back into a NonFiniteError with fields (checkify keeps only arrays as payload)
_FORMATS: dict[str, tuple[str, str, str, tuple[int, ...]]] = {}


def labels(prog, state: dict, plans=None) -> tuple[Label, ...]:
    """Every value a checked program inspects, in schedule order: each node's output ports (an Output
    node's received value), then its state variables (history buffers only repeat port values).
    ``plans``: only those nodes' (a layered scan stage's members, in schedule order)."""
    found: list[Label] = []
    for p in prog.plan if plans is None else plans:
        if p.role == "output":
            found.append((p.id, "in", "port"))
            continue
        found.extend((p.id, port, "port") for port, _, _ in p.outputs)
        found.extend((p.id, var, "state") for var in state.get(p.id, {}) if not var.endswith("_history"))
    return tuple(found)


def flags(v: jax.Array, n_lead: int, n_batch: int, active: jax.Array | None = None):
    """For ``v`` of shape [*lead, *batch, *rest]: (any entry non-finite, first such sample as a flat batch
    index), both of shape ``lead``; None for integer and boolean values, which are always finite.
    ``active`` ([*lead, *batch], with ``lengths``) hides the padding past each sample's end."""
    if not jnp.issubdtype(v.dtype, jnp.inexact):
        return None
    bad = jnp.logical_not(jnp.isfinite(v))
    if bad.ndim < n_lead + n_batch:  # a value without batch axes: count it as the first sample
        bad = jnp.broadcast_to(bad.reshape(bad.shape[:n_lead] + (1,) * n_batch), bad.shape[:n_lead] + (1,) * n_batch)
    rest = tuple(range(n_lead + n_batch, bad.ndim))
    if rest:
        bad = bad.any(axis=rest)
    if active is not None:
        bad = bad & active
    bad = bad.reshape(bad.shape[:n_lead] + (math.prod(bad.shape[n_lead:]),))
    return bad.any(-1), jnp.argmax(bad, axis=-1).astype(jnp.int32)


def step_flags(prog, state: dict, values: dict, new_state: dict, n_batch: int, active=None, plans=None) -> dict:
    """The flags of one step's values and updated state variables, by label (``plans``: only those
    nodes, as in a layered scan stage)."""
    found = {}
    for nid, var, kind in labels(prog, state, plans):
        v = values.get((nid, var)) if kind == "port" else new_state.get(nid, {}).get(var)
        if v is not None:
            found[(nid, var, kind)] = flags(v, 0, n_batch, active)
    return found


def stack(prog, state: dict, found: dict, lead: tuple[int, ...]):
    """The flags of every label in schedule order: ([*lead, N] bool, [*lead, N] int32); a label with no
    entry in ``found`` (not computed, or not a float) is never flagged."""
    anys, samples = [], []
    for label in labels(prog, state):
        pair = found.get(label)
        if pair is None:
            pair = (jnp.zeros(lead, bool), jnp.zeros(lead, jnp.int32))
        anys.append(pair[0])
        samples.append(pair[1])
    if not anys:
        return jnp.zeros(lead + (0,), bool), jnp.zeros(lead + (0,), jnp.int32)
    return jnp.stack(anys, axis=-1), jnp.stack(samples, axis=-1)


def report(prog, state: dict, record: tuple[jax.Array, jax.Array], batch: tuple[int, ...]) -> None:
    """Raise :class:`NonFiniteError` for the first flagged value of a run that started from ``state``
    (flags of shape [T, N]); inside a trace, add one checkify check per label instead."""
    anys, samples = record
    t0 = state["@clock"]["t"]
    names = labels(prog, state)
    if not any(isinstance(a, jax.core.Tracer) for a in (anys, samples, t0)):
        hits = np.argwhere(np.asarray(anys))  # row-major: earliest step first, then schedule order
        if len(hits):
            step, i = (int(k) for k in hits[0])
            node, var, kind = names[i]
            raise NonFiniteError(node, var, int(t0) + step, _unravel(int(np.asarray(samples)[step, i]), batch), kind)
        return
    per_step = anys.any(axis=-1)
    found = per_step.any()
    step = jnp.argmax(per_step)
    i = jnp.argmax(anys[step])
    for j, (node, var, kind) in enumerate(names):
        what = f"output port {var!r}" if kind == "port" else f"state variable {var!r}"
        fmt = (f"non-finite value (NaN or inf) first appears in node {node!r}, {what}, at step {{step}}, "
               f"sample {{sample}} (flat index into the batch shape {batch})")
        _FORMATS[fmt] = (node, var, kind, batch)
        checkify.check(jnp.logical_not(found & (i == j)), fmt, step=(t0 + step).astype(jnp.int32),
                       sample=samples[step, j])


def _unravel(flat: int, batch: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(k) for k in np.unravel_index(flat, batch)) if batch else ()


def checked(fn: Callable) -> Callable:
    """``fn`` (for example a jitted training step) with the checks of the checked programs it calls
    functionalised (``jax.experimental.checkify``): it returns what ``fn`` returns, or raises
    :class:`NonFiniteError` for the first non-finite value; other failed checks raise as checkify's."""
    functional = checkify.checkify(fn)

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any):
        err, out = functional(*args, **kwargs)
        throw(err)
        return out

    return run


def throw(err: checkify.Error) -> None:
    """Raise ``err`` (a checkify error) as a :class:`NonFiniteError` when a checked program set it."""
    exc = err.get_exception()
    if exc is None:
        return
    mapped: tuple[int, ...] = ()
    if hasattr(exc, "error_mapping"):  # under vmap: one error per mapped index; report the first
        mapped = min(exc.error_mapping)
        exc = exc.error_mapping[mapped]
    info = _FORMATS.get(getattr(exc, "fmt_string", None))
    if info is None:
        err.throw()
        return
    node, var, kind, batch = info
    step, flat = int(np.asarray(exc.kwargs["step"])), int(np.asarray(exc.kwargs["sample"]))
    # the vmapped indices come first: vmap over samples then gives the sample's index in the batch
    sample = tuple(int(k) for k in mapped) + _unravel(flat, batch)
    raise NonFiniteError(node, var, step, sample, kind) from None
