"""Quantization in the IR: the Quantization model, its verify diagnostics, printing, drawing, model files,
the quantize pass (per tensor, per channel, calibration, percentile clipping, targets) and the
fake-quantized forward pass with straight-through gradients."""

from __future__ import annotations

import json
import pathlib

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir
from snnir import Edge as E
from snnir import Quantization as Q

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = ROOT / "examples" / "models"


def mlp(hidden: int = 4, key: int = 0) -> snnir.Graph:
    b = snnir.GraphBuilder(key=key)
    h = b.lif(b.linear(b.input("x", shape=(3,)), hidden, id="fc"), decay=0.9, id="h")
    b.output(b.li(b.linear(h, 2, id="ro"), decay=0.75, id="r"), id="y")
    return b.build()


def codes(diags):
    return [d.code for d in diags]


# ---------------------------------------------------------------------------------------------- the model
def test_quantization_equations_nearest_is_half_to_even_and_floor_floors():
    q = Q(bits=4, scale=0.5)
    assert q.qrange() == (-8, 7)
    assert q.integers([0.25, 0.75, -1.25, 1.3, 100.0, -100.0]).tolist() == [0, 2, -2, 3, 7, -8]
    assert Q(bits=4, scale=0.5, rounding="floor").integers([0.25, 0.75, -0.25]).tolist() == [0, 1, -1]
    assert Q(bits=4, scale=0.5, signed=False).qrange() == (0, 15)
    assert np.allclose(q.apply([0.3, 10.0]), [0.5, 3.5])
    shift = Q(bits=4, form="shift", signed=False)
    assert shift.integers([0.0, 0.5, 0.75, 0.9, 1.0]).tolist() == [0, 1, 2, 3, 15]
    assert np.allclose(shift.apply([0.9]), [0.875])


def test_per_channel_scales_run_along_their_axis():
    q = Q(bits=8, scale=[1.0, 0.5], axis=0)
    w = np.array([[1.0, 2.0], [1.0, 2.0]])
    assert q.integers(w).tolist() == [[1, 2], [2, 4]]
    assert Q(bits=8, scale=[1.0, 0.5], axis=1).integers(w).tolist() == [[1, 4], [1, 4]]


def test_a_quantized_node_equals_prints_and_hashes_by_value():
    w = np.full((4, 3), 0.25, np.float32)
    a = snnir.Linear(id="fc", weight=w, quant={"weight": Q(bits=8, scale=[0.1] * 4, axis=0)})
    b = snnir.Linear(id="fc", weight=w, quant={"weight": Q(bits=8, scale=np.full(4, 0.1), axis=0)})
    assert a == b and hash(a) == hash(b)
    assert a != snnir.Linear(id="fc", weight=w)
    assert snnir.Linear(id="fc", weight=w, quant={}) == snnir.Linear(id="fc", weight=w)
    assert repr(a) == "Linear(id='fc' weight=f32[4,3] q8/ch)"


def test_the_printer_shows_formats_beside_parameters():
    g = snnir.quantize(mlp())
    text = str(g)
    assert "fc: Linear(x) weight=f32[4,3] q8/ch bias=f32[4] q16/ch" in text
    assert "h: LIF(fc) shape=(4,) decay=0.9 q4/shift threshold=1 q16/ch v:q16/ch" in text
    per_tensor = str(snnir.quantize(mlp(), per_channel=False, rounding="floor"))
    assert "weight=f32[4,3] q8/floor" in per_tensor


def test_the_drawing_marks_quantized_nodes():
    g = snnir.quantize(mlp())
    dot = snnir.to_dot(g)
    assert "int weight q8/ch, bias q16/ch" in dot
    assert "int " not in snnir.to_dot(mlp())
    assert "int weight q8/ch" in snnir.to_mermaid(g)


# ---------------------------------------------------------------------------------------------- verify
def _one(node) -> list:
    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(3,)), node, snnir.Output(id="y")],
                    edges=[E("x", node.id), E(node.id, "y")])
    return [d for d in snnir.check(g) if d.code == "bad-quantization"]


W = np.full((4, 3), 0.25, np.float32)


@pytest.mark.parametrize("quant, message, hint", [
    ({"wieght": Q(bits=8, scale=0.1)}, "quant['wieght'] names no parameter of Linear", "did you mean 'weight'?"),
    ({"bias": Q(bits=8, scale=0.1)}, "quantizes bias, which is not set", "set bias"),
    ({"weight": Q(bits=40, scale=0.1)}, "bits=40", "between 2 and 32"),
    ({"weight": Q(bits=1, scale=0.1)}, "bits=1", "between 2 and 32"),
    ({"weight": Q(bits=8, scale=0.0)}, "scale 0.0", "positive"),
    ({"weight": Q(bits=8, scale=-1.0)}, "scale -1.0", "positive"),
    ({"weight": Q(bits=8, scale=float("nan"))}, "scale nan", "positive"),
    ({"weight": Q(bits=8, scale=[0.1, 0.1], axis=0)}, "2 scales, but weight has 4 channels on axis 0", "give 4 scales"),
    ({"weight": Q(bits=8, scale=[0.1] * 4, axis=2)}, "axis=2, but weight has 2 axes", "axis between 0 and 1"),
    ({"weight": Q(bits=8, form="shift", signed=False)}, "only a decay", "form='linear'"),
])
def test_bad_quantizations_are_verify_errors_naming_the_node(quant, message, hint):
    found = _one(snnir.Linear(id="fc", weight=W, quant=quant))
    assert len(found) == 1
    d = found[0]
    assert d.severity == "error" and d.nodes == ("fc",)
    assert message in d.message and d.message.startswith("Linear 'fc'") and hint in d.hint
    with pytest.raises(snnir.VerifyError, match="bad-quantization"):
        snnir.verify(snnir.Graph(nodes=[snnir.Input(id="x", shape=(3,)), snnir.Linear(id="fc", weight=W, quant=quant),
                                        snnir.Output(id="y")], edges=[E("x", "fc"), E("fc", "y")]))


def test_neuron_entries_count_the_neuron_shape_and_may_name_states():
    ok = snnir.LIF(id="n", shape=(3,), decay=0.5, quant={"threshold": Q(bits=16, scale=[0.1] * 3, axis=0),
                                                         "v": Q(bits=16, scale=0.1)})
    assert _one(ok) == []
    bad = snnir.LIF(id="n", shape=(3,), decay=0.5, quant={"threshold": Q(bits=16, scale=[0.1] * 2, axis=0),
                                                          "decay": Q(bits=4, scale=0.1)})
    assert [d.message for d in _one(bad)] == [
        "LIF 'n': quant['threshold'] has 2 scales, but threshold has 3 channels on axis 0 (shape (3,))"]
    assert "names no parameter" in _one(snnir.LIF(id="n", shape=(3,), decay=0.5, quant={"i": Q(bits=16)}))[0].message


def test_construction_checks_only_types():
    with pytest.raises(snnir.InvalidIRError):
        snnir.Linear(id="fc", weight=W, quant={"weight": {"bits": "eight"}})
    with pytest.raises(snnir.InvalidIRError):
        snnir.Linear(id="fc", weight=W, quant={"weight": {"bits": 8, "scal": 0.1}})
    assert snnir.Linear(id="fc", weight=W, quant={"weight": {"bits": 99, "scale": -1}}).quant["weight"].bits == 99
    with pytest.raises(snnir.InvalidIRError, match="invalid quantization"):
        Q(bits=8, scale="big")
    with pytest.raises(snnir.InvalidIRError, match="did you mean 'rounding'"):
        Q(bits=8, roundng="floor")


def test_bad_quantization_is_catalogued():
    assert snnir.explain("bad-quantization").startswith("bad-quantization (error)")


# ---------------------------------------------------------------------------------------------- files
@pytest.mark.parametrize("suffix", [".snnir", ".json"])
def test_quantized_graphs_round_trip_through_model_files(tmp_path, suffix):
    g = snnir.quantize(mlp())
    loaded = snnir.load(snnir.save(g, tmp_path / f"m{suffix}"))
    assert loaded == g
    assert loaded.node("fc").quant == g.node("fc").quant
    assert str(loaded) == str(g)


def test_unquantized_files_are_written_exactly_as_before(tmp_path):
    """No "quant" key for a node without quantization: such files stay schema 3 files any snnir reads."""
    g = snnir.load(MODELS / "recurrent.json")
    text = pathlib.Path(snnir.save(g, tmp_path / "r.json")).read_text()
    assert '"quant"' not in text
    assert text == (MODELS / "recurrent.json").read_text()
    doc = json.loads(pathlib.Path(snnir.save(snnir.quantize(g), tmp_path / "q.json")).read_text())
    assert doc["schema_version"] == snnir.SCHEMA_VERSION == 3
    assert doc["graph"]["nodes"][1]["quant"]["weight"]["bits"] == 8


def test_the_program_gives_its_quantization_back():
    g = snnir.quantize(mlp())
    assert snnir.compile(g).to_graph().node("fc").quant == g.node("fc").quant


# ---------------------------------------------------------------------------------------------- the pass
def test_per_channel_scales_follow_the_weights_and_the_threshold():
    g = mlp()
    q = snnir.quantize(g, bits=8, state_bits=16)
    fc, h = g.node("fc"), q.node("h")
    want = np.maximum(np.abs(fc.weight).max(axis=1) / 127, 1.0 / 32767)
    want = np.maximum(want, np.abs(fc.bias) / 32767)
    assert np.allclose(q.node("fc").quant["weight"].scale, want)
    assert q.node("fc").quant["bias"].scale == q.node("fc").quant["weight"].scale == h.quant["threshold"].scale
    assert h.quant["v"].scale == h.quant["threshold"].scale and h.quant["v"].bits == 16
    assert h.quant["decay"] == Q(bits=4, form="shift", signed=False)
    # the float parameters are untouched
    assert np.array_equal(q.node("fc").weight, fc.weight) and q.metadata["quantization"]["weight_bits"] == 8


def test_per_tensor_takes_the_largest_channel():
    q = snnir.quantize(mlp(), per_channel=False)
    s = q.node("fc").quant["weight"].scale
    assert isinstance(s, float) and s == max(snnir.quantize(mlp()).node("fc").quant["weight"].scale)


def test_calibration_widens_the_state_scale_to_the_membranes_seen():
    g = mlp()
    xs = np.ones((20, 4, 3), np.float32) * 3
    plain = snnir.quantize(g, state_bits=6)
    calibrated = snnir.quantize(g, state_bits=6, calibration=xs)
    prog = snnir.compile(g)
    _, tr = prog.trace(prog.init_state((4,)), xs, nodes=["r"], state_vars=True)
    peak = np.abs(np.asarray(tr["r:v"])).max(axis=(0, 1))
    s = np.asarray(calibrated.node("r").quant["v"].scale)
    assert np.all(s >= peak / 31 * (1 - 1e-6)) and np.any(s > np.asarray(plain.node("r").quant["v"].scale))
    clipped = snnir.quantize(g, state_bits=6, calibration=xs, percentile=50.0)
    assert np.all(np.asarray(clipped.node("r").quant["v"].scale) <= s)
    assert calibrated.metadata["quantization"]["calibrated"] is True


def test_percentile_clips_weight_outliers():
    g = mlp()
    w = np.full((4, 3), 0.1, np.float32)
    w[0, 0] = 10.0
    g = g.replace_node(g.node("fc").replace(weight=w, bias=None))
    assert snnir.quantize(g, percentile=50.0).node("fc").quant["weight"].scale[0] < \
        snnir.quantize(g).node("fc").quant["weight"].scale[0]


def test_targets_give_the_formats():
    xylo = snnir.quantize(mlp(), target="xylo").node("h").quant
    assert xylo["decay"].form == "shift" and xylo["v"].bits == 16 and xylo["threshold"].bits == 16
    loihi = snnir.quantize(mlp(), target="loihi2")
    assert loihi.node("h").quant["v"].bits == 24
    assert loihi.node("h").quant["decay"] == Q(bits=12, scale=2.0**-12, signed=False)
    assert loihi.node("h").quant["threshold"].signed is False
    assert loihi.metadata["quantization"]["target"] == "loihi2"


@pytest.mark.parametrize("kwargs, match", [
    ({"bits": 1}, "bits=1"), ({"bits": 40}, "bits=40"), ({"decay": "log"}, "decay='log'"),
    ({"rounding": "up"}, "rounding='up'"), ({"percentile": 0}, "percentile=0"),
    ({"target": "spinnaker2x"}, "unknown target"),
])
def test_bad_options_are_typed_errors(kwargs, match):
    with pytest.raises(snnir.SnnirError, match=match):
        snnir.quantize(mlp(), **kwargs)


def test_calibration_that_does_not_fit_is_a_quantize_error():
    with pytest.raises(snnir.QuantizeError, match=r"calibration inputs do not fit"):
        snnir.quantize(mlp(), calibration=np.ones((5, 2, 7), np.float32))
    with pytest.raises(snnir.QuantizeError, match=r"\[T, B, \*shape\]"):
        snnir.quantize(mlp(), calibration=np.ones(3, np.float32))


def test_composites_are_expanded_first():
    block = snnir.sequential("blk", [snnir.Linear(id="fc", weight=W), snnir.LIF(id="h", shape=(4,), decay=0.5)])
    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(3,)), block, snnir.Output(id="y")],
                    edges=[E("x", "blk"), E("blk", "y")])
    q = snnir.quantize(g)
    assert q.node("blk/fc").quant["weight"].bits == 8


def test_quantizing_twice_changes_nothing():
    once = snnir.quantize(mlp())
    assert snnir.quantize(once) == once


def test_the_pass_object():
    from snnir.passes import QUANTIZE

    assert QUANTIZE.name == "quantize" and QUANTIZE(mlp()).node("fc").quant


# ---------------------------------------------------------------------------------------------- fake quantization
def baked(graph: snnir.Graph) -> snnir.Graph:
    """The graph with q(p) written into every quantized parameter and no quantization left."""
    def bake(n):
        shape = tuple(n.shape) if n.kind in ("LIF", "IF", "LI") else None
        values = {p: n.quant[p].apply(getattr(n, p), shape).astype(np.float32)
                  for p in (n.quant or {}) if p in n.float_params()}
        return n.replace(quant=None, **values)
    return graph.replace(nodes=[bake(n) for n in graph.nodes])


def test_the_forward_pass_uses_the_quantized_values():
    """A quantized graph computes what the float graph with q(w) written into it computes."""
    g = snnir.quantize(mlp(), bits=3)
    xs = (np.random.default_rng(0).random((8, 2, 3)) < 0.5).astype(np.float32)
    a, b = snnir.compile(g), snnir.compile(baked(g))
    ya = a(a.init_state((2,)), xs)[1]["y"]
    yb = b(b.init_state((2,)), xs)[1]["y"]
    assert np.allclose(ya, yb, atol=1e-5)
    plain = snnir.compile(mlp())
    assert not np.allclose(ya, plain(plain.init_state((2,)), xs)[1]["y"], atol=1e-3)
    # step and trace see the same values
    _, tr = a.trace(a.init_state((2,)), xs, nodes=["y"])
    assert np.allclose(tr["y"], ya)


def test_gradients_go_straight_through():
    g = snnir.quantize(mlp(), bits=3)
    prog = snnir.compile(g)
    xs = jnp.asarray((np.random.default_rng(0).random((8, 2, 3)) < 0.5).astype(np.float32))

    def loss(p):
        return jnp.sum(p(p.init_state((2,)), xs)[1]["y"] ** 2)

    grads = eqx.filter_grad(loss)(prog)
    gw = np.asarray(grads.kernels["ro"].weight)
    assert gw.shape == (2, 4) and np.all(np.isfinite(gw)) and np.abs(gw).sum() > 0
    # straight through: d loss / d w is d loss / d q(w), the gradient of the graph with q(w) written in
    want = eqx.filter_grad(loss)(snnir.compile(baked(g))).kernels["ro"].weight
    assert np.allclose(gw, want, rtol=1e-5, atol=1e-6)
