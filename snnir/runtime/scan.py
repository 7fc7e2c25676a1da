"""The time loop: ``lax.scan``, or a segmented scan that recomputes instead of storing (long sequences).

With ``segment`` = k, the T steps run as an outer scan over ⌈T / k⌉ segments whose body, an inner scan
over k steps, is wrapped in ``jax.checkpoint``: reverse mode then keeps one carry per segment and
recomputes a segment's steps when it needs them, so the memory for the backward pass grows like
T / k + k (about 2·sqrt(T) with k = sqrt(T)) instead of T, for about one extra forward pass of compute.
Results are identical to the plain scan.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp


def segmented(run: Callable, carry: Any, xs: Any, length: int, segment: int | None = None):
    """``run(carry, xs, length)`` over all steps, or over segments of ``segment`` steps (time leading in
    ``xs`` and in the outputs), each segment wrapped in ``jax.checkpoint`` and carried by an outer scan."""
    if not segment or segment >= length:
        return run(carry, xs, length)
    n_full, rest = divmod(length, segment)

    @jax.checkpoint
    def run_segment(c, start):
        # each segment slices its steps out of the whole ``xs`` (no [n_full, segment, ...] copy of the
        # inputs, which a reshape of the first n_full·segment steps would need when T % segment != 0)
        part = jax.tree_util.tree_map(lambda x: jax.lax.dynamic_slice_in_dim(x, start, segment), xs)
        return run(c, part, segment)

    starts = jnp.arange(n_full, dtype=jnp.int32) * segment
    carry, ys = jax.lax.scan(run_segment, carry, starts, length=n_full)
    ys = jax.tree_util.tree_map(lambda y: y.reshape((n_full * segment,) + y.shape[2:]), ys)
    if rest:
        tail = jax.tree_util.tree_map(lambda x: x[n_full * segment:], xs)
        carry, ys_tail = run(carry, tail, rest)
        ys = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b]), ys, ys_tail)
    return carry, ys


def time_scan(body: Callable, carry: Any, xs: Any, length: int, segment: int | None = None):
    """``lax.scan(body, carry, xs, length=length)``, segmented and checkpointed when ``segment`` is set."""
    return segmented(lambda c, x, n: jax.lax.scan(body, c, x, length=n), carry, xs, length, segment)
