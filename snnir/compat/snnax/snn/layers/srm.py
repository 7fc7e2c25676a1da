"""``snnax.snn.layers.srm``: the spike response model."""

from ..composed import SRM

__all__ = ["SRM"]
