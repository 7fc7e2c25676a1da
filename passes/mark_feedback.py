"""mark-feedback: write the feedback rule's marks into the IR.

The rule (snnir/analysis/cycles.py, docs/semantics.md): inside each cycle of zero-delay edges, the
candidates are the edges into a node declared no later than their source; of these a minimal set is
marked, chosen greedily (edges into later declared nodes stay unmarked first) so that each loop gets one
break. Only the declaration order and the existing marks decide: never metadata, ids or dictionary order.

Marks are data: they are saved with the graph and never recomputed after loading. Existing marks are
kept (a marked edge is no longer a same-step dependency), so running the pass on an already marked graph
changes nothing, and a loaded graph computes what it computed when it was saved.
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
    "mark the zero-delay edges that read the previous step, one per loop (declaration order rule)",
)
