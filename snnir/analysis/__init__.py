"""Graph analyses built on networkx: pure functions of a Graph returning frozen results."""

from .cycles import algebraic_loops, backward_edges, cycles, dependency_sccs, feedback_candidates, sccs
from .result import Analysis, analyze
from .schedule import schedule
from .shapes import ShapeInfo, infer_shapes
from .timing import MODES, UnknownModeError, delayed_timing, timed
from .views import dependency_graph, to_networkx

__all__ = [
    "Analysis", "analyze", "ShapeInfo", "infer_shapes", "schedule", "to_networkx", "dependency_graph",
    "sccs", "dependency_sccs", "cycles", "algebraic_loops", "backward_edges", "feedback_candidates",
    "MODES", "UnknownModeError", "delayed_timing", "timed",
]
