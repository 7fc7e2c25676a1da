"""``snnax.snn.layers.pooling``: spiking max pooling."""

from ...neurons import MaxPool1d, MaxPool2d, SpikingMaxPool1d, SpikingMaxPool2d

__all__ = ["SpikingMaxPool1d", "SpikingMaxPool2d", "MaxPool1d", "MaxPool2d"]
