"""Lowering: the only step from IR to program. One rule per node kind builds that node's kernel.

Adding a node kind = one IR class (snnir/ir) + one kernel (snnir/kernels) + one rule here
(``@register_lowering("Kind")``) + docs + tests.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Callable

import jax
import jax.numpy as jnp
import networkx as nx
import numpy as np

import snnir.kernels as K
from snnir.analysis import ShapeInfo, infer_shapes, schedule, to_networkx
from snnir.errors import SnnirError
from snnir.ir import Graph, Node
from snnir.runtime import NodePlan, Program
from snnir.runtime.program import hoisted_bytes
from snnir.runtime.plan import Source

from .quantize import fake_quant_specs


class LoweringError(SnnirError, ValueError):
    """A node kind has no lowering rule."""


@dataclasses.dataclass(frozen=True)
class LoweringContext:
    """What a lowering rule may use besides the node: the program dtype and the inferred shapes."""

    dtype: str
    shapes: ShapeInfo

    def array(self, value: np.ndarray | None):
        """A float parameter as a JAX array of the program dtype (None stays None)."""
        return None if value is None else jnp.asarray(value, dtype=self.dtype)

    def in_shape(self, node: Node, port: str = "in") -> tuple[int, ...]:
        return tuple(self.shapes.input(node.id, port))


#: a rule returns the kernel and the map from IR parameter name to kernel field name
Rule = Callable[[Node, LoweringContext], tuple[K.Kernel, dict[str, str]]]
_RULES: dict[str, Rule] = {}
_NO_KERNEL = ("Input", "Output")


def register_lowering(kind: str) -> Callable[[Rule], Rule]:
    def decorate(rule: Rule) -> Rule:
        _RULES[kind] = rule
        return rule

    return decorate


def lowering_rules() -> dict[str, Rule]:
    return dict(_RULES)


def _same_names(*names: str) -> dict[str, str]:
    return {n: n for n in names}


@register_lowering("Linear")
def _linear(node, ctx):
    mask = None if node.mask is None else jnp.asarray(node.mask, jnp.int32)
    return K.LinearKernel(weight=ctx.array(node.weight), bias=ctx.array(node.bias), mask=mask), \
        _same_names("weight", "bias", "mask")


@register_lowering("Scale")
def _scale(node, ctx):
    return K.ScaleKernel(scale=ctx.array(node.scale)), _same_names("scale")


@register_lowering("Flatten")
def _flatten(node, ctx):
    shape = ctx.in_shape(node)
    n = len(shape)
    start = node.start_dim % n
    end = node.end_dim % n
    return K.FlattenKernel(in_shape=shape, start=start, end=end), {}


@register_lowering("Delay")
def _delay(node, ctx):
    kernel = K.DelayKernel(delay=jnp.asarray(node.steps, jnp.int32), shape=ctx.in_shape(node),
                           depth=node.max_delay, feedthrough=node.feedthrough())
    return kernel, {"steps": "delay"}


# ---------------------------------------------------------------------- the whole graph
def lower(graph: Graph, *, mode: str, template: Graph, feedback_edges: tuple[tuple[str, str], ...],
          strategy: str = "auto", memory_budget: int | None = None) -> Program:
    """Build the Program for a verified, feedback-marked ``graph``.

    ``template`` is the graph ``prog.to_graph()`` gives back (the user's graph after marking, before any
    timing pass); its node ids and parameters are the same as ``graph``'s. ``memory_budget`` (bytes per
    device, None: the default at call time) bounds the hoisted activations of an ``auto`` program's
    layered calls (``Program.strategy_for``).
    """
    shapes = infer_shapes(graph)
    dtype = graph.dtype
    if dtype == "float64" and not jax.config.jax_enable_x64:
        raise LoweringError(
            "the graph's parameters are float64, but JAX runs with 64-bit types disabled and would "
            "silently compute in float32\n  hint: wrap compile and calls in `with jax.enable_x64(True):`, "
            "or cast the graph with graph.astype('float32')")
    ctx = LoweringContext(dtype=dtype, shapes=shapes)

    kernels, param_map, trainable = {}, [], []
    for node in graph.nodes:
        if node.kind in _NO_KERNEL:
            continue
        rule = _RULES.get(node.kind)
        if rule is None:
            raise LoweringError(f"node kind {node.kind!r} (node {node.id!r}) has no lowering rule"
                                "\n  hint: register one with passes.register_lowering")
        kernel, names = rule(node, ctx)
        kernels[node.id] = kernel
        for ir_field, kernel_field in names.items():
            value = getattr(node, ir_field)
            if value is not None:
                param_map.append((node.id, ir_field, kernel_field, value.dtype.name))
        trainable.extend((node.id, names[f]) for f in node.trainable or ())

    plans = _plans(graph, shapes)
    states = {nid: jax.eval_shape(lambda k=k: k.init_state((), jnp.dtype(dtype))) for nid, k in kernels.items()}
    has_state = {nid for nid, st in states.items() if st}
    stateful = tuple(p.id for p in plans if p.history or p.id in has_state)
    stages = _stages(graph, plans, has_state)
    if strategy == "auto":  # measured on CPU (docs/performance.md): hoisting a GEMM out of the loop wins,
        # unless the layered program has so many time loops that compiling them costs more than it saves
        few_loops = sum(kind == "scan" for kind, _ in stages) <= MAX_LAYERED_LOOPS
        strategy = "layered" if _hoists_a_matmul(graph, stages) and few_loops else "fused-scan"
        # the layered program holds [T, B, n] activations the fused scan does not: each call weighs them
        # against a memory budget once its steps and batch are known (Program.strategy_for)
        auto = strategy == "layered"
    else:
        auto = False
    stages = stages if strategy == "layered" else ()
    return Program(
        strategy=strategy,
        stages=stages,
        kernels=kernels,
        plan=plans,
        mode=mode,
        dtype=dtype,
        feedback_edges=tuple(feedback_edges),
        param_map=tuple(param_map),
        quant=fake_quant_specs(graph, param_map),  # node.quant: calls use q(w) (straight-through)
        trainable_fields=tuple(trainable),
        graph_template=_template(template),
        declaration=graph.node_ids,
        stateful_ids=stateful,
        rest_order=_rest_order(graph, plans, kernels, has_state),
        state_spec=_state_spec(plans, states, dtype),
        auto=auto,
        memory_budget=memory_budget if auto else None,
        hoisted=hoisted_bytes(plans, stages, dtype),
    )


def _plans(graph: Graph, shapes: ShapeInfo) -> tuple[NodePlan, ...]:
    depth: dict[tuple[str, str], int] = {}
    for e in graph.edges:
        if e.effective_delay:
            key = (e.src, e.src_port)
            depth[key] = max(depth.get(key, 0), e.effective_delay)
    # one pass over the edges and a lookup per node (no scan of the graph per node: linear in its size)
    by_id = {n.id: n for n in graph.nodes}
    into: dict[tuple[str, str], list[Source]] = {}
    for e in graph.edges:
        into.setdefault((e.dst, e.dst_port), []).append(Source(e.src, e.src_port, e.effective_delay))
    plans = []
    for nid in schedule(graph):
        node = by_id[nid]
        role = {"Input": "input", "Output": "output"}.get(node.kind, "node")
        inputs = tuple((port, tuple(into.get((nid, port), ())), tuple(shapes.input(nid, port)))
                       for port in node.INPUT_PORTS)
        outputs = tuple((port, tuple(shapes.output(nid, port)), node.feedthrough(port)) for port in node.OUTPUT_PORTS)
        history = tuple((port, depth[(nid, port)]) for port in node.OUTPUT_PORTS if (nid, port) in depth)
        plans.append(NodePlan(nid, node.kind, role, inputs, outputs, history))
    return tuple(plans)


def _state_spec(plans: tuple[NodePlan, ...], states: dict, dtype: str) -> tuple:
    """(node, variable, shape per sample, dtype, bytes per sample) of every state entry init_state makes:
    each kernel's variables (from ``jax.eval_shape``: nothing is allocated) and each history buffer, so
    that init_state can refuse a state too large before allocating it, and a call can name the entry of
    a state that does not fit the program. Shape and dtype are None for a variable that is not one
    array (a user layer's nested state)."""
    itemsize = jnp.dtype(dtype).itemsize
    spec = []
    for p in plans:
        for var, value in (states.get(p.id) or {}).items():
            leaves = jax.tree_util.tree_leaves(value)
            nbytes = sum(math.prod(x.shape) * x.dtype.itemsize for x in leaves)
            single = isinstance(value, jax.ShapeDtypeStruct)
            spec.append((p.id, var, tuple(value.shape) if single else None, value.dtype.name if single else None,
                         nbytes))
        for port, depth in p.history:
            shape = (depth,) + tuple(p.output_shape(port))
            spec.append((p.id, f"{port}_history", shape, jnp.dtype(dtype).name, math.prod(shape) * itemsize))
    return tuple(spec)


def _rest_order(graph: Graph, plans: tuple[NodePlan, ...], kernels: dict, has_state: set[str]) -> tuple[str, ...]:
    """The nodes whose rest values ``init_state`` computes, in the order it computes them.

    Needed: every node with a history buffer, every kernel whose state is filled from its input's rest
    (a Delay node), and the sources those rest values read. Order: the condensation of the whole graph
    (every edge, whatever its delay) in dependency order, so every source outside a node's cycle is at
    rest before it; inside a cycle, schedule order."""
    plan = {p.id: p for p in plans}
    reads = {nid for nid, k in kernels.items() if k.rest_reads_input()}
    needed = {p.id for p in plans if p.history} | (reads & has_state)
    todo = list(needed)
    while todo:
        nid = todo.pop()
        if nid not in reads:
            continue
        for _, sources, _ in plan[nid].inputs:
            for src in sources:
                if src.node not in needed:
                    needed.add(src.node)
                    todo.append(src.node)
    if not needed:
        return ()
    full = to_networkx(graph)
    order = {p.id: i for i, p in enumerate(plans)}
    condensed = nx.condensation(full)
    components = nx.lexicographical_topological_sort(
        condensed, key=lambda c: min(order[m] for m in condensed.nodes[c]["members"]))
    return tuple(m for c in components for m in sorted(condensed.nodes[c]["members"], key=order.__getitem__)
                 if m in needed)


def _stages(graph: Graph, plans: tuple[NodePlan, ...], has_state: set[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The layered strategy's stages: the condensation DAG of the whole graph (every edge, delayed or
    not) in dependency order. A stateless node outside every cycle is a "map" stage; the rest become
    "scan" stages, consecutive ones merged into one scan."""
    full = to_networkx(graph)
    order = {p.id: i for i, p in enumerate(plans)}
    condensed = nx.condensation(full)
    components = [sorted(condensed.nodes[c]["members"], key=order.__getitem__) for c in
                  nx.lexicographical_topological_sort(
                      condensed, key=lambda c: min(order[m] for m in condensed.nodes[c]["members"]))]
    by_id = {n.id: n for n in graph.nodes}
    stages: list[tuple[str, list[str]]] = []
    for members in components:
        nid = members[0]
        mappable = (len(members) == 1 and not full.has_edge(nid, nid) and nid not in has_state
                    and not by_id[nid].STOCHASTIC)  # stochastic nodes need the per-step key of a scan
        kind = "map" if mappable else "scan"
        if stages and stages[-1][0] == kind == "scan":
            stages[-1][1].extend(members)
        else:
            stages.append((kind, list(members)))
    return tuple((kind, tuple(members)) for kind, members in stages)


_MATMUL_KINDS = ("Linear", "Conv1d", "Conv2d")


#: ``auto`` compiles one fused scan when the layered program would hold more time loops than this: XLA
#: compiles each loop on its own, with a cost that grows faster than linearly in their number (exponent
#: about 1.5; a 1,002-node chain of ~500 loops took 17 CPU s to its first output layered, 9 s fused)
MAX_LAYERED_LOOPS = 64


def _hoists_a_matmul(graph: Graph, stages) -> bool:
    """Whether the layered strategy would run some Linear or Conv outside every scan."""
    kinds = {n.id: n.kind for n in graph.nodes}
    return any(kind == "map" and kinds[nid] in _MATMUL_KINDS for kind, members in stages for nid in members)


def _template(graph: Graph) -> str:
    """The graph as JSON with every array parameter left out (the program's leaves hold them), and every
    field holding a live object (a user layer's module: its kernel holds it)."""
    live = {i: set(n.OBJECT_FIELDS) for i, n in enumerate(graph.nodes) if getattr(n, "OBJECT_FIELDS", ())}
    data = graph.model_dump(mode="json", exclude={"nodes": live} if live else None)
    for node, spec in zip(graph.nodes, data["nodes"]):
        for field in node.array_fields():
            spec.pop(field, None)
    return json.dumps(data, sort_keys=True)
