r"""Spyx's ``spyx.data``: encoders, augmentation, shuffling and loaders, over :mod:`snnir.train`.

Two generations of Spyx's API live here side by side:

* the functional transforms of Spyx 0.1.20 (and 1.0): factories ``shift_augment``, ``shuffler``,
  ``rate_code``, ``angle_code`` and 1.0's ``latency_code``, each returning a jitted function. Their random
  draws make the same ``jax.random`` calls, in the same order, as Spyx's, so the same key gives the same
  numbers on the same JAX version;
* Spyx 1.0's record transforms ``RateCode``, ``LatencyCode``, ``AngleCode`` and ``ShiftAugment`` (Grain
  ``MapTransform`` s in Spyx), the ``State`` batch tuple, ``TonicSource``, ``SpyxMapDataset``,
  ``GrainLoader`` and the ``NMNIST_loader`` / ``SHD_loader`` datasets, without a Grain dependency: a
  transform's ``map(record)`` reads ``record[input_key]`` and writes ``record[output_key]`` as Spyx's does
  (with NumPy's global random state, as Spyx's), and calling the transform on a bare array returns the
  transformed array.

Where Spyx 0.1.20 and 1.0 differ, this module follows 1.0 (``angle_code`` clips to the outer neurons).
"""

from __future__ import annotations

from collections import namedtuple

import jax
import jax.numpy as jnp
import numpy as np

from snnir import train

State = namedtuple("State", "obs labels")
"""A batch: ``obs`` (the data) and ``labels``."""


# ----------------------------------------------------------------------------------- functional transforms
def shift_augment(max_shift=10, axes=(-1,)):
    r"""Returns ``f(data, rng)``, which rolls ``data`` along ``axes`` by shifts drawn from
    ``randint(rng, (len(axes),), -max_shift, max_shift)``, one per axis for the whole array (so a batch
    moves together; :func:`snnir.train.shift_augment`). The upper bound is excluded, as in
    ``jax.random.randint``: shifts lie in [-max_shift, max_shift - 1]."""
    axes = tuple(axes)

    def _shift(data, rng):
        return train.shift_augment(rng, data, max_shift, axes)

    return jax.jit(_shift)


def shuffler(dataset, batch_size):
    r"""Returns ``f(dataset, shuffle_rng) -> (obs, labels)``, which shuffles a dataset ``(x, y)`` of arrays
    [N, ...] and [N] on device and cuts it into batches [N // B, B, ...] and [N // B, B], dropping the
    samples past the last full batch (:func:`snnir.train.shuffle_batches` with ``time_major=False``).
    The batches stay sample-major, as in Spyx: a batch is [B, T, ...]. (Spyx reshapes the labels to
    [-1, B] whatever their shape; labels with more than one axis keep their trailing axes here.)"""
    del dataset     # Spyx fixes the shapes from this dataset; the function reads them from its argument

    def _shuffle(dataset, shuffle_rng):
        x, y = dataset
        return train.shuffle_batches(shuffle_rng, x, y, batch_size, time_major=False)

    return jax.jit(_shuffle)


def rate_code(num_steps, max_r=0.75):
    r"""Returns ``f(data, key)``: a Bernoulli rate code with spike probability :math:`x \cdot r_{max}`,
    as ``uint8``. Spyx's quirks, kept: the data is cast to ``float16`` first, and it is *repeated* along
    axis 1 (``jnp.repeat``), not given a new time axis. So an image batch [B, 1, H, W] becomes
    [B, T, H, W], as Spyx's templates use it, but [B, C] becomes [B, C * T] with each value repeated T
    times in a row. :func:`snnir.train.rate_code` adds a proper time axis."""

    def _call(data, key):
        repeated = jnp.repeat(jnp.asarray(data, dtype=jnp.float16), num_steps, axis=1)
        # probabilities outside [0, 1] fire always or never, as Spyx's unclipped ones do
        return train.rate_code(key, repeated, None, gain=max_r, dtype=jnp.uint8)

    return jax.jit(_call)


def angle_code(neuron_count, min_val, max_val):
    r"""Returns ``f(obs)``: the one-hot code of the neuron, among ``neuron_count`` spread evenly over
    [min_val, max_val], whose interval holds each value (:func:`snnir.train.angle_code`; float32,
    a new last axis). As in Spyx 1.0, values below ``min_val`` go to the first neuron and values at or
    above ``max_val`` to the last; Spyx 0.1.20 used the bin index without subtracting one, so its codes
    are shifted by one neuron and values at or past ``max_val`` gave all zeros."""

    def _call(obs):
        return train.angle_code(obs, neuron_count, min_val, max_val)

    return jax.jit(_call)


def latency_code(num_steps, threshold=0.01):
    r"""Returns ``f(data) -> spikes`` [num_steps, *data.shape] (``uint8``): Spyx 1.0's time-to-first-spike
    code. Each value, clipped to [0, 1], fires once at step :math:`\mathrm{round}((1 - x)(T - 1))`, so 1
    fires first and 0 last; values :math:`\le` ``threshold`` never fire. (snnTorch's latency code, with
    its log and linear options, is :func:`snnir.train.latency_code`.)"""

    def _call(data):
        x = jnp.clip(jnp.asarray(data, dtype=jnp.float32), 0.0, 1.0)
        step = jnp.round((1.0 - x) * (num_steps - 1)).astype(jnp.int32)
        spikes = jnp.moveaxis(jax.nn.one_hot(step, num_steps, dtype=jnp.uint8), -1, 0)
        return spikes * (1 - (x <= threshold).astype(jnp.uint8))

    return jax.jit(_call)


# ---------------------------------------------------------------------------------- record transforms
class _RecordTransform:
    """A transform of one record (a dict), callable on a bare array too."""

    input_key = output_key = "obs"

    def transform(self, data):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def map(self, record):
        record[self.output_key] = self.transform(record[self.input_key])
        return record

    def __call__(self, record_or_array):
        if isinstance(record_or_array, dict):
            return self.map(record_or_array)
        return self.transform(record_or_array)


class RateCode(_RecordTransform):
    r"""Spyx 1.0's rate-code transform: ``sample_T`` steps of Bernoulli spikes with probability
    :math:`x \cdot r_{max}` drawn with ``np.random.rand`` (NumPy's global random state, as Spyx), packed
    into bits along the new time axis 0 (``np.packbits``): a [C] sample becomes [ceil(T / 8), C] ``uint8``.
    Unpack with :func:`snnir.train.unpack_spikes`."""

    def __init__(self, sample_T, max_r=0.75, input_key="obs", output_key="obs"):
        self.sample_T, self.max_r = sample_T, max_r
        self.input_key, self.output_key = input_key, output_key

    def transform(self, data):
        data = np.asarray(data)
        spikes = np.random.rand(self.sample_T, *data.shape) < (data * self.max_r)
        return train.pack_spikes(spikes, axis=0)


class ShiftAugment(_RecordTransform):
    r"""Spyx 1.0's shift augmentation of one record: a circular roll along ``axes`` by shifts drawn with
    ``np.random.randint(-max_shift, max_shift, size=len(axes))`` (upper bound excluded)."""

    def __init__(self, max_shift=10, axes=(-1,), input_key="obs"):
        self.max_shift, self.axes = max_shift, axes
        self.input_key = self.output_key = input_key

    def transform(self, data):
        shift = np.random.randint(-self.max_shift, self.max_shift, size=len(self.axes))
        return np.roll(data, shift, axis=self.axes)


class LatencyCode(_RecordTransform):
    r"""Spyx 1.0's latency transform: :func:`latency_code` on one sample, in NumPy, then packed into bits
    along the time axis 0 (``np.packbits``)."""

    def __init__(self, sample_T, threshold=0.01, input_key="obs", output_key="obs"):
        self.sample_T, self.threshold = sample_T, threshold
        self.input_key, self.output_key = input_key, output_key

    def transform(self, data):
        x = np.clip(np.asarray(data, dtype=np.float32), 0.0, 1.0)
        step = np.round((1.0 - x) * (self.sample_T - 1)).astype(np.int32)
        spikes = (np.arange(self.sample_T).reshape((-1,) + (1,) * x.ndim) == step) & (x > self.threshold)
        return train.pack_spikes(spikes, axis=0)


class AngleCode(_RecordTransform):
    r"""Spyx 1.0's angle-code transform, in NumPy: the one-hot code (``uint8``, a new last axis) of the
    neuron whose interval holds each value (see :func:`angle_code`)."""

    def __init__(self, neuron_count, min_val, max_val, input_key="obs", output_key="obs"):
        self.neuron_count, self.min_val, self.max_val = neuron_count, min_val, max_val
        self.input_key, self.output_key = input_key, output_key
        self.neurons = np.linspace(min_val, max_val, neuron_count)

    def transform(self, obs):
        index = np.clip(np.digitize(obs, self.neurons) - 1, 0, self.neuron_count - 1)
        return np.eye(self.neuron_count, dtype=np.uint8)[index]


# ------------------------------------------------------------------------------------- sources, loaders
class TonicSource:
    """A Tonic dataset (any ``len`` + ``getitem`` source of ``(data, label)`` pairs) as records
    ``{"obs": data packed into bits along axis 0, "labels": label}``, with size-1 axes squeezed out."""

    def __init__(self, ds):
        self.ds = ds

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        data, label = self.ds[i]
        return {"obs": train.pack_spikes(np.squeeze(data), axis=0), "labels": label}


class SpyxMapDataset:
    """A random-access dataset over a source (Spyx's Grain ``MapDataset``): ``len`` and indexing."""

    def __init__(self, source):
        self._source = source

    def __len__(self):
        return len(self._source)

    def __getitem__(self, i):
        return self._source[i]


class GrainLoader:
    """Batches of records as :class:`State` tuples, one epoch per iteration, the last partial batch dropped.

    Spyx's loader runs Grain's ``DataLoader``; this one reads the records in the calling process (so
    ``worker_count`` has no effect) and shuffles with ``numpy.random.default_rng(seed + epoch)``, so the
    order differs from Grain's for the same seed.
    """

    def __init__(self, dataset, batch_size, shuffle, seed=0, worker_count=None):
        self.dataset, self.batch_size, self.shuffle, self.seed = dataset, batch_size, shuffle, seed
        self.worker_count = worker_count
        self._epoch = 0

    def __iter__(self):
        n = len(self.dataset)
        order = np.arange(n)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self._epoch).permutation(n)
            self._epoch += 1
        for start in range(0, n - self.batch_size + 1, self.batch_size):
            records = [self.dataset[int(i)] for i in order[start:start + self.batch_size]]
            yield State(obs=np.stack([r["obs"] for r in records]),
                        labels=np.asarray([r["labels"] for r in records]))


def _tonic():
    try:
        from tonic import datasets, transforms
    except ImportError:
        raise ImportError("Please install the optional dependencies by running 'pip install spyx[loaders]' to "
                          "use this feature.") from None
    return datasets, transforms


class _SHD2Raster:
    """Spyx's SHD rasteriser: events -> a binary (sample_T, encoding_dim) ``uint8`` frame, counts clipped
    to 1, cut or zero-padded to ``sample_T`` steps."""

    def __init__(self, encoding_dim, sample_T=128):
        self.encoding_dim, self.sample_T = encoding_dim, sample_T

    def __call__(self, events):
        t_max = int(events["t"].max()) + 1 if len(events) else self.sample_T
        tensor = np.zeros((max(t_max, self.sample_T), self.encoding_dim), dtype=np.uint8)
        np.add.at(tensor, (events["t"], events["x"]), 1)
        return np.minimum(tensor[: self.sample_T], 1)


class NMNIST_loader:
    """Neuromorphic MNIST through Tonic (``ToFrame`` with ``sample_T`` time bins), as Spyx 1.0's loader:
    ``train_epoch()`` / ``test_epoch()`` iterate :class:`State` batches of bit-packed frames. Needs
    ``tonic`` (raises ``ImportError`` without it, as Spyx)."""

    def __init__(self, batch_size=32, sample_T=40, key=0, download_dir="./data", worker_count=None):
        datasets, transforms = _tonic()
        self.batch_size, self.sample_T = batch_size, sample_T
        self.obs_shape, self.act_shape = (2, 34, 34), (10,)
        transform = transforms.Compose([transforms.ToFrame(sensor_size=(34, 34, 2), n_time_bins=sample_T)])
        train_ds = datasets.NMNIST(download_dir, train=True, transform=transform)
        test_ds = datasets.NMNIST(download_dir, train=False, transform=transform)
        self._train_dl = GrainLoader(SpyxMapDataset(TonicSource(train_ds)), batch_size, True, key, worker_count)
        self._test_dl = GrainLoader(SpyxMapDataset(TonicSource(test_ds)), batch_size, False, key, worker_count)

    def train_epoch(self):
        return iter(self._train_dl)

    def test_epoch(self):
        return iter(self._test_dl)


class SHD_loader:
    """The Spiking Heidelberg Digits through Tonic, as Spyx 1.0's loader: 700 channels downsampled to
    ``channels`` and time to ``sample_T`` bins, rasterised to binary frames. ``train_epoch()`` /
    ``test_epoch()`` iterate :class:`State` batches; ``prestage(split)`` returns the whole split as
    ``(obs [n_batches, B, ceil(T / 8), C] uint8, labels [n_batches, B])``, time bit-packed along axis 2
    (unpack with ``snnir.train.unpack_spikes(obs, T, axis=2)``). Needs ``tonic``. (Spyx also patches
    Tonic's SHD reader for non-finite spike times; this loader does not.)"""

    def __init__(self, batch_size=256, sample_T=128, channels=128, key=0, download_dir="./data",
                 worker_count=None):
        datasets, transforms = _tonic()
        self.obs_shape, self.act_shape = (channels,), (20,)
        self.batch_size, self.sample_T = batch_size, sample_T
        transform = transforms.Compose([
            transforms.Downsample(time_factor=1e-6 * sample_T, spatial_factor=channels / 700),
            _SHD2Raster(encoding_dim=channels, sample_T=sample_T)])
        self._train_tonic = datasets.SHD(download_dir, train=True, transform=transform)
        self._test_tonic = datasets.SHD(download_dir, train=False, transform=transform)
        self._train_dl = GrainLoader(SpyxMapDataset(TonicSource(self._train_tonic)), batch_size, True, key,
                                     worker_count)
        self._test_dl = GrainLoader(SpyxMapDataset(TonicSource(self._test_tonic)), batch_size, False, key,
                                    worker_count)

    def prestage(self, split="train"):
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
        ds = self._train_tonic if split == "train" else self._test_tonic
        frames, labels = zip(*(ds[i] for i in range(len(ds))))
        packed = train.pack_spikes(np.stack(frames), axis=1)
        n_batches = len(ds) // self.batch_size
        cutoff = n_batches * self.batch_size
        obs = jnp.asarray(packed[:cutoff].reshape((n_batches, self.batch_size) + packed.shape[1:]))
        return obs, jnp.asarray(np.asarray(labels[:cutoff], dtype=np.int32).reshape(n_batches, self.batch_size))

    def train_epoch(self):
        return iter(self._train_dl)

    def test_epoch(self):
        return iter(self._test_dl)


__all__ = ["State", "shift_augment", "shuffler", "rate_code", "angle_code", "latency_code", "RateCode",
           "ShiftAugment", "LatencyCode", "AngleCode", "TonicSource", "SpyxMapDataset", "GrainLoader",
           "NMNIST_loader", "SHD_loader"]
