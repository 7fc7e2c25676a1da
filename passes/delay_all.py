"""delay-all: the timing of delayed (debug) mode, as SNNAX's code runs.

Every edge gets one more step of delay (k -> k + 1), except edges leaving an Input or entering an
Output. A feedback mark already meant one step, so a marked edge becomes an unmarked edge of delay
k + 1 as well: every edge between layers reads the previous step, whichever way it was marked.

It runs before composites are expanded: a same-step composite (CompoundLayer, Parallel, ResNetBlock)
is one layer, its inside untouched; inside any other composite (Sequential, ...) the same rule applies
to the inner edges, recursively (its inner Input and Output nodes are its ports).
"""

from __future__ import annotations

from snnir.ir import Edge, Graph

from .base import Pass


def delay_all(graph: Graph) -> Graph:
    kinds = {n.id: n.kind for n in graph.nodes}

    def delayed(e: Edge) -> Edge:
        if kinds.get(e.src) == "Input" or kinds.get(e.dst) == "Output":
            return e
        return e.replace(delay=e.delay + 1, feedback=False)

    nodes = tuple(n.replace(graph=delay_all(n.graph)) if n.kind == "Subgraph" and not n.same_step else n
                  for n in graph.nodes)
    return graph.replace(nodes=nodes, edges=tuple(delayed(e) for e in graph.edges))


DELAY_ALL = Pass("delay-all", delay_all, "delay every edge between layers by one step (delayed mode)")
