"""The training examples run end to end on a tiny budget: they print their accuracy lines and write a
model file that reloads, and their figures. (Their accuracies with the defaults are in their docstrings
and docs/train.md; a smoke run is far too short to reach them, so none is asserted here.)"""

from __future__ import annotations

import importlib.util
import pathlib
import re

import pytest

import snnir

pytestmark = pytest.mark.standard_promotion  # optax's Adam promotes its step count implicitly

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _png(path: pathlib.Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_digits_runs_and_writes_a_model_that_reloads(tmp_path, capsys):
    example = _load("train_digits")
    result = example.main(["--epochs", "1", "--steps", "4", "--hidden", "16", "--encodings", "1",
                           "--out", str(tmp_path), "--quiet"])
    printed = capsys.readouterr().out
    assert re.search(r"^test accuracy \d\.\d{3}$", printed, re.M), printed
    assert 0.0 <= result["test_accuracy"] <= 1.0 and len(result["history"].loss) == 1
    assert {p.name for p in tmp_path.iterdir()} == {"digits.snnir", "history.png", "raster.png"}
    assert _png(tmp_path / "history.png") and _png(tmp_path / "raster.png")
    graph = snnir.load(tmp_path / "digits.snnir")
    assert graph.node("hidden").shape == (16,) and graph.node("fc1").weight.shape == (16, 64)


def test_train_recurrent_runs_both_networks_and_writes_models_that_reload(tmp_path, capsys):
    example = _load("train_recurrent")
    result = example.main(["--epochs", "1", "--steps", "18", "--hidden", "16", "--trials", "128",
                           "--out", str(tmp_path), "--quiet"])
    printed = capsys.readouterr().out
    assert re.search(r"^accuracy with recurrence \d\.\d\d$", printed, re.M), printed
    assert re.search(r"^accuracy without recurrence \d\.\d\d$", printed, re.M), printed
    assert set(result["accuracy"]) == {"recurrent", "feedforward"}
    assert {p.name for p in tmp_path.iterdir()} == {"recurrent.snnir", "feedforward.snnir", "raster.png"}
    assert _png(tmp_path / "raster.png")
    recurrent = snnir.load(tmp_path / "recurrent.snnir")
    assert recurrent.node("hidden").shape == (16,)
    assert snnir.compile(recurrent).feedback_edges == (("rec", "hidden"),)
    assert snnir.compile(snnir.load(tmp_path / "feedforward.snnir")).feedback_edges == ()
