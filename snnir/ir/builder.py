"""A small builder: a few readable lines per network, with key-driven, fan-in-scaled weights.

    b = GraphBuilder(key=0)
    x = b.input("x", shape=(20,))
    s = b.lif(b.linear(x, 64), decay=0.9, id="lif")
    b.connect(b.linear(s, 64, id="rec"), s)           # a recurrent edge: the compiler marks feedback
    b.output(b.li(b.linear(s, 10), decay=0.8), id="y")
    graph = b.build()

Sources are node ids, or ``"id.port"`` for another output port (e.g. ``"lif.v"``). Each Linear weight is
drawn uniformly from [-1/sqrt(fan_in), 1/sqrt(fan_in)] (as PyTorch and Equinox do) with a key folded
from the builder's key and the layer's index, so the same key always gives the same graph.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from ..errors import InvalidIRError
from .arrays import FLOAT_DTYPES
from .edge import Edge
from .graph import Graph
from .kinds import IF, LI, LIF, CubaLIF, Delay, Flatten, Input, Linear, Output, Scale
from .kinds import ALIF, SRM, ActivityRegularization, AdaptiveLIF, PopulationCode, SigmaDelta, SpikeCounter
from .node import Node, ShapeProblem


class GraphBuilder:
    def __init__(self, key: Any = 0, dtype: str = "float32"):
        self._key = jax.random.key(key) if isinstance(key, int) else key
        if dtype not in FLOAT_DTYPES:
            raise InvalidIRError(f"unsupported dtype {dtype!r}; use one of {sorted(FLOAT_DTYPES)}")
        self._dtype = FLOAT_DTYPES[dtype]
        self._nodes: list[Node] = []
        self._edges: list[Edge] = []
        self._shapes: dict[tuple[str, str], tuple[int, ...]] = {}
        self._draws = 0

    # ------------------------------------------------------------------ generic
    def add(self, node: Node, *sources: str, delay: int = 0) -> str:
        """Add ``node`` fed by ``sources`` (ids or "id.port"); returns its id."""
        if any(n.id == node.id for n in self._nodes):
            raise InvalidIRError(f"node id {node.id!r} is already used\n  hint: pick another id")
        self._nodes.append(node)
        for src in sources:
            self.connect(src, node.id, delay=delay)
        self._infer(node)
        return node.id

    def connect(self, src: str, dst: str, *, delay: int = 0, dst_port: str = "in", feedback: bool = False) -> None:
        """Add an edge from ``src`` ("id" or "id.port") into ``dst``."""
        node, port = self._split(src)
        self._edges.append(Edge(node, dst, delay=delay, src_port=port, dst_port=dst_port, feedback=feedback))

    def build(self, metadata: dict | None = None) -> Graph:
        return Graph(nodes=tuple(self._nodes), edges=tuple(self._edges), metadata=metadata or {})

    def shape_of(self, src: str) -> tuple[int, ...]:
        node, port = self._split(src)
        try:
            return self._shapes[(node, port)]
        except KeyError:
            raise InvalidIRError(f"no known shape for {src!r}; add the node before using it as a source") from None

    # ------------------------------------------------------------------ kinds
    def input(self, id: str, shape: tuple[int, ...] | int) -> str:  # noqa: A002
        return self.add(Input(id=id, shape=_shape(shape)))

    def output(self, src: str, id: str = "y") -> str:  # noqa: A002
        return self.add(Output(id=id), src)

    def linear(self, src: str, features: int, *, id: str | None = None, bias: bool = True,  # noqa: A002
               gain: float = 1.0, **fields: Any) -> str:
        fan_in = self.shape_of(src)[-1]
        bound = gain / np.sqrt(fan_in)
        k_w, k_b = jax.random.split(self._next_key())
        weight = np.asarray(jax.random.uniform(k_w, (features, fan_in), minval=-bound, maxval=bound))
        b = np.asarray(jax.random.uniform(k_b, (features,), minval=-bound, maxval=bound)) if bias else None
        node = Linear(id=id or self._auto_id("linear"), weight=weight.astype(self._dtype),
                      bias=None if b is None else b.astype(self._dtype), **fields)
        return self.add(node, src)

    def scale(self, src: str, scale: Any, *, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        return self.add(Scale(id=id or self._auto_id("scale"), scale=self._array(scale), **fields), src)

    def flatten(self, src: str, *, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        return self.add(Flatten(id=id or self._auto_id("flatten"), **fields), src)

    def delay(self, src: str, steps: Any, *, id: str | None = None) -> str:  # noqa: A002
        return self.add(Delay(id=id or self._auto_id("delay"), steps=steps), src)

    def lif(self, src: str, *, decay: Any, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        return self._population(LIF, "lif", src, id, decay=self._array(decay), **fields)

    def if_(self, src: str, *, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        return self._population(IF, "if", src, id, **fields)

    def li(self, src: str, *, decay: Any, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        return self._population(LI, "li", src, id, decay=self._array(decay), **fields)

    def cuba_lif(self, src: str, *, syn_decay: Any, mem_decay: Any, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        return self._population(CubaLIF, "cubalif", src, id, syn_decay=syn_decay, mem_decay=mem_decay, **fields)

    def adaptive_lif(self, src: str, *, decay: Any, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        return self._population(AdaptiveLIF, "adaptivelif", src, id, decay=decay, **fields)

    def alif(self, src: str, *, decay: Any, adapt_decay: Any, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        return self._population(ALIF, "alif", src, id, decay=decay, adapt_decay=adapt_decay, **fields)

    def sigma_delta(self, src: str, *, in_decay: Any, mem_decay: Any, fb_decay: Any, id: str | None = None,  # noqa: A002
                    **fields: Any) -> str:
        return self._population(SigmaDelta, "sigmadelta", src, id, in_decay=in_decay, mem_decay=mem_decay,
                                fb_decay=fb_decay, **fields)

    def srm(self, src: str, *, id: str | None = None, **fields: Any) -> str:  # noqa: A002
        return self._population(SRM, "srm", src, id, **fields)

    def spike_counter(self, src: str, *, id: str | None = None) -> str:  # noqa: A002
        return self._population(SpikeCounter, "counter", src, id)

    def activity_regularization(self, src: str, *, id: str | None = None) -> str:  # noqa: A002
        return self._population(ActivityRegularization, "actreg", src, id)

    def population_code(self, src: str, group_size: int, *, id: str | None = None) -> str:  # noqa: A002
        return self.add(PopulationCode(id=id or self._auto_id("popcode"), group_size=group_size), src)

    # ------------------------------------------------------------------ helpers
    def _population(self, cls, prefix, src, id, **fields):  # noqa: A002
        fields.setdefault("shape", self.shape_of(src))
        for name in cls.float_params():  # every array parameter in the builder's dtype
            if name in fields and fields[name] is not None:
                fields[name] = self._array(fields[name])
        return self.add(cls(id=id or self._auto_id(prefix), **fields), src)

    def _array(self, value: Any) -> np.ndarray:
        return np.asarray(value, dtype=self._dtype)

    def _next_key(self):
        self._draws += 1
        return jax.random.fold_in(self._key, self._draws)

    def _auto_id(self, prefix: str) -> str:
        taken = {n.id for n in self._nodes}
        i = 1
        while f"{prefix}{i}" in taken:
            i += 1
        return f"{prefix}{i}"

    def _split(self, src: str) -> tuple[str, str]:
        node, _, port = src.partition(".")
        return node, port or "out"

    def _infer(self, node: Node) -> None:
        ins = {}
        for port in node.INPUT_PORTS:
            shapes = [self._shapes.get((e.src, e.src_port)) for e in self._edges if e.dst == node.id and e.dst_port == port]
            ins[port] = shapes[0] if shapes and all(s is not None for s in shapes) else None
        try:
            out = node.infer_shapes(ins)
        except ShapeProblem as p:
            raise InvalidIRError(f"{p.message}\n  hint: {p.hint}") from None
        for port, shape in out.items():
            self._shapes[(node.id, port)] = tuple(shape)


def _shape(shape: Any) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else tuple(shape)
