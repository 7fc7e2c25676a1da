"""Equinox step modules for every node kind. Kernels know arrays and options, never the IR.

Each kernel has ``init_state(batch_shape, dtype) -> dict``, ``step(state, x, key=None) -> (state, y)``
and ``port(name, state, y)`` for extra output ports; kernels whose "out" port has no direct feedthrough
also expose ``output(state)``, the value they emit at a step before seeing its input.
"""

from .base import Kernel
from .layers import BatchNormKernel, ConcatKernel, ConvKernel, DropoutKernel, LayerNormKernel, PoolKernel
from .adaptive import ALIFKernel, AdaptiveLIFKernel, SigmaDeltaKernel, SRMKernel
from .neurons import LIFKernel, LIKernel, clamp_spec
from .readouts import CounterKernel, PopulationCodeKernel
from .surrogates import SURROGATE_GRADIENTS, spike_function
from .synapses import DelayKernel, FlattenKernel, LinearKernel, ScaleKernel

__all__ = [
    "Kernel", "LIFKernel", "LIKernel", "AdaptiveLIFKernel", "ALIFKernel", "SigmaDeltaKernel", "SRMKernel",
    "CounterKernel", "PopulationCodeKernel", "LinearKernel", "ScaleKernel", "FlattenKernel", "DelayKernel",
    "clamp_spec", "spike_function", "SURROGATE_GRADIENTS", "ConvKernel", "PoolKernel", "LayerNormKernel", "ConcatKernel", "DropoutKernel", "BatchNormKernel",
]
