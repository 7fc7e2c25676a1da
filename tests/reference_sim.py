"""A plain-numpy, step-by-step reference simulator for snnir graphs: the oracle for the compiled programs.

It reads only the IR (node fields, edges and their feedback marks) and implements the semantics on its
own, one time step and one node at a time, with no attempt at speed:

* Steps t = 0..T-1. The value arriving at input port p of node n at step t is

      x_t[n, p] = sum over edges e with e.dst == n, e.dst_port == p of  value_{t - d(e)}[e.src, e.src_port]

  where a read before step 0 gives the source port's rest value (below) and the edge's step delay d(e) is
      straight mode:  d = delay + 1 if the edge is marked feedback else delay
      delayed mode:   d = delay + 1 for every edge, except edges leaving an Input or entering an Output,
                      which keep their straight-mode d.
* Within a step, values flow along zero-delay edges in dependency order. A port without feedthrough
  (the spikes of a neuron with spike_from="pre", the output of a Delay node whose delays are all >= 1)
  is computed from the state at the start of the step, so it is known before the node's inputs are.
  Feedback marks are read from the IR, never worked out here: a zero-delay cycle that nothing breaks
  is an error (:class:`UnbrokenCycleError`).
* ``lengths[b]``: from step lengths[b] on, sample b's state is frozen and every value it produces is 0.
* Rest values (the network before step 0), worked out here from the edges alone:
      Input: 0;  a node with state (neurons, counters): its initial state's values, 0 on every port;
      a stateless node: its update applied to the sum over its in-edges of the sources' rest values;
      a Delay: its input's rest value, which also fills its whole buffer.
  Nodes settle in an order where every source outside a node's strongly connected component (of the
  graph of all edges, whatever their delay) settles first; inside a component, nodes with state first,
  then the others in the order a step evaluates them (after the sources they read through zero-delay
  edges from ports with feedthrough; ties by declaration order);
  a source that has not settled yet contributes 0.

The node equations are written out in each ``_Sim`` subclass below.
"""

from __future__ import annotations

from typing import Mapping

import heapq

import networkx as nx
import numpy as np

from snnir.ir import Edge, Graph, Node

__all__ = ["simulate", "simulate_trace", "simulate_ports", "UnbrokenCycleError", "edge_delays"]

Port = tuple[str, str]  # (node id, port name)


class UnbrokenCycleError(RuntimeError):
    """Some nodes wait on each other within one step: a zero-delay cycle that nothing breaks."""


# ---------------------------------------------------------------------------------------------- public API
def simulate(graph: Graph, xs: Mapping[str, np.ndarray], mode: str = "straight", lengths=None,
             dtype=np.float64) -> dict[str, np.ndarray]:
    """The graph's outputs: ``{output_id: [T, B, *shape]}`` for inputs ``{input_id: [T, B, *shape]}``."""
    ports = simulate_ports(graph, xs, mode, lengths, dtype)
    return {n.id: ports[(n.id, "out")] for n in graph.nodes if n.kind == "Output"}


def simulate_trace(graph: Graph, xs: Mapping[str, np.ndarray], mode: str = "straight", lengths=None,
                   dtype=np.float64) -> dict[str, np.ndarray]:
    """Every node's "out" port (for Output nodes: the value they return), ``{node_id: [T, B, *shape]}``."""
    ports = simulate_ports(graph, xs, mode, lengths, dtype)
    if _has_composites(graph):  # inner nodes by their expanded ids (block/inner); ports left out
        graph = _flatten_composites(graph, mode)[0]
        return {n.id: ports[(n.id, "out")] for n in graph.nodes if n.id not in _port_ids(graph)}
    return {n.id: ports[(n.id, "out")] for n in graph.nodes}


def simulate_ports(graph: Graph, xs: Mapping[str, np.ndarray], mode: str = "straight", lengths=None,
                   dtype=np.float64) -> dict[Port, np.ndarray]:
    """Every port of every node, ``{(node_id, port): [T, B, *shape]}`` (an Output's value under "out").

    ``dtype`` is the arithmetic dtype (float64 by default, so dyadic data stays exact)."""
    if mode not in ("straight", "delayed"):
        raise ValueError(f"mode must be 'straight' or 'delayed', got {mode!r}")
    xs = {k: np.asarray(v, dtype=dtype) for k, v in xs.items()}
    T, B = _time_and_batch(graph, xs)
    active = _active_mask(lengths, T, B)
    graph, delays = _flatten_composites(graph, mode) if _has_composites(graph) else (graph, None)
    run = _Run(graph, mode, B, dtype, delays)
    for t in range(T):
        run.step({k: v[t] for k, v in xs.items()}, active[t])
    return {port: np.stack(steps) for port, steps in run.history.items()}


def edge_delays(graph: Graph, mode: str) -> list[int]:
    """The step delay d(e) of each edge of ``graph.edges``, in order, in the given mode."""
    kinds = {n.id: n.kind for n in graph.nodes}
    out = []
    for e in graph.edges:
        straight = e.delay + (1 if e.feedback else 0)
        external = kinds.get(e.src) == "Input" or kinds.get(e.dst) == "Output"
        # delayed mode adds one step to every edge between two layers; a feedback mark then adds nothing,
        # since that step already breaks every cycle
        out.append(straight if mode == "straight" or external else e.delay + 1)
    return out


# ---------------------------------------------------------------------------------------------- one step
class _Run:
    """The simulation in progress: each node's state and every port's value at every step so far."""

    def __init__(self, graph: Graph, mode: str, batch: int, dtype, delays: list[int] | None = None):
        self.graph, self.batch, self.dtype = graph, batch, dtype
        self.shapes = _port_shapes(graph)
        self.sims = {n.id: _make_sim(n, dtype) for n in graph.nodes}
        for n in graph.nodes:
            self.sims[n.id].init(batch, self.shapes.get((n.id, "in")))
        self.in_edges: dict[str, list[tuple[Edge, int]]] = {n.id: [] for n in graph.nodes}
        for e, d in zip(graph.edges, edge_delays(graph, mode) if delays is None else delays):
            self.in_edges[e.dst].append((e, d))
        self.history: dict[Port, list[np.ndarray]] = {}
        self.t = 0
        self.rest = self._settle()

    # ------------------------------------------------------------------ before step 0
    def _step_order(self) -> list[str]:
        """Node ids in the order a step evaluates them: after the sources they read through zero-delay edges
        (except ports known from the state before the step), ties by declaration order."""
        index = {n.id: i for i, n in enumerate(self.graph.nodes)}
        early = {(nid, port) for nid, sim in self.sims.items() for port in sim.early()}  # known from the state
        waiting = {nid: {e.src for e, d in edges if d == 0 and (e.src, e.src_port) not in early}
                   for nid, edges in self.in_edges.items()}
        ready = [(index[nid], nid) for nid, w in waiting.items() if not w]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            _, nid = heapq.heappop(ready)
            order.append(nid)
            for other, w in waiting.items():
                if nid in w:
                    w.discard(nid)
                    if not w and other not in order:
                        heapq.heappush(ready, (index[other], other))
        order += [nid for nid in index if nid not in order]  # an unbroken cycle fails in step() anyway
        return order

    def _settle(self) -> dict[Port, np.ndarray]:
        """Every port's rest value (see the module docstring)."""
        full = nx.DiGraph()
        full.add_nodes_from(n.id for n in self.graph.nodes)
        full.add_edges_from((e.src, e.dst) for e in self.graph.edges)
        position = {nid: i for i, nid in enumerate(self._step_order())}
        condensed = nx.condensation(full)
        order = []
        for c in nx.topological_sort(condensed):
            members = sorted(condensed.nodes[c]["members"], key=position.__getitem__)
            order += [m for m in members if self.sims[m].rests_from_state()]
            order += [m for m in members if not self.sims[m].rests_from_state()]
        rest: dict[Port, np.ndarray] = {}
        for nid in order:
            node, sim = self.graph.node(nid), self.sims[nid]
            if node.kind == "Input":
                rest[(nid, "out")] = np.zeros((self.batch, *self.shapes[(nid, "out")]), self.dtype)
                continue
            if sim.rests_from_state():
                values = sim.at_rest(None)
            else:
                sums = {p: np.zeros((self.batch, *self.shapes[(nid, p)]), self.dtype)
                        for p in node.INPUT_PORTS if (nid, p) in self.shapes}
                for e, _ in self.in_edges[nid]:
                    if (e.src, e.src_port) in rest:
                        sums[e.dst_port] = sums[e.dst_port] + rest[(e.src, e.src_port)]
                values = sim.at_rest(sums)
            for port, value in values.items():
                rest[(nid, port)] = value
        return rest

    def step(self, x_t: Mapping[str, np.ndarray], active: np.ndarray) -> None:
        """Evaluate every node once at step t and append every port's value to the history."""
        before = {nid: dict(sim.state) for nid, sim in self.sims.items()}
        values: dict[Port, np.ndarray] = {}
        # ports without feedthrough come from the state alone, so they are known before any input is
        for nid, sim in self.sims.items():
            for port, value in sim.early().items():
                values[(nid, port)] = _mask(value, active)
        pending = list(self.sims)
        while pending:
            ready = [nid for nid in pending if self._inputs_known(nid, values)]
            if not ready:
                raise UnbrokenCycleError(
                    f"at step {self.t} nodes {pending} wait on each other through zero-delay edges; "
                    "mark a feedback edge or add a delay")
            for nid in ready:
                inputs = {"in": x_t[nid]} if nid in x_t else self._gather(nid, values)
                for port, value in self.sims[nid].update(inputs).items():
                    values[(nid, port)] = _mask(value, active)
                pending.remove(nid)
        # a sample past its length keeps the state it had at its end (every state is batch first)
        for nid, sim in self.sims.items():
            for name, new in sim.state.items():
                assert new.shape == before[nid][name].shape, (nid, name, new.shape)
                sim.state[name] = np.where(_expand(active, new.ndim), new, before[nid][name])
        for port, value in values.items():
            self.history.setdefault(port, []).append(value)
        self.t += 1

    def _inputs_known(self, nid: str, values: Mapping[Port, np.ndarray]) -> bool:
        return all((e.src, e.src_port) in values for e, d in self.in_edges[nid] if d == 0)

    def _gather(self, nid: str, values: Mapping[Port, np.ndarray]) -> dict[str, np.ndarray]:
        """Sum the in-edges per input port: zero-delay edges read this step, the others the history."""
        sums: dict[str, np.ndarray] = {}
        for e, d in self.in_edges[nid]:
            src = (e.src, e.src_port)
            if d == 0:
                value = values[src]
            elif self.t - d >= 0:
                value = self.history[src][self.t - d]
            else:  # before step 0: the source at rest
                value = self.rest[src]
            sums[e.dst_port] = value if e.dst_port not in sums else sums[e.dst_port] + value
        return sums


def _mask(value: np.ndarray, active: np.ndarray) -> np.ndarray:
    return np.where(_expand(active, value.ndim), value, np.zeros_like(value))


def _expand(active: np.ndarray, ndim: int) -> np.ndarray:
    return active.reshape(active.shape + (1,) * (ndim - 1))


def _time_and_batch(graph: Graph, xs: Mapping[str, np.ndarray]) -> tuple[int, int]:
    ids = [n.id for n in graph.nodes if n.kind == "Input"]
    if set(ids) != set(xs):
        raise ValueError(f"xs must have one array per input {sorted(ids)}, got {sorted(xs)}")
    if not xs:
        raise ValueError("the graph has no Input node, so time and batch sizes are unknown")
    sizes = {v.shape[:2] for v in xs.values()}
    if len(sizes) != 1:
        raise ValueError(f"inputs disagree on [T, B]: {sorted(sizes)}")
    return sizes.pop()


def _active_mask(lengths, T: int, B: int) -> np.ndarray:
    """active[t, b] = t < lengths[b] (all True without lengths)."""
    if lengths is None:
        return np.ones((T, B), bool)
    lengths = np.asarray(lengths)
    if lengths.shape != (B,):
        raise ValueError(f"lengths must have shape ({B},), got {lengths.shape}")
    return np.arange(T)[:, None] < lengths[None, :]


# ---------------------------------------------------------------------------------------------- shapes
def _port_shapes(graph: Graph) -> dict[Port, tuple[int, ...]]:
    """Per-sample shapes of every node's input port "in" and output ports, by propagation to a fixed point
    (populations and inputs declare theirs; stateless nodes derive theirs from their input)."""
    shapes: dict[Port, tuple[int, ...]] = {}
    changed = True
    while changed:
        changed = False
        for n in graph.nodes:
            for e in graph.edges:
                if e.dst == n.id and (e.src, e.src_port) in shapes and (n.id, e.dst_port) not in shapes:
                    shapes[(n.id, e.dst_port)] = shapes[(e.src, e.src_port)]
                    changed = True
            for port, shape in _output_shapes(n, shapes.get((n.id, "in"))).items():
                if (n.id, port) not in shapes:
                    shapes[(n.id, port)] = shape
                    changed = True
    return shapes


def _output_shapes(node: Node, shape_in) -> dict[str, tuple[int, ...]]:
    if node.kind == "Input":
        return {"out": tuple(node.shape)}
    if node.kind in _POPULATIONS:
        return {p: tuple(node.shape) for p in node.OUTPUT_PORTS}
    if shape_in is None:
        return {}
    if node.kind == "PopulationCode":
        return {"out": (int(np.prod(shape_in)) // node.group_size,)}
    if node.kind == "Linear":
        return {"out": tuple(shape_in[:-1]) + (node.weight.shape[0],)}
    if node.kind == "Flatten":
        start, end = _flatten_axes(node, len(shape_in))
        return {"out": tuple(shape_in[:start]) + (int(np.prod(shape_in[start:end + 1])),) + tuple(shape_in[end + 1:])}
    return {"out": tuple(shape_in)}  # Scale, Delay, Output


_POPULATIONS = ("LIF", "IF", "CubaLIF", "LI", "AdaptiveLIF", "ALIF", "SigmaDelta", "SRM", "SpikeCounter",
                "ActivityRegularization")


def _flatten_axes(node: Node, ndim: int) -> tuple[int, int]:
    start = node.start_dim + ndim if node.start_dim < 0 else node.start_dim
    end = node.end_dim + ndim if node.end_dim < 0 else node.end_dim
    return start, end


# ---------------------------------------------------------------------------------------------- node kinds
def _make_sim(node: Node, dtype) -> "_Sim":
    try:
        cls = _SIMS[node.kind]
    except KeyError:
        raise NotImplementedError(f"the reference simulator has no model of kind {node.kind!r}") from None
    return cls(node, dtype)


class _Sim:
    """One node's behaviour. ``early()`` gives the ports that do not depend on this step's input (from the
    state at the start of the step); ``update(inputs)`` gives the other ports and advances ``state``."""

    def __init__(self, node: Node, dtype):
        self.node = node
        self.dtype = dtype
        self.state: dict[str, np.ndarray] = {}

    def param(self, name: str) -> np.ndarray:
        return np.asarray(getattr(self.node, name), dtype=self.dtype)

    def decay(self, name: str) -> np.ndarray:
        """A decay parameter, clipped to the node's decay_clamp when it has one."""
        return _clip(self.param(name), getattr(self.node, "decay_clamp", None))

    def init(self, batch: int, shape_in) -> None:
        pass

    def early(self) -> dict[str, np.ndarray]:
        return {}

    def update(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def rests_from_state(self) -> bool:
        """Whether the rest value comes from the initial state (a node with state) or from the inputs'."""
        return bool(self.state)

    def at_rest(self, inputs: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        """Every port's rest value: a stateless node's update of its inputs' rest values (it has no state to
        disturb); a node with state, its initial values, which are all zero here."""
        if not self.rests_from_state():
            return self.update(inputs)
        some = next(iter(self.state.values()))
        return {port: np.zeros((some.shape[0], *self.node.shape), self.dtype) for port in self.node.OUTPUT_PORTS}


class _InputSim(_Sim):
    """y_t = x_t (the caller's array at step t)."""

    def update(self, inputs):
        return {"out": inputs["in"]}


class _OutputSim(_Sim):
    """y_t = the sum of the in-edges at step t."""

    def update(self, inputs):
        return {"out": inputs["in"]}


class _LinearSim(_Sim):
    """y_t = x_t W^T + b on the last axis, W of shape [out, in]."""

    def update(self, inputs):
        y = inputs["in"] @ self.param("weight").T
        return {"out": y if self.node.bias is None else y + self.param("bias")}


class _ScaleSim(_Sim):
    """y_t = s * x_t (s broadcast over the per-sample shape)."""

    def update(self, inputs):
        return {"out": self.param("scale") * inputs["in"]}


class _FlattenSim(_Sim):
    """y_t = x_t with per-sample axes start_dim..end_dim merged (the batch axis is not counted)."""

    def update(self, inputs):
        x = inputs["in"]
        start, end = _flatten_axes(self.node, x.ndim - 1)
        start, end = start + 1, end + 1  # skip the batch axis
        return {"out": x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])}


class _DelaySim(_Sim):
    """y_t[i] = x_{t - d[i]}[i], with x_t for t < 0 the input's rest value (``at_rest`` fills the buffer).

    State: ``past[:, k] = x_{t-1-k}`` for k < max(d) (batch first, like every state). Without any zero
    delay the output is known from the state alone (no feedthrough), so it is produced in ``early()``."""

    def init(self, batch, shape_in):
        self.delay = np.broadcast_to(np.asarray(self.node.steps), shape_in)
        depth = max(int(self.delay.max()), 1)
        self.state["past"] = np.zeros((batch, depth, *shape_in), self.dtype)
        self.no_feedthrough = bool(self.delay.min() >= 1)

    def _read(self, x_now):
        stacked = np.concatenate([x_now[:, None], self.state["past"]], axis=1)  # stacked[:, k] = x_{t-k}
        index = np.broadcast_to(self.delay, x_now.shape)[:, None]
        return np.take_along_axis(stacked, index, axis=1)[:, 0]

    def _zeros(self):
        return np.zeros_like(self.state["past"][:, 0])

    def rests_from_state(self):
        return False

    def at_rest(self, inputs):
        """x_t for t < 0 is the input's rest value: the whole buffer holds it, and so does the output."""
        x = inputs["in"]
        self.state["past"] = np.repeat(x[:, None], self.state["past"].shape[1], axis=1)
        return {"out": x}

    def early(self):
        if not self.no_feedthrough:
            return {}
        return {"out": self._read(self._zeros())}  # x_t is never read: every delay is >= 1

    def update(self, inputs):
        x = inputs.get("in", self._zeros())
        y = self._read(x)
        self.state["past"] = np.concatenate([x[:, None], self.state["past"][:, :-1]], axis=1)
        return {} if self.no_feedthrough else {"out": y}


class _LISim(_Sim):
    """v <- beta v + g x_t;  y_t = v  (g = 1, or 1 - beta with input_scale="one_minus_decay"; beta clipped
    to decay_clamp when set)."""

    def init(self, batch, shape_in):
        self.state["v"] = np.zeros((batch, *self.node.shape), self.dtype)

    def update(self, inputs):
        beta = self.decay("decay")
        x = inputs.get("in", 0.0)
        self.state["v"] = beta * self.state["v"] + _gain(self.node, beta) * x
        return {"out": self.state["v"]}


class _FiringSim(_Sim):
    """A node that fires: H(z) = [z > 0], or [z >= 0] with fire_at_threshold."""

    def heaviside(self, z):
        fire = z >= 0 if self.node.fire_at_threshold else z > 0
        return fire.astype(self.dtype)

    def reset_term(self, m, s):
        return _reset_term(self, m, s, self.param("threshold"))


class _SpikingSim(_FiringSim):
    """LIF, IF and CubaLIF spiking membranes (theta threshold, H the step, R the reset term, lam the leak):

        H(z) = [z > 0], or [z >= 0] with fire_at_threshold
        R(m, s) = theta s (subtract) | m s (zero) | (m - v_r) s (to_value) | v_r s (subtract_value) | 0 (none)
        spike_from="post", reset_at="same":  u = beta v + g x - lam;  s = H(u - theta);  v <- u - R(u, s)
        spike_from="post", reset_at="next":  p = H(v - theta);  u = beta v + g x - lam - R(beta v + g x - lam, p);
                                             s = H(u - theta);  v <- u
        spike_from="pre":                    s = H(v - theta);  u = beta v + g x - lam;  v <- u - R(u, s)
        reset_before_leak:                   w = v - R(v, p), p = s for "pre", else the spike emitted at the
                                             step before (kept in state "s", 0 at first);
                                             u = beta w + g x - lam;  s = H(u - theta) for "post";  v <- u

    Ports: "out" = s, "v" = the stored membrane after the step. ``drive(x)`` gives g x (for CubaLIF: g
    times the synaptic current the membrane reads, advancing the current one step). A spike that does not
    depend on this step's input (spike_from="pre", or CubaLIF's current_lag) is emitted by ``early()``."""

    def init(self, batch, shape_in):
        self.state["v"] = np.zeros((batch, *self.node.shape), self.dtype)
        if self.carries_spike():
            self.state["s"] = np.zeros((batch, *self.node.shape), self.dtype)

    def carries_spike(self) -> bool:
        return self.node.reset_before_leak and self.node.spike_from == "post"

    def beta(self) -> np.ndarray:
        return self.decay("decay")

    def drive(self, x) -> np.ndarray:
        return _gain(self.node, self.beta()) * x

    def state_only(self) -> bool:
        """Whether this step's spike is known before its input."""
        return self.node.spike_from == "pre"

    def membrane(self, v, drive):
        """(the stored membrane after the step, the step's spike) for the membrane input ``drive``."""
        node, theta = self.node, self.param("threshold")
        if node.spike_from == "pre":
            s = self.heaviside(v - theta)
        w = v
        if node.reset_before_leak:
            p = s if node.spike_from == "pre" else self.state["s"]
            w = v - self.reset_term(v, p)
        u = self.beta() * w + drive
        if node.leak is not None:
            u = u - self.param("leak")
        if getattr(node, "double_reset", False):  # Spyx <= 0.1.20's CuBaLIF: the reset once more
            u = u - self.reset_term(u, s)
        if node.reset_at == "next" and not node.reset_before_leak:
            u = u - self.reset_term(u, self.heaviside(v - theta))  # the spike of the last step
        if node.spike_from == "post":
            s = self.heaviside(u - theta)
        if node.reset_at == "same" and not node.reset_before_leak:
            u = u - self.reset_term(u, s)
        return u, s

    def early(self):
        if not self.state_only():
            return {}
        self.early_spike = self.membrane(self.state["v"], self.lagged_drive())[1]
        return {"out": self.early_spike}

    def lagged_drive(self):
        """The membrane input when it does not depend on this step's input (0 stands in for spike_from="pre",
        whose spike never reads it)."""
        return np.zeros_like(self.state["v"])

    def update(self, inputs):
        v = self.state["v"]
        v_new, s = self.membrane(v, self.drive(inputs.get("in", np.zeros_like(v))))
        self.state["v"] = v_new
        if self.carries_spike():
            self.state["s"] = s
        ports = {"v": v_new}
        if not self.state_only():
            ports["out"] = s
        return ports | self.extra_ports()

    def extra_ports(self) -> dict[str, np.ndarray]:
        return {}


class _LIFSim(_SpikingSim):
    """LIF: beta = decay, g = 1 or 1 - decay."""


class _IFSim(_SpikingSim):
    """IF: beta = 1, g = 1."""

    def beta(self):
        return np.asarray(1.0, self.dtype)

    def drive(self, x):
        return x


class _CubaLIFSim(_SpikingSim):
    """CubaLIF: i <- alpha i + g_alpha x, then the LIF membrane with beta = mem_decay (1 when None) driven by
    g_beta i (g_beta = 1 when mem_decay is None); with current_lag by g_beta times the current before this
    step's update, so the spike is known from the state. Port "i" = the current after the step."""

    def init(self, batch, shape_in):
        super().init(batch, shape_in)
        self.state["i"] = np.zeros((batch, *self.node.shape), self.dtype)

    def beta(self):
        return np.asarray(1.0, self.dtype) if self.node.mem_decay is None else self.decay("mem_decay")

    def membrane_gain(self):
        return 1.0 if self.node.mem_decay is None else _gain(self.node, self.beta())

    def state_only(self):
        return super().state_only() or self.node.current_lag

    def lagged_drive(self):
        return self.membrane_gain() * self.state["i"]

    def drive(self, x):
        alpha = self.decay("syn_decay")
        before = self.state["i"]
        self.state["i"] = alpha * before + _gain(self.node, alpha) * x
        return self.membrane_gain() * (before if self.node.current_lag else self.state["i"])

    def extra_ports(self):
        return {"i": self.state["i"]}


class _AdaptiveLIFSim(_FiringSim):
    """SNNAX's AdaptiveLIF (alpha = decay, beta_a = ada_decay, a = ada_coupling, b = ada_step, each clipped
    to its clamp):  u = alpha v + g (x + A);  s = H(u - theta);  A <- (1 - beta_a) a u + beta_a A - b s;
    v <- u - R(u, s).  Ports "out" = s, "v", "a" = A."""

    def init(self, batch, shape_in):
        self.state["v"] = np.zeros((batch, *self.node.shape), self.dtype)
        self.state["a"] = np.zeros((batch, *self.node.shape), self.dtype)

    def update(self, inputs):
        node, theta = self.node, self.param("threshold")
        alpha, beta_a = self.decay("decay"), self.decay("ada_decay")
        a = _clip(self.param("ada_coupling"), node.coupling_clamp)
        b = _clip(self.param("ada_step"), node.step_clamp)
        x = inputs.get("in", np.zeros_like(self.state["v"]))
        u = alpha * self.state["v"] + _gain(node, alpha) * (x + self.state["a"])
        s = self.heaviside(u - theta)
        self.state["a"] = (1 - beta_a) * a * u + beta_a * self.state["a"] - b * s
        self.state["v"] = u - self.reset_term(u, s)
        return {"out": s, "v": self.state["v"], "a": self.state["a"]}


class _ALIFSim(_FiringSim):
    """ALIF (beta = decay, gamma = adapt_decay, Theta = theta + T):
        post:  u = beta v + g x;  s = H(u - Theta)        pre:  s = H(v - Theta);  u = beta v + g x
        v <- u - R(u, s) with R = Theta s (subtract) | u s (zero) | 0 (none);  T <- gamma T + (1 - gamma) s
    Ports "out" = s, "v", "t" = T."""

    def init(self, batch, shape_in):
        self.state["v"] = np.zeros((batch, *self.node.shape), self.dtype)
        self.state["t"] = np.zeros((batch, *self.node.shape), self.dtype)

    def state_only(self):
        return self.node.spike_from == "pre"

    def adapted(self):
        return self.param("threshold") + self.state["t"]

    def early(self):
        if not self.state_only():
            return {}
        self.early_spike = self.heaviside(self.state["v"] - self.adapted())
        return {"out": self.early_spike}

    def update(self, inputs):
        beta, gamma, theta = self.decay("decay"), self.decay("adapt_decay"), self.adapted()
        x = inputs.get("in", np.zeros_like(self.state["v"]))
        u = beta * self.state["v"] + _gain(self.node, beta) * x
        s = self.early_spike if self.state_only() else self.heaviside(u - theta)
        self.state["v"] = u - _reset_term(self, u, s, theta)
        self.state["t"] = gamma * self.state["t"] + (1 - gamma) * s
        ports = {"v": self.state["v"], "t": self.state["t"]}
        return ports if self.state_only() else ports | {"out": s}


class _SigmaDeltaSim(_FiringSim):
    """SigmaDelta: sigma <- d_in sigma + x;  e = sigma - f;  m <- d_mem m + e;  s = H(m - theta);
    f <- d_fb f + s.  Ports "out" = s, "v" = m."""

    def init(self, batch, shape_in):
        for name in ("sigma", "m", "f"):
            self.state[name] = np.zeros((batch, *self.node.shape), self.dtype)

    def update(self, inputs):
        st = self.state
        st["sigma"] = self.decay("in_decay") * st["sigma"] + inputs.get("in", 0.0)
        error = st["sigma"] - st["f"]
        st["m"] = self.decay("mem_decay") * st["m"] + error
        s = self.heaviside(st["m"] - self.param("threshold"))
        st["f"] = self.decay("fb_decay") * st["f"] + s
        return {"out": s, "v": st["m"]}


class _SRMSim(_FiringSim):
    """SRM (gamma = r_decay, r = refractory clipped to refractory_clamp, s_prev the last step's spike):
        rho <- gamma rho + r s_prev;  V = x - r rho;  s = H(V - theta).  Ports "out" = s, "v" = V."""

    def init(self, batch, shape_in):
        for name in ("rho", "s_prev"):
            self.state[name] = np.zeros((batch, *self.node.shape), self.dtype)

    def update(self, inputs):
        r = _clip(self.param("refractory"), self.node.refractory_clamp)
        self.state["rho"] = self.decay("r_decay") * self.state["rho"] + r * self.state["s_prev"]
        v = inputs.get("in", 0.0) - r * self.state["rho"]
        s = self.heaviside(v - self.param("threshold"))
        self.state["s_prev"] = s
        return {"out": s, "v": v}


class _CounterSim(_Sim):
    """SpikeCounter / ActivityRegularization: y_t = x_t;  count <- count + x_t (port "count")."""

    def init(self, batch, shape_in):
        self.state["count"] = np.zeros((batch, *self.node.shape), self.dtype)

    def update(self, inputs):
        x = inputs.get("in", np.zeros_like(self.state["count"]))
        self.state["count"] = self.state["count"] + x
        return {"out": x, "count": self.state["count"]}


class _LayerNormSim(_Sim):
    """mu = mean(x_t), var = mean((x_t - mu)^2) over the normalised trailing axes (the whole sample when
    normalized_shape is None);  y_t = (x_t - mu) / sqrt(var + eps) * gamma + beta."""

    def update(self, inputs):
        x = inputs["in"]
        k = x.ndim - 1 if self.node.normalized_shape is None else len(self.node.normalized_shape)
        axes = tuple(range(x.ndim - k, x.ndim))
        mu = x.mean(axis=axes, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
        y = (x - mu) / np.sqrt(var + self.node.eps)
        if self.node.weight is not None:
            y = y * self.param("weight")
        if self.node.bias is not None:
            y = y + self.param("bias")
        return {"out": y}


class _PopulationCodeSim(_Sim):
    """y_t[b, j] = sum over k < C of the flattened sample x_t[b][j C + k]  (C = group_size)."""

    def update(self, inputs):
        x = inputs["in"]
        flat = x.reshape(x.shape[0], -1)
        C = self.node.group_size
        y = np.zeros((x.shape[0], flat.shape[1] // C), self.dtype)
        for j in range(y.shape[1]):
            for k in range(C):
                y[:, j] += flat[:, j * C + k]
        return {"out": y}


def _gain(node: Node, decay: np.ndarray) -> np.ndarray:
    """The input gain g: 1, or 1 - decay with input_scale="one_minus_decay"."""
    return 1 - decay if node.input_scale == "one_minus_decay" else np.ones_like(decay)


def _clip(value: np.ndarray, bounds) -> np.ndarray:
    """value clipped to [lo, hi] (no clipping without bounds)."""
    return value if bounds is None else np.clip(value, bounds[0], bounds[1])


def _reset_term(sim: _Sim, m, s, theta):
    """R(m, s) of the node's reset mode, with theta the threshold it subtracts."""
    mode = sim.node.reset
    if mode == "subtract":
        return theta * s
    if mode == "zero":
        return m * s
    if mode == "to_value":
        return (m - sim.param("reset_value")) * s
    if mode == "subtract_value":
        return sim.param("reset_value") * s
    return np.zeros_like(m)


_SIMS: dict[str, type[_Sim]] = {
    "Input": _InputSim, "Output": _OutputSim, "Linear": _LinearSim, "Scale": _ScaleSim,
    "Flatten": _FlattenSim, "Delay": _DelaySim, "LI": _LISim, "LIF": _LIFSim, "IF": _IFSim,
    "CubaLIF": _CubaLIFSim, "AdaptiveLIF": _AdaptiveLIFSim, "ALIF": _ALIFSim, "SigmaDelta": _SigmaDeltaSim,
    "SRM": _SRMSim, "SpikeCounter": _CounterSim, "ActivityRegularization": _CounterSim,
    "PopulationCode": _PopulationCodeSim, "LayerNorm": _LayerNormSim,
}


# ---------------------------------------------------------------------------------------------- composites
# A Subgraph node is simulated in place, written here independently of snnir's expand pass: its inner
# nodes get the ids ``block/inner``, and each of its ports (an inner Input or Output) becomes an identity
# node ``block/port`` (a Scale by 1, exact in any dtype), so no edges need joining. Each edge's step
# delay is decided at its own level:
#   straight mode: delay (+1 if marked feedback);
#   delayed mode:  as straight mode for an edge leaving an Input or entering an Output of its own graph
#                  (a port, inside a composite) and for every edge inside a same-step composite (at any
#                  depth below it); delay + 1 for every other edge.
_PORT_NOTE = "reference-port"


def _has_composites(graph: Graph) -> bool:
    return any(n.kind == "Subgraph" for n in graph.nodes)


def _port_ids(graph: Graph) -> set[str]:
    return set(graph.metadata.get(_PORT_NOTE, ()))


def _flatten_composites(graph: Graph, mode: str) -> tuple[Graph, list[int]]:
    """The flat graph (ports as identity nodes, listed in ``metadata[_PORT_NOTE]``) and each edge's delay."""
    nodes, edges, delays, ports = [], [], [], []
    _flatten_level(graph, mode, "", True, nodes, edges, delays, ports)
    flat = Graph(nodes=tuple(nodes), edges=tuple(edges), metadata={_PORT_NOTE: ports})
    return flat, delays


def _flatten_level(graph, mode, prefix, timed, nodes, edges, delays, ports):
    from snnir.ir import Scale

    kinds = {n.id: n.kind for n in graph.nodes}
    subgraphs = {n.id for n in graph.nodes if n.kind == "Subgraph"}
    for n in graph.nodes:
        if n.kind == "Subgraph":
            _flatten_level(n.graph, mode, f"{prefix}{n.id}/", timed and not n.same_step, nodes, edges, delays, ports)
        elif prefix and n.kind in ("Input", "Output"):
            nodes.append(Scale(id=prefix + n.id, scale=1.0))
            ports.append(prefix + n.id)
        else:
            nodes.append(n.model_copy(update={"id": prefix + n.id}))
    for e in graph.edges:
        straight = e.delay + (1 if e.feedback else 0)
        at_port = kinds.get(e.src) == "Input" or kinds.get(e.dst) == "Output"
        delays.append(straight if mode == "straight" or at_port or not timed else e.delay + 1)
        src = f"{prefix}{e.src}/{e.src_port}" if e.src in subgraphs else prefix + e.src
        dst = f"{prefix}{e.dst}/{e.dst_port}" if e.dst in subgraphs else prefix + e.dst
        edges.append(Edge(src, dst, src_port="out" if e.src in subgraphs else e.src_port,
                          dst_port="in" if e.dst in subgraphs else e.dst_port))
