"""``snnax.snn`` over snnir: write ``from snnir.compat.snnax import snn`` where SNNAX code has
``from snnax import snn``. Exports SNNAX's names (and the other layers and composites, as before); the
submodules ``architecture``, ``composed`` and ``layers`` mirror SNNAX's."""

from __future__ import annotations

from . import architecture, composed, layers
from ..neurons import BatchNormLayer
from .architecture import (
    GraphStructure,
    StatefulModel,
    debug_forward_fn,
    default_forward_fn,
    gen_feed_forward_struct,
    straight_forward_fn,
)
from .composed import SRM, CompoundLayer, Parallel, ResNetBlock, Sequential, SequentialLocalFeedback
from .layers import (
    IAF,
    LI,
    LIF,
    AdaptiveLIF,
    Flatten,
    LIFSoftReset,
    MaxPool1d,
    MaxPool2d,
    SigmaDelta,
    SimpleIAF,
    SimpleLI,
    SimpleLIF,
    SpikeCounter,
    SpikingMaxPool1d,
    SpikingMaxPool2d,
    StatefulLayer,
    TrainableArray,
)

__all__ = [
    "GraphStructure", "StatefulModel", "default_forward_fn", "debug_forward_fn", "straight_forward_fn", "gen_feed_forward_struct",
    "Sequential", "Parallel", "CompoundLayer", "SequentialLocalFeedback", "SRM", "ResNetBlock", "StatefulLayer",
    "TrainableArray", "SimpleIAF", "IAF", "SimpleLI", "LI", "SimpleLIF", "LIF", "LIFSoftReset", "AdaptiveLIF",
    "SigmaDelta", "SpikeCounter", "Flatten", "MaxPool1d", "MaxPool2d", "SpikingMaxPool1d", "SpikingMaxPool2d",
    "BatchNormLayer", "layers", "architecture", "composed",
]
