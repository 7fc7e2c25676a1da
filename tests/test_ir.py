"""The IR on its own: construction checks, value semantics, trainable flags, printing, the builder."""

import ml_dtypes
import numpy as np
import pytest

import snnir


def small_graph(**lif_fields) -> snnir.Graph:
    return snnir.Graph(
        nodes=[
            snnir.Input(id="x", shape=(3,)),
            snnir.Linear(id="fc", weight=np.full((4, 3), 0.5, np.float32), bias=np.zeros(4, np.float32)),
            snnir.LIF(id="lif", shape=(4,), decay=0.875, **lif_fields),
            snnir.Linear(id="rec", weight=np.eye(4, dtype=np.float32)),
            snnir.Output(id="y"),
        ],
        edges=[("x", "fc"), ("fc", "lif"), ("lif", "rec"), snnir.Edge("rec", "lif", feedback=True),
               snnir.Edge("lif", "y", src_port="v", delay=2)],
    )


def test_parameters_are_read_only_copies():
    w = np.ones((2, 3), np.float32)
    node = snnir.Linear(id="fc", weight=w)
    w[0, 0] = 5.0  # the caller's array stays theirs
    assert node.weight[0, 0] == 1.0
    with pytest.raises(ValueError):
        node.weight[0, 0] = 2.0


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16, np.float32, np.float64])
def test_array_dtype_is_kept(dtype):
    node = snnir.Linear(id="fc", weight=np.ones((2, 3), dtype))
    assert node.weight.dtype == np.dtype(dtype)


def test_python_numbers_become_float32():
    node = snnir.LIF(id="n", shape=(2,), decay=0.5, threshold=2)
    assert node.decay.dtype == np.float32 and node.decay.shape == ()
    assert node.threshold.dtype == np.float32


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), [1.0, float("nan")], "abc", True])
def test_non_finite_or_non_numeric_parameters_are_refused(bad):
    with pytest.raises(snnir.InvalidIRError, match="'n'"):
        snnir.LIF(id="n", shape=(2,), decay=bad)


@pytest.mark.parametrize("bad_id", ["", "a b", "a:b", "@x", "a/", "/a"])
def test_ids_are_checked(bad_id):
    with pytest.raises(snnir.InvalidIRError):
        snnir.Input(id=bad_id, shape=(1,))


def test_unknown_fields_and_kinds_are_refused_with_the_node_named():
    with pytest.raises(snnir.InvalidIRError, match="colour"):
        snnir.LIF(id="n", shape=(2,), decay=0.5, colour="red")
    with pytest.raises(snnir.InvalidIRError, match="'b'"):
        snnir.Graph(nodes=[{"kind": "Input", "id": "a", "shape": [1]}, {"kind": "Nope", "id": "b"}])


def test_errors_are_snnir_errors_and_value_errors():
    with pytest.raises(snnir.SnnirError) as info:
        snnir.Edge("a", "b", delay=-1)
    assert isinstance(info.value, ValueError)


def test_graph_equality_compares_values():
    assert small_graph() == small_graph()
    assert small_graph() != small_graph(threshold=2.0)
    assert hash(small_graph()) == hash(small_graph())
    other = small_graph().replace_node(snnir.Linear(id="rec", weight=np.eye(4, dtype=np.float64)))
    assert other != small_graph()  # same numbers, another dtype


def test_replace_validates_again():
    g = small_graph()
    with pytest.raises(snnir.InvalidIRError):
        g.replace(edges=[{"src": "x", "dst": "fc", "delay": -2}])
    assert g.replace(metadata={"name": "net"}).metadata == {"name": "net"}
    assert g.node("lif").replace(threshold=3.0).threshold == 3.0


def test_node_lookup_names_known_ids():
    with pytest.raises(snnir.NodeNotFoundError, match="fc"):
        small_graph().node("missing")


def test_trainable_defaults_and_overrides():
    lif = snnir.LIF(id="n", shape=(2,), decay=0.5)
    assert lif.trainable == ("decay",)
    assert snnir.LIF(id="n", shape=(2,), decay=0.5, trainable={"threshold": True}).trainable == ("decay", "threshold")
    assert snnir.LIF(id="n", shape=(2,), decay=0.5, trainable=()).trainable == ()
    assert snnir.Linear(id="fc", weight=np.ones((2, 2))).trainable == ("weight",)  # no bias to train
    with pytest.raises(snnir.InvalidIRError, match="shape"):
        snnir.LIF(id="n", shape=(2,), decay=0.5, trainable=["shape"])


def test_printed_graph_is_deterministic_one_line_per_node():
    expected = f"""graph(schema={snnir.SCHEMA_VERSION}) {{
  x: Input shape=(3,)
  fc: Linear(x) weight=f32[4,3] bias=f32[4]
  lif: LIF(fc, rec{{feedback}}) shape=(4,) decay=0.875 threshold=1
  rec: Linear(lif) weight=f32[4,4]
  y: Output(lif.v{{delay=2}})
}}"""
    assert str(small_graph()) == expected
    assert str(small_graph(reset="zero", trainable={"decay": False})).splitlines()[3] == (
        "  lif: LIF(fc, rec{feedback}) shape=(4,) reset=zero decay=0.875 threshold=1 frozen=decay")


def test_astype_casts_every_float_parameter():
    g = small_graph().astype("bfloat16")
    assert g.param_dtypes() == ("bfloat16",)
    assert g.dtype == "bfloat16"


def test_builder_is_key_driven_and_fan_in_scaled():
    def build(key):
        b = snnir.GraphBuilder(key=key)
        x = b.input("x", shape=(100,))
        h = b.lif(b.linear(x, 50, id="fc1"), decay=0.9, id="lif")
        b.output(b.li(b.linear(h, 10, id="fc2"), decay=0.8), id="y")
        return b.build()

    assert build(0) == build(0)
    assert build(0) != build(1)
    w = build(0).node("fc1").weight
    assert w.shape == (50, 100) and np.abs(w).max() <= 1 / np.sqrt(100)
    assert np.abs(w).max() > 0.8 / np.sqrt(100)  # really uses the range
    assert [n.id for n in build(0).nodes] == ["x", "fc1", "lif", "fc2", "li1", "y"]


def test_builder_reports_shape_errors_at_once():
    b = snnir.GraphBuilder()
    x = b.input("x", shape=(3,))
    with pytest.raises(snnir.InvalidIRError, match="shape"):
        b.lif(x, decay=0.5, shape=(4,))


def test_parameter_count_includes_a_custom_layers_module():
    import equinox as eqx
    import jax

    layer = eqx.nn.Linear(3, 4, key=jax.random.key(0))  # 12 weights + 4 biases
    g = snnir.Graph(nodes=[snnir.Input(id="x", shape=(3,)), snnir.Custom(id="c", module=layer),
                           snnir.Linear(id="fc", weight=np.ones((2, 4), np.float32)), snnir.Output(id="y")],
                    edges=[("x", "c"), ("c", "fc"), ("fc", "y")])
    assert g.node("c").parameter_count() == 16
    assert g.parameter_count() == 16 + 8


def test_snnax_graphs_print_python_scalars_as_float32():
    """A threshold given as a Python number is a float32 scalar, as in every other front end."""
    import equinox as eqx
    import jax
    from snnir.compat.snnax import snn

    model = snn.Sequential(eqx.nn.Linear(4, 3, key=jax.random.key(0)), snn.LIF([0.9, 0.8]),
                           snn.SimpleLIF([0.85], threshold=0.3), snn.SimpleIAF(leak=0.1))
    g = model.to_graph((4,))
    assert ":f64" not in str(g)
    assert g.param_dtypes() == ("float32",)
    assert "threshold=0.3" in str(g)  # the float32 value, printed without float64 noise


def test_front_end_pooling_layers_build_their_nodes():
    """The SNNAX and Spyx pooling layers name the pooling kinds' fields as the IR spells them."""
    import equinox as eqx
    from snnir.compat import spyx
    from snnir.compat.snnax import snn

    g = snn.Sequential(snn.SpikingMaxPool2d(2, 2), eqx.nn.AvgPool2d(2, 2)).to_graph((1, 8, 8))
    assert [(n.kind, n.stride) for n in g.nodes if "Pool" in n.kind] == [("MaxPool2d", (2, 2)), ("AvgPool2d", (2, 2))]
    pooled = spyx.Sequential(spyx.SumPool((2, 2), (2, 2), "VALID", channel_axis=1)).graph_for((1, 8, 8))
    node = pooled.node("SumPool")
    assert node.kind == "SumPool2d" and node.stride == (2, 2) and node.kernel_size == (2, 2)
