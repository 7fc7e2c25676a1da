"""Composite nodes (Subgraph and the SNNAX-style constructors) and the expand pass.

Expansion is pinned by hand-written ids and edges; numbers by the independent numpy reference simulator
(tests/reference_sim.py simulates a Subgraph in place with its own rules, without the expand pass), in
both modes, on dyadic data so float32 is exact.
"""

import numpy as np
import pytest

import snnir
from snnir.passes import EXPAND
from snnir.ir import Edge, Graph, Subgraph
from snnir.ir.composites import compound, graph_structure, local_feedback, parallel, resnet_block, sequential, subgraph
from snnir.ir.inline import inline, with_parameters_from
from tests.reference_sim import simulate, simulate_trace

I, O, L, S, E = snnir.Input, snnir.Output, snnir.Linear, snnir.Scale, snnir.Edge
MODES = ("straight", "delayed")


def w(out, inp, seed=0):
    """A dyadic weight [out, in] with entries k/8, k in -4..4."""
    return (np.random.default_rng(seed).integers(-4, 5, size=(out, inp)) / 8).astype(np.float32)


def lif(id, n, **kw):  # noqa: A002
    return snnir.LIF(id=id, shape=(n,), decay=kw.pop("decay", 0.5), **kw)


def if_(id, n=1, threshold=0.5):  # noqa: A002
    return snnir.IF(id=id, shape=(n,), threshold=threshold)


def wrap(block, in_shapes, outputs=("out",)):
    """Inputs x0, x1, ... into the block's ports in order; each output port into an Output y_<port>."""
    ins = [I(id=f"x{k}", shape=s) for k, s in enumerate(in_shapes)]
    outs = [O(id=f"y_{p}") for p in outputs]
    edges = [E(f"x{k}", block.id, dst_port=p) for k, p in enumerate(block.INPUT_PORTS)]
    edges += [E(block.id, f"y_{p}", src_port=p) for p in outputs]
    return Graph(nodes=(*ins, block, *outs), edges=tuple(edges))


def spikes(T, B, shape, seed=0, p=0.4):
    return (np.random.default_rng(seed).random((T, B, *shape)) < p).astype(np.float32)


def run(graph, xs, mode):
    prog = snnir.compile(graph, mode=mode)
    _, ys = prog(prog.init_state((xs[next(iter(xs))].shape[1],)), xs)
    return prog, {k: np.asarray(v) for k, v in ys.items()}


def assert_matches_reference(graph, xs, mode, reference_graph=None):
    prog, ys = run(graph, xs, mode)
    want = simulate(reference_graph or graph, xs, mode)
    assert set(ys) == set(want)
    for k in want:
        np.testing.assert_array_equal(ys[k], want[k], err_msg=f"{mode} output {k}")
    return prog


# ---------------------------------------------------------------------------------------------- expansion
def test_expansion_gives_block_ids_and_rewires_edges_through_ports():
    blk = sequential("net", [L(id="fc", weight=w(4, 3)), lif("lif", 4)])
    g = Graph(nodes=[I(id="x", shape=(3,)), blk, O(id="y")], edges=[E("x", "net", delay=2), E("net", "y")])
    flat = EXPAND(g)
    assert flat.node_ids == ("x", "net/fc", "net/lif", "y")
    assert [(e.src, e.dst, e.delay) for e in flat.edges] == [("x", "net/fc", 2), ("net/lif", "y", 0), ("net/fc", "net/lif", 0)]
    assert flat.node("net/fc") == L(id="net/fc", weight=w(4, 3))
    assert EXPAND(flat) is flat  # nothing left to expand


def test_nested_composites_expand_recursively():
    inner = compound("cell", [L(id="fc", weight=w(4, 4)), lif("lif", 4)])
    outer = sequential("net", [L(id="enc", weight=w(4, 3)), inner, S(id="gain", scale=0.5)])
    flat = EXPAND(wrap(outer, [(3,)]))
    assert flat.node_ids == ("x0", "net/enc", "net/cell/fc", "net/cell/lif", "net/gain", "y_out")
    assert {e.key for e in flat.edges} == {("x0", "net/enc"), ("net/enc", "net/cell/fc"), ("net/cell/fc", "net/cell/lif"),
                                           ("net/cell/lif", "net/gain"), ("net/gain", "y_out")}
    nested = wrap(outer, [(3,)])
    assert nested.parameter_count() == flat.parameter_count() > 0  # parameters inside composites count


def test_joined_edges_add_delays_and_keep_feedback_marks():
    inner = Graph(nodes=[I(id="in", shape=(2,)), S(id="s", scale=1.0), O(id="out")],
                  edges=[E("in", "s", delay=1, feedback=True), E("s", "out", delay=3)])
    g = Graph(nodes=[I(id="x", shape=(2,)), subgraph("b", inner), S(id="t", scale=1.0), O(id="y")],
              edges=[E("x", "b", delay=2, feedback=True), E("b", "t", delay=1), E("t", "y")])
    flat = EXPAND(g)
    into = flat.in_edges("b/s")[0]
    assert (into.delay, into.feedback, into.effective_delay) == (4, True, 5)  # 2+1 and 1+1, summed
    out = flat.in_edges("t")[0]
    assert (out.src, out.delay, out.feedback) == ("b/s", 4, False)


def test_fan_in_and_fan_out_at_a_port_give_every_combination():
    p = parallel("par", [S(id="a", scale=0.5), S(id="b", scale=0.25)], in_shapes=[(2,)], shared_input=True)
    g = Graph(nodes=[I(id="x", shape=(2,)), I(id="z", shape=(2,)), p, O(id="y"), O(id="y2")],
              edges=[E("x", "par"), E("z", "par"), E("par", "y"), E("par", "y2")])
    flat = EXPAND(g)
    assert sorted(e.key for e in flat.edges) == sorted([
        ("x", "par/a"), ("z", "par/a"), ("x", "par/b"), ("z", "par/b"),
        ("par/a", "y"), ("par/b", "y"), ("par/a", "y2"), ("par/b", "y2")])


def test_printing_shows_the_inner_graph_indented():
    blk = compound("cell", [S(id="s", scale=0.5)], in_shape=(2,))
    text = str(wrap(blk, [(2,)]))
    assert text.splitlines() == [
        f"graph(schema={snnir.SCHEMA_VERSION}) {{",
        "  x0: Input shape=(2,)",
        "  cell: Subgraph(x0) composite=Compound same_step {",
        "    in: Input shape=(2,)",
        "    s: Scale(in) scale=0.5",
        "    out: Output(s)",
        "  }",
        "  y_out: Output(cell)",
        "}",
    ]


def test_shape_inference_works_through_a_composite():
    from snnir.analysis import infer_shapes

    blk = sequential("net", [L(id="fc", weight=w(5, 3)), compound("c", [lif("n", 5)])])
    shapes = infer_shapes(wrap(blk, [(3,)]))
    assert shapes.output("net") == (5,)
    assert blk.port_shapes() == {"in": (3,)}


# ---------------------------------------------------------------------------------------------- numbers
def test_snnax_timing_pulse_through_sequential_of_identities_and_ifs():
    """SNNAX's Sequential(Id, SimpleIAF, Id, SimpleIAF, Id) outputs a pulse at t = 4 (its code delays every
    edge between layers); straight mode passes it within the step."""
    seq = sequential("net", [S(id="id0", scale=1.0), if_("if1"), S(id="id2", scale=1.0), if_("if3"),
                             S(id="id4", scale=1.0)], in_shape=(1,))
    g = wrap(seq, [(1,)])
    xs = {"x0": np.zeros((8, 1, 1), np.float32)}
    xs["x0"][0] = 1.0
    for mode, t in (("straight", 0), ("delayed", 4)):
        _, ys = run(g, xs, mode)
        assert np.flatnonzero(ys["y_out"][:, 0, 0]).tolist() == [t], mode
        np.testing.assert_array_equal(ys["y_out"], simulate(g, xs, mode)["y_out"])


def test_compound_inside_is_same_step_in_delayed_mode():
    """Input -> enc -> compound[Scale, IF] -> Output: delayed mode delays only the edge enc -> compound."""
    cell = compound("cell", [S(id="s", scale=1.0), if_("n")], in_shape=(1,))
    g = Graph(nodes=[I(id="x", shape=(1,)), S(id="enc", scale=1.0), cell, O(id="y")],
              edges=[E("x", "enc"), E("enc", "cell"), E("cell", "y")])
    xs = {"x": np.zeros((6, 1, 1), np.float32)}
    xs["x"][0] = 1.0
    for mode, t in (("straight", 0), ("delayed", 1)):
        _, ys = run(g, xs, mode)
        assert np.flatnonzero(ys["y"][:, 0, 0]).tolist() == [t], mode


@pytest.mark.parametrize("mode", MODES)
def test_sequential_parallel_compound_against_the_reference(mode):
    par = parallel("par", [[L(id="ff", weight=w(4, 3, 1)), lif("a", 4)], L(id="skip", weight=w(4, 2, 2))])
    cell = compound("cell", [par, snnir.LI(id="ro", shape=(4,), decay=0.5)])
    net = sequential("net", [cell, L(id="head", weight=w(2, 4, 3)), lif("out_lif", 2, threshold=0.25)])
    g = wrap(net, [(3,), (2,)])
    assert net.INPUT_PORTS == ("in0", "in1")
    xs = {"x0": spikes(12, 2, (3,), 0), "x1": spikes(12, 2, (2,), 1)}
    prog = assert_matches_reference(g, xs, mode)
    _, traces = prog.trace(prog.init_state((2,)), xs)
    want = simulate_trace(g, xs, mode)
    for nid in ("net/cell/par/ff", "net/cell/par/a", "net/cell/ro", "net/head"):
        np.testing.assert_array_equal(np.asarray(traces[nid]), want[nid], err_msg=nid)


@pytest.mark.parametrize("mode", MODES)
def test_resnet_block_with_lif_against_the_reference(mode):
    blk = resnet_block("res", "ll", [[4, 4], [4, 4]], in_shape=(4,), neuron="LIF",
                       neuron_params={"decay": 0.5, "threshold": 0.25})
    blk = blk.replace(graph=blk.graph.replace(nodes=tuple(
        n.replace(weight=w(4, 4, i)) if n.kind == "Linear" else n for i, n in enumerate(blk.graph.nodes))))
    assert [(e.src, e.dst) for e in blk.graph.edges if e.src == "in"] == [("in", "fc0"), ("in", "lif1")]  # the skip
    g = wrap(blk, [(4,)])
    assert_matches_reference(g, {"x0": spikes(10, 2, (4,), 3)}, mode)


def test_resnet_block_skip_changes_the_result():
    """The skip connection is really added: without it the block computes something else."""
    blk = resnet_block("res", "l", [[3, 3]], in_shape=(3,), neuron_params={"decay": 0.5, "threshold": 0.25})
    no_skip = blk.replace(graph=blk.graph.replace(edges=tuple(e for e in blk.graph.edges if e.key != ("in", "lif0"))))
    xs = {"x0": spikes(8, 1, (3,), 4, p=0.7)}
    a = simulate(wrap(blk, [(3,)]), xs, "straight")["y_out"]
    b = simulate(wrap(no_skip, [(3,)]), xs, "straight")["y_out"]
    assert not np.array_equal(a, b)


def test_resnet_block_with_sigma_delta():
    kinds = snnir.node_kinds()
    if "SigmaDelta" not in kinds:
        pytest.skip("no SigmaDelta kind registered yet")
    import snnir.passes as passes

    if "SigmaDelta" not in passes.lowering_rules():
        pytest.skip("SigmaDelta has no lowering rule yet")
    blk = resnet_block("res", "l", [[3, 3]], in_shape=(3,), neuron="SigmaDelta",
                       neuron_params={"in_decay": 0.5, "mem_decay": 0.5, "fb_decay": 0.5, "threshold": 0.25})
    assert blk.graph.node("sigmadelta0").kind == "SigmaDelta"
    blk = blk.replace(graph=blk.graph.replace(nodes=tuple(
        n.replace(weight=w(3, 3, 5)) if n.kind == "Linear" else n for n in blk.graph.nodes)))
    g = wrap(blk, [(3,)])
    for mode in MODES:
        assert_matches_reference(g, {"x0": spikes(8, 1, (3,), 6)}, mode)


def test_resnet_block_refuses_a_shape_change_and_unknown_neurons():
    with pytest.raises(snnir.InvalidIRError, match="skip connection"):
        resnet_block("res", "l", [[3, 5]], in_shape=(3,))
    with pytest.raises(snnir.SnnirError, match="Sparkly"):
        resnet_block("res", "l", [[3, 3]], in_shape=(3,), neuron="Sparkly")


def test_resnet_block_of_convolutions_verifies():
    blk = resnet_block("res", "cc", [[2, 3, 3, 1, 1], [3, 2, 3, 1, 1]], in_shape=(2, 5, 5), norm="layer")
    snnir.verify(wrap(blk, [(2, 5, 5)]))
    assert [n.kind for n in blk.graph.nodes] == ["Input", "Conv2d", "LayerNorm", "LIF", "Conv2d", "LayerNorm", "LIF", "Output"]


def local_feedback_net():
    """SNNAX's recurrent pattern: CompoundLayer(Parallel([ff, rec]), LIF) fed back into itself."""
    par = parallel("par", [L(id="ff", weight=w(4, 3, 7)), L(id="rec", weight=w(4, 4, 8))])
    cell = compound("cell", [par, lif("n", 4, threshold=0.25)])
    return local_feedback("net", [L(id="enc", weight=w(3, 3, 9)), cell, L(id="head", weight=w(2, 4, 10))])


def test_local_feedback_wires_compounds_to_themselves_in_snnax_order():
    net = local_feedback_net()
    into = [(e.src, e.dst_port) for e in net.graph.in_edges("cell")]
    assert into == [("enc", "in0"), ("cell", "in1")]  # feed-forward first, then the own previous output


@pytest.mark.parametrize("mode", MODES)
def test_local_feedback_against_the_reference(mode):
    g = wrap(local_feedback_net(), [(3,)])
    xs = {"x0": spikes(12, 2, (3,), 11, p=0.6)}
    prog = snnir.compile(g, mode=mode)
    if mode == "straight":
        # mark-feedback (after expansion) closes the cycle on the joined self-edge, which re-enters the block
        assert prog.feedback_edges == (("net/cell/n", "net/cell/par/rec"),)
        marked = g.replace(nodes=tuple(
            n.replace(graph=n.graph.replace(edges=tuple(e.replace(feedback=e.key == ("cell", "cell"))
                                                        for e in n.graph.edges))) if n.id == "net" else n
            for n in g.nodes))
        assert_matches_reference(g, xs, mode, reference_graph=marked)
    else:
        assert prog.feedback_edges == ()
        assert_matches_reference(g, xs, mode)


def recurrent_cell_net():
    """enc -> cell -> head, where ``cell`` is one same-step layer holding a zero-delay cycle
    (ff -> n -> rec -> n): delayed mode delays enc -> cell and cell -> head, but not the cycle inside."""
    inner = Graph(nodes=[I(id="in", shape=(3,)), L(id="ff", weight=w(4, 3, 12)), lif("n", 4, threshold=0.25),
                         L(id="rec", weight=w(4, 4, 13)), O(id="out")],
                  edges=[E("in", "ff"), E("ff", "n"), E("n", "rec"), E("rec", "n"), E("n", "out")])
    cell = Subgraph(id="cell", graph=inner, same_step=True)
    return Graph(nodes=[I(id="x", shape=(3,)), L(id="enc", weight=w(3, 3, 14)), cell,
                        L(id="head", weight=w(2, 4, 15)), O(id="y")],
                 edges=[E("x", "enc"), E("enc", "cell"), E("cell", "head"), E("head", "y")])


@pytest.mark.parametrize("mode", MODES)
def test_cycle_inside_a_same_step_composite_against_the_reference(mode):
    """Both modes mark rec -> n inside the block (n is declared first) and read the previous step there;
    the reference reads that mark from the IR and applies delayed mode's extra step to the outer edges only."""
    g = recurrent_cell_net()
    xs = {"x": spikes(12, 2, (3,), 21, p=0.6)}
    prog, ys = run(g, xs, mode)
    assert prog.feedback_edges == (("cell/rec", "cell/n"),)
    marked = g.replace(nodes=tuple(
        n.replace(graph=n.graph.replace(edges=tuple(e.replace(feedback=e.key == ("rec", "n")) for e in n.graph.edges)))
        if n.id == "cell" else n for n in g.nodes))
    np.testing.assert_array_equal(ys["y"], simulate(marked, xs, mode)["y"])
    spiking = np.asarray(prog.trace(prog.init_state((2,)), xs)[1]["cell/n"])
    assert 0 < spiking.mean() < 1  # the cycle is exercised: spikes come and go


def test_delayed_mode_delays_a_same_step_composite_by_its_outer_edges_only():
    """A pulse at t = 0 reaches the block's Linear ff and the membrane of n at t = 1 in delayed mode (one
    edge between layers, enc -> cell, lies on the way; the edges inside the block add nothing), and at
    t = 0 in straight mode."""
    g = recurrent_cell_net()
    xs = {"x": np.zeros((6, 1, 3), np.float32)}
    xs["x"][0] = 1.0
    for mode, t in (("straight", 0), ("delayed", 1)):
        prog = snnir.compile(g, mode=mode)
        _, traces = prog.trace(prog.init_state((1,)), xs, state_vars=True)
        for name in ("cell/ff", "cell/n:v"):
            active = np.abs(np.asarray(traces[name])).reshape(6, -1).sum(axis=1)
            assert int(np.flatnonzero(active)[0]) == t, (mode, name)


def test_seed_feedback_from_layernorm_into_linear_is_a_verify_error_naming_the_edge():
    """The seed's SequentialLocalFeedback([Linear(10, 20), LayerNorm(20), LIF], feedback_layers={1: 0})."""
    net = local_feedback("net", [L(id="fc", weight=w(20, 10)), snnir.LayerNorm(id="ln"), lif("lif", 20)],
                         feedback={1: 0})
    with pytest.raises(snnir.VerifyError) as info:
        snnir.verify(wrap(net, [(10,)]))
    bad = [d for d in info.value.diagnostics if d.code == "shape-mismatch"]
    assert bad and bad[0].nodes == ("net/fc",)
    assert ("net/ln", "net/fc") in bad[0].edges
    assert "net/ln gives (20,)" in str(info.value)


def test_graph_structure_feeds_a_parallel_one_source_per_port():
    """SNNAX order: the layers listed in the connectivity first, then the external inputs."""
    par = parallel("par", [S(id="a", scale=0.5), S(id="b", scale=0.25)], in_shapes=[(2,), (2,)])
    g = graph_structure(3, [[0], [0], []], [2], [[], [0], [1]],
                        [S(id="pre", scale=1.0), par, lif("n", 2, threshold=0.25)], in_shapes=[(2,)])
    assert [(e.src, e.dst, e.dst_port) for e in g.in_edges("par")] == [("pre", "par", "in0"), ("in", "par", "in1")]
    assert g.node_ids == ("in", "pre", "par", "n", "out")
    xs = {"in": spikes(8, 2, (2,), 12, p=0.7)}
    for mode in MODES:
        assert_matches_reference(g, xs, mode)


def test_graph_structure_sums_several_sources_into_a_single_port_layer():
    g = graph_structure(3, [[0], [], []], [2], [[], [0], [0, 1]],
                        [L(id="a", weight=w(3, 2)), S(id="b", scale=0.5), lif("c", 3)])
    assert [(e.src, e.dst_port) for e in g.in_edges("c")] == [("a", "in"), ("b", "in")]
    snnir.verify(g)


# ---------------------------------------------------------------------------------------------- verify
def test_verify_names_problems_inside_composites_by_block_ids():
    net = sequential("net", [L(id="fc1", weight=w(4, 3)), L(id="fc2", weight=w(2, 5))])
    with pytest.raises(snnir.VerifyError) as info:
        snnir.verify(wrap(net, [(3,)]))
    [d] = [d for d in info.value.diagnostics if d.code == "shape-mismatch"]
    assert d.nodes == ("net/fc2",)
    assert "net/fc2" in str(info.value)


def test_verify_checks_the_structure_of_every_level():
    inner = Graph(nodes=[I(id="in", shape=(2,)), S(id="s", scale=1.0), S(id="s", scale=2.0), O(id="out")],
                  edges=[E("in", "s"), E("s", "ghost"), E("s", "out")])
    diags = snnir.check(wrap(subgraph("blk", inner), [(2,)]))
    codes = {(d.code, d.nodes) for d in diags}
    assert ("duplicate-id", ("blk/s",)) in codes
    assert ("unknown-node", ("blk/s",)) in codes


def test_composite_ports_code():
    no_output = Graph(nodes=[I(id="in", shape=(2,)), S(id="s", scale=1.0)], edges=[E("in", "s")])
    g = Graph(nodes=[I(id="x", shape=(2,)), Subgraph(id="blk", graph=no_output), O(id="y")],
              edges=[E("x", "blk"), E("x", "y")])
    diags = [d for d in snnir.check(g) if d.code == "composite-ports"]
    assert [d.nodes for d in diags] == [("blk",)] and "no output port" in diags[0].message


def test_an_edge_into_a_port_the_composite_lacks_is_an_unknown_port():
    blk = compound("c", [S(id="s", scale=1.0)], in_shape=(2,))
    g = Graph(nodes=[I(id="x", shape=(2,)), blk, O(id="y")], edges=[E("x", "c", dst_port="in7"), E("c", "y")])
    assert "unknown-port" in {d.code for d in snnir.check(g)}


def test_slash_in_ids_is_refused_where_composites_are():
    with pytest.raises(snnir.InvalidIRError, match="reserved"):
        sequential("a/b", [S(id="s", scale=1.0)], in_shape=(2,))
    with pytest.raises(snnir.InvalidIRError, match="rename it"):
        compound("c", [S(id="s/t", scale=1.0)], in_shape=(2,))
    blk = compound("c", [S(id="s", scale=1.0)], in_shape=(2,))
    g = Graph(nodes=[I(id="x", shape=(2,)), blk, S(id="c/s", scale=1.0), O(id="y")],
              edges=[E("x", "c"), E("c", "c/s"), E("c/s", "y")])
    with pytest.raises(snnir.VerifyError) as info:
        snnir.verify(g)
    assert "reserved-id" in info.value.codes
    # an expanded graph (no composites left) uses such ids legitimately
    snnir.verify(EXPAND(wrap(blk, [(2,)])))


# ---------------------------------------------------------------------------------------------- files, to_graph, analysis, drawing
@pytest.mark.parametrize("suffix", [".snnir", ".json"])
def test_file_round_trip_of_nested_composites(tmp_path, suffix):
    g = wrap(local_feedback_net(), [(3,)])
    loaded = snnir.load(snnir.save(g, tmp_path / f"m{suffix}"))
    assert loaded == g
    assert loaded.nodes[1].graph.node("cell").graph.node("par").graph.node("rec") == \
        g.nodes[1].graph.node("cell").graph.node("par").graph.node("rec")


def test_file_container_stores_nested_arrays_as_npy(tmp_path):
    import zipfile

    g = wrap(local_feedback_net(), [(3,)])
    path = snnir.save(g, tmp_path / "m.snnir")
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.startswith("arrays/")]
    assert len(names) == sum(len(n.params()) for n in EXPAND(g).nodes)


def test_to_graph_returns_the_expanded_marked_graph_and_parameters_go_back():
    g = wrap(local_feedback_net(), [(3,)])
    prog = snnir.compile(g)
    flat = prog.to_graph()
    assert flat == passes_pipeline_straight(g)
    assert flat.feedback_edges == (("net/cell/n", "net/cell/par/rec"),)
    assert snnir.compile(flat).to_graph() == flat  # compiling it again gives the same program
    changed = flat.replace_node(flat.node("net/head").replace(weight=np.full((2, 4), 0.5, np.float32)))
    back = with_parameters_from(g, changed)
    assert back.nodes[1].graph.node("head").weight.tolist() == np.full((2, 4), 0.5).tolist()
    assert inline(back).replace(edges=flat.edges) == changed


def passes_pipeline_straight(g):
    import snnir.passes as passes

    return passes.pipeline_for("straight").run(g)


def test_analyze_sees_the_expanded_graph():
    g = wrap(local_feedback_net(), [(3,)])
    a = snnir.analyze(g)
    assert a.feedback_edges == (("net/cell/n", "net/cell/par/rec"),)
    assert "net/cell/par/ff" in a.order
    assert snnir.analyze(g, mode="delayed").feedback_edges == ()


def test_drawing_a_graph_with_composites():
    g = wrap(local_feedback_net(), [(3,)])
    dot = snnir.to_dot(g)
    assert "net" in dot
