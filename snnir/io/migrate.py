"""Schema migrations: each function turns a graph document of version N into version N + 1.

A file of an older schema is migrated step by step on load; a newer one is refused with a clear error.
"""

from __future__ import annotations

from typing import Callable

Document = dict


def _v1_to_v2(graph: Document) -> Document:
    """Version 2 renamed Delay's ``delay`` field to ``steps``: it counts whole steps, unlike NIR's
    Delay whose ``delay`` is in seconds."""
    for node in graph.get("nodes", ()):
        if isinstance(node, dict) and node.get("kind") == "Delay" and "delay" in node and "steps" not in node:
            node["steps"] = node.pop("delay")
    return graph


#: MIGRATIONS[n] migrates a version-n graph document to version n + 1
MIGRATIONS: dict[int, Callable[[Document], Document]] = {1: _v1_to_v2}


def migrate(graph: Document, version: int, target: int) -> Document:
    for v in range(version, target):
        graph = MIGRATIONS[v](graph)
        graph["schema_version"] = v + 1
    return graph
