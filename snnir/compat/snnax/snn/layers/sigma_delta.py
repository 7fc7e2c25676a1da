"""``snnax.snn.layers.sigma_delta``: the sigma-delta neuron."""

from ...neurons import SigmaDelta

__all__ = ["SigmaDelta"]
