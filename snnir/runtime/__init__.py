"""The compiled program: an Equinox module that runs a graph over time with ``lax.scan``."""

from .plan import NodePlan
from .program import CLOCK, Program

__all__ = ["Program", "NodePlan", "CLOCK"]
