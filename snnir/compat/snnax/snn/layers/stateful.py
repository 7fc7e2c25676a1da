"""``snnax.snn.layers.stateful``: the base of stateful layers and SNNAX's type names."""

from ._stateful import RequiresStateLayer, StatefulLayer, StatefulOutput, StateShape, default_init_fn

__all__ = ["StatefulLayer", "RequiresStateLayer", "default_init_fn", "StateShape", "StatefulOutput"]
