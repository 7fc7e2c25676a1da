"""``snnax.snn.layers``: SNNAX's layer modules (``stateful``, ``li``, ``lif``, ``iaf``, ``flatten``,
``pooling``, ``residual``, ``sigma_delta``, ``spike_counter``, ``srm``). As in SNNAX the package itself
exports ``StatefulLayer`` and ``RequiresStateLayer``; the layer classes are offered here too."""

from . import flatten, iaf, li, lif, pooling, sigma_delta, spike_counter, stateful
from .flatten import Flatten
from .iaf import IAF, SimpleIAF
from .li import LI, SimpleLI
from .lif import LIF, AdaptiveLIF, LIFSoftReset, SimpleLIF
from .pooling import MaxPool1d, MaxPool2d, SpikingMaxPool1d, SpikingMaxPool2d
from .sigma_delta import SigmaDelta
from .spike_counter import SpikeCounter
from ._stateful import TrainableArray
from .stateful import RequiresStateLayer, StatefulLayer


def __getattr__(name):  # composites live in snn.composed, which imports this package
    if name in ("srm", "residual", "SRM", "ResNetBlock", "CompoundLayer", "BatchNormLayer"):
        import importlib

        if name in ("srm", "residual"):
            return importlib.import_module(f"{__name__}.{name}")
        from .. import composed
        from ...neurons import BatchNormLayer

        return {"SRM": composed.SRM, "ResNetBlock": composed.ResNetBlock, "CompoundLayer": composed.CompoundLayer,
                "BatchNormLayer": BatchNormLayer}[name]
    raise AttributeError(name)


__all__ = ["StatefulLayer", "RequiresStateLayer", "TrainableArray", "SimpleIAF", "IAF", "SimpleLI", "LI",
           "SimpleLIF", "LIF", "LIFSoftReset", "AdaptiveLIF", "SigmaDelta", "SpikeCounter", "Flatten",
           "SpikingMaxPool1d", "SpikingMaxPool2d", "MaxPool1d", "MaxPool2d", "flatten", "iaf", "li", "lif",
           "pooling", "sigma_delta", "spike_counter", "stateful"]
