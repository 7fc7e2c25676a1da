"""``snnir.verify`` and ``snnir.check``: every diagnostic code, how errors are reported, construction errors.

Each code gets a small graph showing exactly that problem; the tests pin the code, the severity and the
node ids (and edges) it names. Nothing here compiles a program, so the whole file runs in about a second.
"""

import ast
import pathlib
import re

import numpy as np
import pytest

import snnir

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Every code snnir/verification.py can produce, each tested below and documented in docs/errors.md.
ERROR_CODES = {
    "duplicate-id", "unknown-node", "unknown-port", "no-inputs", "no-outputs", "missing-input",
    "shape-mismatch", "unknown-shape", "bad-parameter", "mixed-dtypes",
    "bad-quantization",  # tested in tests/test_quantize.py
    "unreachable-node", "unreachable-output",
    "reserved-id", "composite-ports",  # graphs with composites: tested in tests/test_composites.py
}
WARNING_CODES = {"unused-output", "dead-node", "algebraic-loop"}


# ---------------------------------------------------------------------------------------------- helpers
I, O, L, S, E = snnir.Input, snnir.Output, snnir.Linear, snnir.Scale, snnir.Edge


def w(out: int, inp: int, value: float = 0.125) -> np.ndarray:
    """A dyadic float32 weight [out, in]."""
    return np.full((out, inp), value, np.float32)


def lif(id: str, n: int = 3, **fields) -> snnir.LIF:  # noqa: A002
    return snnir.LIF(id=id, shape=(n,), decay=fields.pop("decay", 0.5), **fields)


def graph(nodes, edges) -> snnir.Graph:
    return snnir.Graph(nodes=list(nodes), edges=list(edges))


def errors_of(g: snnir.Graph) -> tuple[snnir.Diagnostic, ...]:
    """The diagnostics of the VerifyError that verify(g) must raise; they equal check(g)."""
    with pytest.raises(snnir.VerifyError) as info:
        snnir.verify(g)
    assert info.value.diagnostics == snnir.check(g)
    return info.value.diagnostics


def codes(diagnostics) -> list[str]:
    return sorted(d.code for d in diagnostics)


def only(diagnostics, code: str) -> snnir.Diagnostic:
    """The single diagnostic with ``code``."""
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, f"expected one {code}, got {[(d.code, d.nodes) for d in diagnostics]}"
    return found[0]


def expect(diagnostics, code, *, nodes, edges=(), severity="error") -> snnir.Diagnostic:
    d = only(diagnostics, code)
    assert d.severity == severity
    assert d.nodes == tuple(nodes)
    assert set(d.edges) == set(edges)
    assert d.message and d.hint
    return d


def valid_graph() -> snnir.Graph:
    return graph(
        [I(id="x", shape=(3,)), L(id="fc", weight=w(4, 3)), lif("n", 4), O(id="y")],
        [E("x", "fc"), E("fc", "n"), E("n", "y")],
    )


# ---------------------------------------------------------------------------------------------- clean graphs
def test_a_valid_graph_has_no_diagnostics():
    g = valid_graph()
    assert snnir.check(g) == ()
    assert snnir.verify(g) == ()


def test_check_never_raises_and_is_deterministic():
    g = graph([S(id="s", scale=1.0), S(id="s", scale=2.0)], [E("s", "ghost")])
    assert snnir.check(g) == snnir.check(g)
    assert {"duplicate-id", "unknown-node", "no-inputs", "no-outputs"} <= set(codes(snnir.check(g)))


# ---------------------------------------------------------------------------------------------- one test per code
def test_duplicate_id():
    g = graph([I(id="x", shape=(3,)), S(id="s", scale=2.0), S(id="s", scale=3.0), O(id="y")],
              [E("x", "s"), E("s", "y")])
    diags = errors_of(g)
    assert codes(diags) == ["duplicate-id"]
    d = expect(diags, "duplicate-id", nodes=["s"])
    assert "2 nodes" in d.message


@pytest.mark.parametrize("edge, known", [(("x", "ghost"), "x"), (("ghost", "y"), "y")])
def test_unknown_node(edge, known):
    g = graph([I(id="x", shape=(3,)), O(id="y")], [E("x", "y"), E(*edge)])
    diags = errors_of(g)
    assert codes(diags) == ["unknown-node"]
    d = expect(diags, "unknown-node", nodes=[known], edges=[edge])
    assert "'ghost'" in d.message
    assert "known ids are ['x', 'y']" in d.hint


def test_unknown_node_on_both_ends_names_no_node():
    g = graph([I(id="x", shape=(3,)), O(id="y")], [E("x", "y"), E("a", "b")])
    expect(errors_of(g), "unknown-node", nodes=[], edges=[("a", "b")])


def test_unknown_port_read_from_a_source():
    g = graph([I(id="x", shape=(3,)), S(id="s", scale=1.0), O(id="y")],
              [E("x", "s"), E("s", "y"), E("s", "y", src_port="v")])
    diags = errors_of(g)
    assert codes(diags) == ["unknown-port"]
    d = expect(diags, "unknown-port", nodes=["s"], edges=[("s", "y")])
    assert "'v'" in d.message and "['out']" in d.message


def test_unknown_port_written_into_a_destination():
    g = graph([I(id="x", shape=(3,)), S(id="s", scale=1.0), O(id="y")],
              [E("x", "s"), E("x", "s", dst_port="gate"), E("s", "y")])
    diags = errors_of(g)
    assert codes(diags) == ["unknown-port"]
    d = expect(diags, "unknown-port", nodes=["s"], edges=[("x", "s")])
    assert "'gate'" in d.message


def test_unknown_port_neuron_ports_are_known():
    """LIF offers out and v, CubaLIF also i; reading them is fine, reading i from a LIF is not."""
    g = graph([I(id="x", shape=(3,)), snnir.CubaLIF(id="c", shape=(3,), syn_decay=0.5, mem_decay=0.75),
               lif("n"), O(id="y"), O(id="yv"), O(id="yi")],
              [E("x", "c"), E("c", "n", src_port="i"), E("n", "y"), E("c", "yv", src_port="v"),
               E("n", "yi", src_port="v")])
    assert snnir.check(g) == ()
    bad = g.replace(edges=g.edges + (E("n", "yi", src_port="i"),))
    expect(errors_of(bad), "unknown-port", nodes=["n"], edges=[("n", "yi")])


def test_unknown_port_edge_into_an_input():
    g = graph([I(id="x", shape=(3,)), S(id="s", scale=1.0), O(id="y")],
              [E("x", "s"), E("s", "y"), E("s", "x", delay=1)])
    d = expect(errors_of(g), "unknown-port", nodes=["x"], edges=[("s", "x")])
    assert "graph input" in d.message


def test_unknown_port_edge_out_of_an_output():
    g = graph([I(id="x", shape=(3,)), S(id="s", scale=1.0), O(id="y")],
              [E("x", "s"), E("s", "y"), E("y", "s", delay=1)])
    d = expect(errors_of(g), "unknown-port", nodes=["y"], edges=[("y", "s")])
    assert "graph output" in d.message


def test_no_inputs():
    g = graph([lif("n"), O(id="y")], [E("n", "y"), E("n", "n", delay=1)])
    diags = errors_of(g)
    assert codes(diags) == ["no-inputs"]
    expect(diags, "no-inputs", nodes=[])


def test_no_outputs():
    g = graph([I(id="x", shape=(3,)), S(id="s", scale=1.0)], [E("x", "s")])
    diags = errors_of(g)
    assert codes(diags) == ["no-outputs"]
    expect(diags, "no-outputs", nodes=[])


def test_empty_graph_has_neither_inputs_nor_outputs():
    assert codes(errors_of(snnir.Graph(nodes=[]))) == ["no-inputs", "no-outputs"]


def test_missing_input():
    # the Scale is declared but nothing feeds it; being unfed it is also unreachable from the Input
    g = graph([I(id="x", shape=(3,)), S(id="s", scale=1.0), O(id="y")], [E("x", "y"), E("s", "y")])
    diags = errors_of(g)
    d = expect(diags, "missing-input", nodes=["s"])
    assert "'in'" in d.message
    assert set(codes(diags)) == {"missing-input", "unreachable-node"}


def test_missing_input_of_an_output():
    g = graph([I(id="x", shape=(3,)), O(id="y"), O(id="z")], [E("x", "y")])
    diags = errors_of(g)
    expect(diags, "missing-input", nodes=["z"])
    expect(diags, "unreachable-output", nodes=["z"])


@pytest.mark.parametrize(
    "nodes, edges, bad, bad_edges, words",
    [
        pytest.param([I(id="x", shape=(3,)), L(id="fc", weight=w(4, 5)), O(id="y")],
                     [E("x", "fc"), E("fc", "y")], "fc", [("x", "fc")], ["in=5", "(3,)"], id="linear"),
        pytest.param([I(id="x", shape=(3,)), L(id="fc", weight=w(4, 3)), lif("n", 5), O(id="y")],
                     [E("x", "fc"), E("fc", "n"), E("n", "y")], "n", [("fc", "n")], ["(5,)", "(4,)"],
                     id="neuron"),
        pytest.param([I(id="x", shape=(3,)), O(id="y", shape=(4,))],
                     [E("x", "y")], "y", [("x", "y")], ["(4,)", "(3,)"], id="declared-output"),
        pytest.param([I(id="a", shape=(3,)), I(id="b", shape=(4,)), O(id="y")],
                     [E("a", "y"), E("b", "y")], "y", [("a", "y"), ("b", "y")], ["disagree"], id="summed-edges"),
        pytest.param([I(id="x", shape=(3,)), S(id="s", scale=np.ones(4, np.float32)), O(id="y")],
                     [E("x", "s"), E("s", "y")], "s", [("x", "s")], ["broadcast"], id="scale"),
        pytest.param([I(id="x", shape=(3,)), snnir.Flatten(id="f", start_dim=1), O(id="y")],
                     [E("x", "f"), E("f", "y")], "f", [("x", "f")], ["start_dim=1"], id="flatten"),
        pytest.param([I(id="x", shape=(3,)), snnir.Delay(id="d", steps=np.array([1, 2, 3, 4])), O(id="y")],
                     [E("x", "d"), E("d", "y")], "d", [("x", "d")], ["broadcast"], id="delay"),
    ],
)
def test_shape_mismatch(nodes, edges, bad, bad_edges, words):
    diags = errors_of(graph(nodes, edges))
    assert codes(diags) == ["shape-mismatch"]
    d = expect(diags, "shape-mismatch", nodes=[bad], edges=bad_edges)
    for word in words:
        assert word in d.message


def test_shape_mismatch_message_lists_the_incoming_shapes():
    g = graph([I(id="x", shape=(3,)), L(id="fc", weight=w(4, 5)), O(id="y")], [E("x", "fc"), E("fc", "y")])
    d = only(errors_of(g), "shape-mismatch")
    assert "x -> fc: (3,)" in d.message
    assert "[4, 3]" in d.hint  # the weight shape that would fit


def test_shapes_are_per_sample_so_a_linear_acts_on_the_last_axis():
    g = graph([I(id="x", shape=(2, 3)), L(id="fc", weight=w(4, 3)), O(id="y", shape=(2, 4))],
              [E("x", "fc"), E("fc", "y")])
    assert snnir.check(g) == ()


def test_unknown_shape():
    """A delayed cycle of Scales that nothing feeds from an Input has no shape to take."""
    g = graph([I(id="x", shape=(3,)), S(id="a", scale=0.5), S(id="b", scale=0.5), O(id="y"), O(id="z")],
              [E("x", "y"), E("a", "b"), E("b", "a", delay=1), E("b", "z")])
    diags = errors_of(g)
    unknown = [d for d in diags if d.code == "unknown-shape"]
    assert sorted(d.nodes for d in unknown) == [("a",), ("b",)]
    assert all(d.severity == "error" for d in unknown)
    # the same island is also unreachable from the Input
    assert {d.nodes for d in diags if d.code == "unreachable-node"} == {("a",), ("b",)}
    expect(diags, "unreachable-output", nodes=["z"])


def test_a_cycle_of_scales_takes_its_shape_from_the_edge_entering_it():
    g = graph([I(id="x", shape=(3,)), S(id="a", scale=0.5), S(id="b", scale=0.5), O(id="y")],
              [E("x", "a"), E("a", "b"), E("b", "a", delay=1), E("b", "y")])
    assert snnir.check(g) == ()


@pytest.mark.parametrize(
    "node, words",
    [
        pytest.param(L(id="p", weight=w(3, 3), bias=np.zeros(5, np.float32)), ["bias", "(5,)", "(3,)"],
                     id="linear-bias-length"),
        pytest.param(lif("p", decay=1.5), ["decay", "[0, 1]"], id="lif-decay-above-one"),
        pytest.param(snnir.LI(id="p", shape=(3,), decay=-0.25), ["decay", "[0, 1]"], id="li-negative-decay"),
        pytest.param(snnir.CubaLIF(id="p", shape=(3,), syn_decay=2.0, mem_decay=0.5), ["syn_decay"],
                     id="cubalif-syn-decay"),
        pytest.param(lif("p", decay=np.full(4, 0.5, np.float32)), ["decay", "(4,)", "broadcast"],
                     id="per-neuron-decay-wrong-length"),
        pytest.param(lif("p", reset="to_value"), ["reset_value"], id="to-value-without-value"),
        pytest.param(snnir.IF(id="p", shape=(3,), reset_value=0.0), ["ignores"], id="reset-value-ignored"),
        pytest.param(snnir.IF(id="p", shape=(3,), spike_from="pre", reset_at="next"), ["spike_from='pre'"],
                     id="pre-with-next-reset"),
    ],
)
def test_bad_parameter(node, words):
    g = graph([I(id="x", shape=(3,)), node, O(id="y")], [E("x", "p"), E("p", "y")])
    diags = errors_of(g)
    assert codes(diags) == ["bad-parameter"]
    d = expect(diags, "bad-parameter", nodes=["p"])
    assert d.message.startswith(f"{node.kind} 'p': ")
    for word in words:
        assert word in d.message


def test_bad_parameter_reports_every_problem_of_a_node():
    node = snnir.LIF(id="p", shape=(3,), decay=1.5, reset="to_value")
    g = graph([I(id="x", shape=(3,)), node, O(id="y")], [E("x", "p"), E("p", "y")])
    diags = errors_of(g)
    assert codes(diags) == ["bad-parameter", "bad-parameter"]
    assert all(d.nodes == ("p",) for d in diags)


def test_mixed_dtypes():
    g = graph([I(id="x", shape=(3,)), L(id="a", weight=w(3, 3)), L(id="b", weight=w(3, 3).astype(np.float64)),
               O(id="y")],
              [E("x", "a"), E("a", "b"), E("b", "y")])
    diags = errors_of(g)
    assert codes(diags) == ["mixed-dtypes"]
    d = expect(diags, "mixed-dtypes", nodes=["a", "b"])
    assert "float32: a.weight" in d.message and "float64: b.weight" in d.message
    assert "astype" in d.hint
    assert snnir.check(g.astype("float32")) == ()


def test_scalar_parameters_do_not_count_as_mixed_dtypes():
    # scalars follow the program dtype, so a float64 scalar beside float32 arrays is fine
    g = graph([I(id="x", shape=(3,)), S(id="s", scale=np.float64(2.0)), L(id="fc", weight=w(3, 3)), O(id="y")],
              [E("x", "s"), E("s", "fc"), E("fc", "y")])
    assert snnir.check(g) == ()


# A zero-delay cycle of stateless nodes is broken by the feedback rule like any other cycle (SNNAX and NIR
# accept such graphs): a warning naming its nodes and the edge the rule marks, never an error.
def test_algebraic_loop_of_three_scales_is_a_warning_naming_its_nodes_and_the_marked_edge():
    g = graph([I(id="x", shape=(3,)), S(id="a", scale=0.5), S(id="b", scale=0.5), S(id="c", scale=0.5), O(id="y")],
              [E("x", "a"), E("a", "b"), E("b", "c"), E("c", "a"), E("c", "y")])
    warnings = snnir.verify(g)  # does not raise
    assert codes(warnings) == ["algebraic-loop"] and warnings == snnir.check(g)
    d = expect(warnings, "algebraic-loop", nodes=["a", "b", "c"], edges=[("c", "a")], severity="warning")
    assert "c -> a reads the previous step" in d.message
    assert "feedback=True" in d.hint and "delay=1" in d.hint


def test_algebraic_loop_nodes_are_in_declaration_order():
    g = graph([I(id="x", shape=(3,)), S(id="z", scale=0.5), S(id="m", scale=0.5), S(id="a", scale=0.5), O(id="y")],
              [E("x", "a"), E("a", "m"), E("m", "z"), E("z", "a"), E("z", "y")])
    # declared z, m, a, the flow a -> m -> z runs against the order: a -> m and m -> z are both candidates,
    # but one break suffices. a -> m (into m, declared after z) stays; m -> z would close the loop with
    # z -> a -> m, so the mark falls on the edge into the earliest declared node, z
    expect(snnir.verify(g), "algebraic-loop", nodes=["z", "m", "a"], edges=[("m", "z")], severity="warning")


def test_a_self_loop_on_a_stateless_node_is_a_warning():
    g = graph([I(id="x", shape=(3,)), S(id="a", scale=0.5), O(id="y")], [E("x", "a"), E("a", "a"), E("a", "y")])
    expect(snnir.verify(g), "algebraic-loop", nodes=["a"], edges=[("a", "a")], severity="warning")


def test_two_separate_algebraic_loops_are_two_warnings():
    g = graph([I(id="x", shape=(3,)), S(id="a", scale=0.5), S(id="b", scale=0.5), S(id="c", scale=0.5),
               S(id="d", scale=0.5), O(id="y")],
              [E("x", "a"), E("a", "b"), E("b", "a"), E("b", "c"), E("c", "d"), E("d", "c"), E("d", "y")])
    loops = [d for d in snnir.verify(g) if d.code == "algebraic-loop"]
    assert [(d.nodes, d.edges) for d in loops] == [(("a", "b"), (("b", "a"),)), (("c", "d"), (("d", "c"),))]


def test_delayed_mode_verifies_a_top_level_stateless_cycle_without_warnings():
    """Delayed mode delays every top-level edge between layers, so the cycle needs no mark: judged in
    that mode's timing there is nothing to report; straight mode still warns."""
    g = graph([I(id="x", shape=(3,)), L(id="a", weight=w(3, 3)), S(id="n", scale=0.5), L(id="b", weight=w(3, 3)),
               O(id="y")],
              [E("x", "a"), E("a", "n"), E("n", "b"), E("b", "a"), E("b", "y")])
    assert snnir.verify(g, mode="delayed") == () == snnir.check(g, mode="delayed")
    assert codes(snnir.verify(g)) == codes(snnir.verify(g, mode="straight")) == ["algebraic-loop"]
    assert snnir.analyze(g, mode="delayed").feedback_edges == ()


def test_delayed_mode_still_reports_a_stateless_cycle_inside_a_same_step_composite():
    inner = graph([I(id="in", shape=(3,)), S(id="p", scale=0.5), S(id="q", scale=0.5), O(id="out")],
                  [E("in", "p"), E("p", "q"), E("q", "p"), E("q", "out")])
    g = graph([I(id="x", shape=(3,)), snnir.subgraph("blk", inner, same_step=True), O(id="y")],
              [E("x", "blk"), E("blk", "y")])
    for mode in ("straight", "delayed"):
        expect(snnir.verify(g, mode=mode), "algebraic-loop", nodes=["blk/p", "blk/q"], edges=[("blk/q", "blk/p")],
               severity="warning")
    # inside a composite that is not same-step, delayed mode delays the inner edges between layers too
    seq = g.replace_node(snnir.subgraph("blk", inner))
    assert codes(snnir.verify(seq)) == ["algebraic-loop"] and snnir.verify(seq, mode="delayed") == ()


def test_verify_refuses_an_unknown_mode():
    with pytest.raises(snnir.SnnirError, match="unknown mode 'sideways'") as info:
        snnir.verify(valid_graph(), mode="sideways")
    assert isinstance(info.value, ValueError)


def test_loop_diagnostics_follow_declaration_order_not_ids():
    """The same loops under ids that sort the other way: the same diagnostics, node for node."""
    def loops(names):
        a, b, c, d = names
        g = graph([I(id="x", shape=(3,)), S(id=a, scale=0.5), S(id=b, scale=0.5), S(id=c, scale=0.5),
                   S(id=d, scale=0.5), O(id="y")],
                  [E("x", a), E(a, b), E(b, a), E(b, c), E(c, d), E(d, c), E(d, "y")])
        rename = dict(zip(names, "abcd"))
        return [(tuple(rename[n] for n in x.nodes), tuple((rename[u], rename[v]) for u, v in x.edges))
                for x in snnir.verify(g)]

    assert loops(["a", "b", "c", "d"]) == loops(["z", "y2", "x2", "w"]) == loops(["m", "n", "b", "a"])


@pytest.mark.parametrize("break_with", [{"delay": 1}, {"feedback": True}])
def test_a_delayed_or_feedback_edge_breaks_a_cycle_of_scales(break_with):
    g = graph([I(id="x", shape=(3,)), S(id="a", scale=0.5), S(id="b", scale=0.5), S(id="c", scale=0.5), O(id="y")],
              [E("x", "a"), E("a", "b"), E("b", "c"), E("c", "a", **break_with), E("c", "y")])
    assert snnir.check(g) == ()
    assert snnir.verify(g) == ()


def test_a_cycle_through_a_lif_is_not_an_error():
    """LIF -> Linear -> LIF with no marks: the compiler's mark-feedback pass breaks it, verify accepts it."""
    g = graph([I(id="x", shape=(4,)), lif("n", 4), L(id="rec", weight=w(4, 4)), O(id="y")],
              [E("x", "n"), E("n", "rec"), E("rec", "n"), E("n", "y")])
    assert not any(e.feedback or e.delay for e in g.edges)
    assert snnir.check(g) == ()
    assert snnir.verify(g) == ()


def test_a_scale_in_a_cycle_with_a_neuron_is_not_an_algebraic_loop():
    g = graph([I(id="x", shape=(3,)), S(id="s", scale=0.5), lif("n"), O(id="y")],
              [E("x", "s"), E("s", "n"), E("n", "s"), E("n", "y")])
    assert snnir.check(g) == ()


def test_unreachable_node():
    # a recurrent pair that no Input reaches, though it feeds the output
    g = graph([I(id="x", shape=(3,)), lif("n"), S(id="s", scale=0.5), O(id="y")],
              [E("x", "y"), E("n", "s"), E("s", "n"), E("s", "y")])
    diags = errors_of(g)
    assert codes(diags) == ["unreachable-node", "unreachable-node"]
    assert [d.nodes for d in diags] == [("n",), ("s",)]
    assert all(d.severity == "error" for d in diags)
    assert "not reached from any Input" in diags[0].message


def test_unreachable_output():
    g = graph([I(id="x", shape=(3,)), lif("n"), O(id="y"), O(id="z")],
              [E("x", "y"), E("n", "n", delay=1), E("n", "z")])
    diags = errors_of(g)
    expect(diags, "unreachable-output", nodes=["z"])
    expect(diags, "unreachable-node", nodes=["n"])
    assert codes(diags) == ["unreachable-node", "unreachable-output"]


def test_unused_output_is_a_warning_returned_not_raised():
    g = graph([I(id="x", shape=(3,)), S(id="s", scale=1.0), O(id="y")], [E("x", "y"), E("x", "s")])
    warnings = snnir.verify(g)  # does not raise
    assert codes(warnings) == ["unused-output"]
    expect(warnings, "unused-output", nodes=["s"], severity="warning")
    assert warnings == snnir.check(g)


def test_an_unused_input_is_an_unused_output_warning():
    g = graph([I(id="x", shape=(3,)), I(id="x2", shape=(3,)), O(id="y")], [E("x", "y")])
    expect(snnir.verify(g), "unused-output", nodes=["x2"], severity="warning")


def test_dead_node_is_a_warning_returned_not_raised():
    # s and n form a branch with outgoing edges, but no Output depends on it
    g = graph([I(id="x", shape=(3,)), S(id="s", scale=1.0), lif("n"), O(id="y")],
              [E("x", "y"), E("x", "s"), E("s", "n"), E("n", "s", delay=1)])
    warnings = snnir.verify(g)
    assert codes(warnings) == ["dead-node", "dead-node"]
    assert [d.nodes for d in warnings] == [("s",), ("n",)]
    assert all(d.severity == "warning" for d in warnings)


def test_outputs_are_sinks_and_need_no_reader():
    g = graph([I(id="x", shape=(3,)), O(id="y"), O(id="y2")], [E("x", "y"), E("x", "y2")])
    assert snnir.verify(g) == ()


def test_every_code_verify_can_produce_is_tested_here():
    """Guards this file: a new code in snnir/verification.py needs a test above and a row in docs/errors.md."""
    tree = ast.parse((ROOT / "snnir" / "verification.py").read_text())
    found = {
        n.value for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and re.fullmatch(r"[a-z]+(-[a-z]+)+", n.value)
    }
    assert found == ERROR_CODES | WARNING_CODES


def test_every_code_is_documented_with_its_severity():
    text = (ROOT / "docs" / "errors.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| (error|warning) \|", text, flags=re.M))
    assert rows == {**{c: "error" for c in ERROR_CODES}, **{c: "warning" for c in WARNING_CODES}}


# ---------------------------------------------------------------------------------------------- the seed example
def layernorm_feedback_graph(**feedback_edge) -> snnir.Graph:
    """The seed's impossible model in snnir terms: Input(10) -> Linear(10->20) -> LayerNorm(20) -> LIF(20),
    plus a feedback edge from the LayerNorm (a Scale stands in for it) into the Linear's 10-wide input."""
    return graph(
        [I(id="x", shape=(10,)), L(id="fc", weight=w(20, 10)), S(id="ln", scale=1.0), lif("lif", 20), O(id="y")],
        [E("x", "fc"), E("fc", "ln"), E("ln", "lif"), E("lif", "y"), E("ln", "fc", **feedback_edge)],
    )


@pytest.mark.parametrize("feedback_edge", [{"delay": 1}, {"feedback": True}], ids=["delay", "feedback"])
def test_seed_layernorm_feedback_into_linear_is_a_shape_mismatch(feedback_edge):
    diags = errors_of(layernorm_feedback_graph(**feedback_edge))
    assert codes(diags) == ["shape-mismatch"]
    d = expect(diags, "shape-mismatch", nodes=["fc"], edges=[("x", "fc"), ("ln", "fc")])
    assert "x gives (10,)" in d.message and "ln gives (20,)" in d.message


def test_seed_layernorm_feedback_without_a_delay_is_also_an_algebraic_loop_warning():
    diags = errors_of(layernorm_feedback_graph())
    d = only(diags, "shape-mismatch")
    assert d.nodes == ("fc",) and ("ln", "fc") in d.edges
    expect(diags, "algebraic-loop", nodes=["fc", "ln"], edges=[("ln", "fc")], severity="warning")


def test_seed_layernorm_feedback_fixed_with_a_matching_linear():
    """The fix: feed the 20-wide LayerNorm back through its own Linear(20 -> 20) into the LIF."""
    g = graph(
        [I(id="x", shape=(10,)), L(id="fc", weight=w(20, 10)), S(id="ln", scale=1.0), lif("lif", 20),
         L(id="rec", weight=w(20, 20)), O(id="y")],
        [E("x", "fc"), E("fc", "ln"), E("ln", "lif"), E("lif", "y"), E("ln", "rec"), E("rec", "lif")],
    )
    assert snnir.verify(g) == ()


# ---------------------------------------------------------------------------------------------- reporting
def many_problems_graph() -> snnir.Graph:
    return graph(
        [
            I(id="x", shape=(10,)),
            L(id="fc1", weight=w(20, 10)),
            lif("lif1", 16),                  # shape-mismatch: receives 20
            S(id="a", scale=0.5),
            S(id="b", scale=0.5),             # a <-> b: algebraic loop (warning)
            lif("bad", 10, decay=1.5),        # bad-parameter
            S(id="spare", scale=1.0),         # unused-output (warning)
            O(id="y"),
            O(id="y1"),
        ],
        [E("x", "fc1"), E("fc1", "lif1"), E("lif1", "y1"), E("x", "a"), E("a", "b"), E("b", "a"), E("b", "bad"),
         E("bad", "y"), E("x", "spare"), E("x", "ghost")],   # unknown-node
    )


def test_every_problem_is_reported_in_one_error():
    with pytest.raises(snnir.VerifyError) as info:
        snnir.verify(many_problems_graph())
    err = info.value
    assert sorted(err.codes) == ["algebraic-loop", "bad-parameter", "shape-mismatch", "unknown-node", "unused-output"]
    assert err.codes == tuple(d.code for d in err.diagnostics)
    by_code = {d.code: d for d in err.diagnostics}
    assert by_code["shape-mismatch"].nodes == ("lif1",)
    assert by_code["algebraic-loop"].nodes == ("a", "b")
    assert by_code["bad-parameter"].nodes == ("bad",)
    assert by_code["unknown-node"].edges == (("x", "ghost"),)
    assert by_code["unused-output"].severity == "warning"
    assert by_code["algebraic-loop"].severity == "warning"  # broken by a mark, reported beside the errors
    assert str(err).startswith("graph failed verification with 3 error(s) and 2 warning(s):")
    for d in err.diagnostics:  # every diagnostic is in the one message
        assert f"{d.severity} {d.code}: {d.message}" in str(err)


def test_message_shows_printed_ir_around_the_named_nodes_and_the_hint():
    g = graph([I(id="x", shape=(3,)), L(id="fc", weight=w(4, 5)), lif("n", 4), S(id="far", scale=1.0), O(id="y")],
              [E("x", "fc"), E("fc", "n"), E("n", "far"), E("far", "y")])
    with pytest.raises(snnir.VerifyError) as info:
        snnir.verify(g)
    (d,) = info.value.diagnostics
    text = str(info.value)
    # the named node and the ends of the named edges, pointed at, with one printed IR line either side
    assert d.nodes == ("fc",) and d.edges == (("x", "fc"),)
    assert d.context.splitlines() == [
        "    x: Input shape=(3,)  <-- here",
        "    fc: Linear(x) weight=f32[4,5]  <-- here",
        "    n: LIF(fc) shape=(4,) decay=0.5 threshold=1",
    ]
    assert d.context in text
    assert f"  hint: {d.hint}" in text
    assert "far: Scale" not in text  # only a small window of context
    assert str(d) == f"error shape-mismatch: {d.message}\n{d.context}\n  hint: {d.hint}"


def test_context_marks_every_named_node_and_elides_gaps():
    g = graph([I(id="x", shape=(3,)), S(id="a", scale=0.5), S(id="p", scale=1.0), S(id="q", scale=1.0),
               S(id="r", scale=1.0), S(id="b", scale=0.5), O(id="y")],
              [E("x", "a"), E("a", "p"), E("p", "q"), E("q", "r"), E("r", "b"), E("b", "a"), E("b", "y")])
    d = only(snnir.verify(g), "algebraic-loop")
    assert d.nodes == ("a", "p", "q", "r", "b")
    assert d.context.count("<-- here") == 5

    g = graph([I(id="x", shape=(3,)), S(id="a", scale=0.5), S(id="p", scale=1.0), S(id="q", scale=1.0),
               S(id="r", scale=1.0), S(id="b", scale=0.5), O(id="y")],
              [E("x", "a"), E("a", "b"), E("b", "a"), E("a", "p"), E("p", "q"), E("q", "r"), E("r", "y"),
               E("b", "y")])
    d = only(snnir.verify(g), "algebraic-loop")
    assert d.nodes == ("a", "b")
    lines = d.context.splitlines()
    assert lines[1].startswith("    a: Scale") and lines[1].endswith("<-- here")
    assert "    ..." in lines
    assert any(line.startswith("    b: Scale") and line.endswith("<-- here") for line in lines)


def test_nodes_downstream_of_a_shape_mismatch_are_not_reported_again():
    g = graph([I(id="x", shape=(3,)), L(id="fc", weight=w(4, 5)), S(id="s", scale=1.0), L(id="fc2", weight=w(2, 4)),
               O(id="y")],
              [E("x", "fc"), E("fc", "s"), E("s", "fc2"), E("fc2", "y")])
    assert codes(errors_of(g)) == ["shape-mismatch"]


def test_diagnostic_to_dict():
    d = only(errors_of(layernorm_feedback_graph(delay=1)), "shape-mismatch")
    data = d.to_dict()
    assert data["code"] == "shape-mismatch" and data["severity"] == "error"
    assert data["nodes"] == ["fc"]
    assert ["ln", "fc"] in data["edges"]
    assert data["hint"] == d.hint and data["message"] == d.message


def test_verify_error_is_a_snnir_error_and_a_value_error():
    with pytest.raises(snnir.VerifyError) as info:
        snnir.verify(snnir.Graph(nodes=[]))
    assert isinstance(info.value, snnir.SnnirError)
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError):
        snnir.verify(snnir.Graph(nodes=[]))


# ---------------------------------------------------------------------------------------------- construction
@pytest.mark.parametrize(
    "build, named",
    [
        pytest.param(lambda: S(id="a b", scale=1.0), "'a b'", id="space-in-id"),
        pytest.param(lambda: S(id="a:b", scale=1.0), "'a:b'", id="colon-in-id"),
        pytest.param(lambda: S(id="/a", scale=1.0), "'/a'", id="leading-slash"),
        pytest.param(lambda: snnir.LIF(id="n", shape=(3,), decay=float("nan")), "'n'", id="nan-decay"),
        pytest.param(lambda: L(id="fc", weight=np.array([[1.0, np.inf]])), "'fc'", id="inf-weight"),
        pytest.param(lambda: S(id="s", scale=1.0, gain=2.0), "'s'", id="extra-field"),
        pytest.param(lambda: snnir.LIF(id="n", shape=(3,)), "'n'", id="missing-decay"),
        pytest.param(lambda: I(id="x", shape=(0,)), "'x'", id="empty-shape"),
        pytest.param(lambda: L(id="fc", weight=np.ones(3, np.float32)), "'fc'", id="weight-not-2d"),
        pytest.param(lambda: snnir.Delay(id="d", steps=-1), "'d'", id="negative-delay-node"),
        pytest.param(lambda: E("a", "b", delay=-1), "'a' -> 'b'", id="negative-edge-delay"),
        pytest.param(lambda: E("a", "b", weight=2.0), "'a' -> 'b'", id="extra-edge-field"),
    ],
)
def test_construction_errors_are_invalid_ir_errors_naming_the_object(build, named):
    with pytest.raises(snnir.InvalidIRError) as info:
        build()
    assert isinstance(info.value, snnir.SnnirError) and isinstance(info.value, ValueError)
    assert named in str(info.value)
    assert "hint:" in str(info.value)


@pytest.mark.parametrize(
    "nodes, named, field",
    [
        pytest.param([{"kind": "Input", "id": "x", "shape": [3]}, {"kind": "Synapse", "id": "f"}], "'f'", "Synapse",
                     id="unknown-kind"),
        pytest.param([{"kind": "Scale", "id": "s", "scale": 1.0, "bogus": 1}], "'s'", "bogus", id="extra-field"),
        pytest.param([{"kind": "Input", "id": "x", "shape": [3]}, {"kind": "Scale", "id": "s", "scale": float("nan")}],
                     "'s'", "NaN", id="nan"),
        pytest.param([{"kind": "Scale", "id": "s s", "scale": 1.0}], "'s s'", "id", id="bad-id"),
    ],
)
def test_dict_nodes_are_checked_when_the_graph_is_built(nodes, named, field):
    with pytest.raises(snnir.InvalidIRError) as info:
        snnir.Graph(nodes=nodes)
    text = str(info.value)
    assert f"node {named}" in text and field in text
    assert isinstance(info.value, snnir.SnnirError) and isinstance(info.value, ValueError)


def test_a_graph_reports_all_its_invalid_nodes_at_once():
    with pytest.raises(snnir.InvalidIRError) as info:
        snnir.Graph(nodes=[{"kind": "Scale", "id": "s1", "scale": float("nan")},
                           {"kind": "LIF", "id": "n", "shape": [3], "decay": float("inf")}])
    assert "node 's1'" in str(info.value) and "node 'n'" in str(info.value)


def test_negative_delay_in_an_edge_tuple():
    with pytest.raises(snnir.InvalidIRError, match="delay"):
        snnir.Graph(nodes=[], edges=[("a", "b", -1)])


def test_unregistered_kind_lookup_is_an_unknown_kind_error():
    with pytest.raises(snnir.UnknownKindError) as info:
        snnir.ir.kind_class("Synapse")
    assert isinstance(info.value, snnir.SnnirError) and isinstance(info.value, ValueError)
    assert "register_kind" in str(info.value)


def test_node_lookup_is_a_snnir_key_error():
    with pytest.raises(snnir.NodeNotFoundError) as info:
        valid_graph().node("ghost")
    assert isinstance(info.value, snnir.SnnirError) and isinstance(info.value, KeyError)
    assert "'ghost'" in str(info.value)


def test_construction_is_separate_from_verification():
    """An invalid graph can still be built and printed, with the bad edge shown, so it can be drawn."""
    g = graph([I(id="x", shape=(3,)), O(id="y")], [E("x", "y"), E("x", "ghost")])
    assert "# dangling edge x -> ghost" in str(g)
    assert codes(snnir.check(g)) == ["unknown-node"]


def test_graph_model_validate_of_a_bad_dict_is_an_invalid_ir_error():
    with pytest.raises(snnir.InvalidIRError, match="'f'"):
        snnir.Graph.model_validate({"nodes": [{"kind": "Synapse", "id": "f"}]})


def test_positional_node_arguments_raise_a_snnir_type_error():
    with pytest.raises(snnir.SnnirError) as info:
        S("s", 1.0)
    assert isinstance(info.value, TypeError)


def test_a_zero_step_delay_node_does_not_break_an_algebraic_loop():
    g = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(1,)), snnir.Scale(id="a", scale=0.5), snnir.Delay(id="d", steps=0),
               snnir.Output(id="y")],
        edges=[("x", "a"), ("a", "d"), ("d", "a"), ("a", "y")])
    # still a zero-delay cycle of stateless nodes: the rule marks d -> a, with the warning
    assert [(d.code, d.nodes, d.edges) for d in snnir.verify(g)] == [("algebraic-loop", ("a", "d"), (("d", "a"),))]
    # one step of delay makes it a recurrence: nothing to mark, nothing to report
    assert snnir.verify(g.replace_node(snnir.Delay(id="d", steps=1))) == ()


# ---------------------------------------------------------------------------------------------- slips and hints
def test_a_misspelt_field_suggests_the_close_one():
    with pytest.raises(snnir.InvalidIRError) as info:
        snnir.LIF(id="a", shape=(3,), decay=0.9, treshold=1.0)
    text = str(info.value)
    assert "unknown field 'treshold'; did you mean 'threshold'?" in text
    assert "Extra inputs are not permitted" not in text
    assert isinstance(info.value, snnir.SnnirError) and isinstance(info.value, ValueError)


def test_an_unknown_field_with_no_close_match_lists_the_fields():
    with pytest.raises(snnir.InvalidIRError) as info:
        snnir.LIF(id="a", shape=(3,), decay=0.9, colour="red")
    assert "unknown field 'colour'; LIF takes id, " in str(info.value)
    assert "decay" in str(info.value) and "did you mean" not in str(info.value)


def test_a_misspelt_field_of_an_edge_or_a_nested_surrogate_suggests_the_close_one():
    with pytest.raises(snnir.InvalidIRError, match="did you mean 'delay'"):
        E("a", "b", dleay=1)
    with pytest.raises(snnir.InvalidIRError, match="did you mean 'name'"):
        snnir.LIF(id="a", shape=(3,), decay=0.9, surrogate={"nmae": "arctan"})
    with pytest.raises(snnir.InvalidIRError, match="node 'a' field treshold: unknown field 'treshold'; did you mean"):
        snnir.Graph(nodes=[{"kind": "LIF", "id": "a", "shape": [3], "decay": 0.5, "treshold": 1.0}])


def test_a_misspelt_kind_suggests_the_close_one_not_every_kind():
    with pytest.raises(snnir.InvalidIRError) as info:
        snnir.Graph(nodes=[{"kind": "Input", "id": "x", "shape": [3]},
                           {"kind": "LFI", "id": "n", "shape": [3], "decay": 0.9}])
    text = str(info.value)
    assert "node 'n': unknown node kind 'LFI'; did you mean 'LIF'" in text
    assert "expected tags" not in text and "'Subgraph'" not in text
    assert isinstance(info.value, snnir.SnnirError) and isinstance(info.value, ValueError)


def test_an_unknown_kind_with_no_close_match_lists_the_kinds_briefly():
    with pytest.raises(snnir.InvalidIRError) as info:
        snnir.Graph(nodes=[{"kind": "GRU", "id": "g"}])
    line = next(l for l in str(info.value).splitlines() if "'GRU'" in l)
    assert "registered kinds: ALIF, " in line and ", LIF, " in line and "'" not in line.split("kinds:")[1]


def test_a_misspelt_kind_in_a_model_file(tmp_path):
    path = tmp_path / "model.json"
    snnir.save(valid_graph(), path)
    path.write_text(path.read_text().replace('"kind": "LIF"', '"kind": "LFI"'))
    with pytest.raises(snnir.SnnirError) as info:
        snnir.load(path)
    assert isinstance(info.value, ValueError)
    assert "unknown node kind 'LFI'; did you mean 'LIF'" in str(info.value)


def test_kind_lookup_suggests_the_close_kind():
    with pytest.raises(snnir.UnknownKindError, match="did you mean 'Linear'"):
        snnir.ir.kind_class("Lineer")


def test_node_lookup_suggests_the_close_id():
    with pytest.raises(snnir.NodeNotFoundError, match="did you mean 'fc'"):
        valid_graph().node("fcc")


def test_construction_errors_name_edges_by_their_ends_not_by_index():
    with pytest.raises(snnir.InvalidIRError) as info:
        snnir.Graph(nodes=[], edges=[("a", "b"), ("b", "c", -1),
                                     {"src": "c", "dst": "d", "src_port": "v", "dst_port": "in1", "delay": -2}])
    text = str(info.value)
    assert "edge b -> c (delay=-1) field delay:" in text
    assert "edge c.v -> d.in1 (delay=-2) field delay:" in text
    assert "#1" not in text and "#2" not in text


def edge_typo_graph(typo: snnir.Edge) -> snnir.Graph:
    """x -> fc -> lif -> fc2 -> y, with ``typo`` in place of the edge into lif (or, if it enters fc2, out of lif)."""
    chain = [E("x", "fc"), E("fc", "lif"), E("lif", "fc2"), E("fc2", "y")]
    slot = 2 if typo.dst == "fc2" else 1
    return graph([I(id="x", shape=(3,)), L(id="fc", weight=w(4, 3)), lif("lif", 4), L(id="fc2", weight=w(2, 4)),
                  O(id="y")], chain[:slot] + [typo] + chain[slot + 1:])


@pytest.mark.parametrize("typo, guess", [(E("fc", "lfi"), "lif"), (E("fcc", "lif"), "fc"), (E("lfi", "fc2"), "lif")],
                         ids=["destination", "source", "source-downstream"])
def test_an_edge_typo_is_reported_once_with_the_close_id(typo, guess):
    diags = snnir.check(edge_typo_graph(typo))
    assert [d.code for d in diags] == ["unknown-node"], [(d.code, d.nodes) for d in diags]
    assert f"did you mean {guess!r}?" in diags[0].hint
    assert diags[0].edges == (typo.key,)


def test_an_edge_typo_with_no_close_id_still_spares_the_known_end():
    diags = snnir.check(edge_typo_graph(E("fc", "zzz")))
    # the source's branch is not reported unused; the node nothing feeds still is
    assert sorted(d.code for d in diags) == ["missing-input", "unknown-node", "unreachable-node",
                                             "unreachable-node", "unreachable-output"]
    assert "did you mean" not in only(diags, "unknown-node").hint


def test_a_port_typo_is_reported_once_with_the_close_port():
    g = edge_typo_graph(E("lif", "fc2", src_port="vv"))
    diags = snnir.check(g)
    assert [d.code for d in diags] == ["unknown-port"]
    assert "did you mean 'v'?" in diags[0].hint


def test_an_edge_typo_does_not_hide_an_unrelated_problem():
    g = edge_typo_graph(E("fc", "lfi"))
    g = g.replace(nodes=[*g.nodes, S(id="spare", scale=1.0)], edges=[*g.edges, E("x", "spare")])
    assert sorted(d.code for d in snnir.check(g)) == ["unknown-node", "unused-output"]


def test_descendants_of_an_unfed_node_are_not_reported_as_shapeless():
    g = graph([I(id="x", shape=(3,)), S(id="s", scale=1.0), S(id="t", scale=1.0), O(id="y")],
              [E("x", "y"), E("s", "t"), E("t", "y")])
    assert "unknown-shape" not in codes(snnir.check(g))


def test_edges_in_messages_show_non_default_ports_and_delays():
    g = graph([I(id="x", shape=(3,)), O(id="y")], [E("x", "y"), E("x", "ghost", delay=2, dst_port="in1")])
    assert "edge x -> ghost.in1 (delay=2) names unknown node(s) ['ghost']" in only(snnir.check(g), "unknown-node").message


def test_hints_point_to_snnir_explain_not_to_docs_files():
    with pytest.raises(snnir.InvalidIRError) as info:
        snnir.LIF(id="n", shape=(3,), decay=float("nan"))
    assert "run 'snnir explain invalid-ir'" in str(info.value) and "help(snnir.LIF)" in str(info.value)
    assert "docs/" not in str(info.value)
    with pytest.raises(snnir.VerifyError) as info:
        snnir.verify(many_problems_graph())
    assert str(info.value).splitlines()[-1].startswith("for more on a code, run 'snnir explain ")


def test_every_code_verify_can_produce_has_a_catalogue_entry():
    from snnir.codes import CODES, explain

    for code in ERROR_CODES | WARNING_CODES:
        entry = CODES[code]
        assert entry.severity == ("warning" if code in WARNING_CODES else "error")
        assert entry.title and entry.explanation and entry.fix
        text = explain(code)
        assert text.startswith(f"{code} ({entry.severity}): {entry.title}") and "How to fix it:" in text
    assert {c for c, e in CODES.items() if e.stage == "verify"} == ERROR_CODES | WARNING_CODES
    assert "docs/" not in " ".join(explain(c) for c in CODES)


def test_explain_an_unknown_code_suggests_close_codes():
    from snnir.codes import UnknownCodeError, explain

    with pytest.raises(UnknownCodeError, match="did you mean 'shape-mismatch'") as info:
        explain("shape-mismatc")
    assert isinstance(info.value, snnir.SnnirError) and isinstance(info.value, ValueError)
    with pytest.raises(UnknownCodeError, match="known codes: duplicate-id, unknown-node"):
        explain("nonsense")


def _messages(path: pathlib.Path):
    """(line, text) of every string constant in a module that is not a docstring."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(n.body[0].value) for n in ast.walk(tree)
        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)
    }
    for n in ast.walk(tree):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings:
            yield n.lineno, n.value


def test_no_message_points_to_a_docs_path():
    """Installed users have no docs/ folder: messages point to help(), snnir explain or the hint itself."""
    found = [f"{path.relative_to(ROOT)}:{line}: {text[:60]!r}"
             for path in sorted([*(ROOT / "snnir").rglob("*.py"), *(ROOT / "passes").rglob("*.py")])
             for line, text in _messages(path) if re.search(r"docs/|\w\.md\b", text)]
    assert not found, "\n".join(found)


def test_an_edge_typo_around_or_inside_a_composite_is_reported_once():
    inner = graph([I(id="in", shape=(4,)), lif("n", 4), O(id="out")], [E("in", "n"), E("n", "out")])
    outer = [I(id="x", shape=(3,)), L(id="fc", weight=w(4, 3)), snnir.Subgraph(id="blk", graph=inner), O(id="y")]
    typo_outside = graph(outer, [E("x", "fc"), E("fc", "bkl"), E("blk", "y")])
    (d,) = snnir.check(typo_outside)
    assert d.code == "unknown-node" and "did you mean 'blk'?" in d.hint
    typo_inside = graph([*outer[:2], snnir.Subgraph(id="blk", graph=inner.replace(edges=[E("in", "nn"), E("n", "out")])),
                         outer[3]], [E("x", "fc"), E("fc", "blk"), E("blk", "y")])
    (d,) = snnir.check(typo_inside)
    assert d.code == "unknown-node" and d.edges == (("blk/in", "blk/nn"),)
    assert "did you mean 'blk/n'?" in d.hint  # compared within the block, without its path
