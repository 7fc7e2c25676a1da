"""The reference simulator is the oracle of the equivalence tests, so it gets its own hand-derived checks.

Every expected sequence below is worked out by hand in the comments, with dyadic numbers (k/8, decays
.5/.75/.875, integer thresholds) so that every value is exact and the checks compare with ==.
"""

from __future__ import annotations

import numpy as np
import pytest

from reference_sim import UnbrokenCycleError, edge_delays, simulate, simulate_ports, simulate_trace
from snnir.ir import IF, LI, LIF, CubaLIF, Delay, Edge, Flatten, Graph, Input, Linear, Output, Scale


def column(seq) -> np.ndarray:
    """A scalar sequence as inputs [T, B=1, 1]."""
    return np.asarray(seq, dtype=np.float64).reshape(-1, 1, 1)


def through(node, seq, port="out", mode="straight"):
    """Run Input -> node -> Output (reading ``port``) on a scalar sequence; returns the output as [T]."""
    g = Graph(nodes=[Input(id="x", shape=(1,)), node, Output(id="y")],
              edges=[Edge("x", node.id), Edge(node.id, "y", src_port=port)])
    return simulate(g, {"x": column(seq)}, mode)["y"][:, 0, 0]


def both(node, seq):
    """Spikes and stored membrane of a neuron on a scalar sequence."""
    return through(node, seq, "out"), through(node, seq, "v")


# ------------------------------------------------------------------------------------------------- LIF
def test_lif_subtract_reset():
    # beta = .5, theta = 1, u = .5 v + x, s = [u > 1], v = u - s
    # t0: u = 1            s = 0 (1 is not > 1)  v = 1
    # t1: u = .5 + 1 = 1.5 s = 1                v = .5
    # t2: u = .25 + .5     s = 0                v = .75
    # t3: u = .375         s = 0                v = .375
    # t4: u = .1875 + 2    s = 1                v = 1.1875
    # t5: u = .59375       s = 0                v = .59375
    s, v = both(LIF(id="n", shape=(1,), decay=0.5, threshold=1.0), [1, 1, 0.5, 0, 2, 0])
    np.testing.assert_array_equal(s, [0, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(v, [1, 0.5, 0.75, 0.375, 1.1875, 0.59375])


def test_lif_fire_at_threshold():
    # as above but H(0) = 1: t0 u = 1 fires, v = 0; t1 u = 1 fires, v = 0; t2 u = .5; t3 u = .25;
    # t4 u = .125 + 2 = 2.125 fires, v = 1.125; t5 u = .5625
    s, v = both(LIF(id="n", shape=(1,), decay=0.5, fire_at_threshold=True), [1, 1, 0.5, 0, 2, 0])
    np.testing.assert_array_equal(s, [1, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(v, [0, 0, 0.5, 0.25, 1.125, 0.5625])


@pytest.mark.parametrize("reset, extra, v_expected", [
    # beta = .75, theta = 1, inputs 1.5, .5, 0, 2
    # zero:      t0 u = 1.5 fires, v = 0;   t1 u = .5;       t2 u = .375;     t3 u = .28125 + 2 fires, v = 0
    ("zero", {}, [0, 0.5, 0.375, 0]),
    # to_value .25: v = .25 after each spike; t1 u = .1875 + .5 = .6875; t2 .515625;
    #               t3 u = .38671875 + 2 = 2.38671875 fires, v = .25
    ("to_value", {"reset_value": 0.25}, [0.25, 0.6875, 0.515625, 0.25]),
    # none:      t0 u = 1.5 fires, v = 1.5; t1 u = 1.125 + .5 = 1.625 fires; t2 u = 1.21875 fires;
    #            t3 u = .9140625 + 2 = 2.9140625 fires
    ("none", {}, [1.5, 1.625, 1.21875, 2.9140625]),
    # subtract:  t0 v = .5; t1 u = .375 + .5 = .875; t2 u = .65625; t3 u = .4921875 + 2 fires, v = 1.4921875
    ("subtract", {}, [0.5, 0.875, 0.65625, 1.4921875]),
])
def test_lif_reset_modes(reset, extra, v_expected):
    node = LIF(id="n", shape=(1,), decay=0.75, reset=reset, **extra)
    s, v = both(node, [1.5, 0.5, 0, 2])
    spikes = [1, 1, 1, 1] if reset == "none" else [1, 0, 0, 1]
    np.testing.assert_array_equal(s, spikes)
    np.testing.assert_array_equal(v, v_expected)


def test_lif_one_minus_decay_input_scale():
    # beta = .75, g = .25: t0 u = 1 (no spike), t1 u = .75 + 1 = 1.75 fires, v = .75; t2 u = .5625
    s, v = both(LIF(id="n", shape=(1,), decay=0.75, input_scale="one_minus_decay"), [4, 4, 0])
    np.testing.assert_array_equal(s, [0, 1, 0])
    np.testing.assert_array_equal(v, [1, 0.75, 0.5625])


def test_lif_reset_at_next_step():
    # beta = .5, theta = 1, subtract; p = [stored v > 1] resets this step's u before the spike test
    # t0: p = 0  u = 2                 s = 1  v = 2
    # t1: p = 1  u = 1 + 0 - 1 = 0     s = 0  v = 0
    # t2: p = 0  u = 0                 s = 0  v = 0
    # t3: p = 0  u = 1.5               s = 1  v = 1.5
    # t4: p = 1  u = .75 - 1 = -.25    s = 0  v = -.25
    s, v = both(LIF(id="n", shape=(1,), decay=0.5, reset_at="next"), [2, 0, 0, 1.5, 0])
    np.testing.assert_array_equal(s, [1, 0, 0, 1, 0])
    np.testing.assert_array_equal(v, [2, 0, 0, 1.5, -0.25])


def test_lif_reset_at_next_step_zero_reset():
    # zero reset at the next step: t0 u = 2 fires, v = 2; t1 p = 1, u = (1 + .5)(1 - 1) = 0, v = 0;
    # t2 u = .5; t3 u = .25 + 1 = 1.25 fires, v = 1.25; t4 p = 1, u = .625 - .625 = 0
    s, v = both(LIF(id="n", shape=(1,), decay=0.5, reset="zero", reset_at="next"), [2, 0.5, 0.5, 1, 0])
    np.testing.assert_array_equal(s, [1, 0, 0, 1, 0])
    np.testing.assert_array_equal(v, [2, 0, 0.5, 1.25, 0])


def test_spike_from_pre_lags_post_by_one_step():
    # post: t0 u = 2 fires, v = 1; t1 .5; t2 .25; t3 u = .125 + 2 fires, v = 1.125; t4 .5625; t5 .28125
    # pre:  t0 s = [0 > 1] = 0, v = 2; t1 s = [2 > 1] = 1, v = 1 - 1 = 0; t2 s = 0, v = 0;
    #       t3 s = 0, v = 2; t4 s = 1, v = 0; t5 s = 0
    seq = [2, 0, 0, 2, 0, 0]
    post, _ = both(LIF(id="n", shape=(1,), decay=0.5), seq)
    pre, v_pre = both(LIF(id="n", shape=(1,), decay=0.5, spike_from="pre"), seq)
    np.testing.assert_array_equal(post, [1, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(pre, [0, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(v_pre, [2, 0, 0, 2, 0, 0])


def test_per_neuron_parameters_broadcast():
    # two neurons: (beta, theta) = (.5, 1) and (.875, 2), input 1 every step
    # n0: u = 1, 1.5 fires (v .5), 1.25 fires (v .25), 1.125 fires
    # n1: u = 1, 1.875, 2.640625 fires (v .640625), 1.560546875
    node = LIF(id="n", shape=(2,), decay=[0.5, 0.875], threshold=[1.0, 2.0])
    g = Graph(nodes=[Input(id="x", shape=(2,)), node, Output(id="s"), Output(id="v")],
              edges=[("x", "n"), ("n", "s"), Edge("n", "v", src_port="v")])
    ys = simulate(g, {"x": np.ones((4, 1, 2))})
    np.testing.assert_array_equal(ys["s"][:, 0], [[0, 0], [1, 0], [1, 1], [1, 0]])
    np.testing.assert_array_equal(ys["v"][:, 0], [[1, 1], [0.5, 1.875], [0.25, 0.640625], [0.125, 1.560546875]])


# ------------------------------------------------------------------------------------------------- IF, LI, CubaLIF
def test_if_integrates_without_leak():
    # theta = 2: v = 1, 2 (not > 2), 3 fires -> 1, 2, 1, 4 fires -> 2
    s, v = both(IF(id="n", shape=(1,), threshold=2.0), [1, 1, 1, 1, -1, 3])
    np.testing.assert_array_equal(s, [0, 0, 1, 0, 0, 1])
    np.testing.assert_array_equal(v, [1, 2, 1, 2, 1, 2])


def test_if_fire_at_threshold():
    # H(0) = 1: v = 1, 2 fires -> 0, 1, 2 fires -> 0, -1, 2 fires -> 0
    s, v = both(IF(id="n", shape=(1,), threshold=2.0, fire_at_threshold=True), [1, 1, 1, 1, -1, 3])
    np.testing.assert_array_equal(s, [0, 1, 0, 1, 0, 1])
    np.testing.assert_array_equal(v, [1, 0, 1, 0, -1, 0])


def test_li_readout():
    # v = .75 v + x: 1, .75, .5625, .421875 + 1
    np.testing.assert_array_equal(through(LI(id="n", shape=(1,), decay=0.75), [1, 0, 0, 1]),
                                  [1, 0.75, 0.5625, 1.421875])
    # g = 1 - .75: .25, .1875, .140625, .10546875 + .25
    np.testing.assert_array_equal(
        through(LI(id="n", shape=(1,), decay=0.75, input_scale="one_minus_decay"), [1, 0, 0, 1]),
        [0.25, 0.1875, 0.140625, 0.35546875])


def test_cuba_lif():
    # alpha = beta = .5, theta = 1; i = .5 i + x, u = .5 v + i
    # t0: i = 2    u = 2              fires  v = 1
    # t1: i = 1    u = .5 + 1 = 1.5   fires  v = .5
    # t2: i = .5   u = .25 + .5 = .75        v = .75
    # t3: i = .25  u = .375 + .25 = .625     v = .625
    node = CubaLIF(id="n", shape=(1,), syn_decay=0.5, mem_decay=0.5)
    seq = [2, 0, 0, 0]
    np.testing.assert_array_equal(through(node, seq), [1, 1, 0, 0])
    np.testing.assert_array_equal(through(node, seq, "v"), [1, 0.5, 0.75, 0.625])
    np.testing.assert_array_equal(through(node, seq, "i"), [2, 1, 0.5, 0.25])


def test_cuba_lif_one_minus_decay_and_pre():
    # alpha = .5, beta = .75, g_a = .5, g_b = .25, pre spikes, theta = 1
    # t0: s = 0  i = 4            u = 1                      v = 1
    # t1: s = 0  i = 2 + 4 = 6    u = .75 + 1.5 = 2.25        v = 2.25
    # t2: s = 1  i = 3            u = 1.6875 + .75 = 2.4375   v = 1.4375
    # t3: s = 1  i = 1.5          u = 1.078125 + .375         v = .453125
    node = CubaLIF(id="n", shape=(1,), syn_decay=0.5, mem_decay=0.75, input_scale="one_minus_decay",
                   spike_from="pre")
    seq = [8, 8, 0, 0]
    np.testing.assert_array_equal(through(node, seq), [0, 0, 1, 1])
    np.testing.assert_array_equal(through(node, seq, "v"), [1, 2.25, 1.4375, 0.453125])
    np.testing.assert_array_equal(through(node, seq, "i"), [4, 6, 3, 1.5])


# ------------------------------------------------------------------------------------------------- stateless kinds
def test_linear_scale_flatten():
    # x = [[1, 2], [3, 4]] flattened to [1, 2, 3, 4]; W = [[1, 0, 0, .5], [0, -1, .25, 0]], b = [.5, 0]
    # y = [1 + 2 + .5, -2 + .75] = [3.5, -1.25]; Scale .5 gives [1.75, -.625]
    g = Graph(nodes=[Input(id="x", shape=(2, 2)), Flatten(id="f"),
                     Linear(id="l", weight=[[1, 0, 0, 0.5], [0, -1, 0.25, 0]], bias=[0.5, 0]),
                     Scale(id="s", scale=0.5), Output(id="y")],
              edges=[("x", "f"), ("f", "l"), ("l", "s"), ("s", "y")])
    ys = simulate(g, {"x": np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)})
    np.testing.assert_array_equal(ys["y"], [[[1.75, -0.625]]])


def test_flatten_inner_axes():
    g = Graph(nodes=[Input(id="x", shape=(2, 3, 4)), Flatten(id="f", start_dim=1), Output(id="y")],
              edges=[("x", "f"), ("f", "y")])
    x = np.arange(2 * 5 * 24.0).reshape(2, 5, 2, 3, 4)
    np.testing.assert_array_equal(simulate(g, {"x": x})["y"], x.reshape(2, 5, 2, 12))


def test_several_edges_into_one_port_are_summed():
    g = Graph(nodes=[Input(id="a", shape=(1,)), Input(id="b", shape=(1,)), Output(id="y")],
              edges=[("a", "y"), ("b", "y"), Edge("a", "y", delay=1)])
    ys = simulate(g, {"a": column([1, 2, 4]), "b": column([0.5, 0.25, 0.125])})
    # y_t = a_t + b_t + a_{t-1}
    np.testing.assert_array_equal(ys["y"][:, 0, 0], [1.5, 3.25, 6.125])


# ------------------------------------------------------------------------------------------------- delays
def test_delay_node_scalar_and_per_element():
    seq = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]], dtype=float).reshape(4, 1, 3)
    for delay, expected in [
        (2, [[0, 0, 0], [0, 0, 0], [1, 2, 3], [4, 5, 6]]),
        # element i is delayed by i steps
        ([0, 1, 2], [[1, 0, 0], [4, 2, 0], [7, 5, 3], [10, 8, 6]]),
    ]:
        g = Graph(nodes=[Input(id="x", shape=(3,)), Delay(id="d", steps=delay), Output(id="y")],
                  edges=[("x", "d"), ("d", "y")])
        np.testing.assert_array_equal(simulate(g, {"x": seq})["y"][:, 0], expected)


def test_edge_delay_two_steps():
    g = Graph(nodes=[Input(id="x", shape=(1,)), Scale(id="s", scale=2.0), Output(id="y")],
              edges=[Edge("x", "s", delay=2), ("s", "y")])
    np.testing.assert_array_equal(simulate(g, {"x": column([1, 2, 3, 4, 5])})["y"][:, 0, 0], [0, 0, 2, 4, 6])


def _self_exciting(feedback=False, delay=0, spike_from="post"):
    """x -> lif <-> rec (Scale 1): lif's input is x_t + its own spikes through the loop."""
    return Graph(nodes=[Input(id="x", shape=(1,)), LIF(id="lif", shape=(1,), decay=0.5, spike_from=spike_from),
                        Scale(id="rec", scale=1.0), Output(id="y"), Output(id="v")],
                 edges=[("x", "lif"), ("lif", "rec"), Edge("rec", "lif", delay=delay, feedback=feedback),
                        ("lif", "y"), Edge("lif", "v", src_port="v")])


def test_cycle_with_feedback_mark_reads_previous_step():
    # input to lif at t: x_t + s_{t-1}; beta = .5, theta = 1
    # t0: u = 1.5 fires, v = .5;  t1: u = .25 + 1 fires, v = .25;  t2: u = .125 + 1 fires, v = .125; ...
    xs = {"x": column([1.5, 0, 0, 0, 0])}
    for g in (_self_exciting(feedback=True), _self_exciting(delay=1)):
        ys = simulate(g, xs)
        np.testing.assert_array_equal(ys["y"][:, 0, 0], [1, 1, 1, 1, 1])
        np.testing.assert_array_equal(ys["v"][:, 0, 0], [0.5, 0.25, 0.125, 0.0625, 0.03125])


def test_feedback_mark_adds_to_an_explicit_delay():
    # delay 1 plus the mark: the loop takes two steps; t0 fires (v .5), t1 u = .25 (no input yet),
    # t2 u = .125 + 1 fires (v .125), t3 u = .0625, t4 u = .03125 + 1 fires
    ys = simulate(_self_exciting(feedback=True, delay=1), {"x": column([1.5, 0, 0, 0, 0])})
    np.testing.assert_array_equal(ys["y"][:, 0, 0], [1, 0, 1, 0, 1])


def test_unmarked_zero_delay_cycle_is_an_error():
    with pytest.raises(UnbrokenCycleError, match="lif"):
        simulate(_self_exciting(), {"x": column([1, 0])})


def test_pre_spiking_neuron_breaks_a_cycle():
    # the spikes at t come from the stored membrane, so the loop needs no mark, and they come back within
    # the same step: input at t = x_t + s_t
    # t0: s = 0             u = 1.5              v = 1.5
    # t1: s = [1.5 > 1] = 1 u = .75 + 0 + 1      v = 1.75 - 1 = .75
    # t2: s = 0             u = .375             v = .375
    # t3: s = 0             u = .1875            v = .1875
    ys = simulate(_self_exciting(spike_from="pre"), {"x": column([1.5, 0, 0, 0])})
    np.testing.assert_array_equal(ys["y"][:, 0, 0], [0, 1, 0, 0])
    np.testing.assert_array_equal(ys["v"][:, 0, 0], [1.5, 0.75, 0.375, 0.1875])


def test_delay_node_breaks_a_cycle():
    # x -> s (Scale 1) -> d (Delay 1) -> s: s_t = x_t + s_{t-1}, a running sum
    g = Graph(nodes=[Input(id="x", shape=(1,)), Scale(id="s", scale=1.0), Delay(id="d", steps=1), Output(id="y")],
              edges=[("x", "s"), ("s", "d"), ("d", "s"), ("s", "y")])
    np.testing.assert_array_equal(simulate(g, {"x": column([1, 2, 4, 8])})["y"][:, 0, 0], [1, 3, 7, 15])


def test_declaration_order_does_not_change_values():
    g = _self_exciting(feedback=True)
    shuffled = g.replace(nodes=tuple(reversed(g.nodes)))
    xs = {"x": column([1.5, 0, 1, 0])}
    for key, value in simulate_trace(g, xs).items():
        np.testing.assert_array_equal(simulate_trace(shuffled, xs)[key], value)


def test_no_feedthrough_ports_match_the_ir():
    """The simulator decides on its own which ports are known at the start of a step; it must agree with
    what each kind declares."""
    def early(node):
        g = Graph(nodes=[Input(id="x", shape=(1,)), node, Output(id="y")],
                  edges=[("x", node.id), (node.id, "y")])
        # no feedthrough <=> a zero-delay self-loop through the node is fine
        looped = g.replace(edges=g.edges + (Edge(node.id, node.id),))
        try:
            simulate(looped, {"x": column([1, 0])})
            return True
        except UnbrokenCycleError:
            return False

    for node in [LIF(id="n", shape=(1,), decay=0.5), LIF(id="n", shape=(1,), decay=0.5, spike_from="pre"),
                 IF(id="n", shape=(1,), spike_from="pre"),
                 CubaLIF(id="n", shape=(1,), syn_decay=0.5, mem_decay=0.5, spike_from="pre"),
                 LI(id="n", shape=(1,), decay=0.5), Delay(id="n", steps=1), Delay(id="n", steps=[0]),
                 Scale(id="n", scale=1.0)]:
        assert early(node) == (not node.feedthrough("out")), node


# ------------------------------------------------------------------------------------------------- delayed mode
def _scale_chain():
    return Graph(nodes=[Input(id="x", shape=(1,)), Scale(id="a", scale=1.0), Scale(id="b", scale=2.0),
                        Scale(id="c", scale=1.0), Output(id="y")],
                 edges=[("x", "a"), ("a", "b"), ("b", "c"), ("c", "y")])


def test_delayed_mode_delays_edges_between_layers():
    # x -> a -> b -> c -> y: a->b and b->c take one step each in delayed mode; x->a and c->y do not
    xs = {"x": column([1, 0, 0, 0])}
    np.testing.assert_array_equal(simulate(_scale_chain(), xs, "straight")["y"][:, 0, 0], [2, 0, 0, 0])
    np.testing.assert_array_equal(simulate(_scale_chain(), xs, "delayed")["y"][:, 0, 0], [0, 0, 2, 0])
    trace = simulate_trace(_scale_chain(), xs, "delayed")
    np.testing.assert_array_equal(trace["a"][:, 0, 0], [1, 0, 0, 0])
    np.testing.assert_array_equal(trace["b"][:, 0, 0], [0, 2, 0, 0])


def test_delayed_mode_edge_delays():
    g = Graph(nodes=[Input(id="x", shape=(1,)), Scale(id="a", scale=1.0), Scale(id="b", scale=1.0), Output(id="y")],
              edges=[Edge("x", "a", delay=1), Edge("a", "b", delay=2), Edge("b", "a", feedback=True),
                     Edge("b", "y"), Edge("x", "y")])
    # straight: x->a 1, a->b 2, b->a 0+mark = 1, b->y 0, x->y 0; delayed: internal edges get exactly + 1
    assert edge_delays(g, "straight") == [1, 2, 1, 0, 0]
    assert edge_delays(g, "delayed") == [1, 3, 1, 0, 0]


def test_delayed_mode_cycle_needs_no_mark():
    # in delayed mode the loop lif -> rec -> lif takes two steps, whatever the mark says
    xs = {"x": column([1.5, 0, 0, 0, 0])}
    ys = simulate(_self_exciting(), xs, "delayed")
    np.testing.assert_array_equal(ys["y"][:, 0, 0], [1, 0, 1, 0, 1])
    np.testing.assert_array_equal(simulate(_self_exciting(feedback=True), xs, "delayed")["y"], ys["y"])


# ------------------------------------------------------------------------------------------------- lengths, batch
def test_lengths_freeze_and_zero_past_the_end():
    g = Graph(nodes=[Input(id="x", shape=(1,)), LIF(id="n", shape=(1,), decay=0.5), Output(id="y"),
                     Output(id="v")],
              edges=[("x", "n"), ("n", "y"), Edge("n", "v", src_port="v"), Edge("x", "v", delay=1)])
    x = np.array([[1.0, 2.0], [1.0, 2.0], [0.5, 0.0], [0.0, 1.0], [2.0, 2.0]]).reshape(5, 2, 1)
    full = simulate_ports(g, {"x": x})
    padded = simulate_ports(g, {"x": x}, lengths=[3, 5])
    for port, value in full.items():
        np.testing.assert_array_equal(padded[port][:3, 0], value[:3, 0])
        np.testing.assert_array_equal(padded[port][3:, 0], 0)
        np.testing.assert_array_equal(padded[port][:, 1], value[:, 1])


def test_batch_samples_are_independent():
    g = _self_exciting(feedback=True)
    x = np.array([[1.5, 0.5], [0, 1], [0, 0], [1, 0]]).reshape(4, 2, 1)
    both_ = simulate(g, {"x": x})
    for b in range(2):
        one = simulate(g, {"x": x[:, b:b + 1]})
        for key in both_:
            np.testing.assert_array_equal(both_[key][:, b:b + 1], one[key])


def test_float32_arithmetic_matches_on_dyadic_data():
    ys64 = simulate(_self_exciting(feedback=True), {"x": column([1.5, 0, 1, 0.25])})
    ys32 = simulate(_self_exciting(feedback=True), {"x": column([1.5, 0, 1, 0.25])}, dtype=np.float32)
    assert ys32["v"].dtype == np.float32
    for key in ys64:
        np.testing.assert_array_equal(ys32[key], ys64[key])


def test_lengths_keep_samples_independent_through_every_kind():
    """A short sample must not disturb a longer one, whatever state its nodes keep."""
    g = Graph(nodes=[Input(id="x", shape=(3,)), Delay(id="d", steps=[0, 1, 2]),
                     CubaLIF(id="c", shape=(3,), syn_decay=0.5, mem_decay=0.75, reset_at="next"),
                     LIF(id="p", shape=(3,), decay=0.5, spike_from="pre"), LI(id="li", shape=(3,), decay=0.5),
                     Output(id="y"), Output(id="v"), Output(id="i"), Output(id="r")],
              edges=[("x", "d"), ("d", "c"), Edge("c", "p", delay=2), ("p", "li"), ("p", "y"),
                     Edge("c", "v", src_port="v"), Edge("c", "i", src_port="i"), ("li", "r")])
    rng = np.random.default_rng(0)
    x = rng.integers(-4, 8, size=(6, 3, 3)) / 4
    full = simulate_ports(g, {"x": x})
    padded = simulate_ports(g, {"x": x}, lengths=[2, 6, 4])
    for b, n in enumerate([2, 6, 4]):
        for port, value in full.items():
            np.testing.assert_array_equal(padded[port][:n, b], value[:n, b], err_msg=str(port))
            np.testing.assert_array_equal(padded[port][n:, b], 0, err_msg=str(port))
