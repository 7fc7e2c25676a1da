"""``snnax.snn`` over snnir: write ``from snnir.compat.snnax import snn`` where SNNAX code has
``from snnax import snn``."""

from __future__ import annotations

from types import SimpleNamespace

from . import architecture, composed
from .architecture import GraphStructure, StatefulModel, debug_forward_fn, default_forward_fn, gen_feed_forward_struct
from .composed import SRM, CompoundLayer, Parallel, ResNetBlock, Sequential, SequentialLocalFeedback
from .layers import (
    IAF,
    LI,
    LIF,
    AdaptiveLIF,
    BatchNormLayer,
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
)


def _custom():
    from snnir.kernels.custom import StatefulLayer, TrainableArray

    return StatefulLayer, TrainableArray


StatefulLayer, TrainableArray = _custom()

#: ``snn.layers.<Name>`` as in SNNAX (the layer classes plus the custom-layer base)
layers = SimpleNamespace(
    StatefulLayer=StatefulLayer, TrainableArray=TrainableArray, SimpleIAF=SimpleIAF, IAF=IAF, SimpleLI=SimpleLI,
    LI=LI, SimpleLIF=SimpleLIF, LIF=LIF, LIFSoftReset=LIFSoftReset, AdaptiveLIF=AdaptiveLIF, SigmaDelta=SigmaDelta,
    SRM=SRM, SpikeCounter=SpikeCounter, Flatten=Flatten, MaxPool1d=MaxPool1d, MaxPool2d=MaxPool2d,
    SpikingMaxPool1d=SpikingMaxPool1d, SpikingMaxPool2d=SpikingMaxPool2d, BatchNormLayer=BatchNormLayer,
    ResNetBlock=ResNetBlock, CompoundLayer=CompoundLayer,
)

__all__ = [
    "GraphStructure", "StatefulModel", "default_forward_fn", "debug_forward_fn", "gen_feed_forward_struct",
    "Sequential", "Parallel", "CompoundLayer", "SequentialLocalFeedback", "SRM", "ResNetBlock", "StatefulLayer",
    "TrainableArray", "SimpleIAF", "IAF", "SimpleLI", "LI", "SimpleLIF", "LIF", "LIFSoftReset", "AdaptiveLIF",
    "SigmaDelta", "SpikeCounter", "Flatten", "MaxPool1d", "MaxPool2d", "SpikingMaxPool1d", "SpikingMaxPool2d",
    "BatchNormLayer", "layers", "architecture", "composed",
]
