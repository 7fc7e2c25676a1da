"""The shipped seed examples run (smoke test) and give what their docs say."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

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


def _make_models():
    spec = importlib.util.spec_from_file_location("make_models", SEEDS.parent / "models" / "make_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundled_model_files_are_what_make_models_writes(tmp_path):
    """examples/models/make_models.py regenerates every bundled file; the committed ones are current."""
    import json

    import snnir

    models = SEEDS.parent / "models"
    written = _make_models().main(tmp_path)
    assert {p.name for p in written} == {"recurrent.snnir", "recurrent.json", "recurrent_nir.snnir",
                                         "recurrent_nir.nir", "spikes.npy", "custom.snnir", "broken.json"}
    for path in written:
        committed = models / path.name
        if path.suffix == ".nir":
            assert snnir.from_nir(committed, dt=1e-4) == snnir.from_nir(path, dt=1e-4), REGENERATE
        elif path.suffix == ".npy":
            np.testing.assert_array_equal(np.load(committed), np.load(path), err_msg=REGENERATE)
        elif path.name == "broken.json":
            assert json.loads(committed.read_text()) == json.loads(path.read_text()), REGENERATE
        else:  # containers hold zip timestamps: compare what they mean
            assert snnir.load(committed) == snnir.load(path), f"{path.name}: {REGENERATE}"
    assert (models / "recurrent.json").read_text() == (tmp_path / "recurrent.json").read_text(), REGENERATE


REGENERATE = "the bundled file is stale: run python examples/models/make_models.py"


def test_bundled_models_load_run_and_export_as_their_docs_say():
    import snnir

    models = SEEDS.parent / "models"
    xs = np.load(models / "spikes.npy")
    _make_models()  # registers the custom layer of custom.snnir, as `snnir --import .../layers.py` does
    for name in ("recurrent.snnir", "recurrent_nir.snnir", "custom.snnir"):
        prog = snnir.compile(snnir.load(models / name))
        _, ys = prog(prog.init_state((2,)), xs[:10])
        assert ys["y"].shape[:2] == (10, 2) and np.isfinite(np.asarray(ys["y"])).all()
    with pytest.raises(snnir.io.NIRConversionError, match="reset"):
        snnir.to_nir(snnir.load(models / "recurrent.snnir"), dt=1e-4)   # snnir's default reset: not NIR
    nir_graph = snnir.load(models / "recurrent_nir.snnir")
    assert snnir.from_nir(models / "recurrent_nir.nir", dt=1e-4) == nir_graph
    codes = [d.code for d in snnir.check(snnir.load(models / "broken.json", verify=False))]
    assert sorted(codes) == ["bad-parameter", "shape-mismatch", "unknown-node", "unknown-port", "unused-output"]
