"""Integer-exact simulation, ``snnir.compile(graph, arithmetic="integer")``, against the independent
numpy reference of tests/integer_reference.py: bit for bit on random quantized graphs (with recurrence
and delays), at the int32 and state-width saturation limits, and the graphs it refuses.

Graphs come from one small family (widths 3 and 5, batch 2, T = 6) so that compiles are few."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import snnir
from snnir import Edge as E
from snnir.kernels.integer import INT32_MAX, INT32_MIN, sat_add, sat_sub, saturate
from tests.integer_reference import simulate

T, BATCH = 6, 2


def compile_int(graph, **kw):
    return snnir.compile(graph, arithmetic="integer", **kw)


def run_int(graph, xs, **kw):
    prog = compile_int(graph, **kw)
    _, ys = prog(prog.init_state((BATCH,)), xs)
    return {k: np.asarray(v) for k, v in ys.items()}


# ---------------------------------------------------------------------------------------------- the helpers
def test_saturating_add_and_sub_are_exact_at_the_int32_limits():
    edges = np.array([INT32_MIN, INT32_MIN + 1, -(2**30), -7, -1, 0, 1, 7, 2**30, INT32_MAX - 1, INT32_MAX], np.int64)
    a, b = np.meshgrid(edges, edges)
    want_add = np.clip(a + b, INT32_MIN, INT32_MAX)
    want_sub = np.clip(a - b, INT32_MIN, INT32_MAX)
    a32, b32 = jnp.asarray(a, jnp.int32), jnp.asarray(b, jnp.int32)
    assert np.array_equal(np.asarray(sat_add(a32, b32)), want_add)
    assert np.array_equal(np.asarray(sat_sub(a32, b32)), want_sub)
    assert np.array_equal(np.asarray(saturate(a32, 16)), np.clip(a, -32768, 32767))


# ---------------------------------------------------------------------------------------------- random graphs
@st.composite
def quantized_graphs(draw):
    """Input(3) -> fc -> h (LIF or IF, maybe recurrent through rec, marked feedback) -> ro -> out
    (LI or LIF) -> y, sometimes a second Output straight from the hidden layer's Linear; random weights,
    decays and thresholds, quantized with random widths, per channel or per tensor."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    hidden_kind = draw(st.sampled_from(["LIF", "IF"]))
    out_kind = draw(st.sampled_from(["LI", "LIF"]))
    recurrent = draw(st.booleans())
    delayed = draw(st.booleans())
    n_in, n_h, n_out = 3, 5, 3

    def neuron(kind, nid, n):
        fields = dict(id=nid, shape=(n,), threshold=float(rng.uniform(0.3, 2.0)))
        if kind != "IF":
            fields["decay"] = float(rng.choice([0.5, 0.75, 0.9, 0.97, 1.0]))
        if kind == "LI":
            fields.pop("threshold")
        if kind == "LIF" and rng.random() < 0.3:
            fields["reset"] = "zero"
        if kind != "LI" and rng.random() < 0.3:
            fields["fire_at_threshold"] = True
        return getattr(snnir, kind)(**fields)

    def lin(nid, o, i):
        return snnir.Linear(id=nid, weight=rng.normal(0, 1, (o, i)).astype(np.float32),
                            bias=rng.normal(0, 0.3, o).astype(np.float32))

    nodes = [snnir.Input(id="x", shape=(n_in,)), lin("fc", n_h, n_in), neuron(hidden_kind, "h", n_h)]
    edges = [E("x", "fc"), E("fc", "h")]
    if recurrent:
        nodes.append(lin("rec", n_h, n_h))
        edges += [E("h", "rec"), E("rec", "h", feedback=True)]
    nodes += [lin("ro", n_out, n_h), neuron(out_kind, "out", n_out), snnir.Output(id="y")]
    edges += [E("h", "ro", delay=2 if delayed else 0), E("ro", "out"), E("out", "y")]
    if draw(st.booleans()):
        nodes.append(snnir.Output(id="z"))
        edges.append(E("fc", "z"))
    graph = snnir.Graph(nodes=nodes, edges=edges)
    q = snnir.quantize(graph, bits=draw(st.sampled_from([3, 4, 8])),
                       state_bits=draw(st.sampled_from([8, 12, 16, 24, 32])),
                       per_channel=draw(st.booleans()), rounding=draw(st.sampled_from(["nearest", "floor"])),
                       decay=draw(st.sampled_from(["shift", "linear"])), decay_bits=draw(st.sampled_from([4, 12])))
    if draw(st.booleans()):
        xs = (rng.random((T, BATCH, n_in)) < 0.5).astype(np.int32)
    else:
        xs = rng.integers(-40, 40, (T, BATCH, n_in)).astype(np.int32)
    return q, xs


@settings(max_examples=25)
@given(quantized_graphs())
def test_random_quantized_graphs_match_the_integer_reference_bit_for_bit(case):
    graph, xs = case
    got = run_int(graph, xs)
    want = simulate(graph, xs)
    assert set(got) == set(want)
    for k in want:
        assert got[k].dtype == np.int32
        assert np.array_equal(got[k], want[k]), k


def test_recurrence_reads_the_previous_step_as_in_straight_mode():
    """h integrates its input of this step and rec's output of the previous one (the feedback mark)."""
    q = snnir.Quantization
    s = q(bits=16, scale=1.0)
    g = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(1,)),
               snnir.Linear(id="fc", weight=[[1.0]], quant={"weight": q(bits=8, scale=1.0)}),
               snnir.IF(id="h", shape=(1,), threshold=2.0, quant={"threshold": s, "v": s}),
               snnir.Linear(id="rec", weight=[[3.0]], quant={"weight": q(bits=8, scale=1.0)}),
               snnir.Output(id="y")],
        edges=[E("x", "fc"), E("fc", "h"), E("h", "rec"), E("rec", "h", feedback=True), E("h", "y")])
    xs = np.array([3, 0, 0, 0, 0], np.int32).reshape(5, 1, 1).repeat(BATCH, 1)
    got = run_int(g, xs)["y"][:, 0, 0]
    # v: 3 > 2 spikes (v = 1); step 1: 1 + 3 (rec of step 0) = 4 spikes (v = 2); step 2: 2 + 3 = 5 ...
    assert got.tolist() == [1, 1, 1, 1, 1]
    assert np.array_equal(got, simulate(g, xs)["y"][:, 0, 0])


# ---------------------------------------------------------------------------------------------- saturation
def _saturating_graph(state_bits: int, weight: float, threshold: float, kind="IF", decay=None):
    q = snnir.Quantization
    s = q(bits=state_bits, scale=1.0)
    fields = {"decay": decay} if decay is not None else {}
    quant = {"threshold": s, "v": s, **({"decay": q(bits=4, form="shift", signed=False)} if decay is not None else {})}
    return snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(2,)),
               snnir.Linear(id="fc", weight=np.eye(2, dtype=np.float32) * weight,
                            quant={"weight": q(bits=32, scale=1.0)}),
               getattr(snnir, kind)(id="h", shape=(2,), threshold=threshold, quant=quant, **fields),
               snnir.Output(id="y"), snnir.Output(id="v")],
        edges=[E("x", "fc"), E("fc", "h"), E("h", "y"), E("h", "v", src_port="v")])


def test_32_bit_membranes_saturate_at_the_int32_limits_instead_of_wrapping():
    """2^29 a step into a 32-bit IF: 2^29, 2^30, 3·2^29, then 2^31 − 1 (saturated, not wrapped), and
    back down with −2^29 steps to the lower limit; the threshold 2^31 − 1 is never exceeded, so
    nothing resets."""
    g = _saturating_graph(32, weight=2.0**29, threshold=2.0**31 - 1)
    xs = np.zeros((15, BATCH, 2), np.int32)
    xs[:5, :, 0], xs[5:, :, 0] = 1, -1
    xs[:, :, 1] = 1
    got = run_int(g, xs, input_bits=2)
    want = simulate(g, xs, input_bits=2)
    assert np.array_equal(got["v"], want["v"]) and np.array_equal(got["y"], want["y"])
    v = got["v"][:, 0, 0].tolist()
    assert v[:5] == [2**29, 2**30, 3 * 2**29, INT32_MAX, INT32_MAX]
    assert v[-1] == INT32_MIN and got["v"][:, 0, 1].max() == INT32_MAX
    assert got["y"].max() == 0


@pytest.mark.parametrize("bits", [8, 16, 24])
def test_membranes_saturate_at_their_state_width(bits):
    g = _saturating_graph(bits, weight=100.0, threshold=2.0 ** (bits - 1) - 1, kind="LIF", decay=1.0)
    xs = np.full((T, BATCH, 2), 120, np.int32)
    xs[:, :, 1] = -120
    got = run_int(g, xs, input_bits=8)
    assert np.array_equal(got["v"], simulate(g, xs, input_bits=8)["v"])
    assert got["v"][:, :, 0].max() <= 2 ** (bits - 1) - 1 and got["v"][:, :, 1].min() >= -(2 ** (bits - 1))
    if bits == 8:
        assert got["v"][-1, 0].tolist() == [127, -128]


# ---------------------------------------------------------------------------------------------- what it refuses
def _float_graph():
    b = snnir.GraphBuilder(key=0)
    h = b.lif(b.linear(b.input("x", shape=(3,)), 4, id="fc"), decay=0.9, id="h")
    b.output(b.li(b.linear(h, 2, id="ro"), decay=0.75, id="r"), id="y")
    return b.build()


def test_an_unquantized_graph_is_refused_naming_the_node():
    with pytest.raises(snnir.IntegerArithmeticError, match=r"Linear 'fc'.*no quantization") as err:
        compile_int(_float_graph())
    assert err.value.node == "fc" and "hint: quantize the graph first" in str(err.value)


def test_other_kinds_and_options_are_refused():
    b = snnir.GraphBuilder(key=0)
    b.output(b.scale(b.lif(b.linear(b.input("x", shape=(3,)), 4, id="fc"), decay=0.9, id="h"), 2.0, id="s"), id="y")
    with pytest.raises(snnir.IntegerArithmeticError, match=r"Scale 's': integer arithmetic runs") as err:
        compile_int(snnir.quantize(b.build()))
    assert err.value.node == "s"
    g = snnir.quantize(_float_graph())
    g = g.replace_node(g.node("h").replace(spike_from="pre"))
    with pytest.raises(snnir.IntegerArithmeticError, match=r"LIF 'h'.*spike_from='pre'"):
        compile_int(g)


def test_linear_decays_are_exact_at_the_int32_limits():
    """(β_int·v) >> k for 32-bit membranes near ±2^31, against int64 arithmetic."""
    from snnir.kernels.integer import decayed

    v = np.array([INT32_MIN, INT32_MIN + 1, -(2**30) - 3, -4097, -1, 0, 1, 4097, 2**30 + 5, INT32_MAX], np.int64)
    for k in (4, 12, 15):
        for beta in (0, 1, 2**k // 3, 2**k - 1, 2**k):
            got = np.asarray(decayed(jnp.asarray(v, jnp.int32), jnp.asarray(beta, jnp.int32), "linear", k))
            assert np.array_equal(got, (beta * v) >> k), (k, beta)


def test_a_decay_integer_arithmetic_cannot_run_and_mismatched_scales_are_refused():
    g = snnir.quantize(_float_graph(), decay="linear", decay_bits=20)
    with pytest.raises(snnir.IntegerArithmeticError, match=r"LIF 'h': decay is quantized as qu20"):
        compile_int(g)
    g = snnir.quantize(_float_graph())
    h = g.node("h")
    g = g.replace_node(h.replace(quant={**h.quant, "v": snnir.Quantization(bits=16, scale=0.5)}))
    with pytest.raises(snnir.IntegerArithmeticError, match=r"threshold's scale differs"):
        compile_int(g)


def test_a_linear_that_could_overflow_int32_is_refused():
    g = _saturating_graph(32, weight=2.0**30, threshold=1.0)
    with pytest.raises(snnir.IntegerArithmeticError, match=r"Linear 'fc'.*beyond int32"):
        compile_int(g, input_bits=16)


def test_integer_outputs_track_the_float_program_of_the_quantized_graph():
    """The integers times the unit s stand for the membranes the fake-quantized float program computes
    (the decay is a shift in both; only the rounding of v >> d differs, a few units)."""
    g = snnir.quantize(_float_graph(), bits=8, state_bits=16)
    xs = (np.random.default_rng(1).random((T, BATCH, 3)) < 0.5).astype(np.int32)
    ints = run_int(g, xs)["y"]
    prog = snnir.compile(g)
    _, ys = prog(prog.init_state((BATCH,)), xs.astype(np.float32))
    s = np.asarray(g.node("r").quant["v"].scale)
    assert np.allclose(ints * s, np.asarray(ys["y"]), atol=0.05 * np.abs(np.asarray(ys["y"])).max() + 1e-6)


def test_delayed_mode_and_steps_agree_with_the_reference():
    """Delayed mode is the delay-all pass's graph (the reference reads its delays from the IR); one step
    at a time gives what one call gives."""
    g = snnir.quantize(_float_graph(), bits=4, state_bits=12)
    xs = (np.random.default_rng(2).random((T, BATCH, 3)) < 0.6).astype(np.int32)
    got = run_int(g, xs, mode="delayed")
    assert np.array_equal(got["y"], simulate(snnir.passes.delay_all(g), xs)["y"])
    assert not np.array_equal(got["y"], run_int(g, xs)["y"])
    prog = compile_int(g)
    state, outs = prog.init_state((BATCH,)), []
    for t in range(T):
        state, y = prog.step(state, xs[t])
        outs.append(np.asarray(y["y"]))
    assert np.array_equal(np.stack(outs), run_int(g, xs)["y"])


def test_float_options_and_integer_options_do_not_mix():
    g = snnir.quantize(_float_graph())
    with pytest.raises(snnir.CompileOptionError, match=r"strategy='layered', check=True only apply to float"):
        snnir.compile(g, arithmetic="integer", strategy="layered", check=True)
    with pytest.raises(snnir.CompileOptionError, match=r"input_bits=8 only applies to arithmetic='integer'"):
        snnir.compile(g, input_bits=8)
    with pytest.raises(snnir.CompileOptionError, match=r"unknown arithmetic 'fixed'"):
        snnir.compile(g, arithmetic="fixed")
    with pytest.raises(snnir.IntegerArithmeticError, match=r"input_bits=1"):
        snnir.compile(g, arithmetic="integer", input_bits=1)


@settings(max_examples=10)
@given(quantized_graphs())
def test_trace_records_every_node_as_the_reference_computes_it(case):
    """``trace`` gives every node's value at every step: the reference run on the same graph with an
    Output behind each node (which changes no number) computes each of them."""
    graph, xs = case
    inner = [n.id for n in graph.nodes if n.kind not in ("Input", "Output")]
    observed = graph.replace(nodes=graph.nodes + tuple(snnir.Output(id=f"seen_{nid}") for nid in inner),
                             edges=graph.edges + tuple(E(nid, f"seen_{nid}") for nid in inner))
    want = simulate(observed, xs)
    prog = compile_int(graph)
    final, traces = prog.trace(prog.init_state((BATCH,)), xs, state_vars=True)
    for nid in inner:
        assert np.array_equal(np.asarray(traces[nid]), want[f"seen_{nid}"]), nid
    for out in (n.id for n in graph.nodes if n.kind == "Output"):
        assert np.array_equal(np.asarray(traces[out]), want[out]), out
    for nid in (n for n in inner if graph.node(n).kind in ("LIF", "IF", "LI")):
        assert np.array_equal(np.asarray(traces[f"{nid}:v"][-1]), np.asarray(final[nid]["v"])), nid
    only = prog.trace(prog.init_state((BATCH,)), xs, nodes="h")[1]
    assert set(only) == {"h"}
    with pytest.raises(snnir.ProgramInputError, match="unknown node"):
        prog.trace(prog.init_state((BATCH,)), xs, nodes=["nowhere"])
