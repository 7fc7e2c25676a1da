"""``snnax.snn.layers.residual``: the residual block."""

from ..composed import ResNetBlock

__all__ = ["ResNetBlock"]
