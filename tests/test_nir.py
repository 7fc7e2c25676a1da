"""NIR interop: import (from_nir), export (to_nir), files and the CLI.

Numbers are checked against plain numpy step-by-step code written from NIR's equations and snnir's
documented discretization (docs/nir.md), never against the code under test.
"""

import json

import h5py
import nir
import numpy as np
import pytest

import snnir
from snnir.passes.mark_feedback import mark_feedback
from snnir.cli import main as cli_main
from snnir.io.nir import NIRConversionError, NIRDefaultWarning, from_nir, read_nir_file, to_nir, write_nir

RNG = np.random.default_rng(7)
HAS_LEAK = "leak" in snnir.LIF.model_fields


# ---------------------------------------------------------------------- helpers
def assert_close_graphs(a: snnir.Graph, b: snnir.Graph, rtol=1e-6):
    """Same kinds, ids, order, edges and options; parameters equal within float tolerance."""
    assert [n.id for n in a.nodes] == [n.id for n in b.nodes]
    assert a.edges == b.edges
    assert a.metadata == b.metadata
    for x, y in zip(a.nodes, b.nodes):
        assert type(x) is type(y), x.id
        for name in type(x).model_fields:
            u, v = getattr(x, name), getattr(y, name)
            if name in x.array_fields():
                assert (u is None) == (v is None), (x.id, name)
                if u is not None:
                    assert u.shape == v.shape and u.dtype == v.dtype, (x.id, name, u.shape, v.shape)
                    np.testing.assert_allclose(np.asarray(u, np.float64), np.asarray(v, np.float64), rtol=rtol,
                                               atol=1e-7, err_msg=f"{x.id}.{name}")
            else:
                assert u == v, (x.id, name, u, v)


def run(graph, xs, mode="straight"):
    prog = snnir.compile(graph, mode=mode)
    batch = next(iter(xs.values())).shape[1]
    _, ys = prog(prog.init_state((batch,)), xs)
    return {k: np.asarray(v) for k, v in ys.items()}


def spikes(shape, rate=0.3):
    return (RNG.random(shape) < rate).astype(np.float32)


def recurrent_graph():
    w = RNG.normal(size=(5, 3)).astype(np.float32)
    mask = (RNG.random((5, 5)) < 0.6).astype(np.int32)
    return snnir.Graph(nodes=[
        snnir.Input(id="x", shape=(3,)),
        snnir.Linear(id="fc", weight=w, bias=RNG.normal(size=5).astype(np.float32) * 0.1),
        snnir.LIF(id="lif", shape=(5,), decay=0.9, threshold=0.5, reset="zero"),
        # masked synapses export as zero weights (they never act), so build them zero here
        snnir.Linear(id="rec", weight=(RNG.normal(size=(5, 5)) * 0.5 * mask).astype(np.float32), mask=mask),
        snnir.CubaLIF(id="block/c", shape=(5,), syn_decay=np.linspace(0.5, 0.9, 5).astype(np.float32),
                      mem_decay=0.8, reset="to_value", reset_value=-0.2, input_scale="one_minus_decay",
                      threshold=0.3, surrogate="boxcar"),
        snnir.LI(id="li", shape=(5,), decay=0.95, trainable=()),
        snnir.LI(id="acc", shape=(5,), decay=1.0),
        snnir.IF(id="if", shape=(5,), reset="zero", threshold=2.0),
        snnir.Scale(id="s", scale=0.5),
        snnir.Delay(id="d", steps=np.array([0, 1, 2, 3, 1], np.int32)),
        snnir.Dropout(id="drop", p=0.2),
        snnir.Output(id="y"),
        snnir.Output(id="z", shape=(5,)),
    ], edges=[("x", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "block/c"),
              ("block/c", "li", 2), ("li", "y"), ("lif", "acc"), ("acc", "s"), ("s", "if"), ("if", "d"),
              ("d", "drop"), ("drop", "z")], metadata={"name": "test"})


def conv_graph():
    return snnir.Graph(nodes=[
        snnir.Input(id="img", shape=(2, 8, 8)),
        snnir.Conv2d(id="conv", weight=RNG.normal(size=(4, 1, 3, 3)).astype(np.float32), groups=2, padding=1,
                     stride=(1, 2)),
        snnir.IF(id="if1", shape=(4, 8, 4), reset="zero", threshold=0.5),
        snnir.SumPool2d(id="pool", kernel_size=2),
        snnir.AvgPool2d(id="avg", kernel_size=(2, 1), stride=(1, 1)),
        snnir.Flatten(id="flat"),
        snnir.Conv1d(id="c1", weight=RNG.normal(size=(3, 4, 2)).astype(np.float32), padding="same",
                     bias=np.ones(3, np.float32)),
        snnir.Linear(id="fc", weight=RNG.normal(size=(3, 24)).astype(np.float32)),
        snnir.LIF(id="out_lif", shape=(3,), decay=0.8, reset="zero", input_scale="one_minus_decay"),
        snnir.Output(id="y"),
        snnir.Output(id="y1"),
        snnir.Input(id="seq", shape=(4, 6)),
        snnir.Output(id="y2"),
    ], edges=[("img", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "avg"), ("avg", "flat"),
              ("flat", "fc"), ("fc", "out_lif"), ("out_lif", "y"), ("if1", "y1"), ("seq", "c1"), ("c1", "y2")])


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("make", [recurrent_graph, conv_graph])
def test_round_trip_gives_the_graph_back(make, tmp_path):
    g = make()
    dt = 1e-4
    expected = mark_feedback(g.replace(nodes=tuple(n for n in g.nodes if n.kind != "Dropout"),
                                       edges=tuple(e for e in g.edges if "drop" not in (e.src, e.dst))
                                       + ((snnir.Edge("d", "z"),) if "drop" in g else ())))
    back = from_nir(to_nir(g, dt), dt, "euler")
    assert_close_graphs(back, expected)
    assert back == expected  # exactly: decays and leaks travel as metadata arrays, not only through τ
    write_nir(g, tmp_path / "g.nir", dt)
    assert_close_graphs(from_nir(tmp_path / "g.nir", dt), expected)            # our own reader
    # nir.read sorts the names; its type check wrongly rejects grouped convolutions (C_in/groups channels)
    read = nir.read(tmp_path / "g.nir", type_check=make is recurrent_graph)
    assert_close_graphs(from_nir(read, dt), expected)


@pytest.mark.parametrize("mode", ["straight", "delayed"])
def test_round_trip_programs_agree(mode):
    g = recurrent_graph()
    g = g.replace(nodes=tuple(n for n in g.nodes if n.kind != "Dropout"),
                  edges=tuple(e for e in g.edges if "drop" not in (e.src, e.dst)) + (snnir.Edge("d", "z"),))
    back = from_nir(to_nir(g, 1e-3), 1e-3)
    xs = {"x": spikes((64, 2, 3), 0.5) * 2.0}
    ours, theirs = run(g, xs, mode), run(back, xs, mode)
    assert set(ours) == {"y", "z"}
    for k in ours:
        np.testing.assert_allclose(theirs[k], ours[k], rtol=1e-5, atol=1e-5)
    assert ours["z"].sum() > 0


def test_exported_graph_means_the_same_without_snnir_metadata():
    """Another tool sees only NIR: strip snnir's notes and the graph must still compute the same."""
    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(3,)),
                           snnir.Linear(id="fc", weight=RNG.normal(size=(4, 3)).astype(np.float32)),
                           snnir.LIF(id="lif", shape=(4,), decay=0.8, reset="zero", threshold=0.7),
                           snnir.Linear(id="rec", weight=RNG.normal(size=(4, 4)).astype(np.float32)),
                           snnir.LI(id="li", shape=(4,), decay=0.9),
                           snnir.Output(id="y")],
                    edges=[("x", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "li", 3), ("li", "y")])
    exported = to_nir(g, 1e-3)
    assert ("rec", "lif") in exported.edges and ("lif", "rec") in exported.edges   # NIR's plain cycle
    assert [k for k, v in exported.nodes.items() if isinstance(v, nir.Delay)] == ["delay.lif.li"]
    np.testing.assert_allclose(exported.nodes["delay.lif.li"].delay, 3e-3)  # the declared edge delay
    for node in exported.nodes.values():
        node.metadata = {}
    exported.metadata = {}
    plain = from_nir(exported, 1e-3)
    assert plain.node("delay.lif.li").kind == "Delay" and plain.feedback_edges == (("rec", "lif"),)
    xs = {"x": spikes((64, 2, 3), 0.5) * 2}
    np.testing.assert_allclose(run(plain, xs)["y"], run(g, xs)["y"], rtol=1e-5, atol=1e-6)


def test_export_formulas_follow_nir_euler():
    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)),
                           snnir.LIF(id="a", shape=(2,), decay=[0.9, 0.5], reset="zero"),
                           snnir.LIF(id="b", shape=(2,), decay=0.75, reset="to_value", reset_value=0.25,
                                     input_scale="one_minus_decay"),
                           snnir.CubaLIF(id="c", shape=(2,), syn_decay=0.8, mem_decay=0.6, reset="zero"),
                           snnir.IF(id="i", shape=(2,), reset="zero"),
                           snnir.Output(id="y")],
                    edges=[("x", "a"), ("a", "b"), ("b", "c"), ("c", "i"), ("i", "y")])
    dt = 1e-4
    n = to_nir(g, dt).nodes
    np.testing.assert_allclose(n["a"].tau, [dt / 0.1, dt / 0.5], rtol=1e-6)
    np.testing.assert_allclose(n["a"].r, [10.0, 2.0], rtol=1e-6)   # R = τ/dt: Euler gives v' = βv + x
    np.testing.assert_allclose(n["b"].r, [1.0, 1.0])                # one_minus_decay: v' = βv + (1 − β)x
    np.testing.assert_allclose(n["b"].v_reset, [0.25, 0.25])
    np.testing.assert_allclose(n["c"].tau_syn, dt / 0.2, rtol=1e-6)
    np.testing.assert_allclose(n["c"].w_in, 5.0, rtol=1e-6)         # w_in = τ_syn/dt
    np.testing.assert_allclose(n["c"].r, 2.5, rtol=1e-6)
    np.testing.assert_allclose(n["i"].r, 1 / dt, rtol=1e-6)         # IF: v' = v + dt·R·x = v + x
    assert isinstance(n["i"], nir.IF) and np.all(n["i"].v_reset == 0)


# ---------------------------------------------------------------------- import conventions
def lif_reference(xs, beta, gain, theta, v_reset=0.0, drive=0.0):
    """v' = β·v + gain·x + drive; spike when v' > θ, then v' = v_reset (NIR's LIF, one step)."""
    v = np.zeros(xs.shape[1:])
    out, vs = [], []
    for x in xs:
        v = beta * v + gain * x + drive
        s = (v > theta).astype(np.float64)
        v = np.where(s > 0, v_reset, v)
        out.append(s)
        vs.append(v)
    return np.array(out), np.array(vs)


def test_snntorch_convention_reproduces_beta_v_plus_x():
    dt, beta, theta = 1e-4, np.array([0.9, 0.8, 0.95]), 1.0
    tau = dt / (1 - beta)
    w = RNG.normal(size=(3, 4))
    b = RNG.normal(size=3) * 0.1
    graph = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([4])),
        "fc": nir.Affine(weight=w, bias=b),
        "lif": nir.LIF(tau=tau, r=tau / dt, v_leak=np.zeros(3), v_threshold=np.full(3, theta), v_reset=np.zeros(3)),
        "output": nir.Output(output_type=np.array([3])),
    }, edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")])
    g = from_nir(graph, dt=dt)
    lif = g.node("lif")
    assert [n.id for n in g.nodes] == ["input", "fc", "lif", "output"]   # no gain node: R·dt/τ = 1
    assert lif.reset == "zero" and lif.input_scale == "one"
    np.testing.assert_allclose(lif.decay, beta, rtol=1e-6)
    np.testing.assert_allclose(g.node("fc").bias, b, rtol=1e-6)          # the Affine bias is kept
    xs = spikes((64, 1, 4), 0.5) * 1.5
    ref, _ = lif_reference((xs @ w.T + b)[:, 0], beta, 1.0, theta)
    np.testing.assert_array_equal(run(g, {"input": xs})["output"][:, 0], ref)


def test_snntorch_synaptic_convention():
    dt, alpha, beta = 1e-4, 0.7, 0.85
    tau_syn, tau_mem = np.full(2, dt / (1 - alpha)), np.full(2, dt / (1 - beta))
    graph = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([2])),
        "syn": nir.CubaLIF(tau_syn=tau_syn, tau_mem=tau_mem, r=tau_mem / dt, v_leak=np.zeros(2),
                           v_threshold=np.ones(2), w_in=tau_syn / dt),
        "output": nir.Output(output_type=np.array([2])),
    }, edges=[("input", "syn"), ("syn", "output")])
    g = from_nir(graph, dt=dt)
    c = g.node("syn")
    assert c.input_scale == "one" and len(g.nodes) == 3
    xs = spikes((64, 1, 2), 0.4)
    i = v = np.zeros(2)
    ref = []
    for x in xs[:, 0]:                    # snnTorch Synaptic: i = αi + x; v = βv + i; reset to zero
        i = alpha * i + x
        v = beta * v + i
        s = (v > 1).astype(float)
        v = np.where(s > 0, 0.0, v)
        ref.append(s)
    np.testing.assert_array_equal(run(g, {"input": xs})["output"][:, 0], np.array(ref))


def test_norse_convention_r_one_dt_1e3():
    # Norse: v ← v + dt/τ·((v_leak − v) + x) with R = 1, dt = 1e-3
    dt, tau = 1e-3, np.full(3, 1e-2)
    graph = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([3])),
        "lif": nir.LIF(tau=tau, r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.full(3, 0.2)),
        "li": nir.LI(tau=np.full(3, 5e-3), r=np.ones(3), v_leak=np.zeros(3)),
        "out": nir.Output(output_type=np.array([3])),
    }, edges=[("in", "lif"), ("lif", "li"), ("li", "out")])
    g = from_nir(graph, dt=dt)
    assert g.node("lif").input_scale == "one_minus_decay" and g.node("li").input_scale == "one_minus_decay"
    xs = spikes((64, 2, 3), 0.6) * 3.0
    s_ref, _ = lif_reference(xs, 0.9, 0.1, 0.2)
    v = np.zeros((2, 3))
    li_ref = []
    for s in s_ref:
        v = 0.8 * v + 0.2 * s
        li_ref.append(v)
    np.testing.assert_allclose(run(g, {"in": xs})["out"], np.array(li_ref), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("discretization", ["euler", "exact"])
def test_lif_with_leak_and_reset_value_hand_computed(discretization):
    dt, tau, r, v_leak, v_th, v_reset = 1e-3, 4e-3, 2.0, 0.3, 0.5, -0.1
    graph = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([1])),
        "lif": nir.LIF(tau=np.array([tau]), r=np.array([r]), v_leak=np.array([v_leak]),
                       v_threshold=np.array([v_th]), v_reset=np.array([v_reset])),
        "out": nir.Output(output_type=np.array([1])),
    }, edges=[("in", "lif"), ("lif", "out")])
    if not HAS_LEAK:
        with pytest.raises(NIRConversionError, match="v_leak"):
            from_nir(graph, dt=dt, discretization=discretization)
        return
    g = from_nir(graph, dt=dt, discretization=discretization)
    beta = 1 - dt / tau if discretization == "euler" else np.exp(-dt / tau)   # 0.75 or e^-0.25
    # by hand: v' = β·v + (1 − β)·(v_leak + R·x); v > θ → spike, v = v_reset
    xs = np.array([0.0, 0.0, 0.4, 0.0, 0.5, 0.5, 0.0, 0.0, 1.0, 0.0], np.float32)[:, None, None]
    v, hand = 0.0, []
    for x in xs[:, 0, 0]:
        v = beta * v + (1 - beta) * (v_leak + r * x)
        hand.append(1.0 if v > v_th else 0.0)
        v = v_reset if v > v_th else v
    sim = prog_trace(g, xs)
    np.testing.assert_array_equal(sim["out"][:, 0, 0], hand)
    assert sum(hand) >= 2


def prog_trace(graph, xs):
    return run(graph, {"in": xs})


def test_gain_that_fits_no_input_scale_becomes_a_frozen_scale():
    dt = 1e-3
    graph = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([2])),
        "lif": nir.LIF(tau=np.full(2, 1e-2), r=np.array([3.0, 5.0]), v_leak=np.zeros(2), v_threshold=np.ones(2)),
        "if": nir.IF(r=np.full(2, 1.0), v_threshold=np.ones(2)),
        "out": nir.Output(output_type=np.array([2])),
    }, edges=[("in", "lif"), ("lif", "if"), ("if", "out")])
    g = from_nir(graph, dt=dt)
    assert [n.id for n in g.nodes] == ["in", "lif.gain", "lif", "if.gain", "if", "out"]
    np.testing.assert_allclose(g.node("lif.gain").scale, [0.3, 0.5], rtol=1e-6)   # (dt/τ)·R
    np.testing.assert_allclose(g.node("if.gain").scale, 1e-3, rtol=1e-6)           # dt·R
    assert g.node("lif.gain").trainable == ()
    xs = spikes((64, 1, 2), 0.7) * 4
    s1, _ = lif_reference(xs, 0.9, np.array([0.3, 0.5]), 1.0)
    s2, _ = lif_reference(s1, 1.0, 1e-3, 1.0)
    np.testing.assert_array_equal(run(g, {"in": xs})["out"], s2)


def test_threshold_is_stateless_and_cubali_is_two_stages():
    dt = 1e-3
    graph = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([3])),
        "th": nir.Threshold(threshold=np.array([0.2, 0.5, 1.0])),
        "cli": nir.CubaLI(tau_syn=np.full(3, 2e-3), tau_mem=np.full(3, 4e-3), r=np.full(3, 2.0), v_leak=np.zeros(3),
                          w_in=np.full(3, 1.5)),
        "out_th": nir.Output(output_type=np.array([3])),
        "out_v": nir.Output(output_type=np.array([3])),
    }, edges=[("in", "th"), ("th", "out_th"), ("th", "cli"), ("cli", "out_v")])
    g = from_nir(graph, dt=dt)
    xs = RNG.normal(size=(32, 2, 3)).astype(np.float32)
    ys = run(g, {"in": xs})
    z = (xs > np.array([0.2, 0.5, 1.0])).astype(np.float32)
    np.testing.assert_array_equal(ys["out_th"], z)          # H(x − θ), no memory at all
    i = v = np.zeros((2, 3))
    ref = []
    for x in z:   # Euler: i' = (1 − dt/τs)i + (dt/τs)w_in·x ; v' = (1 − dt/τm)v + (dt/τm)R·i'
        i = 0.5 * i + 0.5 * 1.5 * x
        v = 0.75 * v + 0.25 * 2.0 * i
        ref.append(v)
    np.testing.assert_allclose(ys["out_v"], np.array(ref), rtol=1e-5, atol=1e-6)


def test_integrator_and_delay():
    dt = 1e-3
    graph = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([2])),
        "d": nir.Delay(delay=np.array([0.0, 3e-3])),
        "int": nir.I(r=np.full(2, 1000.0)),
        "out": nir.Output(output_type=np.array([2])),
    }, edges=[("in", "d"), ("d", "int"), ("int", "out")])
    g = from_nir(graph, dt=dt)
    assert g.node("d").steps.tolist() == [0, 3] and g.node("int").kind == "LI"
    xs = spikes((16, 1, 2), 0.5)
    shifted = np.stack([xs[:, :, 0], np.concatenate([np.zeros((3, 1)), xs[:-3, :, 1]])], -1)
    np.testing.assert_allclose(run(g, {"in": xs})["out"], np.cumsum(shifted, 0), atol=1e-5)
    with pytest.raises(NIRConversionError, match="whole"):
        from_nir(graph, dt=2e-3)


# ---------------------------------------------------------------------- structure
def test_subgraph_flattened_with_slash_ids(tmp_path):
    dt = 1e-4
    rsyn = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([4])),
        "lif": nir.CubaLIF(tau_syn=np.full(4, 5e-4), tau_mem=np.full(4, 1e-3), r=np.full(4, 10.0),
                           v_leak=np.zeros(4), v_threshold=np.ones(4), w_in=np.full(4, 5.0)),
        "w_rec": nir.Linear(weight=RNG.normal(size=(4, 4))),
        "output": nir.Output(output_type=np.array([4])),
    }, edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")], type_check=False)
    outer = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([3])),
        "fc": nir.Linear(weight=RNG.normal(size=(4, 3))),
        "rsyn": rsyn,
        "output": nir.Output(output_type=np.array([4])),
    }, edges=[("input", "fc"), ("fc", "rsyn"), ("rsyn", "output")], type_check=False)
    g = from_nir(outer, dt=dt)
    assert [n.id for n in g.nodes] == ["input", "fc", "rsyn/lif", "output", "rsyn/w_rec"]  # breadth-first
    assert g.feedback_edges == (("rsyn/w_rec", "rsyn/lif"),)
    assert {e.key for e in g.edges} == {("input", "fc"), ("fc", "rsyn/lif"), ("rsyn/lif", "rsyn/w_rec"),
                                        ("rsyn/w_rec", "rsyn/lif"), ("rsyn/lif", "output")}
    nir.write(tmp_path / "sub.nir", outer)
    assert from_nir(tmp_path / "sub.nir", dt=dt) == g    # read directly, though nir.read cannot type-check it
    # and back out nested as it came in (the nesting is a graph note); the numbers are the same
    exported = to_nir(g, dt)
    assert sorted(exported.nodes) == ["fc", "input", "output", "rsyn"]
    assert sorted(exported.nodes["rsyn"].nodes) == ["input", "lif", "output", "w_rec"]
    assert from_nir(exported, dt) == g
    # an edited graph no longer matches the recorded nesting: it goes out flat, ids with '/' as dotted names
    edited = g.replace(edges=tuple(e for e in g.edges if e.key != ("rsyn/w_rec", "rsyn/lif")))
    flat = to_nir(edited, dt)
    assert "rsyn.lif" in flat.nodes and "rsyn" not in flat.nodes
    back = from_nir(flat, dt)
    assert [n.id for n in back.nodes] == [n.id for n in edited.nodes]
    xs = spikes((12, 2, 3), 0.5)
    np.testing.assert_array_equal(run(back, {"input": xs})["output"], run(edited, {"input": xs})["output"])


def assert_same_nested_nir(a, b):
    """Same nodes (sub-graphs compared recursively), edges and parameters."""
    assert type(a) is type(b)
    if isinstance(a, nir.NIRGraph):
        assert sorted(a.nodes) == sorted(b.nodes) and sorted(map(tuple, a.edges)) == sorted(map(tuple, b.edges))
        for name in a.nodes:
            assert_same_nested_nir(a.nodes[name], b.nodes[name])
        return
    assert_same_nir(nir.NIRGraph(nodes={"n": a}, edges=[], type_check=False),
                    nir.NIRGraph(nodes={"n": b}, edges=[], type_check=False))


def test_nested_sub_graphs_round_trip_exactly(tmp_path):
    """NIR -> snnir -> NIR keeps sub-graphs, two levels deep, through files too; snnir -> NIR -> snnir
    keeps the graph and its numbers."""
    dt = 1e-3
    lif = dict(tau=np.full(3, 4e-3), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3), v_reset=np.zeros(3))
    cell = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([3])), "lif": nir.LIF(**lif),
        "rec": nir.Linear(weight=RNG.normal(size=(3, 3))), "out": nir.Output(output_type=np.array([3]))},
        edges=[("in", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")], type_check=False)
    block = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([3])), "cell": cell,
        "proj": nir.Affine(weight=RNG.normal(size=(3, 3)), bias=RNG.normal(size=3)),
        "output": nir.Output(output_type=np.array([3]))},
        edges=[("input", "cell"), ("cell", "proj"), ("proj", "output")], type_check=False)
    top = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([2])), "fc": nir.Linear(weight=RNG.normal(size=(3, 2))),
        "block": block, "readout": nir.LI(tau=np.full(3, 2e-3), r=np.ones(3), v_leak=np.zeros(3)),
        "output": nir.Output(output_type=np.array([3]))},
        edges=[("input", "fc"), ("fc", "block"), ("block", "readout"), ("readout", "output")], type_check=False)
    g = from_nir(top, dt)
    assert {"block/cell/lif", "block/proj"} <= {n.id for n in g.nodes}
    back = to_nir(g, dt)
    assert_same_nested_nir(top, back)
    write_nir(g, tmp_path / "nested.nir", dt)
    from_file = from_nir(tmp_path / "nested.nir", dt)
    assert from_file == g
    assert_same_nested_nir(top, to_nir(from_file, dt))
    xs = spikes((16, 2, 2), 0.5)
    np.testing.assert_array_equal(run(from_file, {"input": xs})["output"], run(g, {"input": xs})["output"])


def test_several_inputs_and_outputs():
    dt = 1e-3
    graph = nir.NIRGraph(nodes={
        "a": nir.Input(input_type=np.array([2])),
        "b": nir.Input(input_type=np.array([2])),
        "sa": nir.Scale(scale=np.array([1.0, 2.0])),
        "sb": nir.Scale(scale=np.array([-1.0, 3.0])),
        "o1": nir.Output(output_type=np.array([2])),
        "o2": nir.Output(output_type=np.array([2])),
    }, edges=[("a", "sa"), ("b", "sb"), ("sa", "o1"), ("sb", "o1"), ("sb", "o2")])
    g = from_nir(graph, dt=dt)
    xa, xb = RNG.normal(size=(4, 1, 2)).astype(np.float32), RNG.normal(size=(4, 1, 2)).astype(np.float32)
    ys = run(g, {"a": xa, "b": xb})
    np.testing.assert_allclose(ys["o1"], xa * [1, 2] + xb * [-1, 3], rtol=1e-6)
    np.testing.assert_allclose(ys["o2"], xb * [-1, 3], rtol=1e-6)


def two_node_cycle(order):
    nodes = {
        "in": nir.Input(input_type=np.array([2])),
        "zlif": nir.LIF(tau=np.full(2, 2e-3), r=np.full(2, 2.0), v_leak=np.zeros(2), v_threshold=np.ones(2)),
        "arec": nir.Linear(weight=np.array([[0.5, 0.2], [0.1, 0.7]])),
        "out": nir.Output(output_type=np.array([2])),
    }
    return nir.NIRGraph(nodes={k: nodes[k] for k in order},
                        edges=[("in", "zlif"), ("zlif", "arec"), ("arec", "zlif"), ("zlif", "out")])


def test_recurrent_choice_is_stable_across_write_and_read(tmp_path):
    dt = 1e-3
    first = from_nir(two_node_cycle(["in", "zlif", "arec", "out"]), dt)
    # the neuron nearer the input (breadth-first) keeps its same-step input; the edge back to it is delayed
    assert first.feedback_edges == (("arec", "zlif"),)
    assert [n.id for n in first.nodes] == ["in", "zlif", "arec", "out"]
    assert from_nir(two_node_cycle(["out", "arec", "zlif", "in"]), dt) == first
    nir.write(tmp_path / "cycle.nir", two_node_cycle(["in", "zlif", "arec", "out"]))
    assert list(nir.read(tmp_path / "cycle.nir").nodes)[:2] == ["arec", "in"]   # nir sorts names
    assert from_nir(tmp_path / "cycle.nir", dt) == first
    assert from_nir(nir.read(tmp_path / "cycle.nir"), dt) == first
    snnir.save(first, tmp_path / "cycle.snnir")
    assert snnir.load(tmp_path / "cycle.snnir").feedback_edges == (("arec", "zlif"),)


def test_snntorch_recurrent_layer_reads_the_affine_bias_at_step_0():
    """snnTorch's RLeaky as NIR writes it: a plain cycle lif -> rec (Affine) -> lif. snnTorch computes
    rec_t = W s_{t−1} + b with s_{−1} = 0, so at t = 0 the neuron gets the bias: snnir's rest value of the
    Affine, read through the delayed edge rec -> lif (the feedback mark falls on the Affine's out-edge)."""
    dt, beta = 1e-4, np.array([0.5, 0.75, 0.5])
    tau = dt / (1 - beta)
    w = np.array([[0.5, -0.25, 0.0], [0.125, 0.5, -0.5], [0.25, 0.0, 0.375]])
    b = np.array([1.5, 0.25, -0.5])
    graph = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([3])),
        "lif": nir.LIF(tau=tau, r=tau / dt, v_leak=np.zeros(3), v_threshold=np.ones(3), v_reset=np.zeros(3)),
        "rec": nir.Affine(weight=w, bias=b),
        "output": nir.Output(output_type=np.array([3])),
    }, edges=[("input", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "output")])
    g = from_nir(graph, dt=dt)
    assert g.feedback_edges == (("rec", "lif"),)
    xs = (RNG.random((16, 2, 3)) < 0.5).astype(np.float32) * 0.5
    ys = run(g, {"input": xs})["output"]
    np.testing.assert_array_equal(ys[0], ((xs[0] + b) > 1.0).astype(float))  # by hand: u_0 = x_0 + b
    v, s, expected = np.zeros((2, 3)), np.zeros((2, 3)), []
    for x in xs.astype(np.float64):  # snnTorch's RLeaky with NIR's reset to v_reset = 0
        v = beta * v + x + (s @ w.T + b)
        s = (v > 1.0).astype(float)
        v = np.where(s > 0, 0.0, v)
        expected.append(s)
    np.testing.assert_array_equal(ys, np.array(expected))
    assert ys[0, :, 0].tolist() == [1.0, 1.0]


# ---------------------------------------------------------------------- errors
def test_missing_dt_and_bad_discretization():
    with pytest.raises(NIRConversionError, match="dt is required"):
        from_nir(two_node_cycle(["in", "zlif", "arec", "out"]))
    with pytest.raises(NIRConversionError, match="discretization"):
        from_nir(two_node_cycle(["in", "zlif", "arec", "out"]), 1e-3, "rk4")
    with pytest.raises(NIRConversionError, match="dt is required"):
        to_nir(recurrent_graph())


def test_import_errors_name_the_node():
    lif = nir.LIF(tau=np.full(2, 1e-4), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2))
    graph = nir.NIRGraph(nodes={"in": nir.Input(input_type=np.array([2])), "fast": lif,
                                "out": nir.Output(output_type=np.array([2]))},
                         edges=[("in", "fast"), ("fast", "out")])
    with pytest.raises(NIRConversionError, match="node 'fast'.*shorter than dt") as err:
        from_nir(graph, dt=1e-3)
    assert "exact" in str(err.value)
    assert from_nir(graph, dt=1e-3, discretization="exact").node("fast").decay.max() < 1e-4
    lif.tau = np.ones(3)  # parameters of different shapes
    with pytest.raises(NIRConversionError, match="node 'fast'.*different shapes"):
        from_nir(graph, dt=1e-5)
    bad_edge = nir.NIRGraph(nodes={"in": nir.Input(input_type=np.array([2]))}, edges=[("in", "nowhere")],
                            type_check=False)
    with pytest.raises(NIRConversionError, match="nowhere"):
        from_nir(bad_edge, dt=1e-3)
    mismatch = nir.NIRGraph(nodes={"in": nir.Input(input_type=np.array([3])), "fc": nir.Linear(weight=np.ones((2, 4))),
                                   "out": nir.Output(output_type=np.array([2]))},
                            edges=[("in", "fc"), ("fc", "out")], type_check=False)
    with pytest.raises(snnir.VerifyError, match="fc"):
        from_nir(mismatch, dt=1e-3)


def test_export_refusals_name_node_and_option():
    def one(node):
        return snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), node, snnir.Output(id="y")],
                           edges=[("x", node.id), (node.id, "y")])

    cases = [
        (snnir.LIF(id="n", shape=(2,), decay=0.9), "reset='subtract'"),
        (snnir.LIF(id="n", shape=(2,), decay=0.9, reset="zero", spike_from="pre"), "spike_from='pre'"),
        (snnir.LIF(id="n", shape=(2,), decay=0.9, reset="zero", reset_at="next"), "reset_at='next'"),
        (snnir.LIF(id="n", shape=(2,), decay=0.9, reset="zero", fire_at_threshold=True), "fire_at_threshold"),
        (snnir.LIF(id="n", shape=(2,), decay=1.0, reset="zero"), "no finite NIR time constant"),
        (snnir.LayerNorm(id="n"), "NIR has no LayerNorm"),
    ]
    for node, message in cases:
        with pytest.raises(NIRConversionError, match=f"node 'n'.*{message}".replace("(", r"\(")):
            to_nir(one(node), 1e-3)
    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), snnir.LIF(id="n", shape=(2,), decay=0.9, reset="zero"),
                           snnir.Output(id="y")], edges=[("x", "n"), snnir.Edge("n", "y", src_port="v")])
    with pytest.raises(NIRConversionError, match="edge 'n' -> 'y'.*port 'v'"):
        to_nir(g, 1e-3)


# ---------------------------------------------------------------------- hostile files
def test_hostile_files_give_model_file_errors(tmp_path):
    good = tmp_path / "good.nir"
    write_nir(conv_graph(), good, 1e-3)
    raw = good.read_bytes()
    (tmp_path / "trunc.nir").write_bytes(raw[: len(raw) // 3])
    (tmp_path / "random.nir").write_bytes(np.random.default_rng(0).bytes(4096))
    (tmp_path / "magic_only.nir").write_bytes(raw[:8] + b"\0" * 100)
    with h5py.File(tmp_path / "no_node.nir", "w") as f:
        f.create_dataset("version", data="1.0.8")
        f.create_dataset("stuff", data=np.arange(5))
    with h5py.File(tmp_path / "garbage.nir", "w") as f:
        node = f.create_group("node")
        node.create_dataset("type", data="NIRGraph")
        lif = node.create_group("nodes").create_group("lif")
        lif.create_dataset("type", data="LIF")
        lif.create_dataset("tau", data="not a number")
        node.create_dataset("edges", data=np.array([[b"lif", b"lif"]], dtype=object))
    with h5py.File(tmp_path / "unknown.nir", "w") as f:
        node = f.create_group("node")
        node.create_dataset("type", data="NIRGraph")
        node.create_group("nodes").create_group("mystery").create_dataset("type", data="Spline")
    with h5py.File(tmp_path / "link.nir", "w") as f:   # an external link could read any file on the disk
        node = f.create_group("node")
        node.create_dataset("type", data="NIRGraph")
        node["nodes"] = h5py.ExternalLink(str(good), "/node/nodes")
    for name in ("trunc", "random", "magic_only", "no_node", "garbage", "unknown", "link"):
        path = tmp_path / f"{name}.nir"
        with pytest.raises(snnir.ModelFileError) as err:
            from_nir(path, dt=1e-3)
        assert str(path) in str(err.value), name
    with pytest.raises(snnir.ModelFileError, match="external links"):
        from_nir(tmp_path / "link.nir", dt=1e-3)
    with pytest.raises(snnir.ModelFileError, match="larger than the limit"):
        read_nir_file(good, max_bytes=64)
    with pytest.raises(NIRConversionError, match="node 'mystery'.*'Spline'"):
        from_nir(tmp_path / "unknown.nir", dt=1e-3)
    with pytest.raises(NIRConversionError, match="node 'lif'.*'tau' is not numeric"):
        from_nir(tmp_path / "garbage.nir", dt=1e-3)


# ---------------------------------------------------------------------- CLI
def test_cli_convert_both_ways(tmp_path, capsys):
    g = mark_feedback(conv_graph())
    snnir.save(g, tmp_path / "m.snnir")
    assert cli_main(["convert", str(tmp_path / "m.snnir"), str(tmp_path / "m.nir"), "--dt", "1e-4"]) == 0
    assert isinstance(nir.read(tmp_path / "m.nir", type_check=False), nir.NIRGraph)
    assert cli_main(["convert", str(tmp_path / "m.nir"), str(tmp_path / "back.json"), "--dt", "1e-4"]) == 0
    assert_close_graphs(snnir.load(tmp_path / "back.json"), g)
    assert cli_main(["convert", str(tmp_path / "m.nir"), str(tmp_path / "x.snnir")]) == 2  # a usage error
    assert "dt is required" in capsys.readouterr().err
    (tmp_path / "bad.nir").write_bytes(b"not hdf5")
    assert cli_main(["convert", str(tmp_path / "bad.nir"), str(tmp_path / "x.snnir"), "--dt", "1"]) == 1
    assert "bad.nir" in capsys.readouterr().err


# ---------------------------------------------------------------------- NIR -> snnir -> NIR
def assert_same_nir(a, b, rtol=1e-6):
    """Same node names and types, same edges, same parameters (within float rounding)."""
    assert sorted(a.nodes) == sorted(b.nodes)
    assert sorted(map(tuple, a.edges)) == sorted(map(tuple, b.edges))
    for name, x in a.nodes.items():
        y = b.nodes[name]
        assert type(x) is type(y), (name, type(x).__name__, type(y).__name__)
        dx, dy = x.to_dict(), y.to_dict()
        for key in set(dx) - {"metadata", "type"}:
            u, v = dx[key], dy.get(key)
            if isinstance(u, (str, type(None))) or isinstance(v, (str, type(None))):
                assert (u is None and v is None) or str(u) == str(v), (name, key, u, v)
            else:
                np.testing.assert_allclose(np.asarray(v, np.float64).reshape(-1), np.asarray(u, np.float64).reshape(-1),
                                           rtol=rtol, atol=1e-9, err_msg=f"{name}.{key}")


def peer_graphs():
    """Graphs as snnTorch and Norse write them: plain cycles, no Delay nodes, parameters per neuron."""
    dt = 1e-4
    beta = np.array([0.5, 0.75, 0.875])
    tau = dt / (1 - beta)
    w = np.array([[0.5, -0.25, 0.0], [0.125, 0.5, -0.5], [0.25, 0.0, 0.375]])
    rleaky = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([3])),
        "fc": nir.Affine(weight=w, bias=np.array([0.25, 0.0, -0.125])),
        "lif": nir.LIF(tau=tau, r=tau / dt, v_leak=np.zeros(3), v_threshold=np.ones(3), v_reset=np.zeros(3)),
        "rec": nir.Affine(weight=w.T, bias=np.array([0.5, 0.25, -0.5])),
        "output": nir.Output(output_type=np.array([3])),
    }, edges=[("input", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "output")])
    alpha = np.array([0.5, 0.75, 0.5])
    tau_syn = dt / (1 - alpha)
    rsyn = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([3])),
        "syn": nir.CubaLIF(tau_syn=tau_syn, tau_mem=tau, r=tau / dt, v_leak=np.zeros(3), v_threshold=np.ones(3),
                           v_reset=np.zeros(3), w_in=tau_syn / dt),
        "rec": nir.Scale(scale=np.array([0.5, -0.25, 0.75])),   # one-to-one recurrence
        "output": nir.Output(output_type=np.array([3])),
    }, edges=[("input", "syn"), ("syn", "rec"), ("rec", "syn"), ("syn", "output")])
    norse = nir.NIRGraph(nodes={       # Norse: R = 1, dt = 1e-3 (here the same dt), a gain that needs a Scale
        "in": nir.Input(input_type=np.array([2])),
        "lif": nir.LIF(tau=np.full(2, 1e-3), r=np.array([3.0, 5.0]), v_leak=np.array([0.0, 0.5]),
                       v_threshold=np.ones(2), v_reset=np.zeros(2)),
        "a": nir.LIF(tau=np.full(2, 2e-3), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2),
                     v_reset=np.zeros(2)),
        "b": nir.IF(r=np.full(2, 2.0), v_threshold=np.ones(2), v_reset=np.zeros(2)),
        "li": nir.LI(tau=np.full(2, 4e-4), r=np.array([1.0, 2.0]), v_leak=np.array([0.25, -0.5])),
        # w_in = τ_syn/dt: snnir keeps one input gain per neuron, so a gain comes back in R (docs/nir.md)
        "cli": nir.CubaLI(tau_syn=np.full(2, 2e-4), tau_mem=np.full(2, 4e-4), r=np.full(2, 2.0),
                          v_leak=np.array([0.5, 0.0]), w_in=np.full(2, 2.0)),
        "th": nir.Threshold(threshold=np.array([0.5, 1.0])),
        "int": nir.I(r=np.full(2, 3.0)),
        "out": nir.Output(output_type=np.array([2])),
        "out2": nir.Output(output_type=np.array([2])),
    }, edges=[("in", "lif"), ("lif", "a"), ("a", "b"), ("b", "a"), ("b", "li"), ("li", "cli"), ("cli", "th"),
              ("th", "int"), ("int", "out"), ("li", "out2")])
    return {"rleaky": rleaky, "rsynaptic_one_to_one": rsyn, "norse_style": norse}


@pytest.mark.parametrize("name", ["rleaky", "rsynaptic_one_to_one", "norse_style"])
def test_nir_to_snnir_to_nir_gives_the_same_graph(name, tmp_path):
    dt = 1e-4
    original = peer_graphs()[name]
    g = from_nir(original, dt)
    back = to_nir(g, dt)
    assert not any(isinstance(n, nir.Delay) for n in back.nodes.values())   # loops stay plain cycles
    assert_same_nir(original, back)
    # and the same numbers: the re-import breaks the loops where the first import did
    again = from_nir(back, dt)
    assert again.feedback_edges == g.feedback_edges
    xs = (RNG.random((24, 2) + tuple(original.nodes[next(iter(original.nodes))].input_type["input"])) < 0.5)
    xs = {g.inputs[0].id if hasattr(g, "inputs") else "input": xs.astype(np.float32)}
    ins = [n.id for n in g.nodes if n.kind == "Input"]
    xs = {ins[0]: next(iter(xs.values()))}
    ours, theirs = run(g, xs), run(again, xs)
    for k in ours:
        np.testing.assert_array_equal(theirs[k], ours[k])
    write_nir(g, tmp_path / "g.nir", dt)                                     # through a file too
    assert_same_nir(original, nir.read(tmp_path / "g.nir"))


def test_every_loop_is_broken_once_and_notes_never_move_the_mark():
    """A NIR cycle gets exactly one step, from NIR names only: the node order and snnir's order note
    change the declaration order of the result, never which edge reads the previous step."""
    dt = 1e-3
    plain = from_nir(two_node_cycle(["in", "zlif", "arec", "out"]), dt)
    noted = two_node_cycle(["out", "arec", "zlif", "in"])
    noted.metadata = {"snnir": json.dumps({"format": "snnir", "order": ["out", "arec", "zlif", "in"]})}
    g = from_nir(noted, dt)
    assert [n.id for n in g.nodes] == ["out", "arec", "zlif", "in"]     # the note gives the order ...
    assert g.feedback_edges == plain.feedback_edges == (("arec", "zlif"),)  # ... and never moves the mark
    xs = {"in": spikes((16, 2, 2), 0.6) * 2}
    np.testing.assert_array_equal(run(g, xs)["out"], run(plain, xs)["out"])


def test_two_neuron_loop_has_latency_one():
    """in -> a -> b -> a: one step around the loop (b's spike reaches a on the next step), as in NIR's peers."""
    dt = 1e-4
    lif = dict(tau=np.full(1, 2e-4), r=np.full(1, 2.0), v_leak=np.zeros(1), v_threshold=np.full(1, 0.5),
               v_reset=np.zeros(1))
    graph = nir.NIRGraph(nodes={"in": nir.Input(input_type=np.array([1])), "a": nir.LIF(**lif), "b": nir.LIF(**lif),
                                "out": nir.Output(output_type=np.array([1]))},
                         edges=[("in", "a"), ("a", "b"), ("b", "a"), ("b", "out")])
    g = from_nir(graph, dt)
    assert g.feedback_edges == (("b", "a"),)
    xs = np.zeros((8, 1, 1), np.float32)
    xs[0] = 1.0
    # by hand (β = 0.5, gain 1): a fires at 0, b at 0 (same step), a at 1 (b's spike, one step late), b at 1, ...
    ys = run(g, {"in": xs})["out"][:, 0, 0]
    assert ys.tolist() == [1.0] * 8
    assert not any(isinstance(n, nir.Delay) for n in to_nir(g, dt).nodes.values())


def test_declared_delays_stay_delay_nodes():
    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)),
                           snnir.LIF(id="a", shape=(2,), decay=0.5, reset="zero"),
                           snnir.Linear(id="w", weight=np.eye(2, dtype=np.float32) * 0.5),
                           snnir.Output(id="y")],
                    edges=[("x", "a"), ("a", "w"), snnir.Edge("w", "a", delay=2, feedback=True), ("a", "y")])
    n = to_nir(g, 1e-3)
    np.testing.assert_allclose(n.nodes["delay.w.a"].delay, [3e-3, 3e-3])   # the edge's whole delay, 2 + mark
    back = from_nir(n, 1e-3)
    assert back == g
    plain = nir.NIRGraph(nodes={k: v for k, v in n.nodes.items()}, edges=n.edges, type_check=False)
    for v in plain.nodes.values():
        v.metadata = {}
    bare = from_nir(plain, 1e-3)                                             # another tool's view: a Delay node
    xs = {"x": spikes((16, 2, 2), 0.5) * 2}
    np.testing.assert_array_equal(run(bare, xs)["y"], run(g, xs)["y"])


# ---------------------------------------------------------------------- smaller warts
def _file_with(tmp_path, name, typ, params, shape=(1, 4, 4)):
    """A NIR file (written with h5py, as another tool might) holding input -> node -> output."""
    path = tmp_path / f"{name}.nir"
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data="1.0.8")
        node = f.create_group("node")
        node.create_dataset("type", data="NIRGraph")
        nodes = node.create_group("nodes")
        for nname, ntype, nparams in (("input", "Input", {"shape": np.array(shape)}), (name, typ, params),
                                      ("output", "Output", {})):
            g = nodes.create_group(nname)
            g.create_dataset("type", data=ntype)
            for k, v in nparams.items():
                g.create_dataset(k, data=v)
        node.create_dataset("edges", data=np.array([[b"input", name.encode()], [name.encode(), b"output"]], dtype=object))
    return path


def test_sumpool_without_stride_takes_the_window_and_says_so(tmp_path):
    path = _file_with(tmp_path, "pool", "SumPool2d", {"kernel_size": np.array([2, 2])})
    with pytest.warns(NIRDefaultWarning) as record:
        g = from_nir(path, dt=1e-3)
    said = " ".join(str(r.message) for r in record)
    assert "node 'pool': stride" in said and "padding=0" in said
    assert g.node("pool").strides == (2, 2) and tuple(g.node("pool").padding) in ((0, 0), ((0, 0), (0, 0)))
    xs = RNG.normal(size=(3, 1, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(run(g, {"input": xs})["output"], xs.reshape(3, 1, 1, 2, 2, 2, 2).sum((4, 6)),
                               rtol=1e-6, atol=1e-6)
    bad = _file_with(tmp_path, "pool2", "SumPool2d", {"kernel_size": np.array([2, 2]), "stride": np.array([1, 2, 3])})
    with pytest.raises(NIRConversionError, match="(?s)node 'pool2'.*stride.*hint"):
        from_nir(bad, dt=1e-3)


def test_conv_without_stride_or_padding_takes_nir_defaults_and_says_so(tmp_path):
    w = RNG.normal(size=(2, 1, 3, 3))
    path = _file_with(tmp_path, "conv", "Conv2d", {"weight": w, "bias": np.zeros(2)})
    with pytest.warns(NIRDefaultWarning) as record:
        g = from_nir(path, dt=1e-3)
    said = " ".join(str(r.message) for r in record)
    for key in ("stride", "padding", "dilation", "groups"):
        assert f"{key}=" in said and "node 'conv'" in said
    c = g.node("conv")
    assert c.stride == (1, 1) and c.dilation == (1, 1) and c.groups == 1
    assert g.node("output") is not None
    bad = _file_with(tmp_path, "conv2", "Conv2d", {"weight": w, "stride": np.array([-1]), "padding": 0,
                                                   "dilation": 1, "groups": 1})
    with pytest.raises(NIRConversionError, match="node 'conv2'.*stride"):
        from_nir(bad, dt=1e-3)


def test_identity_is_a_wire():
    from nir.ir.graph import Identity

    graph = nir.NIRGraph(nodes={"in": nir.Input(input_type=np.array([2])), "id": Identity(np.array([2])),
                                "s": nir.Scale(scale=np.array([2.0, 3.0])), "out": nir.Output(output_type=np.array([2]))},
                         edges=[("in", "id"), ("id", "s"), ("s", "out")], type_check=False)
    g = from_nir(graph, dt=1e-3)
    assert [n.id for n in g.nodes] == ["in", "s", "out"]
    xs = RNG.normal(size=(3, 1, 2)).astype(np.float32)
    np.testing.assert_allclose(run(g, {"in": xs})["out"], xs * [2, 3], rtol=1e-6)


@pytest.mark.parametrize("discretization", ["euler", "exact"])
def test_li_and_cubali_with_v_leak_drive_towards_it(discretization):
    dt, tau_s, tau_m, r, v_leak = 1e-3, 2e-3, 4e-3, 2.0, np.array([0.5, -0.25])
    graph = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([2])),
        "li": nir.LI(tau=np.full(2, tau_m), r=np.full(2, r), v_leak=v_leak),
        "cli": nir.CubaLI(tau_syn=np.full(2, tau_s), tau_mem=np.full(2, tau_m), r=np.full(2, r), v_leak=v_leak,
                          w_in=np.full(2, 2.0)),
        "o1": nir.Output(output_type=np.array([2])), "o2": nir.Output(output_type=np.array([2])),
    }, edges=[("in", "li"), ("li", "o1"), ("in", "cli"), ("cli", "o2")])
    g = from_nir(graph, dt=dt, discretization=discretization)
    dec = (lambda tau: 1 - dt / tau) if discretization == "euler" else (lambda tau: np.exp(-dt / tau))
    a, b = dec(tau_s), dec(tau_m)
    xs = RNG.normal(size=(20, 1, 2))
    v = i = w = np.zeros((1, 2))
    ref_li, ref_cli = [], []
    for x in xs:   # v' = β·v + (1 − β)(v_leak + R·x);  CubaLI: i' = α·i + (1 − α)w_in·x, then v from i'
        v = b * v + (1 - b) * (v_leak + r * x)
        i = a * i + (1 - a) * 2.0 * x
        w = b * w + (1 - b) * (v_leak + r * i)
        ref_li.append(v)
        ref_cli.append(w)
    ys = run(g, {"in": xs.astype(np.float32)})
    np.testing.assert_allclose(ys["o1"], np.array(ref_li), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ys["o2"], np.array(ref_cli), rtol=1e-5, atol=1e-5)
    assert abs(ys["o1"][-1].mean()) > 0   # the drive acts
    if discretization == "euler":
        assert_same_nir(graph, to_nir(g, dt))


def _file(path, nodes, edges):
    """A NIR file written with h5py, as another tool might: nodes [(name, type, params)], edges [(a, b)]."""
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data="1.0.8")
        node = f.create_group("node")
        node.create_dataset("type", data="NIRGraph")
        group = node.create_group("nodes")
        for name, typ, params in nodes:
            g = group.create_group(name)
            g.create_dataset("type", data=typ)
            for k, v in params.items():
                g.create_dataset(k, data=v)
        node.create_dataset("edges", data=np.array([[a.encode(), b.encode()] for a, b in edges], dtype=object))
    return path


def test_scalar_and_size_one_neuron_parameters_are_broadcast(tmp_path):
    """nir's constructors refuse them (a bare assert), but files from other tools hold them."""
    path = _file(tmp_path / "b.nir", [
        ("in", "Input", {"shape": np.array([2])}),
        ("fc", "Linear", {"weight": np.ones((3, 2))}),
        ("lif", "LIF", {"tau": np.array(1e-2), "r": np.array([1.0]), "v_leak": np.zeros(()),
                        "v_threshold": np.array([0.5, 1.0, 2.0]), "v_reset": np.zeros(1)}),
        ("if", "IF", {"r": np.array([1000.0]), "v_threshold": np.array(1.0), "v_reset": np.zeros(())}),
        ("out", "Output", {"shape": np.array([3])}),
    ], [("in", "fc"), ("fc", "lif"), ("lif", "if"), ("if", "out")])
    g = from_nir(path, dt=1e-3)
    assert g.node("lif").shape == (3,) and g.node("lif").decay.shape == (3,)
    assert g.node("if").shape == (3,)     # every parameter scalar: the shape of what feeds it
    xs = spikes((16, 1, 2), 0.7) * 2
    s1, _ = lif_reference(xs @ np.ones((2, 3)), 0.9, 0.1, np.array([0.5, 1.0, 2.0]))
    s2, _ = lif_reference(s1, 1.0, 1.0, 1.0)
    np.testing.assert_array_equal(run(g, {"in": xs})["out"], s2)
    bad = _file(tmp_path / "c.nir", [("in", "Input", {"shape": np.array([2])}),
                                     ("lif", "LIF", {"tau": np.full(2, 1e-2), "r": np.ones(3), "v_leak": np.zeros(2),
                                                     "v_threshold": np.ones(2)})], [("in", "lif")])
    with pytest.raises(NIRConversionError, match="(?s)node 'lif'.*different shapes.*hint"):
        from_nir(bad, dt=1e-3)


def test_malformed_flatten_names_the_node(tmp_path):
    path = _file(tmp_path / "f.nir", [("in", "Input", {"shape": np.array([2, 3])}),
                                      ("flat", "Flatten", {"input_type": np.array([2, 3]), "start_dim": "zero"}),
                                      ("out", "Output", {})], [("in", "flat"), ("flat", "out")])
    with pytest.raises(NIRConversionError, match="(?s)node 'flat'.*start_dim.*hint"):
        from_nir(path, dt=1e-3)


@pytest.mark.parametrize("typ", ["CubaLIF", "CubaLI"])
def test_an_input_gain_split_no_form_holds_comes_back_as_written(typ):
    """snnir keeps one input gain per CubaLIF/CubaLI (a frozen Scale in front); the file's own split
    between w_in and R comes back from the graph note, and the gain exactly through snnir's."""
    dt = 1e-4
    extra = {"v_threshold": np.ones(4)} if typ == "CubaLIF" else {}
    neuron = getattr(nir, typ)(tau_syn=np.full(4, 5e-4), tau_mem=np.full(4, 1e-3), r=np.array([10.0, 2, 3, 4]),
                               v_leak=np.zeros(4), w_in=np.array([5.0, 0.5, 1, 2]), **extra)
    original = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([3])), "fc": nir.Linear(weight=RNG.normal(size=(4, 3))),
        "n": neuron, "output": nir.Output(output_type=np.array([4]))},
        edges=[("input", "fc"), ("fc", "n"), ("n", "output")])
    g = from_nir(original, dt)
    assert g.node("n.gain").kind == "Scale"
    back = to_nir(g, dt)
    assert_same_nir(original, back)
    assert from_nir(back, dt) == g                        # and snnir -> NIR -> snnir, the gain to the bit
    # without the note the split is snnir's (w_in = τ_syn/dt), with the same spikes and membrane
    plain = to_nir(g.replace(metadata={}), dt)
    np.testing.assert_allclose(plain.nodes["n"].w_in, 5.0, rtol=1e-6)
    xs = spikes((20, 2, 3), 0.5)
    np.testing.assert_array_equal(run(from_nir(plain, dt), {"input": xs})["output"], run(g, {"input": xs})["output"])


@pytest.mark.parametrize("options", [{"bits": 4}, {"bits": 8, "per_channel": False}, {"bits": 3, "decay": "linear"}])
def test_a_quantized_graph_exports_the_values_it_computes_with(options):
    """NIR has no integer formats: a quantized parameter is written as q(w), the value the compiled
    program computes with, so a reader ignoring snnir's notes gets the same numbers; snnir's import
    gets the formats back from the note."""
    dt = 1e-3
    b = snnir.GraphBuilder(key=3)
    h = b.lif(b.linear(b.input("x", shape=(6,)), 8, id="fc1"), decay=0.9, reset="zero", id="h")
    b.connect(b.linear(h, 8, id="rec"), h)
    b.output(b.li(b.linear(h, 3, id="fc2"), decay=0.8, id="out"), id="y")
    quantized = snnir.quantize(b.build(), **options)
    back = from_nir(to_nir(quantized, dt), dt)
    assert [n.quant for n in back.nodes] == [n.quant for n in quantized.nodes]
    formats_dropped = back.replace(nodes=tuple(n.replace(quant=None) for n in back.nodes))
    xs = spikes((30, 4, 6), 0.4)
    expected = run(quantized, {"x": xs})["y"]
    np.testing.assert_array_equal(run(back, {"x": xs})["y"], expected)
    np.testing.assert_array_equal(run(formats_dropped, {"x": xs})["y"], expected)   # q(w) itself, to the bit
