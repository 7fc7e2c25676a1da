"""The snnir compiler: passes (pure Graph -> Graph), the pipeline that runs them, and the lowering.

Lowering (``lower``) is the only step from IR to program.
"""

from .base import Pass, Pipeline
from .compile import analyze, compile, pipeline_for
from .delay_all import DELAY_ALL, delay_all
from .expand import EXPAND, expand
from .lower import LoweringContext, lower, lowering_rules, register_lowering
from . import lower_layers  # noqa: F401  (registers the stateless layer rules)
from . import lower_neurons  # noqa: F401  (registers the neuron rules)
from . import lower_custom  # noqa: F401  (registers the rule of user-written layers)
from .mark_feedback import MARK_FEEDBACK, mark_feedback
from .quantize import QUANTIZE, QuantizeError, quantize

__all__ = [
    "Pass", "Pipeline", "MARK_FEEDBACK", "mark_feedback", "DELAY_ALL", "delay_all", "EXPAND", "expand", "lower",
    "register_lowering", "lowering_rules", "LoweringContext", "compile", "analyze", "pipeline_for",
    "quantize", "QUANTIZE", "QuantizeError",
]
