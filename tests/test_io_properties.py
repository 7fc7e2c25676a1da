"""Round-trip properties of model files over random graphs and over every registered node kind."""

import json
import pathlib

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import snnir
from snnir.io import load, save
from strategies import BATCH, graph_and_inputs

ROOT = pathlib.Path(__file__).resolve().parents[1]
few = settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])


@few
@given(graph_and_inputs())
def test_random_graphs_round_trip_and_run_bit_for_bit(tmp_path_factory, example):
    graph, xs = example
    marked = snnir.compile(graph).to_graph()
    folder = tmp_path_factory.mktemp("files")
    for original in (graph, marked):
        for name in ("m.snnir", "m.json"):
            loaded = load(save(original, folder / name))
            assert loaded == original
            assert loaded.node_ids == original.node_ids
    loaded = load(folder / "m.snnir")
    inputs = {k: jnp.asarray(v) for k, v in xs.items()}
    for mode in ("straight", "delayed"):
        a, b = snnir.compile(marked, mode=mode), snnir.compile(loaded, mode=mode)
        _, ya = a(a.init_state((BATCH,)), inputs)
        _, yb = b(b.init_state((BATCH,)), inputs)
        for key in ya:
            np.testing.assert_array_equal(np.asarray(ya[key]), np.asarray(yb[key]))


def _around(node: snnir.Node, in_shape=(4,), **edge) -> snnir.Graph:
    return snnir.Graph(nodes=[snnir.Input(id="x", shape=in_shape), node, snnir.Output(id="y")],
                       edges=[snnir.Edge("x", node.id, **edge), snnir.Edge(node.id, "y")])


W = np.arange(12, dtype=np.float32).reshape(3, 4) / 8


@snnir.register_layer(name="tests.io.Leaky")
class Leaky(snnir.StatefulLayer):
    """A registered user layer for the Custom example: m_t = d ⊙ m_{t−1} + g·x_t, with a nested parameter,
    a scalar and a tuple among its fields."""

    decay: snnir.TrainableArray
    gain: float
    tags: tuple

    def __init__(self, decay, gain, tags):
        super().__init__(None)
        self.decay, self.gain, self.tags = self.init_parameters(decay, requires_grad=False), gain, tags

    def __call__(self, state, x, *, key=None):
        m = self.decay.data * state[0] + self.gain * x
        return [m, m], m


#: one example graph per registered node kind; a new kind must add one here
EXAMPLES = {
    "Input": lambda: _around(snnir.Scale(id="s", scale=2.0)),
    "Output": lambda: _around(snnir.Scale(id="s", scale=2.0)),
    "Linear": lambda: _around(snnir.Linear(id="n", weight=W, bias=np.ones(3, np.float32))),
    "Scale": lambda: _around(snnir.Scale(id="n", scale=np.arange(4, dtype=np.float32))),
    "Flatten": lambda: _around(snnir.Flatten(id="n"), in_shape=(2, 2)),
    "Delay": lambda: _around(snnir.Delay(id="n", steps=[0, 1, 2, 3])),
    "LIF": lambda: _around(snnir.LIF(id="n", shape=(4,), decay=[0.5, 0.75, 0.875, 1.0], reset="to_value",
                                     reset_value=-1.0, spike_from="pre", surrogate={"name": "boxcar",
                                                                                    "params": {"width": 2.0}},
                                     trainable={"threshold": True})),
    "IF": lambda: _around(snnir.IF(id="n", shape=(4,), reset="zero", reset_at="next", fire_at_threshold=True)),
    "LI": lambda: _around(snnir.LI(id="n", shape=(4,), decay=0.5, input_scale="one_minus_decay")),
    "CubaLIF": lambda: _around(snnir.CubaLIF(id="n", shape=(4,), syn_decay=[0.25, 0.5, 0.75, 1.25], mem_decay=0.75,
                                             detach_reset=False, current_lag=True, reset_before_leak=True,
                                             reset_at="next", reset="subtract_value", reset_value=0.5, leak=0.125,
                                             decay_clamp=(0.5, 1.0))),
    "AdaptiveLIF": lambda: _around(snnir.AdaptiveLIF(id="n", shape=(4,), decay=[0.25, 0.5, 0.75, 1.25],
                                                     reset="subtract_value", reset_value=0.5, decay_clamp=(0.5, 1.0),
                                                     coupling_clamp=(-1.0, 1.0), step_clamp=(0.0, 2.0))),
    "ALIF": lambda: _around(snnir.ALIF(id="n", shape=(4,), decay=0.75, adapt_decay=[0.5, 0.6, 0.7, 0.8],
                                       spike_from="pre", detach_reset=False, surrogate="arctan")),
    "SigmaDelta": lambda: _around(snnir.SigmaDelta(id="n", shape=(4,), in_decay=1.0, mem_decay=0.5, fb_decay=0.25,
                                                   fire_at_threshold=True)),
    "SRM": lambda: _around(snnir.SRM(id="n", shape=(4,), r_decay=0.75, refractory=[0.5, 1.0, 1.5, 3.0],
                                     refractory_clamp=(0.0, 2.0), trainable={"threshold": True})),
    "SpikeCounter": lambda: _around(snnir.SpikeCounter(id="n", shape=(4,))),
    "ActivityRegularization": lambda: _around(snnir.ActivityRegularization(id="n", shape=(4,))),
    "PopulationCode": lambda: _around(snnir.PopulationCode(id="n", group_size=2), in_shape=(2, 2)),
    "Conv1d": lambda: _around(snnir.Conv1d(id="n", weight=np.ones((3, 2, 2), np.float32) / 8, padding="same"),
                              in_shape=(2, 5)),
    "Conv2d": lambda: _around(snnir.Conv2d(id="n", weight=np.ones((4, 1, 3, 3), np.float32) / 8,
                                           bias=np.zeros(4, np.float32), stride=(2, 2), groups=2), in_shape=(2, 6, 6)),
    "MaxPool1d": lambda: _around(snnir.MaxPool1d(id="n", kernel_size=(2,), threshold=0.5), in_shape=(2, 4)),
    "MaxPool2d": lambda: _around(snnir.MaxPool2d(id="n", kernel_size=(2, 2), spiking=False), in_shape=(1, 4, 4)),
    "AvgPool1d": lambda: _around(snnir.AvgPool1d(id="n", kernel_size=(2,)), in_shape=(2, 4)),
    "AvgPool2d": lambda: _around(snnir.AvgPool2d(id="n", kernel_size=(2, 2), stride=(1, 1)), in_shape=(1, 4, 4)),
    "SumPool1d": lambda: _around(snnir.SumPool1d(id="n", kernel_size=(2,)), in_shape=(2, 4)),
    "SumPool2d": lambda: _around(snnir.SumPool2d(id="n", kernel_size=(2, 2), padding="same"), in_shape=(1, 3, 3)),
    "LayerNorm": lambda: _around(snnir.LayerNorm(id="n", weight=np.full(4, 2.0, np.float32),
                                                 bias=np.zeros(4, np.float32))),
    "Dropout": lambda: _around(snnir.Dropout(id="n", p=0.125)),
    "Custom": lambda: _around(snnir.Custom(id="n", module=Leaky(np.linspace(0, 1, 4, dtype=np.float32), 0.5,
                                                               ("a", 1, None, [2.5])), direct_feedthrough=False)),
    "BatchNorm": lambda: _around(snnir.BatchNorm(id="n", weight=np.full(2, 2.0, np.float32), momentum=0.25),
                                 in_shape=(2, 3)),
    "Subgraph": lambda: _around(snnir.Subgraph(id="n", same_step=True, composite="Compound", graph=snnir.Graph(
        nodes=[snnir.Input(id="in", shape=(4,)), snnir.Linear(id="fc", weight=W, bias=np.ones(3, np.float32)),
               snnir.Output(id="out")], edges=[snnir.Edge("in", "fc"), snnir.Edge("fc", "out")]))),
    "Concat": lambda: snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(4,)), snnir.Concat(id="n", inputs=2), snnir.Output(id="y")],
        edges=[snnir.Edge("x", "n", dst_port="in0"), snnir.Edge("x", "n", dst_port="in1", delay=1),
               snnir.Edge("n", "y")]),
}


def test_every_registered_kind_has_a_round_trip_example():
    missing = sorted(set(snnir.node_kinds()) - set(EXAMPLES))
    assert not missing, f"add a round-trip example for {missing}"


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_every_kind_round_trips(tmp_path, kind, dtype):
    graph = EXAMPLES[kind]().astype(dtype)
    assert kind in {n.kind for n in graph.nodes}
    for name in ("m.snnir", "m.json"):
        assert load(save(graph, tmp_path / name)) == graph


def test_published_json_schema_is_current():
    published = json.loads((ROOT / "docs" / "graph.schema.json").read_text())
    assert published == snnir.Graph.model_json_schema(), "regenerate it with: snnir schema > docs/graph.schema.json"
