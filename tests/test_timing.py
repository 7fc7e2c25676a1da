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


# ---------------------------------------------------------------------- one break per loop
def _two_neuron_loop(order="x n1 n2 r1 r2 y") -> snnir.Graph:
    """x -> n1 -> r1 -> n2 -> r2 -> n1 (two LIFs firing on the step their input crosses 1, through two
    identity synapses), n2 -> y. Declared n1, n2 before the synapses, the flow runs against the order
    twice: r1 -> n2 and r2 -> n1 are both candidates of the feedback rule."""
    eye = np.eye(1, dtype=np.float32)
    nodes = {
        "x": snnir.Input(id="x", shape=(1,)),
        "n1": snnir.LIF(id="n1", shape=(1,), decay=0.5, threshold=0.5, reset="zero"),
        "n2": snnir.LIF(id="n2", shape=(1,), decay=0.5, threshold=0.5, reset="zero"),
        "r1": snnir.Linear(id="r1", weight=eye), "r2": snnir.Linear(id="r2", weight=eye),
        "y": snnir.Output(id="y"),
    }
    edges = [("x", "n1"), ("n1", "r1"), ("r1", "n2"), ("n2", "r2"), ("r2", "n1"), ("n2", "y")]
    return snnir.Graph(nodes=[nodes[i] for i in order.split()], edges=edges)


def test_a_loop_of_two_neurons_is_broken_once_and_has_latency_1():
    """Every peer (snnTorch, Norse, NIR's reference) delays such a loop once. Marking both candidates
    (the rule before) gave it two delays, so a spike took 2 steps to come round; now r2 -> n1 (the edge
    back into the earliest declared node) is the only mark."""
    from snnir.analysis import backward_edges

    g = _two_neuron_loop()
    assert [g.edges[i].key for i in backward_edges(g)] == [("r1", "n2"), ("r2", "n1")]
    prog = snnir.compile(g)
    assert prog.feedback_edges == (("r2", "n1"),)
    # a pulse at step 0: n1 and n2 fire at once; n2's spike comes back to n1 one step later (latency 1
    # around the loop), so the loop keeps firing every step
    np.testing.assert_array_equal(_pulse_response(g, "straight", T=4), [1, 1, 1, 1])
    # with the two marks of the old rule, n2 fired one step late and then only every other step
    both = g.replace(edges=tuple(e.replace(feedback=e.key in {("r1", "n2"), ("r2", "n1")}) for e in g.edges))
    np.testing.assert_array_equal(_pulse_response(both, "straight", T=4), [0, 1, 0, 1])


def test_two_loops_sharing_a_node_get_one_mark_each():
    """x -> n, n -> r1 -> n, n -> r2 -> n: each back edge is the only candidate of its own loop, so both
    are marked; a -> b -> a and b -> c -> b (sharing b) likewise get b -> a and c -> b. Where one of the
    loops has two candidates, it still gets one mark."""
    eye = np.eye(2, dtype=np.float32)
    shared_neuron = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(2,)), snnir.LIF(id="n", shape=(2,), decay=0.5),
               snnir.Linear(id="r1", weight=eye), snnir.Linear(id="r2", weight=eye), snnir.Output(id="y")],
        edges=[("x", "n"), ("n", "r1"), ("r1", "n"), ("n", "r2"), ("r2", "n"), ("n", "y")])
    assert snnir.compile(shared_neuron).feedback_edges == (("r1", "n"), ("r2", "n"))
    chain = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(2,))] + [snnir.LIF(id=i, shape=(2,), decay=0.5) for i in "abc"]
        + [snnir.Output(id="y")],
        edges=[("x", "a"), ("a", "b"), ("b", "a"), ("b", "c"), ("c", "b"), ("c", "y")])
    assert snnir.analyze(chain).feedback_edges == (("b", "a"), ("c", "b"))
    # n1 is shared by the two-neuron loop (candidates r1 -> n2 and r2 -> n1) and a loop n1 -> r3 -> n1:
    # one mark each, both into n1 (the rule before also marked r1 -> n2, a second delay on the big loop)
    g = _two_neuron_loop()
    g = g.replace(nodes=g.nodes + (snnir.Linear(id="r3", weight=np.eye(1, dtype=np.float32)),),
                  edges=g.edges + (snnir.Edge("n1", "r3"), snnir.Edge("r3", "n1")))
    assert snnir.analyze(g).feedback_edges == (("r2", "n1"), ("r3", "n1"))


def test_a_cycle_with_two_candidates_is_marked_once_whatever_the_declaration_order():
    """Every order of the four loop nodes gives exactly one mark on the loop, always the edge into the
    earliest declared of its nodes."""
    import itertools

    loop = ["n1", "r1", "n2", "r2"]  # the flow, each into the next, r2 back into n1
    for perm in itertools.permutations(loop):
        g = _two_neuron_loop(" ".join(("x", *perm, "y")))
        (mark,) = snnir.analyze(g).feedback_edges
        first = perm[0]
        assert mark == (loop[(loop.index(first) - 1) % 4], first), perm


def test_marks_survive_save_and_load_and_are_never_recomputed(tmp_path):
    """A file's marks are data: a graph saved with the old rule's two marks on one loop loads with both
    and computes what it computed (here: every other step); compiling keeps them."""
    g = _two_neuron_loop()
    both = g.replace(edges=tuple(e.replace(feedback=e.key in {("r1", "n2"), ("r2", "n1")}) for e in g.edges))
    snnir.save(both, tmp_path / "old.snnir")
    loaded = snnir.load(tmp_path / "old.snnir")
    assert loaded.feedback_edges == (("r1", "n2"), ("r2", "n1"))
    assert snnir.compile(loaded).feedback_edges == (("r1", "n2"), ("r2", "n1"))
    np.testing.assert_array_equal(_pulse_response(loaded, "straight", T=4), [0, 1, 0, 1])
    # and the new rule's marks round-trip the same way
    marked = snnir.compile(g).to_graph()
    snnir.save(marked, tmp_path / "new.snnir")
    assert snnir.load(tmp_path / "new.snnir") == marked
    assert snnir.compile(snnir.load(tmp_path / "new.snnir")).feedback_edges == (("r2", "n1"),)


def test_a_metadata_note_never_moves_a_mark_nor_changes_outputs():
    """Marks come from the declaration order and explicit feedback=True only: a graph note naming another
    order (as NIR export writes one) changes nothing."""
    g = _two_neuron_loop()
    noted = g.replace(metadata={"order": ["y", "r2", "r1", "n2", "n1", "x"], "name": "loop"})
    assert snnir.analyze(noted).feedback_edges == snnir.analyze(g).feedback_edges == (("r2", "n1"),)
    for mode in ("straight", "delayed"):
        np.testing.assert_array_equal(_pulse_response(noted, mode), _pulse_response(g, mode))


# ---------------------------------------------------------------------- stateless cycles run
W2 = np.array([[0.5, 0.25], [-0.25, 0.5]], np.float32)
B2 = np.array([0.25, -0.5], np.float32)


def _stateless_self_loop() -> snnir.Graph:
    return snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), snnir.Linear(id="lin", weight=W2, bias=B2),
                              snnir.Output(id="y")],
                       edges=[("x", "lin"), ("lin", "lin"), ("lin", "y")])


def _stateless_pair() -> snnir.Graph:
    wb, bb = np.array([[0.0, 0.5], [0.5, 0.0]], np.float32), np.array([-0.125, 0.125], np.float32)
    return snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), snnir.Linear(id="a", weight=W2, bias=B2),
                              snnir.Linear(id="b", weight=wb, bias=bb), snnir.Output(id="y")],
                       edges=[("x", "a"), ("a", "b"), ("b", "a"), ("b", "y")])


def _stateless_through_layernorm() -> snnir.Graph:
    return snnir.Graph(nodes=[snnir.Input(id="x", shape=(2,)), snnir.Linear(id="a", weight=W2, bias=B2),
                              snnir.LayerNorm(id="ln"), snnir.Linear(id="b", weight=W2 / 2), snnir.Output(id="y")],
                       edges=[("x", "a"), ("a", "ln"), ("ln", "b"), ("b", "a"), ("b", "y")])


@pytest.mark.parametrize("make, marks", [
    (_stateless_self_loop, (("lin", "lin"),)), (_stateless_pair, (("b", "a"),)),
    (_stateless_through_layernorm, (("b", "a"),)),
], ids=["self-loop", "pair", "layernorm"])
@pytest.mark.parametrize("strategy", ["fused-scan", "layered"])
def test_a_stateless_cycle_runs_in_both_modes_as_the_reference(make, marks, strategy):
    """A zero-delay cycle of stateless nodes is broken by the feedback rule (a warning, no error): the
    marked edge reads the previous step, its source's rest value at t = 0. Both modes match the reference
    simulator, which reads the marks from the compiled program's graph."""
    from tests.reference_sim import simulate

    graph = make()
    assert [d.code for d in snnir.verify(graph)] == ["algebraic-loop"]
    assert snnir.verify(graph, mode="delayed") == ()
    xs = (np.random.default_rng(3).random((6, 2, 2)) < 0.5).astype(np.float32)
    for mode in ("straight", "delayed"):
        prog = snnir.compile(graph, mode=mode, strategy=strategy)
        assert prog.feedback_edges == (marks if mode == "straight" else ())
        marked = prog.to_graph()  # the straight marks, which the reference reads
        assert marked.feedback_edges == marks
        _, ys = prog(prog.init_state((2,)), jnp.asarray(xs))
        ref = simulate(marked, {"x": xs}, mode=mode)["y"]
        np.testing.assert_allclose(np.asarray(ys["y"], np.float64), ref, rtol=1e-5, atol=1e-6, err_msg=mode)


def test_a_stateless_self_loop_by_hand():
    """y_t = W (x_t + y_{t-1}) + b with y_{-1} the rest value: the loop's own read adds 0 while lin
    settles, so lin rests at its bias b (docs/semantics.md, "Rest values")."""
    xs = (np.random.default_rng(5).random((5, 1, 2)) < 0.5).astype(np.float32)
    prog = snnir.compile(_stateless_self_loop())
    _, ys = prog(prog.init_state((1,)), jnp.asarray(xs))
    prev, expected = B2.astype(np.float64), []
    for x in xs[:, 0].astype(np.float64):
        prev = W2 @ (x + prev) + B2
        expected.append(prev)
    np.testing.assert_allclose(np.asarray(ys["y"])[:, 0], expected, rtol=1e-6)
