"""delay-all: the timing of delayed (debug) mode, as SNNAX's code runs.

Every edge gets one more step of delay (k -> k + 1), except edges leaving an Input or entering an
Output. A feedback mark already meant one step, so a marked edge becomes an unmarked edge of delay
k + 1 as well: every edge between layers reads the previous step, whichever way it was marked.

It runs before composites are expanded: a same-step composite (CompoundLayer, Parallel, ResNetBlock)
is one layer, its inside untouched; inside any other composite (Sequential, ...) the same rule applies
to the inner edges, recursively (its inner Input and Output nodes are its ports). The rule itself lives
in :func:`snnir.analysis.delayed_timing`, so that verification judges delayed mode's graph with it.
"""

from __future__ import annotations

from snnir.analysis import delayed_timing
from snnir.ir import Graph

from .base import Pass


def delay_all(graph: Graph) -> Graph:
    return delayed_timing(graph)


DELAY_ALL = Pass("delay-all", delay_all, "delay every edge between layers by one step (delayed mode)")
