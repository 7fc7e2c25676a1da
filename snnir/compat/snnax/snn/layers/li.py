"""``snnax.snn.layers.li``: the leaky integrator."""

from ...neurons import LI, SimpleLI

__all__ = ["SimpleLI", "LI"]
