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

from ._version import __version__

# The public names live in ``snnir._api``; they are imported on first use, so that ``import snnir``
# (and the command line's --help and --version) cost no JAX import. Everything behaves as if they
# had been imported here: ``from snnir import Graph``, ``snnir.compile``, ``dir(snnir)``, ``import *``.
_PUBLIC = (
    "Subgraph", "subgraph", "sequential", "parallel", "compound", "local_feedback", "resnet_block", "graph_structure",
    "with_parameters_from",
    "Graph", "Edge", "Node", "Input", "Output", "Linear", "Scale", "Flatten", "Delay", "IF", "LI", "LIF",
    "CubaLIF", "AdaptiveLIF", "ALIF", "SigmaDelta", "SRM", "SpikeCounter", "ActivityRegularization", "PopulationCode",
    "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "SumPool1d", "SumPool2d",
    "LayerNorm", "Concat", "Dropout", "BatchNorm", "Surrogate", "register_kind", "node_kinds", "SCHEMA_VERSION",
    "GraphBuilder", "verify", "check", "Diagnostic", "compile", "analyze", "Program",
    "SnnirError", "VerifyError", "InvalidIRError", "UnknownKindError", "PassError", "ShapeError",
    "ProgramInputError", "NodeNotFoundError", "save", "load", "ModelFileError",
    "from_nir", "to_nir", "NIRConversionError",
    "to_dot", "to_mermaid", "draw", "plot_raster", "plot_traces", "plot_rates", "plot_activity", "DrawError",
    "Custom", "register_layer", "StatefulLayer", "TrainableArray",
    "InvalidArgumentsError", "MissingKeyError", "InvalidDtypeError", "ScheduleError", "NIRFileError",
    "PluginImportError", "CompileOptionError", "LoweringError", "GraphvizNotFoundError",
    "LayerRegistrationError", "UnknownLayerError", "LayerEncodingError",
    "NonFiniteError", "StateMemoryError", "checked", "explain", "UnknownCodeError", "register_spike_function",
    "Quantization", "quantize", "QuantizeError", "IntegerArithmeticError",
)
# subpackages reachable as attributes of ``snnir`` without importing them first
_SUBPACKAGES = ("train", "targets")
__all__ = list(_PUBLIC) + ["__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        from . import _api

        value = getattr(_api, name)
        globals()[name] = value  # later look-ups are plain attribute reads
        return value
    if name in _SUBPACKAGES:  # ``snnir.train.integral_accuracy`` without a separate ``import snnir.train``
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'snnir' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC) | set(_SUBPACKAGES))
