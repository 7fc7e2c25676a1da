"""Reading a recording out as one score per class: integrals, spike counts, population counts, first spikes.

A recording is an array with a time axis (``time_axis``, 0 for snnir's time-major outputs [T, B, C]) and the
classes (or output neurons) on the last axis. Every function here removes the time axis.
"""

from __future__ import annotations

import jax.numpy as jnp

from snnir.errors import InvalidArgumentsError, ShapeError

from ._checks import time_axis_of


def integral(traces, *, time_axis: int = 0):
    r"""The sum over time of a recording: :math:`I_{b,c} = \sum_t x_{t,b,c}`.

    For a leaky-integrator readout this is the area under each class's membrane trace, the logits of
    Spyx's integral losses; for spikes it is the spike count."""
    axis = time_axis_of(traces, time_axis, "traces", "integral")
    return jnp.sum(traces, axis=axis)


def spike_counts(spikes, *, time_axis: int = 0):
    r"""The number of spikes per neuron: :math:`n_{b,c} = \sum_t s_{t,b,c}` (the same sum as :func:`integral`)."""
    axis = time_axis_of(spikes, time_axis, "spikes", "spike_counts")
    return jnp.sum(spikes, axis=axis)


def population_counts(spikes, num_classes: int, *, time_axis: int = 0):
    r"""Spike counts of a population code: the N output neurons form ``num_classes`` consecutive groups of
    :math:`G = N / \text{num\_classes}` neurons, and a class's count is its group's total (as snnTorch):

    .. math:: n_{b,k} = \sum_t \sum_{j = kG}^{(k+1)G - 1} s_{t,b,j}
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise InvalidArgumentsError(
            f"population_counts: num_classes must be a positive int, got {num_classes!r}"
            "\n  hint: with population_code=True, say how many classes the output neurons code for")
    counts = spike_counts(spikes, time_axis=time_axis)
    outputs = counts.shape[-1]
    if outputs % num_classes:
        raise ShapeError(
            f"population_counts: {outputs} output neurons cannot be split into {num_classes} equal groups"
            f"\n  hint: use a number of output neurons that is a multiple of num_classes={num_classes}")
    grouped = counts.reshape(counts.shape[:-1] + (num_classes, outputs // num_classes))
    return jnp.sum(grouped, axis=-1)


def first_spike_times(spikes, *, time_axis: int = 0):
    r"""The step of each neuron's first spike, :math:`\min\{t : s_t \neq 0\}`; a neuron that never spikes
    reads :math:`T - 1`, the last step (snnTorch's convention in ``accuracy_temporal``)."""
    axis = time_axis_of(spikes, time_axis, "spikes", "first_spike_times")
    fired = spikes != 0
    steps = spikes.shape[axis]
    return jnp.where(jnp.any(fired, axis=axis), jnp.argmax(fired, axis=axis), steps - 1)
