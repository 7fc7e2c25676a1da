"""Passes and the pipeline: purity, idempotence, and errors that say which pass failed after which."""

import numpy as np
import pytest

import snnir.passes as passes
import snnir
from snnir.passes import DELAY_ALL, MARK_FEEDBACK, Pass, Pipeline


def recurrent_graph() -> snnir.Graph:
    return snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(2,)), snnir.LIF(id="lif", shape=(2,), decay=0.5),
               snnir.Linear(id="rec", weight=np.eye(2, dtype=np.float32)), snnir.Output(id="y")],
        edges=[("x", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "y")])


def test_mark_feedback_is_pure_and_idempotent():
    g = recurrent_graph()
    marked = MARK_FEEDBACK(g)
    assert g.feedback_edges == ()  # the input graph is untouched
    assert marked.feedback_edges == (("rec", "lif"),)
    assert MARK_FEEDBACK(marked) == marked


def test_delay_all_adds_one_step_between_layers_only():
    g = MARK_FEEDBACK(recurrent_graph())
    delayed = DELAY_ALL(g)
    by_key = {e.key: e for e in delayed.edges}
    assert by_key[("x", "lif")].delay == 0  # leaves an Input
    assert by_key[("lif", "y")].delay == 0  # enters an Output
    assert by_key[("lif", "rec")].delay == 1
    assert (by_key[("rec", "lif")].delay, by_key[("rec", "lif")].feedback) == (1, False)


def test_pipeline_names_the_failing_pass_and_those_before_it():
    def drop_nodes(graph):
        return graph.replace(nodes=graph.nodes[:1])

    pipeline = Pipeline([MARK_FEEDBACK, Pass("drop-nodes", drop_nodes)])
    with pytest.raises(snnir.PassError, match=r"pass 'drop-nodes' \(after mark-feedback\) produced an invalid graph") as info:
        pipeline.run(recurrent_graph())
    assert isinstance(info.value.__cause__, snnir.VerifyError)


def test_pipeline_reports_a_crashing_pass():
    def crash(graph):
        raise RuntimeError("boom")

    with pytest.raises(snnir.PassError, match=r"pass 'crash' crashed \(as the first pass\): RuntimeError: boom"):
        Pipeline([Pass("crash", crash)]).run(recurrent_graph())


def test_compile_runs_the_mode_pipeline():
    assert passes.pipeline_for("straight").names == ("expand", "mark-feedback")
    assert passes.pipeline_for("delayed").names == ("delay-all", "expand", "mark-feedback")
    with pytest.raises(snnir.SnnirError, match="mode"):
        snnir.compile(recurrent_graph(), mode="sideways")
    with pytest.raises(snnir.SnnirError, match="strategy"):
        snnir.compile(recurrent_graph(), strategy="warp")


def test_compile_verifies_first():
    bad = recurrent_graph().replace(edges=[("x", "nowhere")])
    with pytest.raises(snnir.VerifyError):
        snnir.compile(bad)


def test_to_graph_returns_trained_parameters():
    import equinox as eqx
    import jax.numpy as jnp

    prog = snnir.compile(recurrent_graph())
    trained = eqx.tree_at(lambda p: p.kernels["rec"].weight, prog, jnp.full((2, 2), 0.25))
    g = trained.to_graph()
    np.testing.assert_array_equal(g.node("rec").weight, np.full((2, 2), 0.25, np.float32))
    assert g.feedback_edges == (("rec", "lif"),)
    assert prog.to_graph() == MARK_FEEDBACK(recurrent_graph())


def test_trainable_spec_follows_the_ir_flags():
    g = recurrent_graph().replace_node(snnir.LIF(id="lif", shape=(2,), decay=0.5, trainable={"decay": False,
                                                                                           "threshold": True}))
    spec = snnir.compile(g).trainable()
    assert spec.kernels["rec"].weight is True
    assert spec.kernels["lif"].decay is False
    assert spec.kernels["lif"].threshold is True


def test_auto_strategy_hoists_matmuls_out_of_the_loop():
    ff = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(2,)), snnir.Linear(id="fc", weight=np.eye(2, dtype=np.float32)),
               snnir.LIF(id="lif", shape=(2,), decay=0.5), snnir.Output(id="y")],
        edges=[("x", "fc"), ("fc", "lif"), ("lif", "y")])
    assert snnir.compile(ff).strategy == "layered"
    assert snnir.compile(recurrent_graph()).strategy == "fused-scan"  # its only Linear sits in the cycle
    assert snnir.compile(ff, strategy="fused-scan").strategy == "fused-scan"


def test_mark_feedback_marks_one_edge_per_loop_and_keeps_existing_marks():
    """Declared n1, n2, r1, r2, the loop n1 -> r1 -> n2 -> r2 -> n1 has two candidates (edges into a node
    declared no earlier); one mark breaks it, and a graph that already has a mark keeps it (marks are data)."""
    eye = np.eye(2, dtype=np.float32)
    g = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(2,)), snnir.LIF(id="n1", shape=(2,), decay=0.5),
               snnir.LIF(id="n2", shape=(2,), decay=0.5), snnir.Linear(id="r1", weight=eye),
               snnir.Linear(id="r2", weight=eye), snnir.Output(id="y")],
        edges=[("x", "n1"), ("n1", "r1"), ("r1", "n2"), ("n2", "r2"), ("r2", "n1"), ("n2", "y")])
    assert MARK_FEEDBACK(g).feedback_edges == (("r2", "n1"),)
    premarked = g.replace(edges=tuple(e.replace(feedback=e.key == ("r1", "n2")) for e in g.edges))
    assert MARK_FEEDBACK(premarked) == premarked  # already broken: nothing added, nothing moved


def _recurrent_chain(n: int) -> snnir.Graph:
    """x -> n0 -> n1 -> ... -> y, each LIF with its own recurrent Scale."""
    nodes, edges, prev = [snnir.Input(id="x", shape=(2,))], [], "x"
    for i in range(n):
        nodes += [snnir.LIF(id=f"n{i}", shape=(2,), decay=0.5), snnir.Scale(id=f"r{i}", scale=0.5)]
        edges += [(prev, f"n{i}"), (f"n{i}", f"r{i}"), (f"r{i}", f"n{i}")]
        prev = f"n{i}"
    return snnir.Graph(nodes=nodes + [snnir.Output(id="y")], edges=edges + [(prev, "y")])


def test_large_graphs_verify_and_mark():
    """A 10 000-node chain verifies (both modes) and has nothing to mark; 1 000 recurrent neurons get one
    mark each. (Speed is measured outside the tests: both take a fraction of a second.)"""
    nodes = [snnir.Input(id="x", shape=(2,))] + [snnir.Scale(id=f"s{i}", scale=1.0) for i in range(10_000)]
    ids = [n.id for n in nodes] + ["y"]
    chain = snnir.Graph(nodes=nodes + [snnir.Output(id="y")], edges=list(zip(ids, ids[1:])))
    assert snnir.verify(chain) == () == snnir.verify(chain, mode="delayed")
    assert MARK_FEEDBACK(chain) is chain
    marked = MARK_FEEDBACK(_recurrent_chain(1_000))
    assert marked.feedback_edges == tuple((f"r{i}", f"n{i}") for i in range(1_000))


def test_compile_and_analyze_verify_in_their_mode():
    """A top-level cycle of stateless nodes: straight mode marks it (with a warning from verify), delayed
    mode needs no mark at all."""
    g = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(2,)), snnir.Linear(id="a", weight=np.eye(2, dtype=np.float32)),
               snnir.Scale(id="b", scale=0.5), snnir.Output(id="y")],
        edges=[("x", "a"), ("a", "b"), ("b", "a"), ("b", "y")])
    assert snnir.analyze(g).feedback_edges == (("b", "a"),)
    assert snnir.analyze(g, mode="delayed").feedback_edges == ()
    assert snnir.compile(g, mode="delayed").feedback_edges == ()
    assert snnir.compile(g).feedback_edges == (("b", "a"),)
    with pytest.raises(snnir.SnnirError, match="mode"):
        snnir.analyze(g, mode="sideways")
