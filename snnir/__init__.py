"""snnir: a compiler for spiking neural networks.

A model is a validated graph IR of neuron and synapse nodes; ``snnir.compile`` lowers it to one JAX
program (a ``lax.scan`` over time built from Equinox kernels) that runs, trains, batches and jits like
any JAX function.

    import snnir
    g = snnir.Graph(nodes=[...], edges=[...])   # or snnir.GraphBuilder
    snnir.verify(g)
    prog = snnir.compile(g, mode="straight")    # or mode="delayed"
    state = prog.init_state(batch_shape=(B,))
    state, ys = prog(state, xs)                 # xs: [T, B, *shape]; ys: {output_id: [T, B, *shape]}
"""

from .diagnostics import Diagnostic
from .errors import (
    InvalidIRError,
    PassError,
    ProgramInputError,
    ShapeError,
    SnnirError,
    UnknownKindError,
    VerifyError,
)
from .ir import (
    ALIF,
    IF,
    LI,
    LIF,
    SRM,
    ActivityRegularization,
    AdaptiveLIF,
    PopulationCode,
    SigmaDelta,
    SpikeCounter,
    SCHEMA_VERSION,
    AvgPool1d,
    AvgPool2d,
    BatchNorm,
    Concat,
    Dropout,
    Conv1d,
    Conv2d,
    CubaLIF,
    Delay,
    Edge,
    Flatten,
    Graph,
    Input,
    LayerNorm,
    Linear,
    MaxPool1d,
    MaxPool2d,
    Node,
    NodeNotFoundError,
    Output,
    Scale,
    SumPool1d,
    SumPool2d,
    Surrogate,
    node_kinds,
    register_kind,
)
from .io import ModelFileError, NIRConversionError, from_nir, load, save, to_nir
from .ir.builder import GraphBuilder
from .ir import Subgraph
from .ir.composites import compound, graph_structure, local_feedback, parallel, resnet_block, sequential, subgraph
from .ir.inline import with_parameters_from
from .runtime import Program
from .ir.kinds.custom import Custom, register_layer
from .kernels.custom import StatefulLayer, TrainableArray
from .verify import check, verify
from .viz import DrawError, draw, plot_activity, plot_raster, plot_rates, plot_traces, to_dot, to_mermaid
from .viz import graph_svg as _graph_svg

Graph._repr_svg_ = _graph_svg  # notebooks show graphs as drawings (the IR itself never imports viz)
register_layer(TrainableArray, name="snnir.TrainableArray")  # parameters of user layers are storable

__version__ = "0.1.0"

_FROM_COMPILER = ("compile", "analyze")


def __getattr__(name: str):
    # The compiler (package ``passes``) imports snnir's inner packages, so the façade re-exports it
    # lazily: importing ``passes`` first, or ``snnir`` first, both work.
    if name in _FROM_COMPILER:
        import passes

        return getattr(passes, name)
    raise AttributeError(f"module 'snnir' has no attribute {name!r}")

__all__ = [
    "Subgraph", "subgraph", "sequential", "parallel", "compound", "local_feedback", "resnet_block", "graph_structure",
    "with_parameters_from",
    "Graph", "Edge", "Node", "Input", "Output", "Linear", "Scale", "Flatten", "Delay", "IF", "LI", "LIF",
    "CubaLIF", "AdaptiveLIF", "ALIF", "SigmaDelta", "SRM", "SpikeCounter", "ActivityRegularization", "PopulationCode",
    "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "SumPool1d", "SumPool2d",
    "LayerNorm", "Concat", "Dropout", "BatchNorm", "Surrogate", "register_kind", "node_kinds", "SCHEMA_VERSION", "GraphBuilder",
    "verify", "check", "Diagnostic", "compile", "analyze", "Program",
    "SnnirError", "VerifyError", "InvalidIRError", "UnknownKindError", "PassError", "ShapeError",
    "ProgramInputError", "NodeNotFoundError", "save", "load", "ModelFileError",
    "from_nir", "to_nir", "NIRConversionError",
    "to_dot", "to_mermaid", "draw", "plot_raster", "plot_traces", "plot_rates", "plot_activity", "DrawError",
    "Custom", "register_layer", "StatefulLayer", "TrainableArray",
]
