"""A chain of Spyx-style layers as one compiled snnir program, called with the layers' live parameters.

Each layer knows how to *place* itself in a graph (:meth:`place`), which needs only its structure:
shapes, thresholds' shapes, options, surrogate. Parameter values are not part of the graph that is
compiled: the program is built once per structure with placeholder zeros and cached, and every call
fills it with the values the layers hold right then (``layer.values()``), which under ``nnx.grad`` or
``nnx.jit`` are tracers. So a chain compiles once, trains through Flax's own transforms, and
``nnx.Param`` is the only thing that trains, exactly as in Spyx.

States cross the boundary in Spyx's form (one array per stateful layer, variables concatenated on the
last axis, ``None`` for a stateless layer) and are translated to and from snnir's state dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from snnir import passes
from snnir.errors import SnnirError
from snnir.ir import Edge, Graph, Node, node_kinds
from snnir.runtime import Program

from ._layout import SAME, Layout


class SpyxCompatError(SnnirError, ValueError):
    """A Spyx-style layer was given arguments snnir cannot turn into a model."""


class Unplaceable(SpyxCompatError):
    """A layer that no snnir graph node computes (a user's own module, a pool over the channels, ...).
    A chain holding one runs the Spyx way instead, layer after layer; only ``model.graph`` refuses it."""


def kind(name: str) -> type[Node]:
    return node_kinds()[name]


@dataclass
class Slot:
    """What one layer became: its state variables (snnir node id, variable names in Spyx's packing order)
    and the layout its output leaves in."""

    state_node: str | None = None
    state_vars: tuple[str, ...] = ()
    layout: Layout = SAME
    ir_shape: tuple[int, ...] = ()
    spyx_shape: tuple[int, ...] = ()
    flat_output: bool = False  # PopulationCode: Spyx flattens the batch into the output


@dataclass
class Placer:
    """Builds the graph of a chain, one layer after the other."""

    spyx_shape: tuple[int, ...]
    layout: Layout
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    exits: list[tuple[str, str]] = field(default_factory=lambda: [("in", "out")])
    used: dict[str, int] = field(default_factory=dict)

    @property
    def ir_shape(self) -> tuple[int, ...]:
        return self.layout.ir_shape(self.spyx_shape)

    def name(self, base: str, wanted: str | None = None) -> str:
        """A fresh node id: ``wanted`` if given, else Haiku's rule (``LIF``, ``LIF_1``, ``LIF_2``, ...)."""
        if wanted is not None:
            if wanted in self.used or wanted in ("in", "out"):
                raise SpyxCompatError(f"two layers are named {wanted!r}\n  hint: give each layer its own name=")
            self.used[wanted] = 1
            return wanted
        n = self.used.get(base, 0)
        self.used[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def chain(self, node: Node, extra: Sequence[Node] = (), extra_edges: Sequence[Edge] = ()) -> None:
        """Append ``node`` fed by the current exits (and its helper nodes and edges)."""
        self.nodes.append(node)
        self.nodes.extend(extra)
        self.edges.extend(Edge(src, node.id, src_port=port) for src, port in self.exits)
        self.edges.extend(extra_edges)
        self.exits = [(node.id, "out")]

    def advance(self, spyx_shape: tuple[int, ...], layout: Layout | None = None) -> None:
        self.spyx_shape = tuple(spyx_shape)
        if layout is not None:
            self.layout = layout


@dataclass(frozen=True)
class Plan:
    """A compiled chain: the program (placeholder parameters) and what each layer became."""

    program: Program
    slots: tuple[Slot, ...]
    input_layout: Layout
    node_ids: tuple[tuple[str, ...], ...]  # per layer, the node ids it placed (values() keys refer to them)


_PLANS: dict[tuple, Plan] = {}


def plan_for(layers: Sequence[Any], spyx_in_shape: tuple[int, ...], input_layout: Layout) -> Plan:
    """The compiled plan of ``layers`` for per-sample inputs of ``spyx_in_shape`` (cached by structure)."""
    key = (tuple(layer.structure() for layer in layers), tuple(spyx_in_shape), input_layout.key())
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _build(layers, tuple(spyx_in_shape), input_layout)
    return plan


def _build(layers, spyx_in_shape, input_layout) -> Plan:
    placer = Placer(spyx_in_shape, input_layout)
    placer.nodes.append(kind("Input")(id="in", shape=placer.ir_shape))
    slots, ids = [], []
    for index, layer in enumerate(layers):
        before = len(placer.nodes)
        slot = layer.place(placer, index, last=index == len(layers) - 1)
        slot.layout, slot.ir_shape, slot.spyx_shape = placer.layout, placer.ir_shape, placer.spyx_shape
        slots.append(slot)
        ids.append(tuple(n.id for n in placer.nodes[before:]))
    placer.nodes.append(kind("Output")(id="out"))
    placer.edges.extend(Edge(src, "out", src_port=port) for src, port in placer.exits)
    graph = Graph(nodes=tuple(placer.nodes), edges=tuple(placer.edges))
    program = passes.compile(graph, mode="straight", strategy="auto")
    return Plan(program, tuple(slots), input_layout, tuple(ids))


def filled(plan: Plan, layers: Sequence[Any]) -> Program:
    """The plan's program holding the layers' current parameter values. Each layer's parameters follow
    the layout of the data it reads (a neuron's: the data it holds; a Linear's: a flattened image's)."""
    values: dict[tuple[str, str], Any] = {}
    for i, (layer, nids) in enumerate(zip(layers, plan.node_ids)):
        layout_in = plan.input_layout if i == 0 else plan.slots[i - 1].layout
        values.update(layer.values(nids, layout_in))
    prog = plan.program
    getters, new = [], []
    for nid, ir_field, kernel_field, _dtype in prog.param_map:
        if (nid, ir_field) in values:
            old = getattr(prog.kernels[nid], kernel_field)
            getters.append(lambda p, n=nid, f=kernel_field: getattr(p.kernels[n], f))
            new.append(jnp.asarray(values[(nid, ir_field)], old.dtype).reshape(old.shape))
    if not getters:
        return prog
    return eqx.tree_at(lambda p: [g(p) for g in getters], prog, new)


# ------------------------------------------------------------------------------------------- states
def initial_states(layers: Sequence[Any], batch_size: int) -> list:
    """Spyx's ``Sequential.initial_state``: each stateful layer's own, ``None`` for the others."""
    return [layer.initial_state(batch_size) if hasattr(layer, "initial_state") else None for layer in layers]


def to_ir_state(plan: Plan, states: Sequence[Any], batch_size: int, dtype=jnp.float32) -> dict:
    """snnir's state dict for Spyx's per-layer states."""
    if len(states) != len(plan.slots):
        raise SpyxCompatError(f"the state has {len(states)} entries but the model has {len(plan.slots)} layers"
                              "\n  hint: start from model.initial_state(batch_size)")
    state = plan.program.init_state((int(batch_size),))
    for slot, packed in zip(plan.slots, states):
        if slot.state_node is None:
            continue
        if packed is None:
            raise SpyxCompatError(f"layer {slot.state_node!r} is stateful but its state is None"
                                  "\n  hint: start from model.initial_state(batch_size)")
        packed = jnp.asarray(packed)
        if packed.shape != (int(batch_size),) + packed_shape(slot):
            raise SpyxCompatError(
                f"the state of layer {slot.state_node!r} has shape {tuple(packed.shape)}, expected "
                f"{(int(batch_size),) + packed_shape(slot)}\n  hint: start from model.initial_state(batch_size)")
        parts = jnp.split(packed, len(slot.state_vars), axis=-1)
        rank = len(slot.spyx_shape)
        entry = dict(state[slot.state_node])
        for var, part in zip(slot.state_vars, parts):
            entry[var] = slot.layout.to_ir(part, rank).astype(entry[var].dtype)
        state[slot.state_node] = entry
    return state


def packed_shape(slot: Slot) -> tuple[int, ...]:
    """A stateful layer's state per sample in Spyx's form (its variables concatenated on the last axis)."""
    return slot.spyx_shape[:-1] + (slot.spyx_shape[-1] * len(slot.state_vars),)


def from_ir_state(plan: Plan, state: dict) -> list:
    """Spyx's per-layer states from snnir's state dict."""
    out = []
    for slot in plan.slots:
        if slot.state_node is None:
            out.append(None)
            continue
        rank = len(slot.spyx_shape)
        parts = [slot.layout.from_ir(state[slot.state_node][var], rank) for var in slot.state_vars]
        out.append(parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=-1))
    return out


def from_ir_output(plan: Plan, y: jax.Array, n_lead: int) -> jax.Array:
    """The chain's output in Spyx's layout (``n_lead`` leading axes: batch, or time and batch)."""
    last = plan.slots[-1]
    y = last.layout.from_ir(y, len(last.ir_shape))
    if last.flat_output:  # Spyx's PopulationCode reshapes (B, N) to (B·N/C,): the batch is flattened in
        y = y.reshape(y.shape[:n_lead - 1] + (-1,))
    return y


def scan_run(step: Callable, state: Any, xs: jax.Array):
    """Spyx's ``nn.run`` loop for a model snnir does not compile: ``lax.scan`` of ``model(x_t, state)``."""
    def body(carry, x_t):
        out, new = step(x_t, carry)
        return new, out

    return jax.lax.scan(body, state, xs)


def as_shape(hidden_shape: Any) -> tuple[int, ...]:
    """A positive shape from an int or a tuple of ints (Spyx needs a tuple; snnir takes both)."""
    shape = (hidden_shape,) if isinstance(hidden_shape, (int, np.integer)) else tuple(hidden_shape)
    if not shape or not all(isinstance(d, (int, np.integer)) and d > 0 for d in shape):
        raise SpyxCompatError(f"hidden_shape must be a positive int or a tuple of them, got {hidden_shape!r}")
    return tuple(int(d) for d in shape)
