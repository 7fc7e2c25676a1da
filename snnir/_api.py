"""Everything ``import snnir`` offers (the names ``snnir._PUBLIC`` lists), imported at once on first use.

The package's ``__init__`` stays cheap (``snnir --help`` and ``snnir --version`` never import JAX);
touching ``snnir.Graph`` or any other public name imports this module, which also applies the façade's
two side effects (drawings for notebooks, storable ``TrainableArray``).
"""

from .diagnostics import Diagnostic
from .errors import (
    InvalidArgumentsError,
    InvalidIRError,
    MissingKeyError,
    NonFiniteError,
    PassError,
    ProgramInputError,
    ShapeError,
    SnnirError,
    StateMemoryError,
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
from .io.nir import NIRFileError
from .ir.graph import InvalidDtypeError
from .analysis.schedule import ScheduleError
from .plugins import PluginImportError
from .passes import analyze, compile
from .passes.quantize import QuantizeError, quantize
from .passes.lower_integer import IntegerArithmeticError
from .ir.quant import Quantization
from .passes.compile import CompileOptionError
from .passes.lower import LoweringError
from .ir.builder import GraphBuilder
from .ir import Subgraph
from .ir.composites import compound, graph_structure, local_feedback, parallel, resnet_block, sequential, subgraph
from .ir.inline import with_parameters_from
from .runtime import Program
from .runtime.checks import checked
from .ir.kinds.custom import Custom, LayerEncodingError, LayerRegistrationError, UnknownLayerError, register_layer
from .kernels.custom import StatefulLayer, TrainableArray
from .verification import check, verify
from .codes import UnknownCodeError, explain
from .ir.surrogate import register_spike_function
from .viz import DrawError, GraphvizNotFoundError, draw, plot_activity, plot_raster, plot_rates, plot_traces, to_dot, to_mermaid
from .viz import graph_svg as _graph_svg

Graph._repr_svg_ = _graph_svg  # notebooks show graphs as drawings (the IR itself never imports viz)
register_layer(TrainableArray, name="snnir.TrainableArray")  # parameters of user layers are storable
