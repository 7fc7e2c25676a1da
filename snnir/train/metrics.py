r"""Classification metrics on recordings with a time axis (0 by default, as snnir's [T, B, C] outputs).

Each metric reduces the recording to one score per class (see :mod:`snnir.train.readout`), predicts the
best class and compares it with integer ``targets`` (one label per sample):
:math:`\mathrm{acc} = \frac{1}{B} \sum_b [\hat y_b = y_b]`. Ties go to the lowest class index.
"""

from __future__ import annotations

import jax.numpy as jnp

from snnir.errors import InvalidArgumentsError

from ._checks import check_targets
from .readout import first_spike_times, integral, population_counts


def integral_predictions(traces, *, time_axis: int = 0):
    r"""The class with the largest time integral: :math:`\hat y_b = \arg\max_c \sum_t x_{t,b,c}`."""
    return jnp.argmax(integral(traces, time_axis=time_axis), axis=-1)


def integral_accuracy(traces, targets, *, time_axis: int = 0):
    r"""Accuracy of :func:`integral_predictions` (Spyx's ``integral_accuracy``, which also returns the
    predictions): :math:`\frac{1}{B} \sum_b [\arg\max_c \sum_t x_{t,b,c} = y_b]`."""
    check_targets(traces, targets, time_axis, "integral_accuracy")
    return jnp.mean(integral_predictions(traces, time_axis=time_axis) == targets)


def accuracy_rate(spikes, targets, *, population_code: bool = False, num_classes: int | None = None,
                  time_axis: int = 0):
    r"""Accuracy of the spike-count prediction (snnTorch's ``accuracy_rate``):
    :math:`\hat y_b = \arg\max_c \sum_t s_{t,b,c}`, or the group with the most spikes for a population code
    (``population_code=True``, ``num_classes`` consecutive groups of output neurons)."""
    axis = check_targets(spikes, targets, time_axis, "accuracy_rate", "spikes")
    if population_code:
        if num_classes is None:
            raise InvalidArgumentsError("accuracy_rate: population_code=True needs num_classes"
                                        "\n  hint: say how many classes the output neurons code for")
        counts = population_counts(spikes, num_classes, time_axis=axis)
    else:
        counts = jnp.sum(spikes, axis=axis)
    return jnp.mean(jnp.argmax(counts, axis=-1) == targets)


def accuracy_temporal(spikes, targets, *, time_axis: int = 0):
    r"""Accuracy of the first-to-spike prediction (snnTorch's ``accuracy_temporal``): the class whose neuron
    spikes first, :math:`\hat y_b = \arg\min_c t^{first}_{b,c}`; a silent neuron counts as spiking at the
    last step (see :func:`snnir.train.first_spike_times`)."""
    axis = check_targets(spikes, targets, time_axis, "accuracy_temporal", "spikes")
    return jnp.mean(jnp.argmin(first_spike_times(spikes, time_axis=axis), axis=-1) == targets)
