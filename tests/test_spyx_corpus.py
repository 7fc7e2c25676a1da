"""Spyx programs ported by changing only their imports give Spyx's numbers.

Each program in tests/corpus/spyx/programs was run once with the real Spyx (tests/corpus/spyx/
generate.py, outside ``make test``): ``v1_*`` with Spyx 1.0 (Flax NNX), ``v01_*`` with Spyx 0.1.20.
Here it runs through ``snnir.compat.spyx`` with its import lines rewritten and nothing else, and every
value it reports must match: spike trains exactly, other floats to 1e-5 relative, gradients to 1e-4.
The 0.1.20 programs written with Haiku cannot be ported by an import change (Haiku does not run on
current JAX); their fixtures are compared by hand against the same network built with the 1.0 API.
"""

from __future__ import annotations

import inspect
import importlib.util
import json
import pathlib

import numpy as np
import pytest

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus" / "spyx"
_spec = importlib.util.spec_from_file_location("spyx_corpus_runner", CORPUS / "runner.py")
runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runner)  # by path: each corpus has its own runner module
port = runner.port
run_program = runner.run_program
tolerance = runner.tolerance
uses_haiku = runner.uses_haiku

MANIFEST = json.loads((CORPUS / "fixtures" / "manifest.json").read_text())
PROGRAMS = sorted((CORPUS / "programs").glob("v*.py"))
ENTRIES = MANIFEST["programs"]

# Programs that do not match yet, with the reason. A listed program that starts to pass fails the run
# (strict xfail), so this list only ever shrinks as the front end catches up.
KNOWN_DIFFERENCES: dict[str, str] = {}


def _case(path: pathlib.Path):
    reason = KNOWN_DIFFERENCES.get(path.stem)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    source = path.read_text()
    if "nnx.Optimizer" in source or "optimize" in source:  # optax's optimisers rely on default dtype promotion
        marks.append(pytest.mark.standard_promotion)
    return pytest.param(path, id=path.stem, marks=marks)


def _replayed(path: pathlib.Path) -> bool:
    entry = ENTRIES.get(path.stem, {})
    return "fixture" in entry and "reference_only" not in entry


def _fixture(stem: str) -> dict[str, np.ndarray]:
    return dict(np.load(CORPUS / "fixtures" / ENTRIES[stem]["fixture"]))


def _compare(got: dict, expected: dict, who: str = "Spyx"):
    assert sorted(got) == sorted(expected), f"the program reports other values than under {who}"
    for key, want in expected.items():
        have = np.asarray(got[key])
        assert have.shape == want.shape, f"{key}: shape {have.shape}, {who} gives {want.shape}"
        tol = tolerance(key)
        if tol is None:
            np.testing.assert_array_equal(have, want, err_msg=key)
        else:
            np.testing.assert_allclose(have, want, rtol=tol[0], atol=tol[1], err_msg=key)


def test_every_program_has_a_fixture_or_a_recorded_spyx_error():
    for path in PROGRAMS:
        assert path.stem in ENTRIES, f"{path.name}: run generate.py --only {path.stem}"
        entry = ENTRIES[path.stem]
        assert "fixture" in entry or "spyx_error" in entry
        if "fixture" in entry:
            assert (CORPUS / "fixtures" / entry["fixture"]).exists()
        assert ("reference_only" in entry) == uses_haiku(path), path.name
    assert len([p for p in PROGRAMS if _replayed(p)]) >= 45
    assert set(KNOWN_DIFFERENCES) <= {p.stem for p in PROGRAMS if _replayed(p)}


def test_porting_rewrites_only_import_lines():
    source = ("import spyx\nimport spyx.nn as snn\nfrom spyx import fn\nfrom spyx.nn import LIF, run\n"
              "import jax, spyx.nn as snn, spyx.axn as axn\nimport spyx.data\nimport spyxx\n"
              "x = 'import spyx'  # spyx\n")
    assert port(source).splitlines() == [
        "import snnir.compat.spyx as spyx", "import snnir.compat.spyx.nn as snn",
        "from snnir.compat.spyx import fn", "from snnir.compat.spyx.nn import LIF, run",
        "import jax, snnir.compat.spyx.nn as snn, snnir.compat.spyx.axn as axn",
        "import snnir.compat.spyx.data, snnir.compat.spyx as spyx", "import spyxx",
        "x = 'import spyx'  # spyx",
    ]


@pytest.mark.parametrize("program", [pytest.param(p, id=p.stem) for p in PROGRAMS])
def test_port_touches_only_import_lines(program: pathlib.Path):
    before = program.read_text().splitlines()
    after = port(program.read_text()).splitlines()
    assert len(before) == len(after)
    for old, new in zip(before, after):
        if old != new:
            assert old.lstrip().startswith(("import ", "from ")) and "spyx" in old, old


@pytest.mark.parametrize("program", [_case(p) for p in PROGRAMS if _replayed(p)])
def test_ported_program_matches_spyx(program: pathlib.Path):
    _compare(run_program(program, ported=True), _fixture(program.stem))


# ---- Spyx 0.1.20 Haiku programs, rebuilt with the 1.0 API of snnir.compat.spyx -----------------------

def _snn():
    import snnir.compat.spyx.nn as snn

    return snn


def _require(cls, option: str):
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        params = {}
    if option not in params and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        pytest.skip(f"{cls.__name__} has no {option}= option yet")


@pytest.mark.parametrize("stem", ["v01_007_haiku_cubalif_double_reset", "v01_008_haiku_cubalif_single_spike"])
def test_cubalif_double_reset_matches_spyx_0_1(stem):
    import jax
    from flax import nnx

    import snnir.compat.spyx.axn as axn

    snn = _snn()
    _require(snn.CuBaLIF, "double_reset")
    want = _fixture(stem)
    x = want["inputs"]
    extra = {"activation": axn.arctan()} if "grad_inputs" in want else {}
    neuron = snn.CuBaLIF(x.shape[2:], alpha=float(want["alpha"]), beta=float(want["beta"]),
                         threshold=float(want["threshold"]), double_reset=True, rngs=nnx.Rngs(0), **extra)
    batch_major = "grad_inputs" in want  # v01_007 unrolls batch-major, v01_008 time-major
    spikes, final = snn.run(neuron, x, batch_major=batch_major)
    got = {"spikes": spikes, "final_state": final}
    if "grad_inputs" in want:
        got["grad_inputs"] = jax.grad(lambda v: snn.run(neuron, v, batch_major=True)[0].sum())(x)
    expected = {k: v for k, v in want.items() if k in got}
    _compare(got, expected, "Spyx 0.1.20")


def test_deeprnn_lif_matches_spyx_0_1():
    import jax.numpy as jnp
    from flax import nnx

    import snnir.compat.spyx.axn as axn
    import snnir.compat.spyx.fn as fn

    snn = _snn()
    want = _fixture("v01_009_haiku_deeprnn_lif")
    rngs = nnx.Rngs(0)
    model = snn.Sequential(
        nnx.Linear(6, 5, use_bias=False, rngs=rngs), snn.LIF((5,), beta=0.75, activation=axn.arctan(), rngs=rngs),
        nnx.Linear(5, 3, use_bias=False, rngs=rngs), snn.LI((3,), beta=0.875, rngs=rngs),
    )
    model.layers[0].kernel[...] = jnp.asarray(want["w1"])  # Haiku's hk.Linear w is (in, out) like nnx's kernel
    model.layers[2].kernel[...] = jnp.asarray(want["w2"])
    x, targets = jnp.asarray(want["inputs"]), jnp.asarray([1, 2])
    traces, state = snn.run(model, x, batch_major=True)
    loss_fn = lambda m: fn.integral_crossentropy()(snn.run(m, x, batch_major=True)[0], targets)
    loss, grads = nnx.value_and_grad(loss_fn)(model)
    got = {"traces": traces, "lif_state": state[1], "li_state": state[3], "loss": loss,
           "grad_w1": grads.layers[0].kernel[...], "grad_beta": grads.layers[1].beta[...],
           "grad_li_beta": grads.layers[3].beta[...]}
    _compare(got, {k: want[k] for k in got}, "Spyx 0.1.20")


def test_rcubalif_matches_spyx_0_1():
    import jax.numpy as jnp
    from flax import nnx

    snn = _snn()
    want = _fixture("v01_011_haiku_rcubalif")
    neuron = snn.RCuBaLIF((3,), alpha=0.75, beta=0.5, rngs=nnx.Rngs(0))
    neuron.recurrent_w[...] = jnp.asarray(want["recurrent_w"])
    spikes, final = snn.run(neuron, jnp.asarray(want["inputs"]))
    _compare({"spikes": spikes, "final_state": final}, {k: want[k] for k in ("spikes", "final_state")},
             "Spyx 0.1.20")


def test_sum_pool_full_rank_window_reproduces_spyx_0_1_tuple_window():
    # 0.1's (2, 2) window on NHWC pools the trailing W and C axes; 1.0 pools H and W. A full-rank window
    # says the same thing in both versions.
    snn = _snn()
    want = _fixture("v01_010_haiku_sumpool_tuple_window")
    x = want["inputs"]
    np.testing.assert_array_equal(np.asarray(snn.sum_pool(x, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")),
                                  want["spikes_pooled"])
    np.testing.assert_array_equal(np.asarray(snn.sum_pool(x, 2, 2, "VALID")), want["spikes_pooled_int"])
