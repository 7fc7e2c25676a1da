"""mark-feedback: write the feedback rule's marks into the IR.

Marks are data: they are saved with the graph and never recomputed after loading. Existing marks are
kept, so running the pass on an already marked graph changes nothing.
"""

from __future__ import annotations

from snnir.analysis import feedback_candidates
from snnir.ir import Graph

from .base import Pass


def mark_feedback(graph: Graph) -> Graph:
    marked = set(feedback_candidates(graph))
    if not marked:
        return graph
    return graph.replace(edges=tuple(e.replace(feedback=True) if i in marked else e for i, e in enumerate(graph.edges)))


MARK_FEEDBACK = Pass(
    "mark-feedback", mark_feedback,
    "mark the zero-delay edges that read the previous step so that every cycle is broken (declaration order rule)",
)
