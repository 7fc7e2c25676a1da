"""``snnax.snn.layers.spike_counter``: a pass-through that counts its input."""

from ...neurons import SpikeCounter

__all__ = ["SpikeCounter"]
