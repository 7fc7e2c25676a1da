r"""Data on device: shuffling into batches, shift augmentation, and bit-packed spike storage.

Datasets are arrays with the samples on the first axis ([N, T, ...] for spike data, labels [N]). The
batchers shuffle on device with ``jax.random.permutation`` and give time-major batches [T, B, ...] (what
a snnir program takes) or sample-major ones [B, T, ...].

Spike data is binary, so it can be stored 8 times smaller with one bit per step: :func:`pack_spikes`
packs along the time axis on the host (``np.packbits``), :func:`unpack_spikes` restores it on device
inside the jitted step (``jnp.unpackbits``), so a whole dataset can stay in device memory.
"""

from __future__ import annotations

import functools
from typing import Iterator

import jax
import jax.numpy as jnp
import numpy as np

from snnir.errors import InvalidArgumentsError, ShapeError

from ._checks import check_axes_in_range, check_positive_int


def shift_augment(key, data, max_shift: int, axes=(-1,)):
    r"""Roll ``data`` along each of ``axes`` by a random whole shift (Spyx's ``shift_augment``): one shift
    per axis, drawn uniformly from :math:`\{-m, \dots, m - 1\}` with :math:`m` = ``max_shift``
    (``jax.random.randint`` excludes its upper bound), the same for the whole array:

    .. math:: y[\dots, i, \dots] = x[\dots, (i - \delta) \bmod n, \dots]

    Values rolled off one end come back at the other (a circular shift, ``jnp.roll``).
    """
    axes = tuple(axes)
    check_axes_in_range(axes, jnp.ndim(data), "axes", "shift_augment")
    shift = jax.random.randint(key, (len(axes),), -max_shift, max_shift)
    return jnp.roll(data, shift, axes)


def _check_dataset(xs, ys, batch_size: int, fn: str) -> int:
    batch_size = check_positive_int(batch_size, "batch_size", fn)
    n = jnp.shape(xs)[0] if jnp.ndim(xs) else 0
    if jnp.ndim(ys) < 1 or jnp.shape(ys)[0] != n:
        raise ShapeError(f"{fn}: xs holds {n} samples but ys has shape {tuple(jnp.shape(ys))}"
                         "\n  hint: both arrays have the samples on their first axis, one label per sample")
    if n < batch_size:
        raise ShapeError(f"{fn}: batch_size={batch_size} is larger than the dataset ({n} samples)"
                         "\n  hint: use a smaller batch_size")
    return batch_size


def shuffle_batches(key, xs, ys, batch_size: int, *, time_major: bool = True):
    r"""Shuffle a dataset and cut it into equal batches, on device (Spyx's ``shuffler``, time-major):
    with a permutation :math:`\pi` of the N samples, batch :math:`k` holds samples
    :math:`\pi_{kB}, \dots, \pi_{kB + B - 1}`; the last :math:`N \bmod B` samples of the permutation are
    dropped, so every batch has the same shape and a ``lax.scan`` over batches compiles once.

    ``xs`` is [N, T, ...] and ``ys`` [N, ...]. Returns ``(x_batches, y_batches)``: x_batches is
    [N // B, T, B, ...] when ``time_major`` (default) or [N // B, B, T, ...], y_batches [N // B, B, ...].
    ``key=None`` keeps the order.
    """
    batch_size = _check_dataset(xs, ys, batch_size, "shuffle_batches")
    xs, ys = jnp.asarray(xs), jnp.asarray(ys)
    if time_major and xs.ndim < 2:
        raise ShapeError(f"shuffle_batches: xs with shape {tuple(xs.shape)} has no time axis to put first"
                         "\n  hint: spike data is [N, T, ...]; pass time_major=False for data without time")
    order = jnp.arange(ys.shape[0]) if key is None else jax.random.permutation(key, ys.shape[0])
    return _gather_batches(order, xs, ys, batch_size, time_major)


@functools.partial(jax.jit, static_argnums=(3, 4))
def _gather_batches(order, xs, ys, batch_size: int, time_major: bool):
    """One compiled gather for every call with the same shapes (eagerly, each step would compile alone)."""
    n_batches = ys.shape[0] // batch_size
    order = order[: n_batches * batch_size]
    x_batches = xs[order].reshape((n_batches, batch_size) + xs.shape[1:])
    y_batches = ys[order].reshape((n_batches, batch_size) + ys.shape[1:])
    if time_major:
        x_batches = jnp.swapaxes(x_batches, 1, 2)
    return x_batches, y_batches


def iterate_batches(key, xs, ys, batch_size: int, *, time_major: bool = True,
                    drop_remainder: bool = True) -> Iterator[tuple[jax.Array, jax.Array]]:
    r"""Yield ``(x_batch, y_batch)`` one batch at a time, in a shuffled order (``key=None`` keeps the
    order): x_batch is [T, B, ...] when ``time_major`` (default) or [B, T, ...], y_batch [B, ...].
    With ``drop_remainder=False`` a last, smaller batch holds the samples left over.
    The shuffling and the gathering run on device."""
    batch_size = _check_dataset(xs, ys, batch_size, "iterate_batches")
    xs, ys = jnp.asarray(xs), jnp.asarray(ys)
    if time_major and xs.ndim < 2:
        raise ShapeError(f"iterate_batches: xs with shape {tuple(xs.shape)} has no time axis to put first"
                         "\n  hint: spike data is [N, T, ...]; pass time_major=False for data without time")
    n = ys.shape[0]
    order = jnp.arange(n) if key is None else jax.random.permutation(key, n)
    stop = (n // batch_size) * batch_size if drop_remainder else n
    for start in range(0, stop, batch_size):
        index = order[start:start + batch_size]
        x_batch, y_batch = xs[index], ys[index]
        yield (jnp.swapaxes(x_batch, 0, 1) if time_major else x_batch), y_batch


def pack_spikes(spikes, *, axis: int = 0) -> np.ndarray:
    r"""Pack binary spikes into bits along ``axis`` (time) on the host, 8 steps per byte (``np.packbits``,
    big-endian bit order): T steps become :math:`\lceil T / 8 \rceil` bytes of ``uint8``, the last byte
    padded with zeros. Any nonzero value counts as a spike; :func:`unpack_spikes` undoes it."""
    array = np.asarray(spikes)
    check_axes_in_range((axis,), array.ndim, "axis", "pack_spikes")
    return np.packbits(array != 0, axis=axis)


def unpack_spikes(packed, num_steps: int | None = None, *, axis: int = 0, dtype=jnp.float32):
    r"""Unpack bit-packed spikes along ``axis`` (in JAX, so it runs inside a jitted step):
    byte :math:`j`'s bit :math:`7 - i` is step :math:`8j + i`. ``num_steps`` keeps the first T steps
    (dropping the padding :func:`pack_spikes` added when T is not a multiple of 8); the result has
    ``dtype`` (float32 by default, ready for a network)."""
    packed = jnp.asarray(packed)
    if packed.dtype != jnp.uint8:
        raise InvalidArgumentsError(f"unpack_spikes: packed has dtype {packed.dtype}, expected uint8"
                                    "\n  hint: pack spikes with snnir.train.pack_spikes (np.packbits)")
    check_axes_in_range((axis,), packed.ndim, "axis", "unpack_spikes")
    if num_steps is not None:
        num_steps = check_positive_int(num_steps, "num_steps", "unpack_spikes")
        if num_steps > 8 * packed.shape[axis]:
            raise ShapeError(f"unpack_spikes: num_steps={num_steps} is more than the {8 * packed.shape[axis]} "
                             f"steps that {packed.shape[axis]} bytes along axis {axis} hold"
                             "\n  hint: check axis (the packed time axis) and num_steps")
    return jnp.unpackbits(packed, axis=axis, count=num_steps).astype(dtype)
