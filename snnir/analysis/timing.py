"""The timing of each compile mode, as a graph: what verification and the passes judge and lower.

Straight mode lowers the graph as it is. Delayed mode (SNNAX's timing) first adds one step to every edge
between layers: every top-level edge gets delay k + 1, except edges leaving an Input or entering an
Output. A feedback mark already meant one step, so a marked edge becomes an unmarked edge of delay k + 1.
A same-step composite (CompoundLayer, Parallel, ResNetBlock) is one layer: its inside is left untouched;
inside any other composite (Sequential, ...) the same rule applies to the inner edges, recursively (its
inner Input and Output nodes are its ports). The ``delay-all`` pass is this function.
"""

from __future__ import annotations

from ..errors import SnnirError
from ..ir import Edge, Graph

MODES = ("straight", "delayed")


class UnknownModeError(SnnirError, ValueError):
    """A mode other than "straight" or "delayed"."""


def delayed_timing(graph: Graph) -> Graph:
    """``graph`` with delayed mode's timing written into its edges (composites not expanded)."""
    kinds = {n.id: n.kind for n in graph.nodes}

    def delayed(e: Edge) -> Edge:
        if kinds.get(e.src) == "Input" or kinds.get(e.dst) == "Output":
            return e
        return e.replace(delay=e.delay + 1, feedback=False)

    nodes = tuple(n.replace(graph=delayed_timing(n.graph)) if n.kind == "Subgraph" and not n.same_step else n
                  for n in graph.nodes)
    return graph.replace(nodes=nodes, edges=tuple(delayed(e) for e in graph.edges))


def timed(graph: Graph, mode: str) -> Graph:
    """``graph`` as ``mode`` lowers it, before feedback marks: unchanged in straight mode."""
    if mode not in MODES:
        raise UnknownModeError(f"unknown mode {mode!r}; choose one of {list(MODES)}")
    return delayed_timing(graph) if mode == "delayed" else graph
