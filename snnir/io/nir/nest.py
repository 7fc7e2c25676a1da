"""Sub-graphs on the way back: a flat export nested again as the imported NIR graph was.

``from_nir`` flattens sub-graphs (``outer/inner`` ids) and records their nesting in the graph note
``metadata["nir"]["structure"]``: each sub-graph's nodes by NIR name (a leaf by its snnir id, a sub-graph Input or
Output by its shape) and its edges as written. ``to_nir`` calls :func:`nested` on its flat result: when
flattening the recorded nesting, filled with the exported nodes, gives exactly the exported nodes and
edges, the nested graph is returned (so NIR -> snnir -> NIR gives the same sub-graphs); otherwise (the
graph was edited, or the export added Delay nodes) the flat graph stands. Either way the same numbers.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from ...errors import SnnirError
from .hdf5 import tree_from_object
from .notes import note


def nested(structure: Any, nodes: dict[str, Any], edges: list[tuple[str, str]], ids: dict[str, str]):
    """(nodes, edges) of the top NIR graph nested as ``structure`` records, or None when that does not
    describe this export exactly. ``ids`` maps each exported NIR name to its snnir id."""
    import nir

    by_id = {nid: name for name, nid in ids.items()}
    used: list[str] = []

    def build(skeleton: Any) -> tuple[dict, list[tuple[str, str]]]:
        out: dict[str, Any] = {}
        for name, entry in skeleton["nodes"].items():
            if "graph" in entry:
                sub_nodes, sub_edges = build(entry["graph"])
                out[name] = nir.NIRGraph(nodes=sub_nodes, edges=sub_edges, type_check=False)
            elif entry.get("wire") in ("Input", "Output"):
                shape = np.asarray(entry["shape"], dtype=np.int64)
                out[name] = (nir.Input(input_type=shape) if entry["wire"] == "Input"
                             else nir.Output(output_type=shape))
            else:  # a leaf; an Identity has no nir class to rebuild it with (KeyError: stay flat)
                exported = by_id[entry["leaf"]]
                used.append(exported)
                out[name] = nodes[exported]
        return out, [(str(a), str(b)) for a, b in skeleton["edges"]]

    try:
        top_nodes, top_edges = build(structure)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if Counter(used) != Counter(list(nodes)):
        return None  # a node is missing from the nesting, or named twice in it
    candidate = nir.NIRGraph(nodes=top_nodes, edges=top_edges, type_check=False)
    if _flat_edges(candidate) != Counter((ids[a], ids[b]) for a, b in edges):
        return None
    return top_nodes, top_edges


def _flat_edges(graph: Any) -> Counter | None:
    """The edges between snnir ids that importing ``graph`` reads (sub-graphs flattened, wires
    contracted), or None when it does not flatten."""
    from .read import _contract, _Flat, _flatten

    flat = _Flat()
    try:
        _flatten(tree_from_object(graph), "", flat, top=True)
        _contract(flat)
    except SnnirError:
        return None
    # a top-level leaf's id comes from its note; a nested one's from its names, as the import reads them
    ids = {full: note(leaf).get("id", full) if "/" not in full else full for full, leaf in flat.leaves.items()}
    return Counter((ids[a], ids[b]) for a, b in flat.edges)
