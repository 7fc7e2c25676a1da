"""GraphBuilder: every helper adds the node it names, infers its shape from the source, keeps the builder's
dtype, and the graph it builds verifies, compiles and runs a step.

Each helper is one row of ``CASES``; the compile test builds a graph of three or four nodes, so each row
costs one small XLA compile.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

import snnir


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    in_shape: tuple[int, ...]
    add: Callable[[snnir.GraphBuilder, str], str]  # adds the helper's node fed by the input; returns its id
    kind: str
    out_shape: tuple[int, ...]
    params: dict = dataclasses.field(default_factory=dict)  # float parameter -> expected shape

    def __str__(self) -> str:
        return self.name


CASES = [
    Case("linear", (3,), lambda b, x: b.linear(x, 5), "Linear", (5,), {"weight": (5, 3), "bias": (5,)}),
    Case("linear-no-bias", (2, 3), lambda b, x: b.linear(x, 4, bias=False), "Linear", (2, 4), {"weight": (4, 3)}),
    Case("conv1d", (2, 8), lambda b, x: b.conv1d(x, 3, 3), "Conv1d", (3, 6), {"weight": (3, 2, 3), "bias": (3,)}),
    Case("conv1d-same-stride", (2, 8), lambda b, x: b.conv1d(x, 4, 3, stride=2, padding="same", bias=False),
         "Conv1d", (4, 4), {"weight": (4, 2, 3)}),
    Case("conv2d", (2, 6, 6), lambda b, x: b.conv2d(x, 3, 3, padding=1), "Conv2d", (3, 6, 6),
         {"weight": (3, 2, 3, 3), "bias": (3,)}),
    Case("conv2d-groups", (4, 6, 6), lambda b, x: b.conv2d(x, 6, (3, 1), groups=2), "Conv2d", (6, 4, 6),
         {"weight": (6, 2, 3, 1), "bias": (6,)}),
    Case("max_pool1d", (2, 8), lambda b, x: b.max_pool1d(x, 2), "MaxPool1d", (2, 4), {"threshold": ()}),
    Case("max_pool2d", (2, 6, 6), lambda b, x: b.max_pool2d(x, 2, spiking=False), "MaxPool2d", (2, 3, 3),
         {"threshold": ()}),
    Case("avg_pool1d", (2, 8), lambda b, x: b.avg_pool1d(x, 2, stride=1), "AvgPool1d", (2, 7)),
    Case("avg_pool2d", (2, 6, 6), lambda b, x: b.avg_pool2d(x, 3), "AvgPool2d", (2, 2, 2)),
    Case("sum_pool1d", (2, 8), lambda b, x: b.sum_pool1d(x, 4), "SumPool1d", (2, 2)),
    Case("sum_pool2d", (2, 6, 6), lambda b, x: b.sum_pool2d(x, 2, padding="same"), "SumPool2d", (2, 3, 3)),
    Case("layer_norm", (2, 8), lambda b, x: b.layer_norm(x), "LayerNorm", (2, 8), {"weight": (2, 8), "bias": (2, 8)}),
    Case("layer_norm-trailing", (2, 8), lambda b, x: b.layer_norm(x, normalized_shape=8), "LayerNorm", (2, 8),
         {"weight": (8,), "bias": (8,)}),
    Case("batch_norm", (2, 8), lambda b, x: b.batch_norm(x), "BatchNorm", (2, 8), {"weight": (2,), "bias": (2,)}),
    Case("batch_norm-element", (2, 8), lambda b, x: b.batch_norm(x, over="element", affine=False), "BatchNorm",
         (2, 8)),
    Case("dropout", (5,), lambda b, x: b.dropout(x, 0.25), "Dropout", (5,)),
    Case("concat", (2, 4), lambda b, x: b.concat(x, b.scale(x, 0.5)), "Concat", (4, 4)),
    Case("concat-last-axis", (2, 4), lambda b, x: b.concat(x, x, x, axis=-1), "Concat", (2, 12)),
    Case("flatten", (2, 3, 3), lambda b, x: b.flatten(x), "Flatten", (18,)),
    Case("flatten-from-1", (2, 3, 3), lambda b, x: b.flatten(x, start_dim=1), "Flatten", (2, 9)),
    Case("scale", (4,), lambda b, x: b.scale(x, [0.5, 1.0, 2.0, 4.0]), "Scale", (4,), {"scale": (4,)}),
    Case("delay", (4,), lambda b, x: b.delay(x, 2), "Delay", (4,)),
    Case("population_code", (6,), lambda b, x: b.population_code(x, 2), "PopulationCode", (3,)),
    Case("lif", (4,), lambda b, x: b.lif(x, decay=0.9), "LIF", (4,), {"decay": (), "threshold": ()}),
    Case("if", (4,), lambda b, x: b.if_(x, threshold=0.5), "IF", (4,), {"threshold": ()}),
    Case("li", (4,), lambda b, x: b.li(x, decay=[0.5, 0.6, 0.7, 0.8]), "LI", (4,), {"decay": (4,)}),
    Case("cuba_lif", (4,), lambda b, x: b.cuba_lif(x, syn_decay=0.5, mem_decay=0.75), "CubaLIF", (4,),
         {"syn_decay": (), "mem_decay": (), "threshold": ()}),
    Case("adaptive_lif", (4,), lambda b, x: b.adaptive_lif(x, decay=0.9), "AdaptiveLIF", (4,),
         {"decay": (), "ada_decay": (), "ada_step": (), "ada_coupling": (), "threshold": ()}),
    Case("alif", (4,), lambda b, x: b.alif(x, decay=0.9, adapt_decay=0.8), "ALIF", (4,),
         {"decay": (), "adapt_decay": (), "threshold": ()}),
    Case("sigma_delta", (4,), lambda b, x: b.sigma_delta(x, in_decay=1.0, mem_decay=0.5, fb_decay=0.5),
         "SigmaDelta", (4,), {"in_decay": (), "mem_decay": (), "fb_decay": (), "threshold": ()}),
    Case("srm", (4,), lambda b, x: b.srm(x, refractory=0.5), "SRM", (4,),
         {"r_decay": (), "refractory": (), "threshold": ()}),
    Case("spike_counter", (4,), lambda b, x: b.spike_counter(x), "SpikeCounter", (4,)),
    Case("activity_regularization", (4,), lambda b, x: b.activity_regularization(x), "ActivityRegularization", (4,)),
]


def built(case: Case, dtype: str = "float32") -> tuple[snnir.GraphBuilder, str]:
    b = snnir.GraphBuilder(key=0, dtype=dtype)
    node_id = case.add(b, b.input("x", shape=case.in_shape))
    return b, node_id


def float_params(graph: snnir.Graph) -> dict[str, np.ndarray]:
    return {f"{n.id}.{p}": v for n in graph.nodes for p, v in n.params().items() if p in n.float_params()}


# ---------------------------------------------------------------------------------------------- every helper
@pytest.mark.parametrize("case", CASES, ids=str)
def test_helper_adds_its_node_with_the_inferred_shape(case):
    b, node_id = built(case)
    node = b.build().node(node_id)
    assert node.kind == case.kind
    assert b.shape_of(node_id) == case.out_shape
    assert {p: v.shape for p, v in node.params().items() if p in node.float_params()} == case.params
    ins = b.build().in_edges(node_id)
    assert ins and all(e.src in ("x", "scale1") for e in ins)


@pytest.mark.parametrize("dtype", ["bfloat16", "float64"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_float_parameter_is_in_the_builder_dtype(case, dtype):
    b, _ = built(case, dtype)
    graph = b.build()
    assert {v.dtype.name for v in float_params(graph).values()} <= {dtype}
    assert graph.param_dtypes() in ((), (dtype,))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_built_graph_verifies_compiles_and_runs_a_step(case):
    b, node_id = built(case)
    b.output(node_id, id="y")
    graph = b.build()
    assert snnir.verify(graph) == ()
    prog = snnir.compile(graph)
    state = prog.init_state(batch_shape=(2,))
    x = jnp.full((2, *case.in_shape), 0.5, jnp.float32)
    state, out = prog.step(state, x, key=jax.random.key(0))
    assert out["y"].shape == (2, *case.out_shape)
    assert out["y"].dtype == jnp.float32
    assert bool(jnp.all(jnp.isfinite(out["y"])))


def test_every_layer_and_neuron_kind_has_a_helper():
    """A new built-in kind needs a builder helper (and a row above)."""
    covered = {c.kind for c in CASES} | {"Input", "Output"}
    composite_or_custom = {"Subgraph", "Custom"}  # added with b.add(...)
    assert set(snnir.node_kinds()) - composite_or_custom <= covered


# ---------------------------------------------------------------------------------------------- weights
def test_conv_weights_are_key_driven_and_fan_in_scaled():
    def conv(key, gain=1.0):
        b = snnir.GraphBuilder(key=key)
        conv = b.conv2d(b.input("x", (4, 8, 8)), 16, 3, gain=gain)
        return b.build().node(conv).weight

    assert np.array_equal(conv(0), conv(0))
    assert not np.array_equal(conv(0), conv(1))
    bound = 1 / np.sqrt(4 * 3 * 3)  # C_in · KH · KW
    assert np.abs(conv(0)).max() <= bound and np.abs(conv(0)).max() > 0.8 * bound
    assert np.abs(conv(0, gain=0.25)).max() <= 0.25 * bound  # gain scales the bound


def test_grouped_conv_fan_in_counts_one_group():
    b = snnir.GraphBuilder(key=0)
    conv = b.conv1d(b.input("x", (8, 16)), 8, 5, groups=4)
    node = b.build().node(conv)
    assert node.weight.shape == (8, 2, 5)  # [C_out, C_in / groups, K]
    assert np.abs(node.weight).max() <= 1 / np.sqrt(2 * 5)


def test_linear_gain_scales_the_bound():
    b = snnir.GraphBuilder(key=0)
    fc = b.linear(b.input("x", 64), 64, gain=0.5)
    w = b.build().node(fc).weight
    assert np.abs(w).max() <= 0.5 / 8 and np.abs(w).max() > 0.4 / 8


def test_a_python_scalar_takes_the_builder_dtype():
    b = snnir.GraphBuilder(dtype="bfloat16")
    n = b.lif(b.input("x", 3), decay=0.9)
    node = b.build().node(n)
    assert node.decay.dtype == np.dtype(ml_dtypes.bfloat16) and node.decay.shape == ()
    assert node.threshold.dtype == np.dtype(ml_dtypes.bfloat16)  # defaults too


def test_the_builder_accepts_a_numpy_dtype():
    assert snnir.GraphBuilder(dtype=np.float16).dtype == "float16"
    with pytest.raises(snnir.InvalidIRError, match="int32"):
        snnir.GraphBuilder(dtype="int32")


# ---------------------------------------------------------------------------------------------- sources and errors
def test_concat_feeds_its_sources_in_order():
    b = snnir.GraphBuilder()
    x, z = b.input("x", (2, 3)), b.input("z", (5, 3))
    cat = b.concat(z, x, id="cat")
    assert b.shape_of(cat) == (7, 3)
    assert [(e.src, e.dst_port) for e in b.build().in_edges("cat")] == [("z", "in0"), ("x", "in1")]
    with pytest.raises(snnir.InvalidIRError, match="at least one source"):
        b.concat()


def test_a_port_source_reads_that_port():
    b = snnir.GraphBuilder()
    lif = b.lif(b.input("x", 4), decay=0.5, id="lif")
    counter = b.spike_counter(f"{lif}.v")
    (edge,) = b.build().in_edges(counter)
    assert (edge.src, edge.src_port) == ("lif", "v")


def test_ids_with_dots_are_sources_too():
    b = snnir.GraphBuilder()
    x = b.input("x", 4)
    b.scale(x, 2.0, id="a.b")
    s = b.scale("a.b", 0.5)
    assert b.build().in_edges(s)[0].src == "a.b"


def test_a_conv_on_a_flat_source_is_refused_with_a_hint():
    b = snnir.GraphBuilder()
    x = b.input("x", shape=(16,))
    with pytest.raises(snnir.InvalidIRError, match=r"channels-first source \(C, H, W\).*\(16,\)") as info:
        b.conv2d(x, 4, 3)
    assert "hint:" in str(info.value)
    with pytest.raises(snnir.InvalidIRError, match="groups=3"):
        b.conv1d(b.input("s", (4, 8)), 6, 3, groups=3)


def test_an_unknown_source_is_named_with_a_close_match():
    b = snnir.GraphBuilder()
    b.lif(b.input("x", 3), decay=0.5, id="lif")
    with pytest.raises(snnir.InvalidIRError, match="did you mean 'lif'"):
        b.linear("lfi", 4)
    with pytest.raises(snnir.InvalidIRError, match="did you mean 'lif'"):
        b.add(snnir.Scale(id="s", scale=1.0), "lfi")


def test_a_node_that_does_not_fit_is_not_added():
    b = snnir.GraphBuilder()
    x = b.input("x", shape=(3,))
    with pytest.raises(snnir.InvalidIRError, match="shape"):
        b.lif(x, decay=0.5, shape=(4,), id="n")
    assert b.build().node_ids == ("x",) and b.build().edges == ()
    b.lif(x, decay=0.5, id="n")  # the id is still free
    with pytest.raises(snnir.InvalidIRError, match="already used"):
        b.scale(x, 1.0, id="n")


def test_helpers_pass_fields_to_the_node():
    b = snnir.GraphBuilder()
    n = b.lif(b.input("x", 3), decay=0.5, threshold=2.0, reset="zero", trainable={"threshold": True}, id="n")
    node = b.build().node(n)
    assert node.reset == "zero" and float(node.threshold) == 2.0 and node.trainable == ("decay", "threshold")


def test_a_small_conv_net_trains_a_step():
    """The docs' example shape: conv -> LIF -> pool -> flatten -> linear -> LI, and a gradient through it."""
    import equinox as eqx

    b = snnir.GraphBuilder(key=0)
    x = b.input("x", shape=(1, 8, 8))
    h = b.lif(b.conv2d(x, 4, 3, padding="same"), decay=0.9)
    h = b.flatten(b.avg_pool2d(h, 2))
    b.output(b.li(b.linear(h, 3), decay=0.8), id="y")
    prog = snnir.compile(b.build())
    xs = jnp.ones((5, 2, 1, 8, 8))

    def loss(p):
        _, ys = p(p.init_state((2,)), xs)
        return jnp.sum(ys["y"] ** 2)

    grads = eqx.filter_grad(loss)(prog)
    leaves = [g for g in jax.tree_util.tree_leaves(grads) if eqx.is_inexact_array(g)]
    assert leaves and any(float(jnp.abs(g).sum()) > 0 for g in leaves)
