"""The snnir intermediate representation: node kinds, edges, graphs, the builder and the printer."""

from .arrays import FloatArray, IntArray
from .edge import Edge
from .graph import SCHEMA_VERSION, Graph, NodeNotFoundError
from .kinds.composite import Subgraph  # after graph: a Subgraph holds a Graph
from .kinds import IF, LI, LIF, CubaLIF, Delay, Flatten, Input, Linear, Output, Scale
from .kinds import ALIF, SRM, ActivityRegularization, AdaptiveLIF, PopulationCode, SigmaDelta, SpikeCounter
from .kinds import AvgPool1d, AvgPool2d, BatchNorm, Concat, Conv1d, Conv2d, Dropout, LayerNorm, MaxPool1d, MaxPool2d, SumPool1d, SumPool2d
from .node import Node, ShapeProblem, kind_class, node_kinds, register_kind
from .surrogate import SURROGATE_DEFAULTS, Surrogate
from .quant import Quantization

__all__ = [
    "Node", "Edge", "Graph", "SCHEMA_VERSION", "register_kind", "node_kinds", "kind_class", "ShapeProblem",
    "Surrogate", "SURROGATE_DEFAULTS", "FloatArray", "IntArray", "NodeNotFoundError",
    "Input", "Output", "Linear", "Scale", "Flatten", "Delay", "IF", "LI", "LIF", "CubaLIF",
    "AdaptiveLIF", "ALIF", "SigmaDelta", "SRM", "SpikeCounter", "ActivityRegularization", "PopulationCode",
    "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "SumPool1d", "SumPool2d", "LayerNorm",
    "Concat", "Dropout", "BatchNorm", "Subgraph", "Quantization",
]
