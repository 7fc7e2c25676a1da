r"""Classification losses for spiking networks, on recordings with a time axis.

Every loss takes a recording ``x`` (output spikes, or a readout's membrane trace) with time on
``time_axis`` (0 by default: snnir programs output time-major [T, B, C]) and classes on the last axis,
and integer ``targets`` with one label per sample (shape [B], or any batch shape). Below, :math:`T` is the
number of steps, :math:`B` the number of samples, :math:`C` the number of classes, :math:`y_b` a label and
:math:`\mathrm{CE}(z, y) = -\log \mathrm{softmax}(z)_y` the softmax cross-entropy.

``reduction`` (snnTorch's losses) is ``"mean"`` over samples (default), ``"sum"`` or ``"none"`` (one value
per sample; per sample and class for the squared errors). ``weight`` (the cross-entropy losses) is an
optional per-class weight :math:`w_c` that scales each sample's loss by :math:`w_{y_b}` before the
reduction, as snnTorch does (snnTorch's ``reduction="sum"`` with a ``weight`` returns the per-sample
vector unsummed; here it sums).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from snnir.errors import InvalidArgumentsError, ShapeError

from ._checks import check_class_weights, check_reduction, check_targets, time_axis_of
from .readout import population_counts


def _floating(x):
    """Spikes may come as integers or booleans (bit-unpacked data, encoders); losses need floats."""
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.float32)


def _check_fraction(value, name: str, fn: str) -> None:
    if isinstance(value, (int, float)) and not 0.0 <= value <= 1.0:
        raise InvalidArgumentsError(f"{fn}: {name}={value!r} must lie in [0, 1]"
                                    f"\n  hint: {name} is a fraction (0 turns it off)")


def smoothed_one_hot(targets, num_classes: int, smoothing: float = 0.0, dtype=jnp.float32):
    r"""One-hot labels with label smoothing ``s`` (``optax.smooth_labels``):
    :math:`q_{b,c} = (1 - s)\,[c = y_b] + s / C`."""
    return optax.smooth_labels(jax.nn.one_hot(targets, num_classes, dtype=dtype), smoothing)


def _reduce(per_sample, reduction: str):
    if reduction == "mean":
        return jnp.mean(per_sample)
    if reduction == "sum":
        return jnp.sum(per_sample)
    return per_sample


def _weighted(per_sample, targets, weight):
    if weight is None:
        return per_sample
    return per_sample * jnp.asarray(weight, per_sample.dtype)[targets]


def integral_cross_entropy(traces, targets, *, smoothing: float = 0.0, time_axis: int = 0):
    r"""Softmax cross-entropy of the time integral of a readout, with label smoothing ``s``:

    .. math:: L = \frac{1}{B} \sum_b \Big(-\sum_c q_{b,c} \log \mathrm{softmax}(z_b)_c\Big), \qquad
       z_b = \sum_t x_{t,b},
       \qquad q_{b,c} = (1 - s)\,[c = y_b] + s / C

    This is Spyx's ``integral_crossentropy``; Spyx defaults to ``smoothing=0.3``, snnir to none.
    """
    axis = check_targets(traces, targets, time_axis, "integral_cross_entropy")
    _check_fraction(smoothing, "smoothing", "integral_cross_entropy")
    logits = jnp.sum(_floating(traces), axis=axis)
    labels = smoothed_one_hot(targets, logits.shape[-1], smoothing, logits.dtype)
    return jnp.mean(optax.softmax_cross_entropy(logits, labels))


def ce_rate_loss(spikes, targets, *, weight=None, reduction: str = "mean", time_axis: int = 0):
    r"""Cross-entropy at every step, averaged over time (snnTorch's ``ce_rate_loss``):

    .. math:: \ell_b = \frac{w_{y_b}}{T} \sum_t \mathrm{CE}(s_{t,b}, y_b), \qquad L = \mathrm{reduce}_b\,\ell_b
    """
    axis = check_targets(spikes, targets, time_axis, "ce_rate_loss", "spikes")
    check_reduction(reduction, "ce_rate_loss")
    spikes = _floating(spikes)
    check_class_weights(weight, spikes.shape[-1], "ce_rate_loss")
    labels = jnp.broadcast_to(jnp.expand_dims(targets, axis), spikes.shape[:-1])   # one label at every step
    per_step = optax.softmax_cross_entropy_with_integer_labels(spikes, labels)
    per_sample = jnp.mean(per_step, axis=axis)
    return _reduce(_weighted(per_sample, targets, weight), reduction)


def ce_count_loss(spikes, targets, *, population_code: bool = False, num_classes: int | None = None,
                  weight=None, reduction: str = "mean", time_axis: int = 0):
    r"""Cross-entropy of the spike counts (snnTorch's ``ce_count_loss``):

    .. math:: \ell_b = w_{y_b}\,\mathrm{CE}\big(\textstyle\sum_t s_{t,b},\ y_b\big),
       \qquad L = \mathrm{reduce}_b\,\ell_b

    With ``population_code=True`` the N output neurons code ``num_classes`` classes in consecutive groups
    of N / num_classes, and a class's count is its group's total (:func:`snnir.train.population_counts`).
    """
    fn = "ce_count_loss"
    axis = check_targets(spikes, targets, time_axis, fn, "spikes")
    check_reduction(reduction, fn)
    spikes = _floating(spikes)
    counts = _class_counts(spikes, axis, population_code, num_classes, fn)
    check_class_weights(weight, counts.shape[-1], fn)
    per_sample = optax.softmax_cross_entropy_with_integer_labels(counts, targets)
    return _reduce(_weighted(per_sample, targets, weight), reduction)


def ce_max_membrane_loss(membrane, targets, *, weight=None, reduction: str = "mean", time_axis: int = 0):
    r"""Cross-entropy of each output's largest membrane potential over time (snnTorch's
    ``ce_max_membrane_loss``, after SpyTorch):

    .. math:: \ell_b = w_{y_b}\,\mathrm{CE}\big(\max_t v_{t,b},\ y_b\big), \qquad L = \mathrm{reduce}_b\,\ell_b
    """
    axis = check_targets(membrane, targets, time_axis, "ce_max_membrane_loss", "membrane")
    check_reduction(reduction, "ce_max_membrane_loss")
    membrane = _floating(membrane)
    check_class_weights(weight, membrane.shape[-1], "ce_max_membrane_loss")
    per_sample = optax.softmax_cross_entropy_with_integer_labels(jnp.max(membrane, axis=axis), targets)
    return _reduce(_weighted(per_sample, targets, weight), reduction)


def snntorch_targets(targets, num_classes: int, on_target: float, off_target: float, dtype=jnp.float32):
    r"""snnTorch's ``targets_convert`` for rate targets: ``on_target`` for the label's class, ``off_target``
    elsewhere. As in snnTorch, when ``on_target > off_target`` the result is
    :math:`\max(\text{on}\cdot[c = y_b],\ \text{off})`, so a negative ``off_target`` reads as 0."""
    one_hot = jax.nn.one_hot(targets, num_classes, dtype=dtype)
    if on_target > off_target:
        return jnp.maximum(one_hot * on_target, off_target)
    return one_hot * on_target + (1 - one_hot) * off_target


def mse_count_loss(spikes, targets, *, correct_rate: float = 1.0, incorrect_rate: float = 0.0,
                   population_code: bool = False, num_classes: int | None = None, reduction: str = "mean",
                   time_axis: int = 0):
    r"""Squared error between spike counts and target counts, divided by T (snnTorch's ``mse_count_loss``,
    after SLAYER). The targets are whole counts, truncated as snnTorch does:
    :math:`n^{on} = \lfloor T \cdot \text{correct\_rate} \rfloor`, :math:`n^{off} = \lfloor T \cdot
    \text{incorrect\_rate} \rfloor` (times N / num_classes for a population code), and

    .. math:: L = \frac{1}{T}\,\frac{1}{BC} \sum_{b,c} \Big(\sum_t s_{t,b,c} - \hat n_{b,c}\Big)^2,
       \qquad \hat n_{b,c} = n^{on} \text{ if } c = y_b \text{ else } n^{off}

    (``reduction="sum"`` adds instead of averaging, ``"none"`` keeps [B, C]; always divided by T).
    """
    fn = "mse_count_loss"
    axis = check_targets(spikes, targets, time_axis, fn, "spikes")
    check_reduction(reduction, fn)
    _check_fraction(correct_rate, "correct_rate", fn)
    _check_fraction(incorrect_rate, "incorrect_rate", fn)
    spikes = _floating(spikes)
    steps, outputs = spikes.shape[axis], spikes.shape[-1]
    counts = _class_counts(spikes, axis, population_code, num_classes, fn)
    per_class = outputs / num_classes if population_code else 1
    on, off = int(steps * correct_rate * per_class), int(steps * incorrect_rate * per_class)
    target = snntorch_targets(targets, counts.shape[-1], on, off, counts.dtype)
    return _reduce(jnp.square(counts - target), reduction) / steps


def mse_membrane_loss(membrane, targets, *, on_target: float = 1.0, off_target: float = 0.0,
                      time_var_targets: bool = False, reduction: str = "mean", time_axis: int = 0):
    r"""Squared error between the membrane and a target potential at every step, averaged over time
    (snnTorch's ``mse_membrane_loss``):

    .. math:: L = \frac{1}{T} \sum_t \frac{1}{BC} \sum_{b,c} (v_{t,b,c} - \hat v_{b,c})^2

    with :math:`\hat v` = ``on_target`` for the label's class and ``off_target`` elsewhere (snnTorch's
    convention, see :func:`snntorch_targets`). With ``time_var_targets=True`` the targets carry the time
    axis too (one label per step and sample, the membrane's shape without the class axis).
    """
    fn = "mse_membrane_loss"
    check_reduction(reduction, fn)
    membrane = _floating(membrane)
    if time_var_targets:
        axis = time_axis_of(membrane, time_axis, "membrane", fn)
        if tuple(jnp.shape(targets)) != tuple(membrane.shape[:-1]):
            raise ShapeError(
                f"{fn}: with time_var_targets=True, targets needs one label per step and sample, shape "
                f"{tuple(membrane.shape[:-1])}, got {tuple(jnp.shape(targets))}"
                "\n  hint: pass time_var_targets=False for one label per sample")
        target = snntorch_targets(targets, membrane.shape[-1], on_target, off_target, membrane.dtype)
    else:
        axis = check_targets(membrane, targets, time_axis, fn, "membrane")
        target = jnp.expand_dims(snntorch_targets(targets, membrane.shape[-1], on_target, off_target,
                                                  membrane.dtype), axis)
    per_element = jnp.mean(jnp.square(membrane - target), axis=axis)     # the sum over t, divided by T
    return _reduce(per_element, reduction)


def mse_rate_loss(spikes, targets, *, correct_rate: float = 1.0, incorrect_rate: float = 0.0,
                  smoothing: float = 0.0, reduction: str = "mean", time_axis: int = 0):
    r"""Squared error between firing rates and target rates, both per step:

    .. math:: L = \frac{1}{BC} \sum_{b,c} \Big(\frac{1}{T}\sum_t s_{t,b,c} - r_{b,c}\Big)^2, \qquad
       r_{b,c} = r^{off} + (r^{on} - r^{off})\,q_{b,c}

    where :math:`q` is the smoothed one-hot label (see :func:`smoothed_one_hot`), ``correct_rate`` is
    :math:`r^{on}` and ``incorrect_rate`` :math:`r^{off}`. This is what Spyx's ``mse_spikerate(sparsity,
    smoothing)`` means to compute, with ``correct_rate=sparsity``: Spyx compares the rate with a count
    (``sparsity * T``), a target no rate can reach once it exceeds 1.
    """
    fn = "mse_rate_loss"
    axis = check_targets(spikes, targets, time_axis, fn, "spikes")
    check_reduction(reduction, fn)
    _check_fraction(smoothing, "smoothing", fn)
    rates = jnp.mean(_floating(spikes), axis=axis)
    q = smoothed_one_hot(targets, rates.shape[-1], smoothing, rates.dtype)
    target = incorrect_rate + (correct_rate - incorrect_rate) * q
    return _reduce(jnp.square(rates - target), reduction)


def _class_counts(spikes, axis: int, population_code: bool, num_classes, fn: str):
    """Spike counts per class: per output neuron, or per group of a population code."""
    if population_code:
        if num_classes is None:
            raise InvalidArgumentsError(f"{fn}: population_code=True needs num_classes"
                                        "\n  hint: say how many classes the output neurons code for")
        return population_counts(spikes, num_classes, time_axis=axis)
    return jnp.sum(spikes, axis=axis)


__all__ = ["integral_cross_entropy", "ce_rate_loss", "ce_count_loss", "ce_max_membrane_loss", "mse_count_loss",
           "mse_membrane_loss", "mse_rate_loss", "smoothed_one_hot", "snntorch_targets"]
