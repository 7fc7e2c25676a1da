"""The rest-value rule (docs/semantics.md, "Rest values"): before step 0 the network is at rest, and every
delayed or feedback read at t < 0 returns its source's rest value, in both modes and both strategies.

Each graph here is one where the rule matters (zeros before step 0 would give other numbers); each is
checked against the reference simulator (which works the rest values out on its own) and against numbers
computed by hand in numpy. Dyadic data (weights k/8, decays 0.5/0.75, integer thresholds) keeps float32
exact; where a LayerNorm makes values irrational, a margin check keeps every membrane away from its
threshold so spikes still compare exactly.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir
from tests.reference_sim import simulate, simulate_trace

MODES = ("straight", "delayed")
STRATEGIES = ("fused-scan", "layered")
f32 = np.float32


def run(graph, xs, mode, strategy, batch=None):
    prog = snnir.compile(graph, mode=mode, strategy=strategy)
    batch = next(iter(xs.values())).shape[1:2] if batch is None else batch
    _, ys = prog(prog.init_state(batch), {k: jnp.asarray(v) for k, v in xs.items()})
    return {k: np.asarray(v, np.float64) for k, v in ys.items()}


def check_everywhere(graph, xs, modes=MODES, exact=True):
    """Every mode and strategy equals the reference simulator; returns {mode: reference outputs}."""
    refs = {}
    for mode in modes:
        ref = simulate(graph, xs, mode=mode)
        refs[mode] = ref
        for strategy in STRATEGIES:
            got = run(graph, xs, mode, strategy)
            for oid, value in ref.items():
                if exact:
                    np.testing.assert_array_equal(got[oid], value, err_msg=f"{mode} {strategy} {oid}")
                else:
                    np.testing.assert_allclose(got[oid], value, rtol=1e-5, atol=1e-6,
                                               err_msg=f"{mode} {strategy} {oid}")
    return refs


def binary(shape, seed, rate=0.5):
    return (np.random.default_rng(seed).random(shape) < rate).astype(f32)


# ---------------------------------------------------------------------- SNNAX's example
W_IN = (np.arange(12, dtype=f32).reshape(4, 3) % 5 - 2) / 8  # k/8
B_IN = np.array([1.0, -1.0, 0.5, -0.5], f32)


def linear_norm_lif():
    return snnir.Graph(nodes=[snnir.Input(id="x", shape=(3,)), snnir.Linear(id="lin", weight=W_IN, bias=B_IN),
                              snnir.LayerNorm(id="ln"), snnir.LIF(id="lif", shape=(4,), decay=0.5, threshold=1.0),
                              snnir.Output(id="y")],
                       edges=[("x", "lin"), ("lin", "ln"), ("ln", "lif"), ("lif", "y")])


def layer_norm(v, eps=1e-5):
    mu = v.mean(-1, keepdims=True)
    return (v - mu) / np.sqrt(((v - mu) ** 2).mean(-1, keepdims=True) + eps)


def snnax_delayed(xs):
    """SNNAX's ``init_state`` + ``default_forward_fn`` for [Linear, LayerNorm, LIF(snnir's)], written out:
    init: a stateless layer runs on its sources' initial outputs (external inputs zero), a stateful layer's
    initial output is its last state element (zeros); step: every layer reads the carry (last step)."""
    w, b = W_IN.astype(np.float64), B_IN.astype(np.float64)
    lin0 = w @ np.zeros(3) + b                      # init_state: Linear(0) = b
    outs = [lin0, layer_norm(lin0), np.zeros(4)]    # LayerNorm of the Linear's initial output; LIF: [v, s][-1]
    v = np.zeros(4)
    result, margin = [], np.inf
    for x in xs:
        new = [w @ x + b, layer_norm(outs[0]), None]
        u = 0.5 * v + outs[1]
        margin = min(margin, np.abs(u - 1.0).min())
        s = (u > 1.0).astype(float)
        v = u - s
        new[2] = s
        outs = new
        result.append(s)
    return np.array(result), margin


def test_linear_layernorm_lif_in_delayed_mode_starts_from_the_normalised_bias():
    xs = binary((12, 1, 3), seed=1)
    expected, margin = snnax_delayed(xs[:, 0].astype(np.float64))
    assert margin > 1e-3  # float32 LayerNorm cannot flip a spike
    refs = check_everywhere(linear_norm_lif(), {"x": xs}, modes=("delayed",))
    np.testing.assert_array_equal(refs["delayed"]["y"][:, 0], expected)
    # at step 0 the LIF reads LayerNorm at rest = LN(b) (LN(0) = 0 would give no spike at all)
    np.testing.assert_array_equal(expected[0], (layer_norm(B_IN.astype(np.float64)) > 1.0).astype(float))
    assert expected[0].sum() == 1
    trace = simulate_trace(linear_norm_lif(), {"x": xs}, mode="delayed")
    assert trace["ln"].shape == (12, 1, 4)


# ---------------------------------------------------------------------- a bias on a loop
W_REC = np.array([[0.5, -0.25, 0.0], [0.125, 0.5, -0.5], [0.25, 0.0, 0.375]], f32)
B_REC = np.array([1.5, 0.25, -0.5], f32)


def recurrent(mark_on: str):
    """x -> lif <-> rec (a biased Linear); the feedback mark on rec's out-edge (rec -> lif) or its in-edge
    (lif -> rec; rec declared first so that this edge points backwards)."""
    rec = snnir.Linear(id="rec", weight=W_REC, bias=B_REC)
    lif = snnir.LIF(id="lif", shape=(3,), decay=0.5, threshold=1.0)
    loop = [lif, rec] if mark_on == "out" else [rec, lif]
    nodes = [snnir.Input(id="x", shape=(3,)), *loop, snnir.Output(id="y")]
    edges = [snnir.Edge("x", "lif"), snnir.Edge("lif", "rec", feedback=mark_on == "in"),
             snnir.Edge("rec", "lif", feedback=mark_on == "out"), snnir.Edge("lif", "y")]
    return snnir.Graph(nodes=nodes, edges=edges)


def recurrent_by_hand(xs):
    """snnTorch's recurrent layer (straight mode): rec_t = W s_{t−1} + b with s_{−1} = 0, so rec's value
    before step 0 is its bias; u = β v + x_t + rec;  s = H(u − 1);  v ← u − s."""
    v, s = np.zeros(3), np.zeros(3)
    out = []
    for x in xs:
        u = 0.5 * v + x + (W_REC @ s + B_REC)
        s = (u > 1.0).astype(float)
        v = u - s
        out.append(s)
    return np.array(out)


@pytest.mark.parametrize("mark_on", ["out", "in"])
def test_a_biased_linear_on_a_loop_reads_its_bias_at_step_0_wherever_the_mark_falls(mark_on):
    graph = recurrent(mark_on)
    assert snnir.compile(graph).feedback_edges == ((("rec", "lif"),) if mark_on == "out" else (("lif", "rec"),))
    xs = binary((16, 2, 3), seed=3) * 0.5
    refs = check_everywhere(graph, {"x": xs})
    for b in range(2):
        np.testing.assert_array_equal(refs["straight"]["y"][:, b], recurrent_by_hand(xs[:, b].astype(np.float64)))
    np.testing.assert_array_equal(refs["straight"]["y"][0, :, 0], [1.0, 1.0])  # b = 1.5 > 1 fires at step 0


def test_both_mark_placements_compute_the_same():
    xs = {"x": binary((16, 2, 3), seed=4) * 0.5}
    for mode in MODES:
        for strategy in STRATEGIES:
            np.testing.assert_array_equal(run(recurrent("out"), xs, mode, strategy)["y"],
                                          run(recurrent("in"), xs, mode, strategy)["y"])


# ---------------------------------------------------------------------- delays
W2 = np.array([[0.5, 0.25], [-0.125, 0.75]], f32)
B2 = np.array([0.5, -0.25], f32)


def _li_of(drive):
    v, out = np.zeros(drive.shape[1:]), []
    for d in drive:
        v = 0.5 * v + d
        out.append(v)
    return np.array(out)


def test_an_edge_with_delay_3_out_of_a_biased_linear_reads_the_bias_for_three_steps():
    graph = snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), snnir.Linear(id="lin", weight=W2, bias=B2),
                               snnir.LI(id="li", shape=(2,), decay=0.5), snnir.Output(id="y")],
                        edges=[("x", "lin"), snnir.Edge("lin", "li", delay=3), ("li", "y")])
    xs = binary((10, 2, 2), seed=5)
    refs = check_everywhere(graph, {"x": xs})
    lin = xs.astype(np.float64) @ W2.T + B2
    for mode, extra in (("straight", 0), ("delayed", 1)):
        k = 3 + extra
        drive = np.concatenate([np.broadcast_to(B2, (k, 2, 2)), lin[:-k]])
        np.testing.assert_array_equal(refs[mode]["y"], _li_of(drive))
    prog = snnir.compile(graph)
    history = np.asarray(prog.init_state((4,))["lin"]["out_history"])
    assert history.shape == (4, 3, 2)
    np.testing.assert_array_equal(history, np.broadcast_to(B2, (4, 3, 2)))


def test_a_delay_node_after_a_biased_linear_starts_with_the_bias_in_its_buffer():
    steps = np.array([1, 2], np.int32)
    graph = snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), snnir.Linear(id="lin", weight=W2, bias=B2),
                               snnir.Delay(id="dl", steps=steps), snnir.LI(id="li", shape=(2,), decay=0.5),
                               snnir.Output(id="y")],
                        edges=[("x", "lin"), ("lin", "dl"), ("dl", "li"), ("li", "y")])
    xs = binary((10, 2, 2), seed=6)
    refs = check_everywhere(graph, {"x": xs})
    lin = xs.astype(np.float64) @ W2.T + B2
    for mode, extra in (("straight", 0), ("delayed", 2)):
        drive = np.empty_like(lin)
        for i, d in enumerate(steps + extra):
            drive[:, :, i] = np.concatenate([np.full((d, 2), B2[i]), lin[:-d, :, i]])
        np.testing.assert_array_equal(refs[mode]["y"], _li_of(drive))
    buffer = np.asarray(snnir.compile(graph).init_state((3,))["dl"]["buffer"])
    np.testing.assert_array_equal(buffer, np.broadcast_to(B2, (3, 2, 2)))


# ---------------------------------------------------------------------- cycles of stateless nodes
def test_a_stateless_self_loop_rests_at_its_bias():
    graph = snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), snnir.Linear(id="lin", weight=W2, bias=B2),
                               snnir.Output(id="y")],
                        edges=[("x", "lin"), snnir.Edge("lin", "lin", feedback=True), ("lin", "y")])
    assert snnir.compile(graph).feedback_edges == (("lin", "lin"),)
    xs = binary((6, 2, 2), seed=7)
    refs = check_everywhere(graph, {"x": xs})
    # the loop's own read has no rest value yet when lin settles: it adds 0, so lin rests at W·0 + b
    prev, expected = np.broadcast_to(B2.astype(np.float64), (2, 2)), []
    for x in xs.astype(np.float64):
        prev = (x + prev) @ W2.T + B2
        expected.append(prev)
    for mode in MODES:
        np.testing.assert_array_equal(refs[mode]["y"], np.array(expected))


def test_in_a_two_node_stateless_cycle_the_later_node_rests_on_the_earlier_ones_rest():
    wa, ba = np.array([[0.5, 0.0], [0.25, 0.5]], f32), np.array([0.25, 0.5], f32)
    wb, bb = np.array([[0.0, 0.5], [0.5, 0.0]], f32), np.array([-0.125, 0.125], f32)
    graph = snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), snnir.Linear(id="a", weight=wa, bias=ba),
                               snnir.Linear(id="b", weight=wb, bias=bb), snnir.Output(id="y")],
                        edges=[("x", "a"), ("a", "b"), snnir.Edge("b", "a", feedback=True), ("b", "y")])
    assert snnir.compile(graph).feedback_edges == (("b", "a"),)
    xs = binary((6, 1, 2), seed=8)
    refs = check_everywhere(graph, {"x": xs})
    # schedule a, b: a settles first, reading b (not at rest yet) as 0: a_rest = ba; b_rest = wb·ba + bb
    a_rest = ba.astype(np.float64)
    b_prev = wb @ a_rest + bb
    expected = []
    for x in xs[:, 0].astype(np.float64):  # straight mode: a reads b one step late, b reads a now
        a = wa @ (x + b_prev) + ba
        b_prev = wb @ a + bb
        expected.append(b_prev)
    np.testing.assert_array_equal(refs["straight"]["y"][:, 0], np.array(expected))
    a_prev, b_prev, expected = a_rest, wb @ a_rest + bb, []
    for x in xs[:, 0].astype(np.float64):  # delayed mode: both inner edges read the last step
        a_prev, b_prev = wa @ (x + b_prev) + ba, wb @ a_prev + bb
        expected.append(b_prev)
    np.testing.assert_array_equal(refs["delayed"]["y"][:, 0], np.array(expected))


# ---------------------------------------------------------------------- user layers and batch shapes
class RandomStart(snnir.StatefulLayer):
    """state [v, s]: v ← v/2 + x, s = v (its output); both start at one random draw from the init key."""

    def init_state(self, shape, key, *args, **kwargs):
        start = jax.random.uniform(key, shape)
        return [start, start]

    def __call__(self, state, x, *, key=None):
        v = 0.5 * state[0] + x
        return [v, v], v


def test_a_user_layer_rests_at_the_last_element_of_its_initial_state_for_any_batch_shape():
    graph = snnir.Graph(nodes=[snnir.Input(id="x", shape=(3,)), snnir.Custom(id="c", module=RandomStart()),
                               snnir.LI(id="li", shape=(3,), decay=0.5), snnir.Output(id="y")],
                        edges=[("x", "c"), snnir.Edge("c", "li", delay=1), ("li", "y")])
    xs = jnp.zeros((3, 2, 3, 3))
    for strategy in STRATEGIES:
        prog = snnir.compile(graph, strategy=strategy)
        for key in (jax.random.key(5), None):
            state = prog.init_state((2, 3), key=key)
            start = np.asarray(state["c"]["s1"])
            assert start.shape == (2, 3, 3) and (start > 0).all()
            np.testing.assert_array_equal(np.asarray(state["c"]["out_history"])[:, :, 0], start)
            _, ys = prog(state, xs)
            np.testing.assert_allclose(np.asarray(ys["y"][0]), start, rtol=1e-6)  # li reads c at rest: s1


def test_a_stateless_equinox_module_rests_at_its_response():
    lin = eqx.nn.Linear(2, 2, key=jax.random.key(0))
    graph = snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), snnir.Custom(id="m", module=lin),
                               snnir.LI(id="li", shape=(2,), decay=0.5), snnir.Output(id="y")],
                        edges=[("x", "m"), snnir.Edge("m", "li", delay=2), ("li", "y")])
    for strategy in STRATEGIES:
        prog = snnir.compile(graph, strategy=strategy)
        _, ys = prog(prog.init_state(()), jnp.zeros((2, 2)))
        bias = np.asarray(lin.bias, np.float64)
        np.testing.assert_allclose(np.asarray(ys["y"]), [bias, 1.5 * bias], rtol=1e-6)


def test_rest_values_are_computed_once_into_the_initial_state():
    """init_state computes them (outside the time loop) into the history buffers the steps read."""
    prog = snnir.compile(linear_norm_lif(), mode="delayed", strategy="fused-scan")
    state = prog.init_state((2,))
    np.testing.assert_allclose(np.asarray(state["ln"]["out_history"][:, 0]),
                               np.broadcast_to(layer_norm(B_IN.astype(np.float64)), (2, 4)), rtol=1e-5)
    assert prog.rest_order == ("x", "lin", "ln")  # only what some buffer needs (lif -> y has no delay)
    chunked = prog.step(state, jnp.zeros((2, 3)))[1]["y"]
    np.testing.assert_array_equal(np.asarray(chunked), run(linear_norm_lif(), {"x": np.zeros((1, 2, 3), f32)},
                                                               "delayed", "fused-scan")["y"][0])


def test_gradients_reach_a_bias_through_its_rest_value():
    graph = snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), snnir.Linear(id="lin", weight=W2, bias=B2),
                               snnir.LI(id="li", shape=(2,), decay=0.5), snnir.Output(id="y")],
                        edges=[("x", "lin"), snnir.Edge("lin", "li", delay=1), ("li", "y")])
    for strategy in STRATEGIES:
        prog = snnir.compile(graph, strategy=strategy)

        @eqx.filter_grad
        def grad(p):  # one step: y_0 = v_0 = lin at rest = b, so d(sum y)/db = 1
            return p(p.init_state((3,)), jnp.zeros((1, 3, 2)))[1]["y"].sum()

        np.testing.assert_allclose(np.asarray(grad(prog).kernels["lin"].bias), [3.0, 3.0])


@pytest.mark.parametrize("order", [("x", "lin", "dl", "y"), ("x", "dl", "lin", "y")])
def test_a_delay_node_in_a_loop_holds_the_linears_rest_value(order):
    """x -> lin -> dl (Delay of 1 and 2 steps) -> lin: the cycle needs no mark (the Delay has no
    feedthrough); lin settles first in straight mode (it comes first in the schedule whatever the
    declaration order), reading dl as 0: lin rests at b, and dl's buffer holds b."""
    nodes = {"x": snnir.Input(id="x", shape=(2,)), "lin": snnir.Linear(id="lin", weight=W2, bias=B2),
             "dl": snnir.Delay(id="dl", steps=np.array([1, 2], np.int32)), "y": snnir.Output(id="y")}
    graph = snnir.Graph(nodes=[nodes[k] for k in order], edges=[("x", "lin"), ("lin", "dl"), ("dl", "lin"),
                                                               ("lin", "y")])
    assert snnir.compile(graph).feedback_edges == ()
    xs = binary((8, 2, 2), seed=9)
    refs = check_everywhere(graph, {"x": xs})
    past = [np.broadcast_to(B2.astype(np.float64), (2, 2))] * 2  # lin before step 0: its rest value b
    for x in xs.astype(np.float64):
        read = np.stack([past[-1][:, 0], past[-2][:, 1]], -1)  # element 0 one step late, element 1 two
        past.append((x + read) @ W2.T + B2)
    expected = np.array(past[2:])
    np.testing.assert_array_equal(refs["straight"]["y"], expected)
