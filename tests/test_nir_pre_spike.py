"""NIR export of neurons that spike from the membrane before their update (``spike_from="pre"``).

Such a neuron, with the reset before the leak, is exactly its NIR neuron followed by a NIR Delay of one
step (docs/nir.md, "Pre-spike neurons"). The numbers are checked three ways: against the original snnir
program, against a float64 numpy reading of NIR's own equations (forward Euler, spike when v > θ, reset
to v_reset in the same step, a Delay of k steps emits its input of k steps before and 0 before that)
and against a numpy transcription of snnir's documented pre-spike equations, both written here from
the documents, never from the code under test.
"""

import json

import nir
import numpy as np
import pytest

import snnir
from snnir.io.nir import NIRConversionError, from_nir, to_nir, write_nir

T, B = 30, 2
DT = 1e-3
PRE = dict(spike_from="pre", reset_before_leak=True)


# ---------------------------------------------------------------------- graphs
def neurons():
    """One pre-spike neuron of every exportable kind and form, 4 neurons each."""
    return {
        "if_zero": snnir.IF(id="n", shape=(4,), threshold=0.5, reset="zero", **PRE),
        "if_to_value": snnir.IF(id="n", shape=(4,), threshold=[0.5, 0.8, 1.0, 0.0], reset="to_value",
                                reset_value=-0.25, **PRE),
        "lif_zero": snnir.LIF(id="n", shape=(4,), decay=0.9, threshold=0.6, reset="zero", **PRE),
        "lif_per_neuron": snnir.LIF(id="n", shape=(4,), decay=np.array([0.5, 0.7, 0.9, 0.0], np.float32),
                                    threshold=np.array([0.3, 0.5, 0.7, 0.2], np.float32), reset="to_value",
                                    reset_value=np.array([0.0, 0.1, -0.2, 0.05], np.float32), **PRE),
        "lif_one_minus_decay_leak": snnir.LIF(id="n", shape=(4,), decay=0.8, threshold=0.4, reset="zero",
                                              input_scale="one_minus_decay", leak=0.02, **PRE),
        # with Spyx's training options, which travel in snnir's notes
        "cubalif": snnir.CubaLIF(id="n", shape=(4,), syn_decay=0.7, mem_decay=0.85, threshold=0.5, reset="zero",
                                 detach_reset=False, surrogate={"name": "superspike", "params": {"beta": 25}},
                                 trainable=("syn_decay", "mem_decay", "threshold"), **PRE),
        "cubalif_norse_form": snnir.CubaLIF(id="n", shape=(4,), syn_decay=np.linspace(0.5, 0.9, 4).astype(np.float32),
                                            mem_decay=0.75, threshold=0.2, reset="to_value", reset_value=-0.1,
                                            input_scale="one_minus_decay", leak=-0.01, **PRE),
    }


def one(neuron):
    """x (3) -> fc -> neuron -> y (the same weights on every call, so each test is reproducible alone)."""
    rng = np.random.default_rng(11)
    return snnir.Graph(nodes=[snnir.Input(id="x", shape=(3,)),
                              snnir.Linear(id="fc", weight=rng.normal(size=(4, 3)).astype(np.float32)),
                              neuron, snnir.Output(id="y")],
                       edges=[("x", "fc"), ("fc", neuron.id), (neuron.id, "y")])


def spyx_recurrent():
    """Spyx's RLIF: a pre-spike LIF whose spikes feed back through W in the same step (no mark needed:
    its spikes depend on its state only), read out by a post-spike LIF two steps later."""
    rng = np.random.default_rng(12)
    return snnir.Graph(nodes=[
        snnir.Input(id="x", shape=(3,)),
        snnir.Linear(id="fc", weight=rng.normal(size=(4, 3)).astype(np.float32)),
        snnir.LIF(id="rlif", shape=(4,), decay=0.9, threshold=0.5, reset="zero", **PRE),
        snnir.Linear(id="rec", weight=(rng.normal(size=(4, 4)) * 0.5).astype(np.float32)),
        snnir.LIF(id="out", shape=(4,), decay=0.8, threshold=0.3, reset="zero"),
        snnir.Output(id="y"),
        snnir.Output(id="z"),
    ], edges=[("x", "fc"), ("fc", "rlif"), ("rlif", "rec"), ("rec", "rlif"), ("rlif", "out", 2), ("out", "y"),
              ("rlif", "z")])


def inputs(graph, steps=T, seed=13):
    """Random input currents for every Input node, [T, B, *shape]."""
    rng = np.random.default_rng(seed)
    return {n.id: rng.normal(size=(steps, B) + tuple(n.shape)).astype(np.float32) * 1.5
            for n in graph.nodes if n.kind == "Input"}


# ---------------------------------------------------------------------- running snnir
def trace(graph, xs, mode="straight"):
    """Every node's output and state variables (``"id:v"``, ``"id:i"``) over the steps, as numpy."""
    prog = snnir.compile(graph, mode=mode)
    _, traces = prog.trace(prog.init_state((B,)), xs, state_vars=True)
    return {k: np.asarray(v, np.float64) for k, v in traces.items()}


# ---------------------------------------------------------------------- NIR's equations, in numpy
def nir_simulate(graph, xs, dt):
    """Float64 forward Euler of a flat NIR graph of Input, Output, Affine, Linear, IF, LIF, CubaLIF and
    Delay nodes. A Delay of k = τ_d/dt steps emits its input of k steps before (0 before step k), so it
    is computed from the past: a loop through a Delay needs no other break. Returns each node's output
    per step and, for neurons, ``name:u`` (the membrane after the update, before the reset) and
    ``name:v`` (after the reset) and for CubaLIF ``name:i``."""
    f = lambda a: np.asarray(a, np.float64)  # noqa: E731
    nodes = graph.nodes
    ins = {n: [a for a, b in graph.edges if b == n] for n in nodes}
    delays = {n: int(round(float(f(node.delay).reshape(-1)[0]) / dt)) for n, node in nodes.items()
              if isinstance(node, nir.Delay)}
    for n, k in delays.items():
        assert np.allclose(f(nodes[n].delay), k * dt, rtol=1e-5) and k >= 1, n
    order = _topological(nodes, ins, delays)
    state, history, rec = {}, {n: [] for n in delays}, {}
    for t in range(xs[next(iter(xs))].shape[0]):
        out = {n: history[n][t - k] if t >= k else np.zeros((B,) + np.shape(nodes[n].delay))
               for n, k in delays.items()}
        for n in order:
            node = nodes[n]
            x = xs[n][t].astype(np.float64) if isinstance(node, nir.Input) else sum(out[a] for a in ins[n])
            if isinstance(node, (nir.Input, nir.Output)):
                out[n] = x
            elif isinstance(node, nir.Affine):
                out[n] = x @ f(node.weight).T + f(node.bias)
            elif isinstance(node, nir.Linear):
                out[n] = x @ f(node.weight).T
            elif isinstance(node, nir.Delay):
                history[n].append(x)
            else:
                out[n] = _neuron(node, n, x, state, rec, dt)
        for n, y in out.items():
            rec.setdefault(n, []).append(y)
    return {k: np.array(v) for k, v in rec.items()}


def _neuron(node, name, x, state, rec, dt):
    """One Euler step of a NIR neuron: the update, z = H(u − θ) (v > θ), then v = v_reset where z."""
    f = lambda a: np.asarray(a, np.float64)  # noqa: E731
    v = state.get(name, np.zeros_like(x))
    if isinstance(node, nir.IF):                 # dv/dt = R·I
        u = v + dt * f(node.r) * x
    elif isinstance(node, nir.LIF):              # τ·dv/dt = (v_leak − v) + R·I
        u = v + dt / f(node.tau) * ((f(node.v_leak) - v) + f(node.r) * x)
    else:                                        # τ_syn·di/dt = −i + w_in·I; τ_mem·dv/dt = (v_leak − v) + R·i
        i = state.get(name + ":i", np.zeros_like(x)) + dt / f(node.tau_syn) * (
            -state.get(name + ":i", np.zeros_like(x)) + f(node.w_in) * x)
        state[name + ":i"] = i
        rec.setdefault(name + ":i", []).append(i)
        u = v + dt / f(node.tau_mem) * ((f(node.v_leak) - v) + f(node.r) * i)
    z = (u > f(node.v_threshold)).astype(np.float64)
    state[name] = np.where(z > 0, f(node.v_reset), u)
    rec.setdefault(name + ":u", []).append(u)
    rec.setdefault(name + ":v", []).append(state[name])
    return z


def _topological(nodes, ins, delays):
    """An order in which every node follows its sources, a Delay's out-edges left out (its output is known
    from the past)."""
    order, done = [], set(delays)
    while len(order) < len(nodes) - len(delays):
        ready = [n for n in sorted(nodes) if n not in done and all(a in done for a in ins[n])]
        assert ready, "a loop without a Delay"
        order += ready
        done |= set(ready)
    return [n for n in order if n not in delays] + list(delays)


# ---------------------------------------------------------------------- snnir's pre-spike equations, in numpy
def pre_spike_reference(node, drive):
    """docs/neurons.md for spike_from="pre", reset_before_leak=True, reset "zero"/"to_value" (β = 1 and
    g = 1 for IF): s_t = H(v − θ); v ← v − R(v, s_t); v ← β·v + g·d_t − λ. ``drive`` is the membrane
    input d_t (the current, for CubaLIF). Returns the spikes and the stored membranes."""
    f = lambda a: np.asarray(a, np.float64)  # noqa: E731
    beta = f(getattr(node, "decay", getattr(node, "mem_decay", 1.0)))
    g = 1.0 - beta if getattr(node, "input_scale", "one") == "one_minus_decay" else 1.0
    v_r = 0.0 if node.reset == "zero" else f(node.reset_value)
    lam = 0.0 if node.leak is None else f(node.leak)
    v = np.zeros(drive.shape[1:])
    spikes, vs = [], []
    for d in drive:
        s = (v > f(node.threshold)).astype(np.float64)
        v = np.where(s > 0, v_r, v)
        v = beta * v + g * d - lam
        spikes.append(s)
        vs.append(v)
    return np.array(spikes), np.array(vs)


def current_reference(node, x):
    """docs/neurons.md: i_t = α·i_{t−1} + g_α·x_t (the membrane input of CubaLIF)."""
    alpha = np.asarray(node.syn_decay, np.float64)
    g = 1.0 - alpha if node.input_scale == "one_minus_decay" else 1.0
    i, out = np.zeros(x.shape[1:]), []
    for xt in x:
        i = alpha * i + g * xt
        out.append(i)
    return np.array(out)


def membrane_input(graph, xs):
    """The neuron's input x_t = fc(x_t), in float64."""
    w = np.asarray(graph.node("fc").weight, np.float64)
    return xs["x"].astype(np.float64) @ w.T


def strip_notes(ng):
    """The NIR graph another tool sees: snnir's metadata removed (in place; returns ``ng``)."""
    for node in ng.nodes.values():
        node.metadata = {}
    ng.metadata = {}
    return ng


def assert_same_nir(a, b):
    assert set(a.nodes) == set(b.nodes) and sorted(a.edges) == sorted(b.edges)
    for name in a.nodes:
        x, y = a.nodes[name], b.nodes[name]
        assert type(x) is type(y), name
        for key, value in x.to_dict().items():
            if key in ("type", "metadata"):
                continue
            other = y.to_dict()[key]
            if isinstance(value, str) or value is None:
                assert value == other, (name, key)
            else:
                np.testing.assert_allclose(np.asarray(value, np.float64), np.asarray(other, np.float64),
                                           rtol=1e-6, err_msg=f"{name}.{key}")


# ---------------------------------------------------------------------- structure
@pytest.mark.parametrize("name", sorted(neurons()))
def test_exports_as_the_nir_neuron_and_a_delay_of_one_step(name):
    neuron = neurons()[name]
    ng = to_nir(one(neuron), DT)
    nir_type = {"IF": nir.IF, "LIF": nir.LIF, "CubaLIF": nir.CubaLIF}[neuron.kind]
    assert {k: type(v) for k, v in ng.nodes.items()} == {
        "x": nir.Input, "fc": nir.Linear, "n": nir_type, "n.spike_delay": nir.Delay, "y": nir.Output}
    assert sorted(ng.edges) == sorted([("x", "fc"), ("fc", "n"), ("n", "n.spike_delay"), ("n.spike_delay", "y")])
    delay = np.asarray(ng.nodes["n.spike_delay"].delay)
    assert delay.shape == (4,)
    np.testing.assert_allclose(delay, DT, rtol=1e-6)
    # the neuron itself is written exactly as its post-spike form would be
    post = neuron.replace(spike_from="post", reset_before_leak=False)
    assert_same_nir(nir.NIRGraph(nodes={"n": ng.nodes["n"]}, edges=[], type_check=False),
                    nir.NIRGraph(nodes={"n": to_nir(one(post), DT).nodes["n"]}, edges=[], type_check=False))


def test_delay_name_never_takes_another_nodes_name():
    neuron = snnir.LIF(id="n", shape=(4,), decay=0.9, threshold=0.5, reset="zero", **PRE)
    g = one(neuron)
    g = g.replace(nodes=g.nodes[:-1] + (snnir.Scale(id="n.spike_delay", scale=2.0), snnir.Output(id="y")),
                  edges=tuple(e for e in g.edges if e.src != "n") + (snnir.Edge("n", "n.spike_delay"),
                                                                     snnir.Edge("n.spike_delay", "y")))
    ng = to_nir(g, DT)
    assert isinstance(ng.nodes["n.spike_delay"], nir.Scale)
    assert isinstance(ng.nodes["n.spike_delay_1"], nir.Delay)
    assert ("n", "n.spike_delay_1") in ng.edges and ("n.spike_delay_1", "n.spike_delay") in ng.edges
    assert from_nir(ng, DT) == g


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("name", sorted(neurons()))
def test_round_trip_gives_the_pre_spike_neuron_back(name, tmp_path):
    g = one(neurons()[name])
    assert from_nir(to_nir(g, DT), DT) == g
    write_nir(g, tmp_path / "g.nir", DT)
    assert from_nir(tmp_path / "g.nir", DT) == g
    assert from_nir(nir.read(tmp_path / "g.nir"), DT) == g   # nir's own reader (names sorted) keeps the notes
    # NIR -> snnir -> NIR: the same nodes, edges and parameters
    ng = to_nir(g, DT)
    assert_same_nir(to_nir(from_nir(ng, DT), DT), ng)


@pytest.mark.parametrize("mode", ["straight", "delayed"])
def test_spyx_recurrent_layer_round_trips_with_its_numbers(mode):
    g = spyx_recurrent()
    assert not any(e.feedback for e in g.edges)  # the loop needs no mark: the pre-spike neuron breaks it
    ng = to_nir(g, DT)
    assert ("rlif", "rlif.spike_delay") in ng.edges and ("rlif.spike_delay", "rec") in ng.edges
    assert ("rec", "rlif") in ng.edges
    assert isinstance(ng.nodes["delay.rlif.spike_delay.out"], nir.Delay)  # the declared edge delay stays one
    back = from_nir(ng, DT)
    assert back == g
    xs = inputs(g)
    ours, theirs = trace(g, xs, mode), trace(back, xs, mode)
    for k in ("y", "z", "rlif:v", "out:v"):
        np.testing.assert_array_equal(theirs[k], ours[k])
    assert ours["z"].sum() > 0 and ours["y"].sum() > 0


def test_a_mark_on_a_loop_through_a_pre_spike_neuron_becomes_a_delay():
    """The loop needs no break, so no NIR reader would put the marked edge's step back: it is written as a
    Delay of one step, and comes back as the mark."""
    g = spyx_recurrent()
    g = g.replace(edges=tuple(e.replace(feedback=True) if (e.src, e.dst) == ("rec", "rlif") else e for e in g.edges))
    ng = to_nir(g, DT)
    assert ("rec", "rlif") not in ng.edges
    assert ("rec", "delay.rec.rlif") in ng.edges and ("delay.rec.rlif", "rlif") in ng.edges
    np.testing.assert_allclose(ng.nodes["delay.rec.rlif"].delay, DT, rtol=1e-6)
    back = from_nir(ng, DT)
    assert back == g
    xs = inputs(g)
    ours, sim = trace(g, xs), nir_simulate(ng, xs, DT)
    np.testing.assert_array_equal(trace(back, xs)["z"], ours["z"])
    np.testing.assert_array_equal(sim["z"], ours["z"])
    unmarked = g.replace(edges=tuple(e.replace(feedback=False) for e in g.edges))
    assert not np.array_equal(ours["z"], trace(unmarked, xs)["z"])  # the mark's step matters


def test_a_mark_on_no_loop_becomes_a_delay():
    """A marked edge outside any loop reads the previous step; no reader would know: a Delay of one step."""
    g = one(snnir.LIF(id="n", shape=(4,), decay=0.9, threshold=0.5, reset="zero"))
    g = g.replace(edges=tuple(e.replace(feedback=True) if e.src == "fc" else e for e in g.edges))
    ng = to_nir(g, DT)
    assert ("fc", "delay.fc.n") in ng.edges and ("delay.fc.n", "n") in ng.edges
    assert from_nir(ng, DT) == g
    xs = inputs(g)
    np.testing.assert_array_equal(nir_simulate(ng, xs, DT)["y"], trace(g, xs)["y"])


# ---------------------------------------------------------------------- numbers
@pytest.mark.parametrize("name", sorted(neurons()))
def test_numbers_agree_with_snnir_and_with_nir_equations(name):
    neuron = neurons()[name]
    g = one(neuron)
    ng = to_nir(g, DT)
    xs = inputs(g)
    ours = trace(g, xs)
    theirs = trace(from_nir(ng, DT), xs)
    ports = ["y", "n:v"] + (["n:i"] if neuron.kind == "CubaLIF" else [])
    for k in ports:  # snnir -> NIR -> snnir computes what the original computes, membranes included
        np.testing.assert_array_equal(theirs[k], ours[k], err_msg=k)
    spikes = ours["y"]
    assert 0 < spikes.sum() < spikes.size, "the input must make the neurons spike, and not always"

    # NIR's equations on the exported graph: the Delay's output is the pre-spike neuron's spikes; NIR's
    # membrane before its reset is snnir's stored membrane, and after it the reset of the next step
    sim = nir_simulate(ng, xs, DT)
    np.testing.assert_array_equal(sim["y"], spikes)
    v = ours["n:v"]
    np.testing.assert_allclose(sim["n:u"], v, rtol=1e-5, atol=1e-5)
    theta = np.asarray(neuron.threshold, np.float64)
    v_r = 0.0 if neuron.reset == "zero" else np.asarray(neuron.reset_value, np.float64)
    np.testing.assert_allclose(sim["n:v"], np.where(v > theta, v_r, v), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(sim["n:u"] > theta, np.concatenate([spikes[1:], sim["n:u"][-1:] > theta]))
    if neuron.kind == "CubaLIF":
        np.testing.assert_allclose(sim["n:i"], ours["n:i"], rtol=1e-5, atol=1e-5)

    # snnir's documented pre-spike equations, in numpy: the same spikes and membranes
    d = membrane_input(g, xs)
    if neuron.kind == "CubaLIF":
        d = current_reference(neuron, d)
    ref_s, ref_v = pre_spike_reference(neuron, d)
    np.testing.assert_array_equal(ref_s, spikes)
    np.testing.assert_allclose(ref_v, v, rtol=1e-5, atol=1e-5)


def random_pre_spike_neuron(rng):
    """A random exportable pre-spike neuron: kind, per-neuron or scalar parameters, reset and gain forms."""
    def param(lo, hi):
        return np.float32(rng.uniform(lo, hi)) if rng.random() < 0.5 else rng.uniform(lo, hi, 4).astype(np.float32)

    kind = rng.choice(["IF", "LIF", "CubaLIF"])
    common = dict(id="n", shape=(4,), threshold=param(0.0, 1.0), **PRE)
    if rng.random() < 0.5:
        common.update(reset="zero")
    else:
        common.update(reset="to_value", reset_value=param(-0.3, 0.3))
    if kind == "IF":
        return snnir.IF(**common)
    common.update(input_scale=str(rng.choice(["one", "one_minus_decay"])))
    if rng.random() < 0.5:
        common.update(leak=param(-0.05, 0.05))
    if kind == "LIF":
        return snnir.LIF(decay=param(0.0, 0.95), **common)
    return snnir.CubaLIF(syn_decay=param(0.0, 0.95), mem_decay=param(0.0, 0.95), **common)


@pytest.mark.parametrize("seed", range(12))
def test_random_pre_spike_neurons_follow_nir_equations(seed):
    rng = np.random.default_rng(100 + seed)
    g = one(random_pre_spike_neuron(rng))
    ng = to_nir(g, DT)
    assert from_nir(ng, DT) == g
    xs = inputs(g)
    ours = trace(g, xs)
    np.testing.assert_array_equal(nir_simulate(ng, xs, DT)["y"], ours["y"])
    np.testing.assert_array_equal(trace(from_nir(ng, DT), xs)["n:v"], ours["n:v"])
    assert ours["y"].sum() > 0


def test_recurrent_numbers_follow_nir_equations():
    g = spyx_recurrent()
    xs = inputs(g)
    ours = trace(g, xs)
    sim = nir_simulate(to_nir(g, DT), xs, DT)
    np.testing.assert_array_equal(sim["z"], ours["z"])
    np.testing.assert_array_equal(sim["y"], ours["y"])


def test_without_snnir_notes_the_same_spikes():
    """Another tool sees a plain NIR neuron and a Delay: snnir reads it so too, with the same spikes."""
    g = spyx_recurrent()
    plain = from_nir(strip_notes(to_nir(g, DT)), DT)
    assert plain.node("rlif").spike_from == "post"
    assert plain.node("rlif.spike_delay").kind == "Delay"
    xs = inputs(g)
    ours, theirs = trace(g, xs), trace(plain, xs)
    for k in ("y", "z"):
        np.testing.assert_array_equal(theirs[k], ours[k])


# ---------------------------------------------------------------------- the fold changes no number
def _exported(neuron=None):
    neuron = neuron or snnir.LIF(id="n", shape=(4,), decay=0.9, threshold=0.5, reset="zero", **PRE)
    return to_nir(one(neuron), DT)


def _with(ng, **nodes):
    return nir.NIRGraph(nodes={**ng.nodes, **nodes}, edges=list(ng.edges), metadata=ng.metadata, type_check=False)


def test_fold_needs_a_delay_of_one_step():
    ng = _exported()
    d = ng.nodes["n.spike_delay"]
    two = _with(ng, **{"n.spike_delay": nir.Delay(delay=np.asarray(d.delay) * 2, metadata=d.metadata)})
    back = from_nir(two, DT)
    assert back.node("n").spike_from == "post" and back.node("n.spike_delay").kind == "Delay"
    xs = inputs(back)
    np.testing.assert_array_equal(trace(back, xs)["y"], nir_simulate(two, xs, DT)["y"])


def test_fold_needs_the_neuron_to_feed_only_the_delay():
    ng = _exported()
    tapped = nir.NIRGraph(nodes={**ng.nodes, "tap": nir.Output(output_type={"output": np.array([4])})},
                          edges=list(ng.edges) + [("n", "tap")], metadata=ng.metadata, type_check=False)
    back = from_nir(tapped, DT)
    assert back.node("n").spike_from == "post" and back.node("n.spike_delay").kind == "Delay"
    xs = inputs(back)
    ours, sim = trace(back, xs), nir_simulate(tapped, xs, DT)
    for k in ("y", "tap"):
        np.testing.assert_array_equal(ours[k], sim[k])


def test_a_pre_spike_note_on_a_lone_neuron_changes_nothing():
    """The neuron's note says spike_from='pre', but without its Delay it is a plain NIR neuron."""
    ng = _exported()
    nodes = {k: v for k, v in ng.nodes.items() if k != "n.spike_delay"}
    edges = [e for e in ng.edges if "n.spike_delay" not in e] + [("n", "y")]
    back = from_nir(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False), DT)
    assert back.node("n").spike_from == "post" and not back.node("n").reset_before_leak


@pytest.mark.parametrize("delayed_by", ["pre_spike", "edge_delay"])
def test_fold_keeps_the_nir_readers_feedback_choice(delayed_by):
    """A zero-delay loop elsewhere is broken on the same edge with and without the fold of snnir's Delay
    nodes (the pre-spike neuron's, or an edge delay's): the nodes are ordered as every NIR reader sees
    them, Delays included, and only then folded."""
    a = snnir.LIF(id="a", shape=(4,), decay=0.9, threshold=0.5, reset="zero",
                  **(PRE if delayed_by == "pre_spike" else {}))
    g = snnir.Graph(nodes=[
        snnir.Input(id="x", shape=(4,)), a,
        snnir.Linear(id="b", weight=np.eye(4, dtype=np.float32)),
        snnir.LIF(id="c", shape=(4,), decay=0.8, threshold=0.5, reset="zero"),
        snnir.LIF(id="d", shape=(4,), decay=0.7, threshold=0.5, reset="zero"),
        snnir.Output(id="y"),
    ], edges=[("x", "a"), ("x", "b"), snnir.Edge("a", "c", delay=0 if delayed_by == "pre_spike" else 2),
              ("b", "d"), ("c", "d"), ("d", "c"), ("d", "y")])
    ng = to_nir(g, DT)
    folded = from_nir(ng, DT)
    plain = from_nir(strip_notes(ng), DT)
    marks = lambda graph: {(e.src, e.dst) for e in graph.edges if e.feedback}  # noqa: E731
    assert marks(folded) == marks(plain) and len(marks(folded)) == 1
    xs = inputs(g)
    np.testing.assert_array_equal(trace(folded, xs)["y"], trace(plain, xs)["y"])


# ---------------------------------------------------------------------- what cannot be exported
def _refused(neuron, message):
    with pytest.raises(NIRConversionError, match=f"node 'n'.*{message}".replace("(", r"\(").replace(")", r"\)")):
        to_nir(one(neuron), DT)


@pytest.mark.parametrize("neuron", [
    snnir.LIF(id="n", shape=(4,), decay=0.9, reset="zero", spike_from="pre"),
    snnir.IF(id="n", shape=(4,), reset="to_value", reset_value=0.1, spike_from="pre"),
    snnir.CubaLIF(id="n", shape=(4,), syn_decay=0.5, mem_decay=0.9, reset="zero", spike_from="pre"),
], ids=["LIF", "IF", "CubaLIF"])
def test_reset_after_the_update_is_refused(neuron):
    """With the reset after the update, the spike step's input is discarded: NIR cannot drop an input."""
    _refused(neuron, "spike_from='pre' with reset_before_leak=False.*discards the input")
    with pytest.raises(NIRConversionError, match="hint: set reset_before_leak=True"):
        to_nir(one(neuron), DT)


def test_reset_after_the_update_really_differs_from_the_nir_form():
    """Why it is refused: the same neuron with the reset before the leak (the NIR form) computes other
    spikes once a spike step's input matters."""
    after = snnir.IF(id="n", shape=(1,), threshold=1.0, reset="zero", spike_from="pre")
    xs = {"x": np.array([[[1.5]], [[0.6]], [[0.6]], [[0.0]]], np.float32)}

    def run(n):
        g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(1,)), n, snnir.Output(id="y")],
                        edges=[("x", "n"), ("n", "y")])
        prog = snnir.compile(g)
        return np.asarray(prog(prog.init_state((1,)), xs)[1]["y"]).reshape(-1)

    # reset after: v = 1.5, then spike and v = 0 (the 0.6 is lost), v = 0.6: one spike;
    # reset before: v = 1.5, then spike, v = 0 + 0.6, v = 1.2, then spike: two
    np.testing.assert_array_equal(run(after), [0, 1, 0, 0])
    np.testing.assert_array_equal(run(after.replace(reset_before_leak=True)), [0, 1, 0, 1])


@pytest.mark.skipif("double_reset" not in snnir.LIF.model_fields, reason="no double_reset option")
def test_double_reset_is_refused():
    neuron = snnir.CubaLIF(id="n", shape=(4,), syn_decay=0.5, mem_decay=0.9, reset="zero", double_reset=True, **PRE)
    _refused(neuron, "double_reset=True.*NIR neurons reset once")


def test_negative_threshold_is_refused():
    neuron = snnir.LIF(id="n", shape=(4,), decay=0.9, reset="zero", threshold=[0.5, -0.1, 0.5, 0.5], **PRE)
    _refused(neuron, "threshold below 0.*spikes at step 0")


@pytest.mark.parametrize("neuron, message", [
    # Spyx's own forms reset by subtraction, which no NIR neuron does
    (snnir.LIF(id="n", shape=(4,), decay=0.9, spike_from="pre", detach_reset=False), "reset='subtract'"),
    (snnir.CubaLIF(id="n", shape=(4,), syn_decay=0.5, mem_decay=0.9, **PRE), "reset='subtract'"),
    # options NIR cannot hold follow the exporter's rule: refused, named
    (snnir.CubaLIF(id="n", shape=(4,), syn_decay=0.5, mem_decay=0.9, reset="zero", current_lag=True, **PRE),
     "current_lag"),
    (snnir.LIF(id="n", shape=(4,), decay=0.9, reset="zero", fire_at_threshold=True, **PRE), "fire_at_threshold"),
    (snnir.ALIF(id="n", shape=(4,), decay=0.9, adapt_decay=0.9, spike_from="pre"), "NIR has no ALIF node"),
], ids=["lif_subtract", "cubalif_subtract", "current_lag", "fire_at_threshold", "alif"])
def test_other_options_follow_the_exporters_rules(neuron, message):
    _refused(neuron, message)


def test_notes_of_the_delay_name_the_neuron():
    ng = _exported()
    assert json.loads(ng.nodes["n.spike_delay"].metadata["snnir"]) == {"pre_spike": "n"}


def test_clamped_decays_export_as_the_values_that_compute():
    """NIR has no clamp: a clamped decay is written clipped (exact numbers), and the clamp comes back
    through snnir's note."""
    import jax.numpy as jnp

    g = snnir.Graph(nodes=[snnir.Input(id="in", shape=(2,)),
                           snnir.LI(id="li", shape=(2,), decay=np.array([1.3, 0.5], np.float32),
                                    decay_clamp=(0.0, 0.9), decay_clamp_op="clip"),
                           snnir.Output(id="out")],
                    edges=[snnir.Edge("in", "li"), snnir.Edge("li", "out")])
    exported = snnir.to_nir(g, dt=1e-3)
    tau = np.asarray(exported.nodes["li"].tau, np.float64)
    np.testing.assert_allclose(tau, 1e-3 / (1 - np.array([0.9, 0.5])), rtol=1e-6)  # 1.3 clipped to 0.9
    back = snnir.from_nir(exported, dt=1e-3).node("li")
    assert back.decay_clamp == (0.0, 0.9) and back.decay_clamp_op == "clip"
    xs = jnp.asarray(np.random.default_rng(0).uniform(0, 1, (8, 1, 2)), jnp.float32)
    ys = [np.asarray(p(p.init_state((1,)), xs)[1]["out"]) for p in map(snnir.compile, (g, snnir.from_nir(exported, dt=1e-3)))]
    np.testing.assert_allclose(ys[0], ys[1], rtol=1e-6)


def test_spyx_neurons_are_refused_for_their_subtractive_reset():
    """Spyx's neurons subtract θ on a spike; NIR's neurons reset to v_reset, so no NIR graph computes them."""
    from flax import nnx

    import snnir.compat.spyx.nn as snn

    model = snn.Sequential(nnx.Linear(3, 4, rngs=nnx.Rngs(0)), snn.LIF((4,), beta=0.9))
    with pytest.raises(snnir.NIRConversionError, match="reset='subtract' has no NIR form"):
        snnir.to_nir(model.graph, dt=1e-3)
