"""What a Program checks on each call, and how it behaves as a function handed to ``jax.jit``.

- the inputs' batch shape must equal the state's exactly (a forgotten time axis is an error, not a run
  that reads the batch as time), with hints that teach the time-major layout;
- checked mode names the first node, variable, step and sample where a NaN or inf appears, in both
  strategies, for ``__call__``, ``trace`` and ``step``, eagerly and under the caller's ``jax.jit``, and
  unchecked programs trace to exactly the same jaxpr as before;
- ``jax.jit(prog)`` and ``jax.jit(prog.step)`` work and give the plain call's results.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import checkify

import snnir
from snnir.runtime.program import state_batch_shape
from tests.jaxprs import equations

T, B, F = 6, 4, 5
STRATEGIES = ["fused-scan", "layered"]


def _feedforward(key: int = 0) -> snnir.Graph:
    """No delays, no cycles: the case where a wrong batch shape used to run silently."""
    b = snnir.GraphBuilder(key=key)
    x = b.input("x", shape=(F,))
    b.output(b.lif(b.linear(x, 7, id="fc"), decay=0.5, id="lif"), id="spikes")
    return b.build()


def _readme_graph() -> snnir.Graph:
    """The README's recurrent network (a feedback edge, so history buffers), scaled down."""
    b = snnir.GraphBuilder(key=0)
    x = b.input("x", shape=(F,))
    spikes = b.lif(b.linear(x, 8, id="fc1"), decay=0.9, id="lif")
    b.connect(b.linear(spikes, 8, id="rec"), spikes)
    b.output(b.li(b.linear(spikes, 3, id="fc2"), decay=0.8, id="readout"), id="y")
    return b.build()


def _stateless() -> snnir.Graph:
    """A program with no stateful node: its state holds only the clock."""
    b = snnir.GraphBuilder(key=0)
    b.output(b.linear(b.input("x", shape=(F,)), 3, id="fc"), id="y")
    return b.build()


def _xs(shape, seed: int = 0):
    return jnp.asarray(np.random.default_rng(seed).uniform(0, 2, shape), jnp.float32)


@pytest.fixture(scope="module", params=STRATEGIES)
def prog(request):
    return snnir.compile(_feedforward(), strategy=request.param)


# ---------------------------------------------------------------------- the batch shape is the state's
@pytest.mark.parametrize("graph", [_feedforward, _readme_graph, _stateless])
@pytest.mark.parametrize("shape", [(B, F), (100, F)])
def test_a_forgotten_time_axis_is_a_shape_error(graph, shape):
    prog = snnir.compile(graph())
    with pytest.raises(snnir.ShapeError, match=r"input 'x' has shape \(%d, 5\)" % shape[0]) as info:
        prog(prog.init_state((B,)), jnp.zeros(shape))
    assert isinstance(info.value, ValueError) and isinstance(info.value, snnir.SnnirError)
    assert f"batch shape ({B},)" in str(info.value) and "time-major" in str(info.value)


def test_an_unbatched_step_hints_at_prog_step(prog):
    with pytest.raises(snnir.ShapeError, match=r"call prog\.step\(state, x_t\)"):
        prog(prog.init_state((B,)), jnp.zeros((B, F)))


def test_trace_and_step_compare_batch_shapes_exactly(prog):
    state = prog.init_state((B,))
    with pytest.raises(snnir.ShapeError, match="batch shape"):
        prog.trace(state, jnp.zeros((T, F)))
    with pytest.raises(snnir.ShapeError, match=r"prog\.step takes one step"):
        prog.step(state, jnp.zeros((F,)))
    with pytest.raises(snnir.ShapeError, match=r"for a sequence \[T, \*batch, \*shape\] call prog\(state, xs\)"):
        prog.step(state, jnp.zeros((T, B, F)))
    with pytest.raises(snnir.ShapeError, match="batch shape"):
        prog.step(prog.init_state(()), jnp.zeros((B, F)))


def test_a_returned_state_keeps_its_batch_shape(prog):
    state, _ = prog(prog.init_state((B,)), _xs((T, B, F)))
    assert state_batch_shape(state) == (B,)
    assert state_batch_shape(prog.step(state, _xs((B, F)))[0]) == (B,)
    with pytest.raises(snnir.ShapeError, match=r"batch shape \(2,\)"):
        prog(state, _xs((T, 2, F)))


def test_the_state_stays_a_plain_dict_with_its_batch_in_the_clock(prog):
    state = prog.init_state((B, 2))
    assert set(state["@clock"]) == {"t", "batch"}
    assert state["@clock"]["batch"].shape == (B, 2, 0) and state["@clock"]["batch"].size == 0
    assert state_batch_shape(snnir.compile(_stateless()).init_state((3,))) == (3,)


def test_a_state_without_its_batch_record_is_refused(prog):
    state = prog.init_state((B,))
    state = {**state, "@clock": {"t": state["@clock"]["t"]}}
    with pytest.raises(snnir.ProgramInputError, match="init_state"):
        prog(state, _xs((T, B, F)))


def test_the_batch_check_holds_under_jit_and_vmap(prog):
    with pytest.raises(snnir.ShapeError):
        jax.jit(lambda s, x: prog(s, x))(prog.init_state((B,)), jnp.zeros((B, F)))
    one = lambda x: prog(prog.init_state(()), x)[1]["spikes"]  # noqa: E731  (per-sample state inside vmap)
    ys = jax.vmap(one, in_axes=1, out_axes=1)(_xs((T, B, F)))
    np.testing.assert_array_equal(np.asarray(ys), np.asarray(prog(prog.init_state((B,)), _xs((T, B, F)))[1]["spikes"]))


def test_batch_major_input_gets_the_swapaxes_hint_first(prog):
    xs = _xs((B, 100, F))  # [B, T, F]: batch-major by mistake
    with pytest.raises(snnir.ShapeError) as info:
        prog(prog.init_state((B,)), xs)
    message = str(info.value)
    hint = message[message.index("hint:"):]
    assert "time-major" in hint and "jnp.swapaxes(xs, 0, 1)" in hint
    assert hint.index("jnp.swapaxes(xs, 0, 1)") < hint.find("batch_shape=(100,)")  # the fix comes first
    _, ys = prog(prog.init_state((B,)), jnp.swapaxes(xs, 0, 1))  # following the hint gives T=100, batch B
    assert ys["spikes"].shape == (100, B, 7)


# ---------------------------------------------------------------------- checked mode
def _nan_at(xs, t: int, sample: int):
    return xs.at[t, sample, 0].set(jnp.nan)


def test_an_unchecked_program_lets_one_nan_kill_a_sample_silently(prog):
    _, traces = prog.trace(prog.init_state((B,)), _nan_at(_xs((T, B, F)), 2, 1), state_vars=True)
    assert bool(jnp.all(jnp.isfinite(traces["spikes"])))  # nothing looks wrong downstream
    assert bool(jnp.all(jnp.isnan(traces["lif:v"][2:, 1])))  # yet sample 1's membranes are all NaN


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("method", ["call", "trace"])
def test_checked_mode_names_the_first_node_step_and_sample(strategy, method):
    prog = snnir.compile(_feedforward(), strategy=strategy, check=True)
    xs = _nan_at(_nan_at(_xs((T, B, F)), 4, 0), 2, 3)  # two NaNs: the earlier step is the one reported
    run = prog if method == "call" else prog.trace
    with pytest.raises(snnir.NonFiniteError) as info:
        run(prog.init_state((B,)), xs)
    err = info.value
    assert (err.node, err.var, err.kind, err.step, err.sample) == ("x", "out", "port", 2, (3,))
    assert isinstance(err, ValueError) and isinstance(err, snnir.SnnirError)
    assert "node 'x'" in str(err) and "step 2" in str(err) and "hint:" in str(err)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_checked_mode_names_a_node_whose_parameter_is_not_finite(strategy):
    prog = snnir.compile(_feedforward(), strategy=strategy).checked()
    prog = eqx.tree_at(lambda p: p.kernels["fc"].weight, prog, prog.kernels["fc"].weight.at[2, 0].set(jnp.inf))
    with pytest.raises(snnir.NonFiniteError) as info:
        prog(prog.init_state((2, 3)), _xs((T, 2, 3, F)))
    assert (info.value.node, info.value.var, info.value.step, info.value.sample) == ("fc", "out", 0, (0, 0))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_checked_mode_names_a_state_variable(strategy):
    """A membrane that overflows to inf from finite inputs, while the spikes stay finite."""
    b = snnir.GraphBuilder(key=0)
    b.output(b.if_(b.input("x", shape=(F,)), threshold=3e38, id="if"), id="s")
    prog = snnir.compile(b.build(), strategy=strategy, check=True)
    xs = jnp.zeros((T, B, F)).at[:, 2, 1].set(2e38)  # v = 2e38, then 4e38 = inf at step 1
    _, plain = prog.checked(False)(prog.init_state((B,)), xs)
    assert bool(jnp.all(jnp.isfinite(plain["s"])))
    with pytest.raises(snnir.NonFiniteError) as info:
        prog(prog.init_state((B,)), xs)
    err = info.value
    assert (err.node, err.var, err.step, err.sample) == ("if", "v", 1, (2,))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_checked_steps_and_chunks_report_absolute_steps(strategy):
    prog = snnir.compile(_readme_graph(), strategy=strategy, check=True)
    state, _ = prog(prog.init_state((B,)), _xs((T, B, F)))  # a clean first chunk: no error
    with pytest.raises(snnir.NonFiniteError) as info:
        prog(state, _nan_at(_xs((T, B, F)), 1, 2))
    assert (info.value.node, info.value.step, info.value.sample) == ("x", T + 1, (2,))
    with pytest.raises(snnir.NonFiniteError) as info:
        prog.step(state, _xs((B, F)).at[1, 0].set(jnp.nan))
    assert (info.value.node, info.value.step, info.value.sample) == ("x", T, (1,))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_checked_mode_ignores_padding_past_each_samples_length(strategy):
    prog = snnir.compile(_feedforward(), strategy=strategy, check=True)
    xs = _xs((T, B, F)).at[4:, 1].set(jnp.nan)  # sample 1 ends at step 4: its padding is not data
    lengths = jnp.asarray([T, 4, T, T])
    state, ys = prog(prog.init_state((B,)), xs, lengths=lengths)
    _, plain = prog.checked(False)(prog.init_state((B,)), xs, lengths=lengths)
    np.testing.assert_array_equal(np.asarray(ys["spikes"]), np.asarray(plain["spikes"]))
    with pytest.raises(snnir.NonFiniteError):
        prog(prog.init_state((B,)), xs, lengths=jnp.asarray([T, 5, T, T]))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_checked_results_equal_unchecked_results(strategy):
    prog = snnir.compile(_readme_graph(), strategy=strategy)
    xs = _xs((T, B, F))
    for a, b in zip(jax.tree_util.tree_leaves(prog(prog.init_state((B,)), xs)),
                    jax.tree_util.tree_leaves(prog.checked()(prog.init_state((B,)), xs))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_an_unchecked_program_traces_to_the_same_jaxpr(strategy):
    prog = snnir.compile(_readme_graph(), strategy=strategy)
    state, xs = prog.init_state((B,)), _xs((T, B, F))
    plain = jax.make_jaxpr(prog)(state, xs)
    assert not equations(plain.jaxpr, "is_finite")
    assert str(jax.make_jaxpr(prog.checked().checked(False))(state, xs)) == str(plain)
    assert snnir.compile(_readme_graph(), strategy=strategy, check=False) == prog
    checked = jax.make_jaxpr(checkify.checkify(prog.checked()))(state, xs)
    assert equations(checked.jaxpr, "is_finite")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_checked_mode_under_the_callers_jit(strategy):
    prog = snnir.compile(_feedforward(), strategy=strategy, check=True)
    state, xs = prog.init_state((B,)), _xs((T, B, F))
    step = snnir.checked(jax.jit(lambda s, x: prog(s, x)))
    np.testing.assert_array_equal(np.asarray(step(state, xs)[1]["spikes"]), np.asarray(prog(state, xs)[1]["spikes"]))
    with pytest.raises(snnir.NonFiniteError) as info:
        step(state, _nan_at(xs, 3, 1))
    assert (info.value.node, info.value.step, info.value.sample) == ("x", 3, (1,))
    with pytest.raises(snnir.NonFiniteError) as info:
        snnir.checked(jax.jit(prog.step))(state, xs[0].at[2, 4].set(jnp.inf))
    assert (info.value.node, info.value.step, info.value.sample) == ("x", 0, (2,))
    with pytest.raises(ValueError, match="checkify"):  # unwrapped, the checks cannot be staged: loud
        jax.jit(prog)(state, xs)


def test_checked_wraps_a_vmap_over_samples():
    prog = snnir.compile(_feedforward(), check=True)
    one = lambda x: prog(prog.init_state(()), x)[1]["spikes"]  # noqa: E731
    with pytest.raises(snnir.NonFiniteError) as info:
        snnir.checked(jax.vmap(one, in_axes=1))(_nan_at(_xs((T, B, F)), 3, 2))
    assert (info.value.node, info.value.step) == ("x", 3)


def test_checked_wraps_a_jitted_gradient():
    prog = snnir.compile(_readme_graph(), check=True)

    def loss(p, x):
        return jnp.sum(p(p.init_state((B,)), x)[1]["y"] ** 2)

    grad = snnir.checked(jax.jit(lambda p, x: eqx.filter_grad(loss)(p, x)))
    assert grad(prog, _xs((T, B, F))) is not None
    with pytest.raises(snnir.NonFiniteError, match="node 'x'"):
        grad(prog, _nan_at(_xs((T, B, F)), 0, 0))


def test_check_option_is_validated():
    assert snnir.compile(_feedforward(), check=True).check
    with pytest.raises(snnir.CompileOptionError, match="check"):
        snnir.compile(_feedforward(), check="yes")
    with pytest.raises(snnir.ProgramInputError):
        snnir.compile(_feedforward()).checked(1)


# ---------------------------------------------------------------------- jax.jit(prog)
def test_jax_jit_of_the_program_equals_the_plain_call(prog):
    state, xs = prog.init_state((B,)), _xs((T, B, F))
    jitted = jax.jit(prog)
    for a, b in zip(jax.tree_util.tree_leaves(jitted(state, xs)), jax.tree_util.tree_leaves(prog(state, xs))):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)  # XLA may fuse differently
    jitted(state, _xs((T, B, F), seed=1))
    assert jitted._cache_size() == 1  # same shapes: no second trace


def test_jax_jit_of_step_and_of_a_closure_equal_the_plain_calls(prog):
    state, xs = prog.init_state((B,)), _xs((T, B, F))
    for a, b in zip(jax.tree_util.tree_leaves(jax.jit(prog.step)(state, xs[0])),
                    jax.tree_util.tree_leaves(prog.step(state, xs[0]))):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    _, ys = jax.jit(lambda s, x: prog.trace(s, x))(state, xs)
    np.testing.assert_array_equal(np.asarray(ys["lif"]), np.asarray(prog.trace(state, xs)[1]["lif"]))


def test_jax_jit_never_reuses_another_programs_weights(prog):
    """A jitted program bakes its arrays into the compiled code: a trained copy must not hit that cache."""
    state, xs = prog.init_state((B,)), _xs((T, B, F))
    other = eqx.tree_at(lambda p: p.kernels["fc"].weight, prog, prog.kernels["fc"].weight * 3)
    assert hash(other) == hash(prog) and other != prog and (other == prog) is False
    first = jax.jit(prog)(state, xs)[1]["spikes"]
    second = jax.jit(other)(state, xs)[1]["spikes"]
    np.testing.assert_array_equal(np.asarray(second), np.asarray(other(state, xs)[1]["spikes"]))
    assert not np.array_equal(np.asarray(first), np.asarray(second))
    copy = jax.tree_util.tree_map(lambda leaf: leaf, prog)
    assert copy == prog and hash(copy) == hash(prog)


def test_program_equality_is_a_python_bool_inside_a_trace(prog):
    @jax.jit
    def compare(p):
        assert (p == prog) is False and (p == p) is True  # traced leaves: decided without tracing
        return p.kernels["fc"].weight

    compare(prog)
