"""Schema migrations: each function turns a graph document of version N into version N + 1.

A file of an older schema is migrated step by step on load; a newer one is refused with a clear error.
"""

from __future__ import annotations

from typing import Callable

Document = dict


def _nodes(graph: Document) -> list:
    """The document's node list, or nothing when it is not a list (the graph model then reports it)."""
    nodes = graph.get("nodes")
    return nodes if isinstance(nodes, list) else []


def _v1_to_v2(graph: Document) -> Document:
    """Version 2 renamed Delay's ``delay`` field to ``steps``: it counts whole steps, unlike NIR's
    Delay whose ``delay`` is in seconds."""
    for node in _nodes(graph):
        if isinstance(node, dict) and node.get("kind") == "Delay" and "delay" in node and "steps" not in node:
            node["steps"] = node.pop("delay")
    return graph


def _v2_to_v3(graph: Document) -> Document:
    """Version 3 drops the node field ``initial_output``: every delayed or feedback read at step 0 now
    returns the source's rest value (docs/semantics.md). ``"zero_response"`` is subsumed by that rule;
    ``"zeros"`` (the old default, zeros before step 0) no longer exists. Composites' inner graphs too."""
    for node in _nodes(graph):
        if isinstance(node, dict):
            node.pop("initial_output", None)
            inner = node.get("graph")
            if node.get("kind") == "Subgraph" and isinstance(inner, dict):
                _v2_to_v3(inner)
                if "schema_version" in inner:
                    inner["schema_version"] = 3
    return graph


#: MIGRATIONS[n] migrates a version-n graph document to version n + 1
MIGRATIONS: dict[int, Callable[[Document], Document]] = {1: _v1_to_v2, 2: _v2_to_v3}


def migrate(graph: Document, version: int, target: int) -> Document:
    for v in range(version, target):
        graph = MIGRATIONS[v](graph)
        graph["schema_version"] = v + 1
    return graph
