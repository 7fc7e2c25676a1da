r"""Spike encoders: turning data into spike trains, in JAX.

The encoders that add a time axis put it first by default (``time_axis=0``: time-major [T, *x.shape],
what a snnir program takes); the random one draws from a ``jax.random`` key, so the same key gives the
same spikes. Inputs are expected scaled to [0, 1] where a probability or an intensity is meant.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from snnir.errors import InvalidArgumentsError, ShapeError

from ._checks import check_positive_int


def _floating(x):
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.float32)


def _place_time(spikes, time_axis: int):
    """Move the leading time axis to ``time_axis`` (counted in the output's axes)."""
    if not -spikes.ndim <= time_axis < spikes.ndim:
        raise ShapeError(f"time_axis={time_axis} is out of range for an output with {spikes.ndim} axes"
                         "\n  hint: 0 gives time-major spikes [T, ...], 1 batch-major [B, T, ...]")
    return jnp.moveaxis(spikes, 0, time_axis)


def rate_code(key, x, num_steps: int | None = None, *, gain: float = 1.0, offset: float = 0.0,
              first_spike_time: int = 0, time_axis: int = 0, dtype=jnp.float32):
    r"""Rate (Bernoulli) code, as snnTorch's ``spikegen.rate``: at every step each input spikes
    independently with probability :math:`p = \mathrm{clip}(g\,x + o,\ 0,\ 1)`:

    .. math:: s_{t} \sim \mathrm{Bernoulli}(p), \qquad t = 0, \dots, T - 1

    ``num_steps`` repeats a static input ``x`` over T steps (output [T, *x.shape], time moved to
    ``time_axis``); ``num_steps=None`` takes ``x`` as already time-varying, with time on ``time_axis``
    (the output keeps that layout). The first ``first_spike_time`` steps stay
    silent (for time-varying input they are prepended, as snnTorch does). snnTorch applies ``gain`` and
    ``offset`` only to static inputs; here they apply to both.
    """
    x = _floating(x)
    if first_spike_time < 0:
        raise InvalidArgumentsError(f"rate_code: first_spike_time={first_spike_time} cannot be negative"
                                    "\n  hint: it is the number of silent steps at the start")
    if num_steps is None:
        if x.ndim < 1:
            raise ShapeError("rate_code: a time-varying input needs a time axis first"
                             "\n  hint: pass num_steps to repeat a static input over time")
        if not -x.ndim <= time_axis < x.ndim:
            raise ShapeError(f"rate_code: x with shape {tuple(x.shape)} has no axis {time_axis} for time"
                             "\n  hint: time_axis says where time lies in a time-varying input")
        probabilities = jnp.moveaxis(x, time_axis, 0)
    else:
        num_steps = check_positive_int(num_steps, "num_steps", "rate_code")
        if first_spike_time > num_steps - 1:
            raise InvalidArgumentsError(
                f"rate_code: first_spike_time={first_spike_time} leaves no step of num_steps={num_steps}"
                "\n  hint: first_spike_time must be at most num_steps - 1")
        probabilities = jnp.broadcast_to(x, (num_steps,) + x.shape)
    probabilities = jnp.clip(probabilities * gain + offset, 0.0, 1.0)
    spikes = jax.random.bernoulli(key, probabilities).astype(dtype)
    if first_spike_time:
        if num_steps is None:
            spikes = jnp.concatenate([jnp.zeros((first_spike_time,) + spikes.shape[1:], dtype), spikes])
        else:
            spikes = spikes.at[:first_spike_time].set(0)
    return _place_time(spikes, time_axis)


def _check_latency_options(num_steps, threshold, tau, first_spike_time, fn):
    num_steps = check_positive_int(num_steps, "num_steps", fn)
    if not 0.0 < threshold < 1.0:
        raise InvalidArgumentsError(f"{fn}: threshold={threshold} must lie strictly between 0 and 1"
                                    "\n  hint: inputs below the threshold fire last (or never, with clip=True)")
    if not tau > 0:
        raise InvalidArgumentsError(f"{fn}: tau={tau} must be positive\n  hint: tau scales the spike times")
    if not 0 <= first_spike_time <= num_steps - 1:
        raise InvalidArgumentsError(
            f"{fn}: first_spike_time={first_spike_time} must lie in [0, num_steps - 1 = {num_steps - 1}]"
            "\n  hint: it is the earliest step a spike may take")
    return num_steps


def latency_spike_times(x, num_steps: int, *, threshold: float = 0.01, tau: float = 1.0,
                        first_spike_time: int = 0, normalize: bool = False, linear: bool = False,
                        epsilon: float = 1e-7):
    r"""The (real-valued) spike times of snnTorch's latency code (``spikegen.latency_code``), for
    inputs :math:`x \in [0, 1]`, with :math:`\theta` = ``threshold`` and :math:`t_0` = ``first_spike_time``:

    * log (default), the firing time of an RC circuit charged by :math:`x`, inputs saturated at
      :math:`\theta + \epsilon`: :math:`t = \tau \ln\frac{x'}{x' - \theta} + t_0`, :math:`x' = \max(x, \theta +
      \epsilon)`; ``normalize=True`` rescales so the latest time over the *whole array* lands on
      :math:`T - 1`: :math:`t \leftarrow (t - t_0)(T - t_0 - 1)/\max(t - t_0) + t_0`;
    * ``linear=True``: :math:`t = \min(\tau(1 - x),\ \tau(1 - \theta)) + t_0`, where ``normalize=True``
      sets :math:`\tau = T - 1 - t_0` (so :math:`x = 0` fires at the end, :math:`x = 1` at :math:`t_0`).
    """
    num_steps = _check_latency_options(num_steps, threshold, tau, first_spike_time, "latency_spike_times")
    x = _floating(x)
    if linear:
        if normalize:
            tau = num_steps - 1 - first_spike_time
        return jnp.minimum(-tau * (x - 1), -tau * (threshold - 1)) + first_spike_time
    saturated = jnp.maximum(x, threshold + epsilon)
    times = tau * jnp.log(saturated / (saturated - threshold)) + first_spike_time
    if normalize:
        shifted = times - first_spike_time
        times = shifted * (num_steps - first_spike_time - 1) / jnp.max(shifted) + first_spike_time
    return times


def latency_code(x, num_steps: int, *, threshold: float = 0.01, tau: float = 1.0, first_spike_time: int = 0,
                 on_target: float = 1.0, off_target: float = 0.0, clip: bool = False, normalize: bool = False,
                 linear: bool = False, epsilon: float = 1e-7, time_axis: int = 0, dtype=jnp.float32):
    r"""Latency (time-to-first-spike) code, as snnTorch's ``spikegen.latency``: each input spikes once, at
    step :math:`k = \mathrm{round}(t)` of its spike time :math:`t` (:func:`latency_spike_times`; rounding
    half to even, as torch does), so larger inputs fire earlier:

    .. math:: s_{t', \cdot} = \max\big(\text{on} \cdot [t' = k],\ \text{off}\big), \qquad t' = 0, \dots, T - 1

    A time past the last step gives no spike (snnTorch raises there unless ``bypass=True``; shapes are
    static in JAX, so the spike is dropped). ``clip=True`` silences the inputs below ``threshold``
    (they would otherwise fire late). snnTorch's ``interpolate`` and ``bypass`` are not offered.
    """
    times = latency_spike_times(x, num_steps, threshold=threshold, tau=tau, first_spike_time=first_spike_time,
                                normalize=normalize, linear=linear, epsilon=epsilon)
    steps = jnp.round(times).astype(jnp.int32)
    fires = jnp.arange(num_steps).reshape((num_steps,) + (1,) * times.ndim) == steps
    if clip:
        fires = fires & (_floating(x) >= threshold)
    spikes = jnp.maximum(fires.astype(dtype) * on_target, off_target).astype(dtype)
    return _place_time(spikes, time_axis)


def delta_code(x, *, threshold: float = 0.1, padding: bool = False, off_spike: bool = False,
               time_axis: int = 0):
    r"""Delta (change) code of a time-varying input, as snnTorch's ``spikegen.delta``: a spike where the
    input rose by at least ``threshold`` since the previous step,

    .. math:: s_t = [x_t - x_{t-1} \ge \theta] - [x_t - x_{t-1} \le -\theta]\ \text{(with off\_spike)}

    with :math:`x_{-1} = 0`, or :math:`x_{-1} = x_0` with ``padding=True`` (no spike at the first step).
    ``time_axis`` is where time lies in ``x``; the output has ``x``'s shape.
    """
    x = _floating(x)
    if x.ndim < 1 or not -x.ndim <= time_axis < x.ndim:
        raise ShapeError(f"delta_code: x with shape {tuple(x.shape)} has no axis {time_axis} for time"
                         "\n  hint: the delta code needs a time-varying input, e.g. [T, B, C]")
    x = jnp.moveaxis(x, time_axis, 0)
    first = x[:1] if padding else jnp.zeros_like(x[:1])
    change = x - jnp.concatenate([first, x[:-1]])
    spikes = (change >= threshold).astype(x.dtype)
    if off_spike:
        spikes = spikes - (change <= -threshold).astype(x.dtype)
    return jnp.moveaxis(spikes, 0, time_axis)


def angle_code(x, neuron_count: int, min_val: float, max_val: float, *, dtype=jnp.float32):
    r"""Angle (one-hot bin) code of a continuous value, as Spyx's: ``neuron_count`` neurons sit at evenly
    spaced values :math:`u_k` from ``min_val`` to ``max_val``, and the neuron of the interval holding
    :math:`x` fires:

    .. math:: k = \mathrm{clip}\big(\#\{j : u_j \le x\} - 1,\ 0,\ n - 1\big), \qquad s = \mathrm{onehot}(k)

    The output adds a last axis of size ``neuron_count``. Apply a function to :math:`x` first for
    non-uniform bins.
    """
    neuron_count = check_positive_int(neuron_count, "neuron_count", "angle_code")
    x = _floating(x)
    centres = jnp.linspace(min_val, max_val, neuron_count)
    index = jnp.clip(jnp.digitize(x, centres) - 1, 0, neuron_count - 1)
    return jax.nn.one_hot(index, neuron_count, dtype=dtype)
