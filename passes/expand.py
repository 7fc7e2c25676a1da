"""expand: inline every composite (Subgraph) into plain nodes with ids ``block/inner``.

Edges into a composite's port go to whatever its inner Input fed; the sources of its inner Output feed
the edges out of the port; delays, ports and feedback marks are kept (joined edges add their delays),
recursively for nested composites. See snnir/ir/inline.py for the rules and docs/composites.md.
"""

from __future__ import annotations

from snnir.ir import Graph
from snnir.ir.inline import inline

from .base import Pass


def expand(graph: Graph) -> Graph:
    return inline(graph)


EXPAND = Pass("expand", expand, "inline every composite (Subgraph) into plain nodes with ids block/inner")
