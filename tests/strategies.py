"""Hypothesis strategies for random valid snnir graphs and their inputs.

Graphs come from one small family so that XLA compiles stay few and cheap: one or two inputs (one may be
2-D and flattened), one to three blocks (a Linear, a Linear and a Scale, or nothing, into a spiking
population, sometimes through a Delay node), skip connections, recurrent loops, several readouts, and
random edge delays. Widths are 3 or 4 and the batch is 2.

Every number is dyadic (weights k/8, decays .5/.75/.875, thresholds 1 or 2, inputs k/4 or 0/1 spikes) so
float32 arithmetic is exact and compiled programs can be compared with the reference by equality. A
membrane gains fractional bits every step (1, 2 or 3 per step for decays .5, .75, .875) and float32 has
24, so ``graph_and_inputs`` draws the number of steps T first and then uses only the decays that stay
exact for T steps (``MAX_STEPS``; measured with the reference, with a few bits to spare).

Recurrent loops are broken in one of four ways, so each way of breaking a cycle is exercised:
  "delay"       an explicit edge delay >= 1 on the loop's back edge
  "pre"         the population spikes from its pre-update membrane (no feedthrough)
  "delay_node"  a Delay node with every delay >= 1 inside the loop
  "auto"        nothing: the compiler's mark-feedback pass has to mark one edge
The edges that the mark-feedback rule must mark (a zero-delay edge u -> v inside the loop with v declared
no later than u) are recorded in ``graph.metadata["expected_feedback"]``: only "auto" loops have one, and
the declaration order is chosen so that every other loop's backward edge is delayed or enters a node
without feedthrough.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from snnir.ir import IF, LI, LIF, CubaLIF, Delay, Edge, Flatten, Graph, Input, Linear, Node, Output, Scale

BATCH = 2
WIDTHS = (3, 4)
DECAYS = (0.5, 0.75, 0.875)
THRESHOLDS = (1.0, 2.0)
# the gain 1 - decay shrinks the drive up to 8 times and silences most neurons: drawn one time in four
INPUT_SCALES = ("one", "one", "one", "one_minus_decay")
BREAKERS = ("delay", "pre", "delay_node", "auto")
# the longest run per decay for which every membrane keeps to float32's 24 bits (see the module docstring)
MAX_STEPS = {0.5: 12, 0.75: 6, 0.875: 4}
MIN_STEPS = 4
# T = 4 and 6 twice as often as the rest, so that the faster-growing decays are drawn often enough
STEP_CHOICES = (4, 4, 5, 6, 6, 7, 8, 9, 10, 11, 12)


def expected_feedback(graph: Graph) -> set[tuple[str, str]]:
    """The (src, dst) edges the mark-feedback pass must mark in straight mode, as recorded by ``graphs()``."""
    return {tuple(pair) for pair in graph.metadata.get("expected_feedback", [])}


# ---------------------------------------------------------------------------------------------- numbers
def _mostly_excitatory(bound: int = 8):
    """Integers in [-bound, bound], positive about three times in four, with roughly equal chances within a
    sign (``sampled_from`` rather than ``integers``, which favours values near 0): with symmetric or small
    weights and inputs most populations would stay silent, and silent neurons test nothing."""
    positive = tuple(range(1, bound + 1))
    return st.sampled_from((0, *positive, *positive, *positive, *range(-1, -bound - 1, -1)))


def eighths():
    """k/8 for k in -8..8, mostly excitatory."""
    return _mostly_excitatory().map(lambda k: k / 8)


def _per_neuron(draw, width: int, choices) -> float | list[float]:
    """A scalar or one value per neuron (parameters broadcast either way)."""
    if draw(st.booleans()):
        return draw(st.sampled_from(choices))
    return draw(st.lists(st.sampled_from(choices), min_size=width, max_size=width))


def _weight(draw, n_out: int, n_in: int) -> np.ndarray:
    k = draw(st.lists(_mostly_excitatory(), min_size=n_out * n_in, max_size=n_out * n_in))
    return np.asarray(k, np.float32).reshape(n_out, n_in) / 8


# ---------------------------------------------------------------------------------------------- building
@dataclass
class _Builder:
    """Nodes in declaration order, edges, and each node's per-sample width (all values are vectors)."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    width: dict[str, int] = field(default_factory=dict)
    marks: list[tuple[str, str]] = field(default_factory=list)
    decays: tuple[float, ...] = DECAYS  # the decays this graph may use

    def add(self, node: Node, width: int) -> str:
        self.nodes.append(node)
        self.width[node.id] = width
        return node.id

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def connect(self, src: str, dst: str, delay: int = 0, src_port: str = "out") -> None:
        self.edges.append(Edge(src, dst, delay=delay, src_port=src_port))

    def linear(self, draw, name: str, src: str, width: int, delay: int = 0) -> str:
        bias = draw(st.none() | st.lists(eighths(), min_size=width, max_size=width))
        lin = self.add(Linear(id=name, weight=_weight(draw, width, self.width[src]), bias=bias), width)
        self.connect(src, lin, delay)
        return lin

    def graph(self) -> Graph:
        return Graph(nodes=self.nodes, edges=self.edges,
                     metadata={"expected_feedback": [list(m) for m in self.marks]})


def _edge_delay(draw) -> int:
    """Mostly 0, sometimes 1 or 2 steps."""
    return draw(st.sampled_from((0, 0, 0, 1, 2)))


def _spiking(draw, b: _Builder, name: str, width: int, spike_from: str | None = None) -> Node:
    """A LIF, IF or CubaLIF population with random dyadic parameters and options."""
    kind = draw(st.sampled_from(("LIF", "LIF", "IF", "CubaLIF")))
    reset = draw(st.sampled_from(("subtract", "zero", "to_value", "none")))
    spike_from = spike_from or draw(st.sampled_from(("post", "post", "pre")))
    common = dict(
        id=name, shape=(width,), threshold=_per_neuron(draw, width, THRESHOLDS), reset=reset,
        reset_value=draw(st.sampled_from((0.0, 0.25, -0.5))) if reset == "to_value" else None,
        spike_from=spike_from,
        reset_at="next" if spike_from == "post" and draw(st.integers(0, 3)) == 0 else "same",
        fire_at_threshold=draw(st.booleans()),
        detach_reset=draw(st.booleans()),
    )
    if kind == "IF":
        return IF(**common)
    scale = draw(st.sampled_from(INPUT_SCALES))
    if kind == "LIF":
        return LIF(decay=_per_neuron(draw, width, b.decays), input_scale=scale, **common)
    syn, mem = _per_neuron(draw, width, b.decays), _per_neuron(draw, width, b.decays)
    return CubaLIF(syn_decay=syn, mem_decay=mem, input_scale=scale, **common)


def _synapse(draw, name: str, width: int, linear: bool | None = None) -> Node:
    """A width-preserving synapse: a square Linear or a Scale (drawn unless ``linear`` says)."""
    if draw(st.booleans()) if linear is None else linear:
        return Linear(id=name, weight=_weight(draw, width, width))
    return Scale(id=name, scale=draw(st.one_of(eighths(), st.lists(eighths(), min_size=width, max_size=width))))


def _inputs(draw, b: _Builder) -> list[str]:
    """One or two inputs; the first is sometimes 2-D ((2, 2), flattened to 4)."""
    sources = []
    for k in range(draw(st.integers(1, 2))):
        if k == 0 and draw(st.integers(0, 3)) == 0:
            x = b.add(Input(id="x0", shape=(2, 2)), 4)
            sources.append(b.add(Flatten(id="x0_flat"), 4))
            b.connect(x, "x0_flat")
        else:
            width = draw(st.sampled_from(WIDTHS))
            sources.append(b.add(Input(id=f"x{k}", shape=(width,)), width))
    return sources


def _block(draw, b: _Builder, j: int, src: str, earlier: list[str]) -> str:
    """A feed (Linear, Linear -> Scale, or a direct edge) -> [Delay] -> spiking population, with an optional
    skip input and an optional loop. Returns the population."""
    feed = draw(st.sampled_from(("linear", "linear", "linear_scale", "direct")))
    if feed == "direct":  # the population reads src as it is
        width, head, delay = b.width[src], src, _edge_delay(draw)
    else:
        width = draw(st.sampled_from(WIDTHS))
        head, delay = b.linear(draw, f"lin{j}", src, width, _edge_delay(draw)), 0
        if feed == "linear_scale":
            b.add(_synapse(draw, f"gain{j}", width, linear=False), width)
            b.connect(head, f"gain{j}")
            head = f"gain{j}"
    if draw(st.integers(0, 3)) == 0:  # a Delay node on the way, scalar or per element, zeros allowed
        steps = draw(st.integers(0, 2) | st.lists(st.integers(0, 2), min_size=width, max_size=width))
        b.add(Delay(id=f"delay{j}", steps=steps), width)
        b.connect(head, f"delay{j}", delay)
        head, delay = f"delay{j}", 0
    skip = None
    if earlier and draw(st.booleans()):  # a skip connection from an earlier node, through its own Linear
        skip = b.linear(draw, f"skip{j}", draw(st.sampled_from(earlier)), width, _edge_delay(draw))
    breaker = draw(st.none() | st.sampled_from(BREAKERS))
    neuron = _loop(draw, b, j, width, breaker) if breaker else b.add(_spiking(draw, b, f"n{j}", width), width)
    b.connect(head, neuron, delay)
    if skip:
        b.connect(skip, neuron)
    return neuron


def _loop(draw, b: _Builder, j: int, width: int, breaker: str) -> str:
    """A population with a recurrent loop n -> rec -> n, broken as ``breaker`` says. Returns the population.

    The declaration order decides which edge the mark-feedback rule would pick; it is chosen so that the
    loop's backward edge (into the earlier-declared node) is the one that breaks it, or, for "auto",
    recorded as the edge the compiler must mark."""
    name, rec = f"n{j}", f"rec{j}"
    if breaker == "delay_node":  # n -> hold -> rec -> n, declared hold, rec, n: the backward edge enters hold
        hold = b.add(Delay(id=f"hold{j}", steps=draw(st.integers(1, 2))), width)
        b.add(_synapse(draw, rec, width), width)
        b.connect(hold, rec)
        neuron = b.add(_spiking(draw, b, name, width), width)
        b.connect(neuron, hold)
        b.connect(rec, neuron)
        return neuron
    spike_from = {"pre": "pre", "auto": "post"}.get(breaker)
    rec_first = draw(st.booleans())
    if rec_first:
        b.add(_synapse(draw, rec, width), width)
    neuron = b.add(_spiking(draw, b, name, width, spike_from), width)
    if not rec_first:
        b.add(_synapse(draw, rec, width), width)
    if breaker == "delay":  # the delay sits on the backward edge
        b.connect(neuron, rec, draw(st.integers(1, 2)) if rec_first else 0)
        b.connect(rec, neuron, 0 if rec_first else draw(st.integers(1, 2)))
        return neuron
    b.connect(neuron, rec)
    b.connect(rec, neuron)
    if breaker == "auto":
        b.marks.append((neuron, rec) if rec_first else (rec, neuron))
    return neuron


def _readouts(draw, b: _Builder, neurons: list[str]) -> None:
    """Outputs: the last population's spikes (sometimes summed with their own delayed copy), plus a few
    of: another population's spikes, an LI readout, a membrane ("v") or current ("i") readout, a plain
    Linear readout, an input passed straight through."""
    last = neurons[-1]
    b.add(Output(id="spikes"), b.width[last])
    b.connect(last, "spikes", _edge_delay(draw))
    if draw(st.integers(0, 3)) == 0:
        b.connect(last, "spikes", draw(st.integers(1, 2)))
    if len(neurons) > 1 and draw(st.booleans()):
        b.add(Output(id="early_spikes"), b.width[neurons[0]])
        b.connect(neurons[0], "early_spikes", _edge_delay(draw))
    if draw(st.booleans()):
        lin = b.linear(draw, "readout_lin", draw(st.sampled_from(neurons)), draw(st.sampled_from(WIDTHS)),
                       _edge_delay(draw))
        li = b.add(LI(id="readout", shape=(b.width[lin],), decay=draw(st.sampled_from(b.decays)),
                      input_scale=draw(st.sampled_from(INPUT_SCALES))), b.width[lin])
        b.connect(lin, li)
        b.add(Output(id="li"), b.width[li])
        b.connect(li, "li")
    if draw(st.booleans()):
        src = draw(st.sampled_from(neurons))
        ports = ("v", "i") if b.node(src).kind == "CubaLIF" else ("v",)
        b.add(Output(id="state"), b.width[src])
        b.connect(src, "state", src_port=draw(st.sampled_from(ports)))
    if draw(st.integers(0, 3)) == 0:
        lin = b.linear(draw, "direct_lin", draw(st.sampled_from(neurons)), draw(st.sampled_from(WIDTHS)))
        b.add(Output(id="direct"), b.width[lin])
        b.connect(lin, "direct")
    if draw(st.integers(0, 3)) == 0:
        x = next(n for n in b.nodes if n.kind == "Input")
        b.add(Output(id="echo"), b.width[x.id])
        b.connect(x.id, "echo", _edge_delay(draw))


@st.composite
def graphs(draw, decays: tuple[float, ...] = DECAYS) -> Graph:
    """Random valid graphs of the family described in the module docstring, using only ``decays``."""
    b = _Builder(decays=decays)
    sources = _inputs(draw, b)
    neurons: list[str] = []
    src = sources[0]
    for j in range(draw(st.integers(1, 3))):
        src = _block(draw, b, j, src, sources + neurons[:-1])
        neurons.append(src)
    if len(sources) > 1 and not any(e.src == sources[1] for e in b.edges):
        # the second input joins a population's input sum through its own Linear
        target = draw(st.sampled_from(neurons))
        b.connect(b.linear(draw, "lin_x1", sources[1], b.width[target], _edge_delay(draw)), target)
    if len(neurons) > 1 and draw(st.integers(0, 2)) == 0:
        # a long loop from the last population back to the first, broken by an edge delay on its back edge
        first, last = b.width[neurons[0]], b.width[neurons[-1]]
        synapse = (_synapse(draw, "rec_long", first) if first == last
                   else Linear(id="rec_long", weight=_weight(draw, first, last)))
        back = b.add(synapse, first)
        b.connect(neurons[-1], back)
        b.connect(back, neurons[0], draw(st.integers(1, 2)))
    _readouts(draw, b, neurons)
    return b.graph()


def inputs_for(graph: Graph, steps: int):
    """Inputs ``{input_id: float32 [steps, BATCH, *shape]}``: per input, values k/4 or 0/1 spikes."""
    arrays = {}
    for node in graph.nodes:
        if node.kind != "Input":
            continue
        shape = (steps, BATCH, *node.shape)
        size = int(np.prod(shape))
        values = st.one_of(
            st.lists(_mostly_excitatory(), min_size=size, max_size=size).map(lambda k: np.asarray(k) / 4),
            st.lists(st.sampled_from((0, 1)), min_size=size, max_size=size).map(np.asarray),
        )
        arrays[node.id] = values.map(lambda a, shape=shape: a.reshape(shape).astype(np.float32))
    return st.fixed_dictionaries(arrays)


@st.composite
def graph_and_inputs(draw) -> tuple[Graph, dict[str, np.ndarray]]:
    """A random graph and inputs for it: T steps first, then a graph using only the decays that stay exact
    in float32 for T steps."""
    steps = draw(st.sampled_from(STEP_CHOICES))
    graph = draw(graphs(decays=tuple(d for d in DECAYS if MAX_STEPS[d] >= steps)))
    return graph, draw(inputs_for(graph, steps))
