"""The Graph: an immutable, validated list of nodes and edges.

Construction checks only each field's own validity (types, ids, finite parameters); cross-references
(unknown ids, shapes, cycles) are ``snnir.verify``'s job, so an invalid graph can still be built,
printed and drawn with its problems.
"""

from __future__ import annotations

from typing import Annotated, Any, Iterable, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator

from ..diagnostics import did_you_mean
from ..errors import InvalidIRError, SnnirError
from . import kinds as _kinds  # noqa: F401  (registers the built-in kinds)
from .arrays import FLOAT_DTYPES
from .edge import Edge
from .node import FriendlyModelMeta, Node, _on_register, invalid_ir_error, node_kinds

SCHEMA_VERSION = 3


def _node_union() -> Any:
    classes = tuple(node_kinds().values())
    if len(classes) == 1:
        return classes[0]
    return Annotated[Union[classes], Field(discriminator="kind")]


def _graph_error(err: ValidationError, data: Any) -> InvalidIRError:
    """The InvalidIRError for a graph given as ``data``: nodes named by id, edges by their ends."""
    data = data if isinstance(data, dict) else {}
    nodes = data.get("nodes", ()) or ()
    ids = [n.get("id", "?") if isinstance(n, dict) else getattr(n, "id", "?") for n in nodes]
    return invalid_ir_error(err, what="graph", node_ids=ids, model=Graph, edges=data.get("edges"))


class _GraphMeta(FriendlyModelMeta):
    def _construction_error(cls, err, data):
        return _graph_error(err, data)


class Graph(BaseModel, metaclass=_GraphMeta):
    """A spiking network as nodes (declaration order matters: it decides feedback marks) and edges."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    nodes: tuple[_node_union(), ...]  # type: ignore[valid-type]
    edges: tuple[Edge, ...] = ()
    metadata: dict[str, JsonValue] = Field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> "Graph":
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as err:
            raise _graph_error(err, obj) from None

    @field_validator("edges", mode="before")
    @classmethod
    def _edge_tuples(cls, value: Any) -> Any:
        """Accept ``(src, dst)`` and ``(src, dst, delay)`` tuples beside Edge objects and dicts."""
        if isinstance(value, (list, tuple)):
            return [
                dict(zip(("src", "dst", "delay"), e)) if isinstance(e, (list, tuple)) and 2 <= len(e) <= 3 else e
                for e in value
            ]
        return value

    # ------------------------------------------------------------------ lookups
    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes)

    def _lookups(self) -> tuple[dict[str, int], dict[str, list[Edge]]]:
        """Node id -> position and node id -> in-edges, built once per graph (a graph is frozen; the cache
        is keyed by the very node and edge tuples, so a copy with other nodes or edges never reads it)."""
        cached = self.__dict__.get("_lookup_cache")
        if cached is None or cached[0] is not self.nodes or cached[1] is not self.edges:
            position = {n.id: i for i, n in reversed(list(enumerate(self.nodes)))}  # the first of a duplicate id
            incoming: dict[str, list[Edge]] = {}
            for e in self.edges:
                incoming.setdefault(e.dst, []).append(e)
            cached = (self.nodes, self.edges, position, incoming)
            self.__dict__["_lookup_cache"] = cached  # not a field: equality, dumps and copies ignore it
        return cached[2], cached[3]

    def index_of(self, node_id: str) -> int | None:
        """The position of node ``node_id`` in ``nodes`` (None if absent), in constant time."""
        return self._lookups()[0].get(node_id)

    def node(self, node_id: str) -> Node:
        at = self._lookups()[0].get(node_id) if isinstance(node_id, str) else None
        if at is not None:
            return self.nodes[at]
        guess = did_you_mean(str(node_id), self.node_ids)
        raise NodeNotFoundError(f"no node with id {node_id!r}" + (f" ({guess})" if guess else "")
                                + f"; the graph has {list(self.node_ids)}")

    def __contains__(self, node_id: object) -> bool:
        return any(n.id == node_id for n in self.nodes)

    def nodes_of_kind(self, kind: str) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.kind == kind)

    @property
    def inputs(self) -> tuple[Node, ...]:
        return self.nodes_of_kind("Input")

    @property
    def outputs(self) -> tuple[Node, ...]:
        return self.nodes_of_kind("Output")

    def in_edges(self, node_id: str) -> tuple[Edge, ...]:
        """The edges into ``node_id``, in declaration order (constant time after the first call)."""
        return tuple(self._lookups()[1].get(node_id, ()))

    def out_edges(self, node_id: str) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.src == node_id)

    @property
    def feedback_edges(self) -> tuple[tuple[str, str], ...]:
        return tuple(e.key for e in self.edges if e.feedback)

    # ------------------------------------------------------------------ rebuilding
    def replace(self, **changes: Any) -> "Graph":
        """A new graph with fields replaced (``nodes=``, ``edges=``, ``metadata=``), validated again."""
        data = {"nodes": self.nodes, "edges": self.edges, "metadata": self.metadata,
                "schema_version": self.schema_version}
        data.update(changes)
        return Graph(**data)

    def replace_node(self, node: Node) -> "Graph":
        """A new graph with the node of the same id swapped for ``node``."""
        self.node(node.id)
        return self.replace(nodes=tuple(node if n.id == node.id else n for n in self.nodes))

    def map_edges(self, fn) -> "Graph":
        return self.replace(edges=tuple(fn(e) for e in self.edges))

    def astype(self, dtype: Any) -> "Graph":
        """The same graph with every float parameter cast to ``dtype`` (float16, bfloat16, float32, float64)."""
        name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
        if name not in FLOAT_DTYPES:
            raise InvalidDtypeError(f"unsupported parameter dtype {name!r}; use one of {sorted(FLOAT_DTYPES)}")
        target = FLOAT_DTYPES[name]
        nodes = []
        for n in self.nodes:
            if n.kind == "Subgraph":  # a composite: cast its nested graph
                nodes.append(n.replace(graph=n.graph.astype(dtype)))
                continue
            changes = {p: v.astype(target) for p, v in n.params().items() if p in n.float_params()}
            nodes.append(n.replace(**changes) if changes else n)
        return self.replace(nodes=tuple(nodes))

    def param_dtypes(self, arrays_only: bool = False) -> tuple[str, ...]:
        """The distinct dtypes of the float parameters, in order of first appearance.

        With ``arrays_only``, scalar (0-d) parameters are left out: they follow the program dtype."""
        seen: dict[str, None] = {}
        for n in self.nodes:
            for p, v in n.params().items():
                if p in n.float_params() and not (arrays_only and v.ndim == 0):
                    seen.setdefault(v.dtype.name)
        return tuple(seen)

    @property
    def dtype(self) -> str:
        """The program dtype: that of the array parameters (scalars follow it), float32 if there are none."""
        dtypes = self.param_dtypes(arrays_only=True) or self.param_dtypes()
        return dtypes[0] if dtypes else "float32"

    def parameter_count(self) -> int:
        """Float parameters of every node, those inside composites (``Subgraph``) and the array leaves of
        custom layers' modules included."""
        total = 0
        for n in self.nodes:
            total += n.parameter_count()
            inner = getattr(n, "graph", None)
            if isinstance(inner, Graph):
                total += inner.parameter_count()
        return total

    # ------------------------------------------------------------------ value semantics
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return (
            self.schema_version == other.schema_version
            and self.metadata == other.metadata
            and self.edges == other.edges
            and len(self.nodes) == len(other.nodes)
            and all(a == b for a, b in zip(self.nodes, other.nodes))
        )

    def __hash__(self) -> int:
        return hash((self.schema_version, self.nodes, self.edges))

    def __str__(self) -> str:
        from .printer import format_graph

        return format_graph(self)

    def __repr__(self) -> str:
        return f"Graph({len(self.nodes)} nodes, {len(self.edges)} edges)"


class NodeNotFoundError(SnnirError, KeyError, ValueError):
    """No node has the requested id."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0])


class InvalidDtypeError(SnnirError, ValueError):
    """A dtype snnir does not support for parameters."""


def _rebuild_node_union() -> None:
    Graph.model_fields["nodes"].annotation = tuple[_node_union(), ...]  # type: ignore[valid-type]
    Graph.model_rebuild(force=True)


_on_register.append(_rebuild_node_union)


def edges_from(pairs: Iterable[Any]) -> tuple[Edge, ...]:
    """Edges from ``Edge`` objects, ``(src, dst)`` pairs or dicts."""
    out = []
    for p in pairs:
        if isinstance(p, Edge):
            out.append(p)
        elif isinstance(p, dict):
            out.append(Edge(**p))
        else:
            out.append(Edge(*p))
    return tuple(out)
