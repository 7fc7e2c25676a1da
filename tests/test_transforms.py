"""A Program behaves like any JAX function: jit, filter_jit, vmap, grad; dtypes kept end to end; no
re-tracing for the same shapes; step-by-step equals one run; bad inputs raise typed snnir errors.

The main network uses dyadic data (weights and inputs k/8, decays 0.5 and 0.75, threshold 1), so the
spiking part is exact in float32 and spikes can be compared with ==.
"""

from __future__ import annotations

import logging

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir
from tests.jaxprs import equations

T, B, N_IN, N_HID, N_OUT = 8, 3, 4, 5, 3


def _dyadic(rng, shape, lo=-1.0, hi=1.0):
    return (rng.integers(int(lo * 8), int(hi * 8) + 1, size=shape) / 8).astype(np.float32)


def _recurrent_graph() -> snnir.Graph:
    rng = np.random.default_rng(0)
    nodes = [
        snnir.Input(id="x", shape=(N_IN,)),
        snnir.Linear(id="inp", weight=_dyadic(rng, (N_HID, N_IN)), bias=_dyadic(rng, (N_HID,), 0, 0.5)),
        snnir.LIF(id="lif", shape=(N_HID,), decay=0.5, threshold=1.0),
        snnir.Linear(id="rec", weight=_dyadic(rng, (N_HID, N_HID), -0.5, 0.5)),
        snnir.Linear(id="readout", weight=_dyadic(rng, (N_OUT, N_HID))),
        snnir.LI(id="li", shape=(N_OUT,), decay=0.75),
        snnir.Output(id="y"),
        snnir.Output(id="spikes"),
    ]
    edges = [snnir.Edge("x", "inp"), snnir.Edge("inp", "lif"), snnir.Edge("lif", "rec"), snnir.Edge("rec", "lif"),
             snnir.Edge("lif", "readout"), snnir.Edge("readout", "li"), snnir.Edge("li", "y"),
             snnir.Edge("lif", "spikes")]
    return snnir.Graph(nodes=nodes, edges=edges)


@pytest.fixture(scope="module")
def graph():
    return _recurrent_graph()


@pytest.fixture(scope="module")
def prog(graph):
    return snnir.compile(graph)


@pytest.fixture(scope="module")
def xs():
    return jnp.asarray(_dyadic(np.random.default_rng(1), (T, B, N_IN), -1, 2))


@pytest.fixture(scope="module")
def reference(prog, xs):
    """One eager call of the batched program: (final state, outputs)."""
    return prog(prog.init_state(batch_shape=(B,)), xs)


def _assert_outputs_equal(got, want):
    assert set(got) == set(want) == {"y", "spikes"}
    np.testing.assert_array_equal(np.asarray(got["spikes"]), np.asarray(want["spikes"]))
    np.testing.assert_allclose(np.asarray(got["y"]), np.asarray(want["y"]), rtol=1e-6, atol=1e-6)


def _assert_states_equal(got, want):
    assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(want)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=1e-6, atol=1e-6)


def test_reference_run_spikes(prog, reference):
    _, ys = reference
    assert ys["spikes"].shape == (T, B, N_HID) and ys["y"].shape == (T, B, N_OUT)
    n = float(ys["spikes"].sum())
    assert 0 < n < ys["spikes"].size, "the test data should make some (not all) neurons spike"
    assert prog.feedback_edges == (("rec", "lif"),)


# ---------------------------------------------------------------------- jit
def test_jax_jit_with_program_as_argument(prog, xs, reference):
    run = jax.jit(lambda p, s, x: p(s, x))
    state, ys = run(prog, prog.init_state((B,)), xs)
    _assert_outputs_equal(ys, reference[1])
    _assert_states_equal(state, reference[0])


def test_jax_jit_closing_over_program(prog, xs, reference):
    run = jax.jit(lambda s, x: prog(s, x))
    state, ys = run(prog.init_state((B,)), xs)
    _assert_outputs_equal(ys, reference[1])
    _assert_states_equal(state, reference[0])


def test_eqx_filter_jit(prog, xs, reference):
    @eqx.filter_jit
    def run(p, x):
        return p(p.init_state((B,)), x)

    state, ys = run(prog, xs)
    _assert_outputs_equal(ys, reference[1])
    _assert_states_equal(state, reference[0])


# ---------------------------------------------------------------------- vmap
def test_vmap_over_samples_equals_batched_run(prog, xs, reference):
    def one_sample(x):  # x: [T, N_IN], state without batch axes
        return prog(prog.init_state(batch_shape=()), x)

    state, ys = jax.vmap(one_sample, in_axes=1, out_axes=(0, 1))(xs)
    _assert_outputs_equal(ys, reference[1])
    want_state = reference[0]
    for nid, entry in want_state.items():
        for var, leaf in entry.items():
            if nid == "@clock":  # vmap stacks the per-sample clocks: a step count (and batch record) per sample
                want = np.full((B,), T) if var == "t" else np.zeros((B, 0))
                np.testing.assert_array_equal(np.asarray(state[nid][var]), want)
            else:
                np.testing.assert_allclose(np.asarray(state[nid][var]), np.asarray(leaf), rtol=1e-6, atol=1e-6)


def test_vmap_over_a_batched_state(prog, xs, reference):
    """vmap over an outer axis of samples while each call also has a batch axis of 1."""
    state = jax.vmap(lambda _: prog.init_state((1,)))(jnp.arange(B))
    _, ys = jax.vmap(prog, in_axes=(0, 2), out_axes=(0, 2))(state, xs[:, None])
    np.testing.assert_array_equal(np.asarray(ys["spikes"][:, 0]), np.asarray(reference[1]["spikes"]))
    np.testing.assert_allclose(np.asarray(ys["y"][:, 0]), np.asarray(reference[1]["y"]), rtol=1e-6, atol=1e-6)


def test_unbatched_run_equals_a_batch_of_one(prog, xs, reference):
    _, ys = prog(prog.init_state(()), xs[:, 1])
    assert ys["spikes"].shape == (T, N_HID)
    np.testing.assert_array_equal(np.asarray(ys["spikes"]), np.asarray(reference[1]["spikes"][:, 1]))


# ---------------------------------------------------------------------- grad
def test_grad_through_the_program(prog, xs):
    def loss(p, x):
        _, ys = p(p.init_state((B,)), x)
        return jnp.sum(ys["y"] ** 2)

    gp, gx = jax.jit(jax.grad(loss, argnums=(0, 1)))(prog, xs)
    for nid, field in prog.trainable_fields:
        g = getattr(gp.kernels[nid], field)
        assert g.dtype == jnp.float32 and g.shape == getattr(prog.kernels[nid], field).shape
        assert bool(jnp.all(jnp.isfinite(g)))
    assert bool(jnp.any(gp.kernels["inp"].weight != 0))
    assert gx.shape == xs.shape and gx.dtype == jnp.float32 and bool(jnp.any(gx != 0))


# ---------------------------------------------------------------------- dtypes
def _state_dtypes(state):
    return {f"{nid}:{var}": leaf.dtype for nid, entry in state.items() for var, leaf in entry.items()
            if nid != "@clock"}


def test_float32_by_default(prog, reference):
    assert prog.dtype == "float32"
    state, ys = reference
    assert {d for d in _state_dtypes(prog.init_state((B,))).values()} == {jnp.dtype("float32")}
    assert {d for d in _state_dtypes(state).values()} == {jnp.dtype("float32")}
    assert state["@clock"]["t"].dtype == jnp.int32
    assert all(v.dtype == jnp.float32 for v in ys.values())
    for nid, field in prog.trainable_fields:
        assert getattr(prog.kernels[nid], field).dtype == jnp.float32


def test_integer_and_boolean_inputs_are_cast_to_the_program_dtype(prog, xs, reference):
    spikes_in = (np.asarray(xs) > 0)
    _, ys_bool = prog(prog.init_state((B,)), spikes_in)
    _, ys_int = prog(prog.init_state((B,)), spikes_in.astype(np.int8))
    assert ys_bool["y"].dtype == ys_int["y"].dtype == jnp.float32
    _assert_outputs_equal(ys_bool, ys_int)


def test_bfloat16_end_to_end(graph, xs):
    g16 = graph.astype("bfloat16")
    assert g16.dtype == "bfloat16"
    prog = snnir.compile(g16)
    assert prog.dtype == "bfloat16"
    assert prog.kernels["inp"].weight.dtype == jnp.bfloat16 and prog.kernels["lif"].decay.dtype == jnp.bfloat16
    state = prog.init_state((B,))
    assert set(_state_dtypes(state).values()) == {jnp.dtype(jnp.bfloat16)}

    def loss(p, s, x):
        s, ys = p(s, x)
        return jnp.sum(ys["y"].astype(jnp.float32) ** 2), (s, ys)

    grads, (state, ys) = jax.jit(jax.grad(loss, has_aux=True))(prog, state, xs)
    assert all(v.dtype == jnp.bfloat16 for v in ys.values())
    assert set(_state_dtypes(state).values()) == {jnp.dtype(jnp.bfloat16)}
    assert grads.kernels["inp"].weight.dtype == jnp.bfloat16
    assert bool(jnp.all(jnp.isfinite(grads.kernels["inp"].weight.astype(jnp.float32))))
    state, y_t = eqx.filter_jit(prog.step)(state, xs[0])
    assert all(v.dtype == jnp.bfloat16 for v in y_t.values())
    assert set(_state_dtypes(state).values()) == {jnp.dtype(jnp.bfloat16)}
    assert prog.to_graph().dtype == "bfloat16"


def test_float64_end_to_end_under_x64(graph, xs, reference):
    g64 = graph.astype("float64")
    with jax.enable_x64(True):
        prog = snnir.compile(g64)
        assert prog.dtype == "float64"
        state, ys = prog(prog.init_state((B,)), np.asarray(xs, np.float64))
        assert all(v.dtype == jnp.float64 for v in ys.values())
        assert set(_state_dtypes(state).values()) == {jnp.dtype(jnp.float64)}
        grads = jax.grad(lambda p: jnp.sum(p(p.init_state((B,)), xs)[1]["y"]))(prog)
        assert grads.kernels["inp"].weight.dtype == jnp.float64
        # dyadic data: the spikes are the float32 program's
        np.testing.assert_array_equal(np.asarray(ys["spikes"]), np.asarray(reference[1]["spikes"]))
        assert prog.to_graph().dtype == "float64"


def test_float64_without_x64_is_an_error_with_a_hint(graph):
    g64 = graph.astype("float64")
    with jax.enable_x64(False):
        with pytest.raises(snnir.SnnirError) as err:
            snnir.compile(g64)
    assert isinstance(err.value, ValueError)
    message = str(err.value)
    assert "float64" in message and "hint" in message and "enable_x64" in message


# ---------------------------------------------------------------------- no re-tracing
def test_jit_does_not_retrace_for_the_same_shapes(prog, graph, xs):
    traces = []

    @jax.jit
    def run(p, s, x):
        traces.append(1)  # a Python side effect: runs once per trace
        return p(s, x)

    state = prog.init_state((B,))
    run(prog, state, xs)
    run(prog, state, xs + 1.0)  # new values
    run(eqx.tree_at(lambda p: p.kernels["inp"].weight, prog, prog.kernels["inp"].weight * 2), state, xs)  # new params
    run(snnir.compile(graph), state, xs)  # a fresh program from the same graph: equal static config
    assert len(traces) == 1
    run(prog, state, xs[:4])  # a new shape does trace again (the counter works)
    assert len(traces) == 2


def test_filter_jit_does_not_retrace_for_the_same_shapes(prog, xs):
    traces = []

    @eqx.filter_jit
    def run(p, x):
        traces.append(1)
        return p(p.init_state((B,)), x)

    run(prog, xs)
    run(prog, xs * 0.5)
    run(jax.tree_util.tree_map(lambda a: a, prog), xs)
    assert len(traces) == 1


def test_direct_calls_do_not_recompile(prog, xs, caplog):
    x1, x2 = xs, xs * 0.5
    s1, s2 = prog.init_state((B,)), prog.init_state((B,))
    jax.block_until_ready(prog(s1, x1))  # warm (compiled already by other tests, or here)
    with jax.log_compiles(True), caplog.at_level(logging.DEBUG):
        caplog.clear()
        jax.block_until_ready(prog(s2, x2))
        jax.block_until_ready(prog(s1, x1))
        compiles = [r.getMessage() for r in caplog.records if "Compiling" in r.getMessage()
                    or "tracing" in r.getMessage()]
    assert compiles == []


# ---------------------------------------------------------------------- step == run, chunks == run
def test_step_loop_equals_one_call(prog, xs, reference):
    state = prog.init_state((B,))
    outs = []
    for t in range(T):
        state, y_t = prog.step(state, xs[t])
        assert set(y_t) == {"y", "spikes"}
        outs.append(y_t)
    ys = {k: jnp.stack([o[k] for o in outs]) for k in outs[0]}
    _assert_outputs_equal(ys, reference[1])
    _assert_states_equal(state, reference[0])


def test_chunked_calls_equal_one_call(prog, xs, reference):
    state, ys_a = prog(prog.init_state((B,)), xs[:3])
    state, ys_b = prog(state, xs[3:])
    ys = {k: jnp.concatenate([ys_a[k], ys_b[k]]) for k in ys_a}
    _assert_outputs_equal(ys, reference[1])
    _assert_states_equal(state, reference[0])


def test_trace_of_outputs_equals_call(prog, xs, reference):
    state, traces = prog.trace(prog.init_state((B,)), xs)
    np.testing.assert_array_equal(np.asarray(traces["spikes"]), np.asarray(reference[1]["spikes"]))
    np.testing.assert_array_equal(np.asarray(traces["lif"]), np.asarray(reference[1]["spikes"]))
    _assert_states_equal(state, reference[0])


# ---------------------------------------------------------------------- typed errors on bad inputs
@pytest.fixture(scope="module")
def two_input_prog():
    rng = np.random.default_rng(2)
    nodes = [snnir.Input(id="a", shape=(3,)), snnir.Input(id="b", shape=(2,)),
             snnir.Linear(id="la", weight=_dyadic(rng, (4, 3))), snnir.Linear(id="lb", weight=_dyadic(rng, (4, 2))),
             snnir.LIF(id="lif", shape=(4,), decay=0.5), snnir.Output(id="y")]
    edges = [snnir.Edge("a", "la"), snnir.Edge("b", "lb"), snnir.Edge("la", "lif"), snnir.Edge("lb", "lif"),
             snnir.Edge("lif", "y")]
    return snnir.compile(snnir.Graph(nodes=nodes, edges=edges))


def test_two_input_program_runs_with_a_dict(two_input_prog):
    p = two_input_prog
    xs = {"a": np.ones((4, 2, 3), np.float32), "b": np.ones((4, 2, 2), np.float32)}
    _, ys = p(p.init_state((2,)), xs)
    assert ys["y"].shape == (4, 2, 4)
    _, y_t = p.step(p.init_state((2,)), {"a": xs["a"][0], "b": xs["b"][0]})
    assert y_t["y"].shape == (2, 4)


def test_error_classes_derive_from_builtins():
    assert issubclass(snnir.ShapeError, snnir.SnnirError) and issubclass(snnir.ShapeError, ValueError)
    assert issubclass(snnir.ProgramInputError, snnir.SnnirError) and issubclass(snnir.ProgramInputError, TypeError)


@pytest.mark.parametrize("shape", [(T, B, N_IN + 1), (T, B, N_IN, 1), (N_IN,), (T, B, 2, 2)])
def test_wrong_per_sample_shape(prog, shape):
    with pytest.raises(snnir.ShapeError, match="'x'"):
        prog(prog.init_state((B,)), np.zeros(shape, np.float32))


def test_wrong_per_sample_shape_in_step_and_trace(prog):
    with pytest.raises(snnir.ShapeError, match="'x'"):
        prog.step(prog.init_state((B,)), np.zeros((B, N_IN + 1), np.float32))
    with pytest.raises(snnir.ShapeError, match="'x'"):
        prog.trace(prog.init_state((B,)), np.zeros((T, B, N_IN - 1), np.float32))


def test_wrong_shape_under_jit_is_still_typed(prog):
    with pytest.raises(snnir.ShapeError, match="'x'"):
        jax.jit(lambda s, x: prog(s, x))(prog.init_state((B,)), jnp.zeros((T, B, N_IN + 1)))


def test_state_batch_differs_from_input_batch(prog):
    with pytest.raises(snnir.ShapeError) as err:
        prog(prog.init_state((B + 1,)), np.zeros((T, B, N_IN), np.float32))
    assert "init_state" in str(err.value) and f"({B},)" in str(err.value)
    with pytest.raises(snnir.ShapeError):
        prog.step(prog.init_state(()), np.zeros((B, N_IN), np.float32))


def test_state_of_the_wrong_kind(prog):
    with pytest.raises(snnir.ProgramInputError):
        prog({"lif": {}}, np.zeros((T, B, N_IN), np.float32))
    with pytest.raises(snnir.ProgramInputError):
        prog([], np.zeros((T, B, N_IN), np.float32))


@pytest.mark.parametrize("lengths", [np.full((B + 1,), 2), np.full((1, B), 2), np.int32(2)])
def test_lengths_of_the_wrong_shape(prog, lengths):
    with pytest.raises(snnir.ShapeError, match="lengths"):
        prog(prog.init_state((B,)), np.zeros((T, B, N_IN), np.float32), lengths=lengths)


def test_lengths_must_be_integers(prog):
    with pytest.raises(snnir.ShapeError, match="lengths"):
        prog(prog.init_state((B,)), np.zeros((T, B, N_IN), np.float32), lengths=np.full((B,), 2.0))


def test_dict_with_unknown_input_id(prog):
    with pytest.raises(snnir.ProgramInputError, match="'nope'"):
        prog(prog.init_state((B,)), {"x": np.zeros((T, B, N_IN), np.float32), "nope": np.zeros((T, B, N_IN))})
    with pytest.raises(snnir.ProgramInputError, match="'nope'"):
        prog.step(prog.init_state((B,)), {"nope": np.zeros((B, N_IN))})


def test_dict_with_missing_input_id(two_input_prog):
    p = two_input_prog
    with pytest.raises(snnir.ProgramInputError, match="missing.*'b'"):
        p(p.init_state((2,)), {"a": np.zeros((4, 2, 3), np.float32)})
    with pytest.raises(TypeError):  # the builtin base class works too
        p(p.init_state((2,)), {})


def test_plain_array_for_two_inputs(two_input_prog):
    p = two_input_prog
    with pytest.raises(snnir.ProgramInputError) as err:
        p(p.init_state((2,)), np.zeros((4, 2, 3), np.float32))
    assert "'a'" in str(err.value) and "'b'" in str(err.value)
    with pytest.raises(snnir.ProgramInputError):
        p.step(p.init_state((2,)), np.zeros((2, 3), np.float32))


def test_inputs_with_different_batch_or_steps(two_input_prog):
    p = two_input_prog
    with pytest.raises(snnir.ShapeError, match="'b'"):
        p(p.init_state((2,)), {"a": np.zeros((4, 2, 3), np.float32), "b": np.zeros((4, 3, 2), np.float32)})
    with pytest.raises(snnir.ShapeError, match="'b'"):
        p(p.init_state((2,)), {"a": np.zeros((4, 2, 3), np.float32), "b": np.zeros((5, 2, 2), np.float32)})
    with pytest.raises(snnir.ShapeError, match="'a'"):
        p(p.init_state((2,)), {"a": np.zeros((4, 2, 2), np.float32), "b": np.zeros((4, 2, 2), np.float32)})


def test_bad_batch_shape_for_init_state(prog):
    with pytest.raises(snnir.ShapeError):
        prog.init_state((0,))
    with pytest.raises(snnir.ShapeError):
        prog.init_state(None)


def test_non_integer_batch_shape_is_a_shape_error(prog):
    with pytest.raises(snnir.ShapeError):
        prog.init_state(("a",))
    with pytest.raises(snnir.ShapeError):
        prog.init_state((2.5,))


def test_trace_of_an_unknown_node(prog, xs):
    with pytest.raises(snnir.ProgramInputError, match="'nope'"):
        prog.trace(prog.init_state((B,)), xs, nodes=["nope"])


# ---------------------------------------------------------------------- loop layout
def test_linear_weights_in_a_time_loop_are_transposed_once_before_it(graph):
    """Inside the scan a Linear multiplies x @ W with W already [in, out]: the transposition of each
    weight happens once, outside the loop, and the scan body multiplies without transposing."""
    prog = snnir.compile(graph, strategy="fused-scan")
    xs = jnp.zeros((3, B) + prog.input_shapes[prog.input_ids[0]], jnp.float32)
    jaxpr = jax.make_jaxpr(lambda p: p(p.init_state((B,)), xs))(prog).jaxpr
    scans = equations(jaxpr, "scan")
    assert len(scans) == 1
    body = scans[0].params["jaxpr"].jaxpr
    linears = [k for k in prog.kernels.values() if type(k).__name__ == "LinearKernel"]
    assert equations(body, "dot_general") and not equations(body, "transpose")
    outside = [e for e in equations(jaxpr, "transpose") if e not in equations(body, "transpose")]
    assert len(outside) >= len(linears)
    for eqn in equations(body, "dot_general"):  # contracting the input's last axis with the weight's first
        (lhs_contract, rhs_contract), _ = eqn.params["dimension_numbers"]
        assert tuple(rhs_contract) == (0,)


def test_a_program_inlines_into_the_enclosing_trace(prog, xs):
    """Called inside the user's jit (or grad), a program adds its equations to that trace instead of a
    nested jit call: XLA can then fold constants such as the loss's cotangent into the time loop."""
    for strategy in ("fused-scan", "layered"):
        p = prog if prog.strategy == strategy else snnir.compile(prog.to_graph(), strategy=strategy)
        jaxpr = jax.make_jaxpr(lambda p: p(p.init_state((B,)), xs)[1])(p).jaxpr
        assert equations(jaxpr, "scan")
        assert not equations(jaxpr, "pjit") and not equations(jaxpr, "jit"), strategy


def test_a_hoisted_linear_multiplies_one_row_axis(graph, xs):
    """The layered strategy's Linear over all T·B rows is one 2-D product ([T·B, in] x [in, out]), so its
    weight gradient is one plain GEMM rather than a contraction over two row axes."""
    prog = snnir.compile(graph, strategy="layered")
    jaxpr = jax.make_jaxpr(jax.grad(lambda p: jnp.sum(p(p.init_state((B,)), xs)[1]["y"])))(prog).jaxpr
    scans = equations(jaxpr, "scan")
    inside = {id(e) for s in scans for e in equations(s.params["jaxpr"].jaxpr, "dot_general")}
    hoisted = [e for e in equations(jaxpr, "dot_general") if id(e) not in inside]
    assert hoisted  # forward product and both gradient products
    for eqn in hoisted:
        assert all(v.aval.ndim == 2 for v in eqn.invars), [v.aval.shape for v in eqn.invars]
