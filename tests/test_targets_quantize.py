"""Quantization against chip profiles: ``snnir.verify(graph, target=...)`` accepts weights whose
Quantization fits the chip's formats and reports mismatches as errors (``target-format``); and the worked
example (examples/quantize_digits.py) runs end to end on a tiny budget."""

from __future__ import annotations

import importlib.util
import pathlib
import re

import numpy as np
import pytest

import snnir
from snnir import Edge as E
from snnir import targets
from snnir import Quantization as Q

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def xylo_net() -> snnir.Graph:
    """Fits Xylo: 16 inputs, 20 hidden LIF neurons that reset by subtraction, 8 readout LIF neurons."""
    rng = np.random.default_rng(0)
    return snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(16,)),
               snnir.Linear(id="fc", weight=rng.normal(0, 0.5, (20, 16)).astype(np.float32)),
               snnir.LIF(id="h", shape=(20,), decay=0.9),
               snnir.Linear(id="ro", weight=rng.normal(0, 0.5, (8, 20)).astype(np.float32)),
               snnir.LIF(id="o", shape=(8,), decay=0.75),
               snnir.Output(id="y")],
        edges=[E("x", "fc"), E("fc", "h"), E("h", "ro"), E("ro", "o"), E("o", "y")])


def target_diags(graph, target="xylo"):
    return [d for d in snnir.check(graph, target=target) if d.code.startswith("target-")]


def test_float_weights_warn_and_quantized_ones_pass():
    assert {d.code for d in target_diags(xylo_net())} == {"target-quantization"}
    assert target_diags(snnir.quantize(xylo_net(), target="xylo")) == []
    assert snnir.verify(snnir.quantize(xylo_net(), bits=8), target="xylo") == ()


def test_a_wider_quantization_than_the_chip_stores_is_an_error():
    g = snnir.quantize(xylo_net(), bits=16)
    found = target_diags(g)
    assert [(d.code, d.severity, d.nodes) for d in found] == [
        ("target-format", "error", ("fc",)), ("target-format", "error", ("ro",))]
    assert found[0].message == "Linear 'fc': weight is quantized to 16 bits (q16/ch); xylo stores 8-bit signed values"
    assert "snnir.quantize(graph, target='xylo')" in found[0].hint
    with pytest.raises(snnir.VerifyError, match="target-format"):
        snnir.verify(g, target="xylo")


def test_neuron_formats_are_checked_too():
    wide = snnir.quantize(xylo_net(), state_bits=24)   # xylo's membranes and thresholds have 16 bits
    found = {(d.nodes, d.message.split(": ")[1].split(" is")[0]) for d in target_diags(wide)}
    assert (("h",), "threshold") in found and (("h",), "v") in found
    linear = snnir.quantize(xylo_net(), decay="linear", decay_bits=4)
    msgs = [d.message for d in target_diags(linear)]
    assert "LIF 'h': decay is quantized as a linear decay; xylo stores it as a bit shift, β = 1 − 2^(−d)" in msgs
    # Loihi 2 stores unsigned thresholds and 12-bit linear decays
    loihi = [d.message for d in target_diags(snnir.quantize(xylo_net()), "loihi2")]
    assert "LIF 'h': threshold is quantized as a signed value; loihi2 stores it unsigned (17 bits)" in loihi
    assert any("decay is quantized as a shift decay" in m for m in loihi)
    assert target_diags(snnir.quantize(xylo_net(), target="loihi2"), "loihi2") == []


def test_a_chip_with_float_weights_checks_nothing_and_quantize_refuses_it():
    chip = snnir.targets.TargetProfile(name="float-chip", title="t", source="s", cores=1, neurons_per_core=1000,
                                       neurons={"LIF": {}}, layers=["Linear"])
    assert target_diags(snnir.quantize(xylo_net()), chip) == []
    with pytest.raises(snnir.QuantizeError, match="floating-point weights"):
        snnir.quantize(xylo_net(), target=chip)


def test_target_format_is_catalogued():
    assert snnir.explain("target-format").startswith("target-format (error)")


# ---------------------------------------------------------------------------------------------- the example
@pytest.mark.standard_promotion  # optax's Adam promotes its step count implicitly
def test_quantize_digits_runs_on_a_tiny_budget(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("quantize_digits", EXAMPLES / "quantize_digits.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.main(["--epochs", "1", "--qat-epochs", "1", "--steps", "4", "--hidden", "16",
                           "--encodings", "1", "--out", str(tmp_path), "--quiet"])
    printed = capsys.readouterr().out
    for what in ("float", "post-training quantized", "quantization-aware trained", "integer arithmetic"):
        assert re.search(rf"^{what} test accuracy \d\.\d{{3}}$", printed, re.M), printed
    assert "snnir.verify(graph, target='loihi2'): no problems" in printed
    assert all(0.0 <= result[k] <= 1.0 for k in ("float", "ptq", "qat", "integer"))
    loaded = snnir.load(result["model"])
    assert loaded == result["graph"] and loaded.node("fc1").quant["weight"].bits == 8


def test_the_estimate_stores_weights_at_the_chips_width_else_at_their_quantization():
    """A chip's weight format sets the storage width; on a profile without one, a quantized weight
    counts its own bits instead of its float dtype's."""
    b = snnir.GraphBuilder(key=0)
    b.output(b.lif(b.linear(b.input("x", shape=(4,)), 8, id="fc"), decay=0.9, reset="zero", id="h"), id="y")
    graph = b.build()
    loihi = targets.load_profile("loihi2")
    free = loihi.model_copy(update={"weights": None})
    quantized = snnir.quantize(graph, bits=4)

    def weight_bits(g, profile):
        row = next(r for r in targets.estimate(g, profile).nodes if r.node == "fc")
        return row.memory_bits // row.synapses

    assert weight_bits(graph, loihi) == weight_bits(quantized, loihi) == loihi.weights.bits
    assert weight_bits(graph, free) == 32 and weight_bits(quantized, free) == 4
