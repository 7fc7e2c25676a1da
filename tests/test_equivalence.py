"""Compiled programs agree exactly with the plain-numpy reference simulator on random graphs.

Each drawn graph is compiled in both modes and run on dyadic inputs; the reference simulates the graph
the program reports (``prog.to_graph()``, which carries the feedback marks the compiler added), so the
marks are checked separately, against the ones the strategy knows a loop needs.

Dyadic data keeps float32 exact only while values keep to float32's 24 significant bits; the strategy
keeps runs short enough, and ``_assume_exact`` discards the rare example that still does not fit, so a
failure here is a real disagreement, never rounding.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import snnir
from reference_sim import simulate, simulate_ports, simulate_trace
from strategies import BATCH, expected_feedback, graph_and_inputs, graphs

MODES = ("straight", "delayed")
STRATEGIES = ("fused-scan", "layered")
RUNS = tuple((mode, strategy) for mode in MODES for strategy in STRATEGIES)
# float32 has 24 significant bits; keeping every value within 21 leaves room for the products with
# weights k/8 and the sums that the compiled program may order differently from the reference
SPARE_BITS = 3

# Every example is a fresh XLA compile per mode and input shape, so the tests of chunks, steps and lengths
# draw a third as many examples as the active profile gives the main test.
# (The conftest's dtype-promotion fixture is the same for every example, hence the suppressed check.)
examples = settings(suppress_health_check=[*settings().suppress_health_check, HealthCheck.function_scoped_fixture])
fewer_examples = settings(examples, max_examples=max(5, settings().max_examples // 3))
# the main test runs every mode and strategy: two thirds of the profile's examples keep CI quick
main_examples = settings(examples, max_examples=max(10, settings().max_examples * 2 // 3))


# ---------------------------------------------------------------------------------------------- helpers
def _to_jax(xs: dict[str, np.ndarray]) -> dict[str, jnp.ndarray]:
    return {k: jnp.asarray(v, jnp.float32) for k, v in xs.items()}


def _to_numpy(tree: dict) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in tree.items()}


def _run(prog, xs, state=None, lengths=None):
    """One call of the program from ``state`` (a fresh state by default); returns (state, numpy outputs)."""
    if state is None:
        state = prog.init_state(batch_shape=(BATCH,))
    kwargs = {} if lengths is None else {"lengths": jnp.asarray(lengths, jnp.int32)}
    state, ys = prog(state, _to_jax(xs), **kwargs)
    return state, _to_numpy(ys)


def _assert_same(got: dict[str, np.ndarray], want: dict[str, np.ndarray], what: str) -> None:
    assert set(got) == set(want), f"{what}: keys {sorted(got)} != {sorted(want)}"
    for key in want:
        assert got[key].shape == want[key].shape, f"{what}[{key!r}]: shape {got[key].shape} != {want[key].shape}"
        np.testing.assert_array_equal(got[key], want[key], err_msg=f"{what}[{key!r}]")


def _significant_bits(values: np.ndarray) -> int:
    """The bits a float format needs to hold every entry of ``values`` with one shared scale, i.e. from
    the highest set bit of the largest entry down to the lowest set bit of any entry (threshold-sized
    numbers included, since membranes are compared with thresholds up to 2)."""
    a = np.append(np.ravel(values).astype(np.float64), 2.0)
    a = a[a != 0]
    mantissa, exponent = np.frexp(a)  # a = mantissa * 2**exponent, 0.5 <= |mantissa| < 1
    digits = np.abs(mantissa * 2.0**53).astype(np.int64)  # exact: float64 has 53 bits
    trailing = np.zeros_like(digits)
    while np.any(digits & 1 == 0):
        even = digits & 1 == 0
        trailing += even
        digits = np.where(even, digits >> 1, digits)
    lowest = exponent - 53 + trailing
    return int(exponent.max() - lowest.min())


def _assume_exact(graph, xs, mode, lengths=None) -> None:
    """Discard an example on which float32 arithmetic would round: the reference must give the same values
    in float32 as in float64, with SPARE_BITS to spare on every port."""
    exact = simulate_ports(graph, xs, mode, lengths)
    single = simulate_ports(graph, xs, mode, lengths, dtype=np.float32)
    assume(all(np.array_equal(single[p], exact[p]) for p in exact))
    assume(all(_significant_bits(v) <= 24 - SPARE_BITS for v in exact.values()))


def _steps(xs) -> int:
    return next(iter(xs.values())).shape[0]


# ---------------------------------------------------------------------------------------------- runs
@pytest.mark.parametrize("mode", MODES)  # one test per mode, so that two workers share the work
@given(case=graph_and_inputs())
@main_examples
def test_outputs_and_traces_match_reference(mode, case):
    graph, xs = case
    state_traces: dict[str, dict] = {}
    for strategy in STRATEGIES:
        prog = snnir.compile(graph, mode=mode, strategy=strategy)
        marked = prog.to_graph()
        _assume_exact(marked, xs, mode)
        _, ys = _run(prog, xs)
        for y in ys.values():
            assert y.dtype == np.float32
        _assert_same(ys, simulate(marked, xs, mode), f"{mode} outputs")

        _, traces = prog.trace(prog.init_state(batch_shape=(BATCH,)), _to_jax(xs))
        traces = _to_numpy(traces)
        want = simulate_trace(marked, xs, mode)
        missing = [n.id for n in graph.nodes if n.kind != "Output" and n.id not in traces]
        assert not missing, f"{mode} trace lacks nodes {missing}"
        # Output nodes may be traced too (as the value they return); compare whatever is there
        _assert_same(traces, {k: want[k] for k in traces}, f"{mode} {strategy} trace")
        # state variables step by step agree between strategies
        _, with_state = prog.trace(prog.init_state(batch_shape=(BATCH,)), _to_jax(xs), state_vars=True)
        state_traces[strategy] = {k: np.asarray(v) for k, v in with_state.items() if ":" in k}
    _assert_same(state_traces["layered"], state_traces["fused-scan"], f"{mode} state variables")


@given(graph_and_inputs(), st.data())
@fewer_examples
def test_chunked_run_matches_reference(case, data):
    """Two calls, the second from the state the first returns, equal one run."""
    graph, xs = case
    split = data.draw(st.integers(1, _steps(xs) - 1), label="split")
    for mode, strategy in RUNS:
        prog = snnir.compile(graph, mode=mode, strategy=strategy)
        marked = prog.to_graph()
        _assume_exact(marked, xs, mode)
        state, first = _run(prog, {k: v[:split] for k, v in xs.items()})
        _, second = _run(prog, {k: v[split:] for k, v in xs.items()}, state)
        joined = {k: np.concatenate([first[k], second[k]]) for k in first}
        _assert_same(joined, simulate(marked, xs, mode), f"{mode} chunks split at {split}")


@given(graph_and_inputs())
@fewer_examples
def test_steps_match_reference(case):
    """``prog.step`` one step at a time equals one run."""
    graph, xs = case
    for mode in MODES:
        prog = snnir.compile(graph, mode=mode)
        marked = prog.to_graph()
        _assume_exact(marked, xs, mode)
        state = prog.init_state(batch_shape=(BATCH,))
        steps = []
        for t in range(_steps(xs)):
            state, y_t = prog.step(state, {k: jnp.asarray(v[t], jnp.float32) for k, v in xs.items()})
            steps.append(_to_numpy(y_t))
        joined = {k: np.stack([y[k] for y in steps]) for k in steps[0]}
        _assert_same(joined, simulate(marked, xs, mode), f"{mode} step by step")


@given(graph_and_inputs(), st.data())
@fewer_examples
def test_lengths_zero_the_outputs_and_freeze_the_state(case, data):
    """A padded sample runs its own steps, then gives zeros and keeps its state: continuing the run
    afterwards is the same as running the sample's own steps and then the continuation."""
    graph, xs = case
    T = _steps(xs)
    lengths = np.asarray(data.draw(st.lists(st.integers(1, T - 1), min_size=BATCH, max_size=BATCH),
                                   label="lengths"))
    # the continuation is short enough that each sample's own history stays within T steps (exactness)
    rest = {k: v[lengths.max():] for k, v in xs.items()}
    for mode, strategy in RUNS:
        prog = snnir.compile(graph, mode=mode, strategy=strategy)
        marked = prog.to_graph()
        _assume_exact(marked, xs, mode, lengths)
        state, ys = _run(prog, xs, lengths=lengths)
        _assert_same(ys, simulate(marked, xs, mode, lengths=lengths), f"{mode} with lengths {lengths.tolist()}")
        _, after = _run(prog, rest, state)
        for b, n in enumerate(lengths):
            own = {k: np.concatenate([v[:n, b:b + 1], rest[k][:, b:b + 1]]) for k, v in xs.items()}
            _assume_exact(marked, own, mode)
            want = {k: v[n:] for k, v in simulate(marked, own, mode).items()}
            _assert_same({k: v[:, b:b + 1] for k, v in after.items()}, want,
                         f"{mode}: sample {b} resumed after its length {n}")


# ---------------------------------------------------------------------------------------------- marks
@given(graphs())
@examples
def test_feedback_marks_only_where_a_cycle_needs_one(graph):
    """Straight mode marks exactly the loops that nothing else breaks, on the edge the declaration-order
    rule picks; the rest of the graph comes back unchanged."""
    prog = snnir.compile(graph, mode="straight")
    marked = prog.to_graph()
    want = expected_feedback(graph)
    assert {e.key for e in marked.edges if e.feedback} == want
    assert set(prog.feedback_edges) == want
    assert [e.replace(feedback=False) for e in marked.edges] == list(graph.edges)
    assert marked.nodes == graph.nodes
