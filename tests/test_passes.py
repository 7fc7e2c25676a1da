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
