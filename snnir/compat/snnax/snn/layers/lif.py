"""``snnax.snn.layers.lif``: leaky integrate-and-fire neurons."""

from ...neurons import LIF, AdaptiveLIF, LIFSoftReset, SimpleLIF

__all__ = ["SimpleLIF", "LIF", "LIFSoftReset", "AdaptiveLIF"]
