"""Hand-checked timing: latency of chains in both modes, feedback marks, and the feedback rule."""

import jax.numpy as jnp
import numpy as np
import pytest

import snnir


def _chain(n_layers: int, kind: str = "Scale") -> snnir.Graph:
    """Input -> n_layers feedthrough layers -> Output: n_layers - 1 edges between layers."""
    nodes = [snnir.Input(id="x", shape=(1,))]
    for i in range(n_layers):
        if kind == "Scale":
            nodes.append(snnir.Scale(id=f"l{i}", scale=1.0))
        else:  # a LIF that fires on the same step: threshold below the pulse
            nodes.append(snnir.LIF(id=f"l{i}", shape=(1,), decay=0.5, threshold=0.5))
    nodes.append(snnir.Output(id="y"))
    ids = [n.id for n in nodes]
    return snnir.Graph(nodes=nodes, edges=[snnir.Edge(a, b) for a, b in zip(ids, ids[1:])])


def _pulse_response(graph, mode, T=8):
    prog = snnir.compile(graph, mode=mode)
    xs = np.zeros((T, 1, 1), np.float32)
    xs[0] = 1.0
    _, ys = prog(prog.init_state((1,)), xs)
    return np.asarray(ys["y"][:, 0, 0])


@pytest.mark.parametrize("kind", ["Scale", "LIF"])
@pytest.mark.parametrize("n", [1, 2, 4])
def test_pulse_through_chain_arrives_at_0_straight_and_n_delayed(kind, n):
    graph = _chain(n + 1, kind)  # n + 1 layers, n edges between layers
    straight = _pulse_response(graph, "straight")
    delayed = _pulse_response(graph, "delayed")
    expected_straight = np.zeros(8)
    expected_straight[0] = 1.0
    expected_delayed = np.zeros(8)
    expected_delayed[n] = 1.0
    np.testing.assert_array_equal(straight, expected_straight)
    np.testing.assert_array_equal(delayed, expected_delayed)


def test_edge_delay_adds_steps_in_both_modes():
    g = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(1,)), snnir.Scale(id="a", scale=1.0), snnir.Scale(id="b", scale=1.0),
               snnir.Output(id="y")],
        edges=[("x", "a"), ("a", "b", 3), ("b", "y")])
    assert np.argmax(_pulse_response(g, "straight")) == 3
    assert np.argmax(_pulse_response(g, "delayed")) == 4


def test_spike_from_pre_lags_post_by_one_step():
    def graph(spike_from):
        return snnir.Graph(
            nodes=[snnir.Input(id="x", shape=(1,)),
                   snnir.LIF(id="n", shape=(1,), decay=0.5, threshold=0.5, spike_from=spike_from),
                   snnir.Output(id="y")],
            edges=[("x", "n"), ("n", "y")])

    assert np.argmax(_pulse_response(graph("post"), "straight")) == 0
    assert np.argmax(_pulse_response(graph("pre"), "straight")) == 1


def _two_node_cycle(order):
    """x -> a, a -> b, b -> a with a and b stateful feedthrough LIFs; ``order`` is the declaration order."""
    nodes = {
        "x": snnir.Input(id="x", shape=(1,)),
        "a": snnir.LIF(id="a", shape=(1,), decay=0.5, threshold=1.0),
        "b": snnir.LIF(id="b", shape=(1,), decay=0.5, threshold=1.0, reset="none"),
        "y": snnir.Output(id="y"),
    }
    edges = [("x", "a"), ("a", "b"), ("b", "a"), ("b", "y")]
    return snnir.Graph(nodes=[nodes[i] for i in order], edges=edges)


def test_feedback_rule_follows_declaration_order():
    assert snnir.compile(_two_node_cycle("xaby")).feedback_edges == (("b", "a"),)
    assert snnir.compile(_two_node_cycle("xbay")).feedback_edges == (("a", "b"),)
    assert snnir.analyze(_two_node_cycle("xaby")).feedback_edges == (("b", "a"),)


def test_two_node_cycle_same_output_after_rebuilding_in_the_same_order():
    xs = np.tile(np.array([[1.5], [0.0], [1.5], [1.5], [0.0], [2.0]], np.float32)[:, None], (1, 1, 1))
    first = snnir.compile(_two_node_cycle("xaby"))
    rebuilt = snnir.Graph.model_validate(_two_node_cycle("xaby").model_dump())
    second = snnir.compile(rebuilt)
    _, y1 = first(first.init_state((1,)), xs)
    _, y2 = second(second.init_state((1,)), xs)
    np.testing.assert_array_equal(y1["y"], y2["y"])
    # and the marked graph compiles to the same program: marks are never recomputed
    third = snnir.compile(first.to_graph())
    _, y3 = third(third.init_state((1,)), xs)
    np.testing.assert_array_equal(y1["y"], y3["y"])
    assert third.feedback_edges == first.feedback_edges


def test_cycle_broken_by_a_neuron_without_feedthrough_needs_no_mark():
    g = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(2,)),
               snnir.LIF(id="n", shape=(2,), decay=0.5, spike_from="pre"),
               snnir.Linear(id="rec", weight=np.eye(2, dtype=np.float32)),
               snnir.Output(id="y")],
        edges=[("x", "n"), ("n", "rec"), ("rec", "n"), ("n", "y")])
    assert snnir.compile(g).feedback_edges == ()


def test_explicit_delay_breaks_a_cycle_without_marks():
    g = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(1,)), snnir.Scale(id="a", scale=0.5), snnir.Scale(id="b", scale=1.0),
               snnir.Output(id="y")],
        edges=[("x", "a"), ("a", "b"), ("b", "a", 1), ("a", "y")])
    prog = snnir.compile(g)
    assert prog.feedback_edges == ()
    # a geometric echo: y_t = 0.5 (x_t + y_{t-1})
    np.testing.assert_array_equal(_pulse_response(g, "straight", T=4), [0.5, 0.25, 0.125, 0.0625])


def test_delayed_mode_reports_no_feedback_edges_and_delays_the_loop():
    g = _two_node_cycle("xaby")
    assert snnir.compile(g, mode="delayed").feedback_edges == ()


def test_lengths_freeze_state_and_zero_outputs():
    g = _chain(2, "Scale")
    prog = snnir.compile(g)
    xs = jnp.ones((5, 2, 1))
    _, ys = prog(prog.init_state((2,)), xs, lengths=jnp.array([2, 5]))
    np.testing.assert_array_equal(ys["y"][:, 0, 0], [1, 1, 0, 0, 0])
    np.testing.assert_array_equal(ys["y"][:, 1, 0], [1, 1, 1, 1, 1])


def _bias_into_integrator() -> snnir.Graph:
    lin = snnir.Linear(id="lin", weight=np.eye(2, dtype=np.float32), bias=np.array([0.5, -0.25], np.float32))
    return snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(2,)), lin, snnir.LI(id="li", shape=(2,), decay=0.5), snnir.Output(id="y")],
        edges=[snnir.Edge("x", "lin"), snnir.Edge("lin", "li"), snnir.Edge("li", "y")])


@pytest.mark.parametrize("strategy", ["fused-scan", "layered"])
def test_a_delayed_read_of_a_linear_at_step_0_gives_its_bias(strategy):
    from tests.reference_sim import simulate

    xs = np.zeros((4, 1, 2), np.float32)
    xs[1] = 1.0
    graph = _bias_into_integrator()
    prog = snnir.compile(graph, mode="delayed", strategy=strategy)
    _, ys = prog(prog.init_state((1,)), jnp.asarray(xs))
    # by hand: the LI reads lin one step late; lin at rest (before step 0) is its bias b (its response
    # to the Input's rest value 0); after that W x_{t-1} + b
    b = np.array([0.5, -0.25])
    drive = [b, b, b + 1.0, b]
    v, expected = np.zeros(2), []
    for d in drive:
        v = 0.5 * v + d
        expected.append(v.copy())
    np.testing.assert_allclose(np.asarray(ys["y"])[:, 0], expected, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ys["y"]), simulate(graph, {"x": xs}, mode="delayed")["y"], atol=1e-6)
