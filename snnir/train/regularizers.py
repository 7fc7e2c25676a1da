r"""Activity regularisers on spike counts (Spyx's formulas).

Both take a pytree of per-sample spike counts, one leaf per layer: a leaf has the batch on its first axis
and any neuron shape after it ([B, N], [B, C, H, W], ...), as snnir's ``SpikeCounter`` and
``ActivityRegularization`` nodes (or ``spike_counts`` of a trace) give them. Each leaf is flattened to
[B, N]; the penalty is summed over leaves.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import optax

from snnir.errors import ShapeError


def _flat_leaves(counts, fn: str) -> list:
    leaves = jax.tree_util.tree_leaves(counts)
    if not leaves:
        raise ShapeError(f"{fn}: counts holds no arrays"
                         "\n  hint: pass the spike counts of at least one layer, e.g. {'lif1': counts}")
    flat = []
    for leaf in leaves:
        leaf = jnp.asarray(leaf)
        if leaf.ndim < 1:
            raise ShapeError(f"{fn}: a leaf of counts is a scalar; every leaf needs a batch axis first"
                             "\n  hint: per-sample counts have shape [B, *neurons]")
        if not jnp.issubdtype(leaf.dtype, jnp.floating):
            leaf = leaf.astype(jnp.float32)
        flat.append(leaf.reshape(leaf.shape[0], -1))
    sizes = {leaf.shape[0] for leaf in flat}
    if len(sizes) > 1:
        raise ShapeError(f"{fn}: the leaves of counts disagree on the batch size: {sorted(sizes)}"
                         "\n  hint: every leaf has the batch on its first axis; time-major traces need "
                         "spike_counts(trace, time_axis=0) first")
    return flat


def silence_regularizer(counts, min_spikes: float):
    r"""Penalise neurons that fire too little on average over the batch (Spyx's ``silence_reg``):

    .. math:: R = \sum_{\text{layers}} \sum_n \max\Big(0,\ m - \frac{1}{B}\sum_b c_{b,n}\Big)^2

    with :math:`m` = ``min_spikes``; a quadratic penalty per neuron below the target count.
    """
    flat = _flat_leaves(counts, "silence_regularizer")
    return sum(jnp.sum(jnp.square(jnp.maximum(0.0, min_spikes - jnp.mean(c, axis=0)))) for c in flat)


def sparsity_regularizer(counts, max_spikes: float, norm: Callable = optax.huber_loss):
    r"""Penalise samples whose layer fires too much on average over its neurons (Spyx's ``sparsity_reg``):

    .. math:: R = \sum_{\text{layers}} \sum_b \rho\Big(\max\Big(0,\ \frac{1}{N}\sum_n c_{b,n} - M\Big)\Big)

    with :math:`M` = ``max_spikes`` and :math:`\rho` = ``norm``, the Huber loss by default
    (:math:`\rho(x) = x^2/2` for :math:`|x| \le 1`, :math:`|x| - 1/2` beyond). The penalty is summed over the
    batch, not averaged, as in Spyx.
    """
    flat = _flat_leaves(counts, "sparsity_regularizer")
    return sum(jnp.sum(norm(jnp.maximum(0.0, jnp.mean(c, axis=-1) - max_spikes))) for c in flat)
