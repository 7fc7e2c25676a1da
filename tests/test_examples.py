"""The shipped seed examples run (smoke test) and give what their docs say."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np

SEEDS = pathlib.Path(__file__).resolve().parent.parent / "examples" / "seeds"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SEEDS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_snnax_composed_examples_run_and_the_impossible_feedback_is_reported():
    results = _load("snnax_composed").main()
    np.testing.assert_array_equal(np.asarray(results["sequential"]), np.asarray(results["graph_structure"]))
    for name in ("sequential", "parallel", "local_feedback"):
        assert np.asarray(results[name]).shape[0] == 25
    assert "layer1" in results["feedback_error"] and "layer0" in results["feedback_error"]


def test_snnax_custom_layer_example_integrates_like_its_equation():
    out = np.asarray(_load("snnax_custom_layer").main())
    assert out.shape == (10, 3)
    assert np.all(np.abs(np.diff(out, axis=0)) > 0)  # a leaky integrator still charging


def test_spyx_example_runs_both_ways():
    traces, out = _load("spyx_network").main()
    assert traces.shape == (50, 8, 5) and out.shape == (8, 5)
    np.testing.assert_allclose(np.asarray(traces[0]), np.asarray(out), atol=1e-6)


def test_benchmark_harness_measures_and_writes_its_tables():
    """The harness's worker and table code run (tiny sizes; the timings themselves are never asserted)."""
    spec = importlib.util.spec_from_file_location("bench_lif", SEEDS.parent / "benchmarks" / "bench_lif.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.STEPS, bench.MEMORY_STEPS = 8, (16, 64)
    results = [bench.measure("lif", impl, 8, 1) for impl in bench.IMPLS]
    memory = bench.measure("memory", "fused-scan", 8, 1)["rows"]
    assert [m["steps"] for m in memory] == [16, 64] and memory[1]["plain_bytes"] > memory[0]["plain_bytes"]

    class Args:
        sizes, repeats, rounds, peer_names = [8], 1, 1, ()

    text = bench.tables(results, Args, memory)
    assert "| 8 | layered-bf16 |" in text and "| fused-scan | 64 | 8 |" in text
