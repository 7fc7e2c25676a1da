r"""Spyx's ``spyx.fn``: losses, metrics and activity regularisers, as factories over :mod:`snnir.train`.

Every public function is a factory, as in Spyx 0.1.19 and later: it returns a jitted callable.

* losses ``(traces, targets) -> loss`` and metrics ``(traces, targets) -> (score, predictions)`` take
  traces with time on ``time_axis`` (**1 by default**, Spyx's batch-major [B, T, C]; a snnir program's
  outputs are time-major [T, B, C], so pass ``time_axis=0`` for them) and integer labels;
* regularisers ``(spike_pytree) -> loss`` take a pytree of per-sample spike counts.

As in Spyx 1.0, shapes are checked when the function is traced: targets that do not match the batch part
of the traces raise an error (a :class:`snnir.ShapeError`, which is a ``ValueError`` as Spyx's is). The
numbers are Spyx's, including its quirks, which each docstring names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import optax

from snnir import train
from snnir.train._checks import check_targets

LossFn = Callable[[jax.Array, jax.Array], jax.Array]
"""``(traces, targets) -> loss``"""

MetricFn = Callable[[jax.Array, jax.Array], tuple[jax.Array, jax.Array]]
"""``(traces, targets) -> (score, predictions)``"""

RegFn = Callable[[Any], jax.Array]
"""``(spike_pytree) -> scalar``"""


def silence_reg(min_spikes: float) -> RegFn:
    r"""Quadratic penalty for neurons that spike less than ``min_spikes`` times on average over the batch:
    :math:`\sum_{\text{layers}} \sum_n \max(0, m - \bar c_n)^2` (see
    :func:`snnir.train.silence_regularizer`)."""

    def _call(spikes):
        return train.silence_regularizer(spikes, min_spikes)

    return jax.jit(_call)


def sparsity_reg(max_spikes: float, norm: Callable[[jax.Array], jax.Array] = optax.huber_loss) -> RegFn:
    r"""Penalty ``norm`` (Huber by default) on each sample's mean count over a layer's neurons beyond
    ``max_spikes``, summed over the batch and the layers (see :func:`snnir.train.sparsity_regularizer`)."""

    def _call(spikes):
        return train.sparsity_regularizer(spikes, max_spikes, norm)

    return jax.jit(_call)


def integral_accuracy(time_axis: int = 1) -> MetricFn:
    r"""Accuracy of the class with the largest time integral of the traces, and the predictions:
    returns ``(mean(argmax_c sum_t traces == targets), predictions)``."""

    def _integral_accuracy(traces, targets):
        check_targets(traces, targets, time_axis, "integral_accuracy")
        preds = train.integral_predictions(traces, time_axis=time_axis)
        return (preds == targets).mean(), preds

    return jax.jit(_integral_accuracy)


def integral_crossentropy(smoothing: float = 0.3, time_axis: int = 1) -> LossFn:
    r"""Mean softmax cross-entropy of the time integral of the traces against labels smoothed by
    ``smoothing`` (:func:`snnir.train.integral_cross_entropy`).

    Spyx's default ``smoothing=0.3`` is strong label smoothing: with C classes the target puts only
    :math:`0.7 + 0.3/C` on the label, so the loss cannot reach 0. Pass ``smoothing=0.0`` for the plain
    cross-entropy. (Spyx 0.1.20 returned this function unjitted; 1.0 jits it, as here.)"""

    def _integral_crossentropy(traces, targets):
        return train.integral_cross_entropy(traces, targets, smoothing=smoothing, time_axis=time_axis)

    return jax.jit(_integral_crossentropy)


def mse_spikerate(sparsity: float = 0.25, smoothing: float = 0.0, time_axis: int = 1) -> LossFn:
    r"""Spyx's squared error on spike rates, **with Spyx's bug kept**: it compares the mean over time of
    the traces (a rate, at most 1 for spikes) with ``smoothed_one_hot * sparsity * T`` (a spike *count*):

    .. math:: L = \frac{1}{BC} \sum_{b,c} \Big(\frac{1}{T}\sum_t x_{t,b,c} - s\,T\,q_{b,c}\Big)^2

    Once ``sparsity * T > 1`` the target is out of reach of any spike train: a perfect readout with
    T = 10, C = 3 and the default sparsity still scores 0.75. :func:`snnir.train.mse_rate_loss` with
    ``correct_rate=sparsity`` is the rate-against-rate version this loss was meant to be."""

    def _mse_spikerate(traces, targets):
        steps = traces.shape[check_targets(traces, targets, time_axis, "mse_spikerate")]
        return train.mse_rate_loss(traces, targets, correct_rate=sparsity * steps, incorrect_rate=0.0,
                                   smoothing=smoothing, time_axis=time_axis)

    return jax.jit(_mse_spikerate)


__all__ = ["LossFn", "MetricFn", "RegFn", "silence_reg", "sparsity_reg", "integral_accuracy",
           "integral_crossentropy", "mse_spikerate"]
