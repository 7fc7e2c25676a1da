"""Training tools for spiking networks: losses, metrics, regularisers, spike encoders and data helpers.

Plain JAX functions (with optax where a standard loss exists), independent of how the network was built:
they take arrays, so they work on a snnir program's outputs as on any other. Recordings are time-major by
default, as snnir programs output them ([T, B, C], ``time_axis=0``); pass ``time_axis=1`` for batch-major
ones. Each function's docstring states its equation; docs/train.md maps Spyx's and snnTorch's names here.

    import snnir.train as st
    loss = st.integral_cross_entropy(ys["y"], labels, smoothing=0.1)   # ys["y"]: [T, B, C]
    acc = st.integral_accuracy(ys["y"], labels)
"""

from .data import iterate_batches, pack_spikes, shift_augment, shuffle_batches, unpack_spikes
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .fit import History, decay_bounds, evaluate, fit, keep_in_range
from .sharding import replicate, shard_batch
from .encoders import angle_code, delta_code, latency_code, latency_spike_times, rate_code
from .losses import (
    ce_count_loss,
    ce_max_membrane_loss,
    ce_rate_loss,
    integral_cross_entropy,
    mse_count_loss,
    mse_membrane_loss,
    mse_rate_loss,
    smoothed_one_hot,
    snntorch_targets,
)
from .metrics import accuracy_rate, accuracy_temporal, integral_accuracy, integral_predictions
from .readout import first_spike_times, integral, population_counts, spike_counts
from .regularizers import silence_regularizer, sparsity_regularizer

__all__ = [
    "fit", "evaluate", "History", "decay_bounds", "keep_in_range",
    # checkpoints and data-parallel placement
    "save_checkpoint", "load_checkpoint", "Checkpoint", "shard_batch", "replicate",
    # losses
    "integral_cross_entropy", "ce_rate_loss", "ce_count_loss", "ce_max_membrane_loss", "mse_count_loss",
    "mse_membrane_loss", "mse_rate_loss", "smoothed_one_hot", "snntorch_targets",
    # metrics and readouts
    "integral_accuracy", "integral_predictions", "accuracy_rate", "accuracy_temporal", "integral",
    "spike_counts", "population_counts", "first_spike_times",
    # regularisers
    "silence_regularizer", "sparsity_regularizer",
    # encoders
    "rate_code", "latency_code", "latency_spike_times", "delta_code", "angle_code",
    # data
    "shift_augment", "shuffle_batches", "iterate_batches", "pack_spikes", "unpack_spikes",
]
