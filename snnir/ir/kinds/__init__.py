"""The built-in node kinds. Importing this package registers them."""

from .io import Input, Output
from .neurons import IF, LI, LIF, CubaLIF
from .synapses import Delay, Flatten, Linear, Scale

__all__ = ["Input", "Output", "Linear", "Scale", "Flatten", "Delay", "IF", "LI", "LIF", "CubaLIF"]
