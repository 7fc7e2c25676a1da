"""The built-in node kinds. Importing this package registers them."""

from .io import Input, Output
from .layers import AvgPool1d, AvgPool2d, BatchNorm, Concat, Conv1d, Conv2d, Dropout, LayerNorm, MaxPool1d, MaxPool2d, SumPool1d, SumPool2d
from .neurons import IF, LI, LIF, CubaLIF
from .adaptive import ALIF, SRM, AdaptiveLIF, SigmaDelta
from .readouts import ActivityRegularization, PopulationCode, SpikeCounter
from .synapses import Delay, Flatten, Linear, Scale
from .custom import Custom  # noqa: F401  (user-written layers; see custom.py)

__all__ = ["Input", "Output", "Linear", "Scale", "Flatten", "Delay", "IF", "LI", "LIF", "CubaLIF",
           "AdaptiveLIF", "ALIF", "SigmaDelta", "SRM", "SpikeCounter", "ActivityRegularization", "PopulationCode",
           "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "SumPool1d", "SumPool2d",
           "LayerNorm", "Concat", "Dropout", "BatchNorm"]
