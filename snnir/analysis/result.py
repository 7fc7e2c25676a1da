"""One frozen summary of the analyses, as returned by ``snnir.analyze``."""

from __future__ import annotations

import dataclasses

from ..ir import Graph
from .cycles import algebraic_loops, cycles, sccs
from .schedule import ScheduleError, schedule
from .shapes import ShapeInfo, infer_shapes


@dataclasses.dataclass(frozen=True)
class Analysis:
    """``sccs``: non-trivial strongly connected components (node ids in declaration order);
    ``cycles``: simple cycles; ``feedback_edges``: edges marked feedback, as (src, dst);
    ``order``: the per-step update schedule (empty if a zero-delay cycle remains);
    ``algebraic_loops``: zero-delay cycles of stateless nodes (still unmarked); ``shapes``: inferred shapes."""

    sccs: tuple[tuple[str, ...], ...]
    cycles: tuple[tuple[str, ...], ...]
    feedback_edges: tuple[tuple[str, str], ...]
    order: tuple[str, ...]
    algebraic_loops: tuple[tuple[str, ...], ...]
    shapes: ShapeInfo


def analyze(graph: Graph) -> Analysis:
    """Analyse ``graph`` as it is (feedback marks are read, never computed here)."""
    try:
        order = schedule(graph)
    except ScheduleError:
        order = ()
    return Analysis(
        sccs=sccs(graph),
        cycles=cycles(graph),
        feedback_edges=graph.feedback_edges,
        order=order,
        algebraic_loops=algebraic_loops(graph),
        shapes=infer_shapes(graph),
    )
