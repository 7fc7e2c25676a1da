"""Spyx's templates, ported (examples/spyx): each port is its Spyx original with only the imports changed,
and each trains on a tiny budget."""

from __future__ import annotations

import difflib
import importlib.util
import math
import pathlib
import re

import pytest

pytest.importorskip("flax")
pytest.importorskip("optax")

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples" / "spyx"
TEMPLATES = ("shd_template", "conv_template")
IMPORT = re.compile(r"^(import|from)\s+\S")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"spyx_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", TEMPLATES)
def test_port_differs_from_the_original_only_in_its_imports(name):
    original = (EXAMPLES / "original" / f"{name}.py").read_text(encoding="utf-8").splitlines()
    port = (EXAMPLES / f"{name}.py").read_text(encoding="utf-8").splitlines()
    changed = [line for line in difflib.ndiff(original, port) if line[:2] in ("- ", "+ ")]
    removed = [line[2:] for line in changed if line.startswith("- ")]
    added = [line[2:] for line in changed if line.startswith("+ ")]
    assert removed and added, "the port should change the imports"
    assert all(IMPORT.match(line) for line in removed + added), changed
    assert all(re.match(r"(import|from) spyx\b", line) for line in removed), removed
    assert all(re.match(r"(import|from) snnir\.compat\.spyx\b", line) for line in added), added
    assert not any(re.match(r"\s*(import|from) spyx\b", line) for line in port)


def _train(name: str, argv: list[str], capsys):
    history, test_acc = _load(name).main(argv)
    out = capsys.readouterr().out
    assert re.search(r"^test accuracy \d\.\d{4}$", out, re.M), out
    assert len(history) == len(re.findall(r"^epoch ", out, re.M))
    losses = [h[0] for h in history] + [h[2] for h in history]
    assert all(math.isfinite(v) for v in losses), history
    return history, test_acc


# user programs: written for JAX's default dtype promotion, and optax's optimisers rely on it
@pytest.mark.standard_promotion
def test_shd_template_trains_on_a_tiny_budget(capsys):
    history, test_acc = _train("shd_template", ["--quick", "--epochs", "4", "--classes", "4", "--lr", "1e-2"],
                                 capsys)
    assert len(history) == 4
    assert history[-1][0] < history[0][0]          # train loss
    assert history[-1][2] < history[0][2]          # val loss
    assert test_acc > 0.4                          # 4 classes, 64 test samples: chance is 0.25 (sd 0.05)


@pytest.mark.standard_promotion
def test_conv_template_trains_on_a_tiny_budget(capsys):
    argv = ["--quick", "--epochs", "4", "--train-batches", "6", "--test-batches", "4"]
    history, test_acc = _train("conv_template", argv, capsys)
    assert len(history) == 4
    assert history[-1][0] < history[0][0]
    assert history[-1][2] < history[0][2]
    assert test_acc > 0.18                         # 10 classes, 64 test images: chance is 0.1 (sd 0.04)
