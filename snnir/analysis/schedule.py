"""The order in which nodes update within one step."""

from __future__ import annotations

import networkx as nx

from ..errors import SnnirError
from ..ir import Graph
from .views import declaration_index, dependency_graph


class ScheduleError(SnnirError, ValueError):
    """The same-step dependencies still contain a cycle (run the mark-feedback pass first)."""


def schedule(graph: Graph) -> tuple[str, ...]:
    """Every node id, each after the nodes whose same-step values it reads; ties keep declaration order.

    Raises ScheduleError if a zero-delay cycle remains (run the mark-feedback pass first).
    """
    dep = nx.DiGraph(dependency_graph(graph))
    index = declaration_index(graph)
    try:
        return tuple(nx.lexicographical_topological_sort(dep, key=index.__getitem__))
    except nx.NetworkXUnfeasible:
        raise ScheduleError("the same-step dependency graph has a cycle") from None
