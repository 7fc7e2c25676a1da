"""Mixed precision: synaptic products in bfloat16 / float16, every state variable in float32.

The stated tolerances (docs/performance.md, "Mixed precision"):
- a synaptic current fed by inputs differs from float32 by at most (2u + u^2) * sum|x||w| (u = 2^-8 for
  bfloat16, 2^-11 for float16), plus float32 accumulation error;
- over 200 steps of a 2-layer LIF net, at most 5 % (bfloat16) / 2 % (float16) of spike entries differ, and
  each neuron's firing rate moves by at most 0.002 (bfloat16) / 0.001 (float16) spikes per step;
- the weight gradient points the same way (cosine similarity above 0.999).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir
from tests.jaxprs import equations
from snnir.errors import ProgramInputError, SnnirError

T, B, N_IN, N_HID, N_OUT = 200, 8, 32, 64, 16
UNIT_ROUNDOFF = {"bfloat16": 2.0**-8, "float16": 2.0**-11}
SPIKE_MISMATCH = {"bfloat16": 0.05, "float16": 0.02}
RATE_SHIFT = {"bfloat16": 0.002, "float16": 0.001}


def two_layer(seed: int = 0) -> snnir.Graph:
    b = snnir.GraphBuilder(key=seed)
    h = b.lif(b.linear(b.input("x", N_IN), N_HID, id="fc0"), decay=0.9, id="lif0")
    b.output(b.lif(b.linear(h, N_OUT, id="fc1"), decay=0.9, id="lif1"), id="y")
    return b.build()


@pytest.fixture(scope="module")
def graph():
    return two_layer()


@pytest.fixture(scope="module")
def xs():
    return jax.random.uniform(jax.random.key(10), (T, B, N_IN), jnp.float32)


@pytest.fixture(scope="module")
def reference(graph, xs):
    prog = snnir.compile(graph, strategy="fused-scan")
    return prog.trace(prog.init_state((B,)), xs)[1]


@pytest.fixture(scope="module", params=["bfloat16", "float16"])
def mixed(request, graph, xs):
    prog = snnir.compile(graph, strategy="layered", precision=request.param)
    state, traces = prog.trace(prog.init_state((B,)), xs)
    return request.param, prog, state, traces


def test_products_run_in_the_narrow_dtype_and_everything_else_in_float32(mixed, xs):
    precision, prog, state, traces = mixed
    jaxpr = jax.make_jaxpr(lambda p, s, x: p(s, x))(prog, prog.init_state((B,)), xs[:4])
    dots = equations(jaxpr.jaxpr, "dot_general")
    assert len(dots) == 2  # both matmuls take narrow operands and give float32
    for eqn in dots:
        assert [v.aval.dtype for v in eqn.invars] == [jnp.dtype(precision)] * 2
        assert eqn.outvars[0].aval.dtype == jnp.float32
    membranes = {nid: entry for nid, entry in state.items() if nid in ("lif0", "lif1")}
    assert membranes and all(leaf.dtype == jnp.float32 for leaf in jax.tree_util.tree_leaves(membranes))
    assert all(t.dtype == jnp.float32 for t in traces.values())
    assert prog.kernels["fc0"].weight.dtype == jnp.float32  # parameters are not rounded in place


def test_input_driven_currents_stay_within_the_rounding_bound(mixed, graph, xs, reference):
    precision, _, _, traces = mixed
    w = np.asarray(graph.node("fc0").weight, np.float64)
    magnitude = np.abs(np.asarray(xs, np.float64)) @ np.abs(w).T  # sum_k |x_k| |w_jk|, per step and sample
    u = UNIT_ROUNDOFF[precision]
    bound = (2 * u + u * u) * magnitude + 2 * N_IN * 2.0**-24 * (magnitude + 1.0)
    error = np.abs(np.asarray(traces["fc0"], np.float64) - np.asarray(reference["fc0"], np.float64))
    assert np.all(error <= bound)
    assert error.max() > 0  # the rounding does happen


def test_spikes_stay_within_the_stated_tolerance(mixed, reference):
    precision, _, _, traces = mixed
    for layer in ("lif0", "lif1"):
        ours, ref = np.asarray(traces[layer]), np.asarray(reference[layer])
        assert set(np.unique(ours)) <= {0.0, 1.0}
        assert ref.mean() > 0.02  # both layers fire, so the comparison means something
        assert np.mean(ours != ref) <= SPIKE_MISMATCH[precision], layer
        rate_shift = np.abs(ours.mean(axis=0) - ref.mean(axis=0))  # per sample and neuron
        assert rate_shift.mean() <= RATE_SHIFT[precision], layer


def test_weight_gradients_agree_in_direction(graph, xs):
    def grads(prog):
        loss = lambda p: jnp.sum(p(p.init_state((B,)), xs)[1]["y"])
        return eqx.filter_grad(loss)(prog).kernels["fc0"].weight

    full = grads(snnir.compile(graph, strategy="layered"))
    for precision in ("bfloat16", "float16"):
        narrow = grads(snnir.compile(graph, strategy="layered", precision=precision))
        assert narrow.dtype == jnp.float32
        cosine = jnp.sum(full * narrow) / (jnp.linalg.norm(full) * jnp.linalg.norm(narrow))
        assert cosine > 0.999, precision


def test_both_strategies_and_the_policy_switches_agree(graph, xs, mixed):
    precision, prog, _, traces = mixed
    fused = snnir.compile(graph, strategy="fused-scan", precision=precision)
    fused_traces = fused.trace(fused.init_state((B,)), xs)[1]
    np.testing.assert_allclose(fused_traces["fc0"], traces["fc0"], rtol=1e-5, atol=1e-5)
    off = prog.with_precision(None)
    assert off.precision is None and off.kernels["fc0"].compute_dtype is None
    later = snnir.compile(graph).with_precision(precision)
    assert later.precision == prog.precision == precision
    assert {k.compute_dtype for k in later.kernels.values() if hasattr(k, "compute_dtype")} == {precision}
    assert prog.to_graph() == graph  # the policy is no part of the model


def test_convolutions_follow_the_policy():
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.3, (4, 2, 3, 3)).astype(np.float32)
    def conv_graph(weight):
        b = snnir.GraphBuilder()
        b.output(b.add(snnir.Conv2d(id="conv", weight=weight, padding=(1, 1)), b.input("x", (2, 6, 6))), id="y")
        return b.build()

    g = conv_graph(w)
    xs = jnp.asarray(rng.uniform(0, 1, (3, 2, 2, 6, 6)), jnp.float32)
    full = snnir.compile(g)
    narrow = snnir.compile(g, precision="bfloat16")
    ys_full = full(full.init_state((2,)), xs)[1]["y"]
    ys_narrow = narrow(narrow.init_state((2,)), xs)[1]["y"]
    assert ys_narrow.dtype == jnp.float32
    convs = equations(jax.make_jaxpr(lambda p: p(p.init_state((2,)), xs))(narrow).jaxpr, "conv_general_dilated")
    assert convs and all([v.aval.dtype for v in e.invars] == [jnp.dtype(jnp.bfloat16)] * 2 for e in convs)
    # sum |x||w| over each window, from the float32 program on absolute values
    absolute = snnir.compile(conv_graph(np.abs(w)))
    magnitude = absolute(absolute.init_state((2,)), jnp.abs(xs))[1]["y"]
    u = UNIT_ROUNDOFF["bfloat16"]
    error = jnp.abs(ys_narrow - ys_full)
    assert bool(jnp.all(error <= (2 * u + u * u) * magnitude + 1e-5)) and float(error.max()) > 0


def test_checkpointing_is_a_compile_option_too(graph):
    prog = snnir.compile(graph, checkpoint_every=16)
    assert prog.checkpoint_every == 16
    assert prog.checkpointed(None).checkpoint_every is None


@pytest.mark.parametrize("options, words", [
    ({"precision": "int8"}, ["precision", "bfloat16"]),
    ({"precision": "bf16"}, ["precision", "float16"]),
    ({"checkpoint_every": 0}, ["checkpoint_every", "hint"]),
    ({"checkpoint_every": 2.5}, ["checkpoint_every"]),
])
def test_bad_options_are_typed_errors(graph, options, words):
    with pytest.raises(SnnirError) as err:
        snnir.compile(graph, **options)
    assert isinstance(err.value, ValueError)
    assert all(w in str(err.value) for w in words)


def test_bad_policy_on_a_program_is_a_typed_error(graph):
    with pytest.raises(ProgramInputError, match="precision"):
        snnir.compile(graph).with_precision("float8")
