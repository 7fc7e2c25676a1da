"""``snnax.snn.layers.iaf``: integrate-and-fire neurons."""

from ...neurons import IAF, SimpleIAF

__all__ = ["SimpleIAF", "IAF"]
