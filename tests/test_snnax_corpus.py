"""SNNAX programs ported by changing only their imports give SNNAX's numbers.

Each program in tests/corpus/snnax/programs was run once with the real SNNAX (tests/corpus/snnax/
generate.py, outside ``make test``); here it runs through ``snnir.compat.snnax`` with its import lines
rewritten and nothing else, and every value it reports must match: spike trains exactly, other floats to
1e-5 relative, gradients to 1e-4.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib

import numpy as np
import pytest

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus" / "snnax"
_spec = importlib.util.spec_from_file_location("snnax_corpus_runner", CORPUS / "runner.py")
runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runner)  # by path: each corpus has its own runner module
port = runner.port
run_program = runner.run_program
tolerance = runner.tolerance

MANIFEST = json.loads((CORPUS / "fixtures" / "manifest.json").read_text())
PROGRAMS = sorted((CORPUS / "programs").glob("p*.py"))

# Programs that do not match yet, with the reason. A listed program that starts to pass fails the run
# (strict xfail), so this list only ever shrinks as the front end catches up.
KNOWN_DIFFERENCES: dict[str, str] = {}


def _case(path: pathlib.Path):
    reason = KNOWN_DIFFERENCES.get(path.stem)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(path, id=path.stem, marks=marks)


def test_every_program_has_a_fixture_or_a_recorded_snnax_error():
    recorded = MANIFEST["programs"]
    for path in PROGRAMS:
        assert path.stem in recorded, f"{path.name}: run generate.py --only {path.stem}"
        entry = recorded[path.stem]
        assert "fixture" in entry or "snnax_error" in entry
        if "fixture" in entry:
            assert (CORPUS / "fixtures" / entry["fixture"]).exists()
    assert len([p for p in PROGRAMS if "fixture" in recorded[p.stem]]) >= 25


def test_porting_rewrites_only_import_lines():
    source = ("import snnax\nimport snnax.snn as snn\nfrom snnax import snn\n"
              "from snnax.snn.composed import CompoundLayer\nx = 'snnax'  # snnax\n")
    ported = port(source)
    assert ported.splitlines() == [
        "import snnir.compat.snnax as snnax", "import snnir.compat.snnax.snn as snn",
        "from snnir.compat.snnax import snn", "from snnir.compat.snnax.snn.composed import CompoundLayer",
        "x = 'snnax'  # snnax",
    ]


@pytest.mark.parametrize("program", [_case(p) for p in PROGRAMS if "fixture" in MANIFEST["programs"].get(p.stem, {})])
def test_ported_program_matches_snnax(program: pathlib.Path):
    expected = dict(np.load(CORPUS / "fixtures" / MANIFEST["programs"][program.stem]["fixture"]))
    got = run_program(program, ported=True)
    assert sorted(got) == sorted(expected), "the program reports other values than under SNNAX"
    for key, want in expected.items():
        have = got[key]
        assert have.shape == want.shape, f"{key}: shape {have.shape}, SNNAX gives {want.shape}"
        tol = tolerance(key)
        if tol is None:
            np.testing.assert_array_equal(have, want, err_msg=key)
        else:
            np.testing.assert_allclose(have, want, rtol=tol[0], atol=tol[1], err_msg=key)
