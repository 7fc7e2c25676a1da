"""``snnax.snn.layers.flatten``: one sample to one axis."""

from ...neurons import Flatten

__all__ = ["Flatten"]
