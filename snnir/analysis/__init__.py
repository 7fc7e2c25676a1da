"""Graph analyses built on networkx: pure functions of a Graph returning frozen results."""

from .cycles import algebraic_loops, cycles, dependency_sccs, feedback_candidates, sccs
from .result import Analysis, analyze
from .schedule import schedule
from .shapes import ShapeInfo, infer_shapes
from .views import dependency_graph, to_networkx

__all__ = [
    "Analysis", "analyze", "ShapeInfo", "infer_shapes", "schedule", "to_networkx", "dependency_graph",
    "sccs", "dependency_sccs", "cycles", "algebraic_loops", "feedback_candidates",
]
