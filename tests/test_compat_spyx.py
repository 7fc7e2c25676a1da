"""snnir.compat.spyx against Spyx's own equations (peers.md, written here in Spyx's form, in numpy)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir
from snnir.compat import spyx

T, B, N = 64, 3, 5


# ------------------------------------------------------------------ Spyx's update rules, step by step
def spyx_if(xs, theta=1.0, w=None):
    v = np.zeros(xs.shape[1:])
    out = []
    for x in xs:
        s = (v > theta).astype(float)
        rec = 0.0 if w is None else s @ w
        v = v + x + rec - s * theta
        out.append(s)
    return np.array(out)


def spyx_lif(xs, beta, theta=1.0, w=None):
    beta = np.clip(beta, 0, 1)
    v = np.zeros(xs.shape[1:])
    out = []
    for x in xs:
        s = (v > theta).astype(float)
        rec = 0.0 if w is None else s @ w
        v = beta * v + x + rec - s * theta
        out.append(s)
    return np.array(out)


def spyx_li(xs, beta):
    v = np.zeros(xs.shape[1:])
    out = []
    for x in xs:
        v = np.clip(beta, 0, 1) * v + x
        out.append(v)
    return np.array(out)


def spyx_cubalif(xs, alpha, beta, theta=1.0, w=None):
    alpha, beta = np.clip(alpha, 0, 1), np.clip(beta, 0, 1)
    v = np.zeros(xs.shape[1:])
    i = np.zeros(xs.shape[1:])
    out = []
    for x in xs:
        s = (v > theta).astype(float)
        rec = 0.0 if w is None else s @ w
        i = alpha * i + x + rec
        v = beta * (v - s * theta) + i
        out.append(s)
    return np.array(out)


def spyx_alif(xs, beta, gamma, theta=1.0):
    beta, gamma = np.clip(beta, 0, 1), np.clip(gamma, 0, 1)
    v = np.zeros(xs.shape[1:])
    adapt = np.zeros(xs.shape[1:])
    out = []
    for x in xs:
        big_theta = theta + adapt
        s = (v > big_theta).astype(float)
        v = beta * v + x - s * big_theta
        adapt = gamma * adapt + (1 - gamma) * s
        out.append(s)
    return np.array(out)


def _drive(seed, scale=0.8):
    return np.random.default_rng(seed).uniform(-0.2, 1.0, (T, B, N)) * scale


def _run64(layer, xs):
    """The layer's graph in float64 over all steps (the equations, without float32 rounding)."""
    with jax.enable_x64(True):
        prog = snnir.compile(layer.graph.astype("float64"))
        _, ys = prog(prog.init_state((B,)), jnp.asarray(xs))
        return np.asarray(ys["out"])


def f32(value):
    """A parameter as the layer stores it (float32), for the float64 references."""
    return np.asarray(value, np.float32).astype(np.float64)


BETA = f32(np.linspace(0.3, 0.95, N))
W = f32(np.random.default_rng(7).normal(0, 0.3, (N, N)))


@pytest.mark.parametrize("make, reference", [
    (lambda: spyx.IF((N,)), lambda xs: spyx_if(xs)),
    (lambda: spyx.LIF((N,), beta=0.8, threshold=1.25), lambda xs: spyx_lif(xs, f32(0.8), 1.25)),
    (lambda: spyx.LIF((N,), beta=BETA), lambda xs: spyx_lif(xs, BETA)),
    (lambda: spyx.LI((N,), beta=0.7), lambda xs: spyx_li(xs, f32(0.7))),
    (lambda: spyx.ALIF((N,), beta=0.9, gamma=0.8), lambda xs: spyx_alif(xs, f32(0.9), f32(0.8))),
    (lambda: spyx.CuBaLIF((N,), alpha=0.5, beta=BETA), lambda xs: spyx_cubalif(xs, 0.5, BETA)),
    (lambda: spyx.RIF((N,), recurrent_w=W), lambda xs: spyx_if(xs, w=W)),
    (lambda: spyx.RLIF((N,), beta=0.9, recurrent_w=W), lambda xs: spyx_lif(xs, f32(0.9), w=W)),
    (lambda: spyx.RCuBaLIF((N,), alpha=0.6, beta=0.7, recurrent_w=W), lambda xs: spyx_cubalif(xs, f32(0.6), f32(0.7), w=W)),
], ids=["IF", "LIF", "LIF-per-neuron", "LI", "ALIF", "CuBaLIF", "RIF", "RLIF", "RCuBaLIF"])
def test_neurons_match_spyx_equations(make, reference):
    layer = make()
    xs = _drive(1)
    expected = reference(xs)
    got = _run64(layer, xs)
    np.testing.assert_allclose(got, expected, atol=1e-9)
    if expected.max() == 1.0:  # spiking neurons: the input must make them spike often enough to mean something
        assert 0.1 < expected.mean() < 0.9


def test_decays_outside_the_unit_interval_are_clipped_like_spyx():
    xs = _drive(2)
    np.testing.assert_allclose(_run64(spyx.LIF((N,), beta=1.3), xs), spyx_lif(xs, 1.0), atol=1e-9)
    np.testing.assert_allclose(_run64(spyx.LI((N,), beta=-0.5), xs), spyx_li(xs, 0.0), atol=1e-9)


def test_the_seed_way_one_step_at_a_time_equals_the_whole_run():
    layer = spyx.RLIF((N,), beta=0.9, recurrent_w=W)
    xs = jnp.asarray(_drive(3)[:16], jnp.float32)
    state = layer.initial_state(B)
    outs = []
    for x in xs:
        out, state = layer(x, state)
        outs.append(out)
    np.testing.assert_array_equal(np.array(outs), np.asarray(spyx.run(layer, xs)[0]))
    np.testing.assert_allclose(np.array(outs), spyx_lif(np.asarray(xs, np.float64), 0.9, w=W), atol=1e-5)


def test_recurrent_layers_show_their_cycle_without_an_extra_delay():
    graph = spyx.RLIF((N,), beta=0.9, recurrent_w=W, name="r").graph
    assert {(e.src, e.dst) for e in graph.edges} >= {("r", "r_rec"), ("r_rec", "r")}
    np.testing.assert_array_equal(graph.node("r_rec").weight, W.T.astype(np.float32))
    assert snnir.compile(graph).feedback_edges == ()  # a pre-spiking neuron has no feedthrough


def test_decay_initialisation_follows_spyx():
    lif = spyx.LIF((1000,), key=jax.random.key(0))
    beta = lif.graph.node("LIF").decay
    assert beta.shape == (1000,) and 0 <= beta.min() and beta.max() <= 1
    assert abs(beta.mean() - 0.5) < 0.03 and 0.18 < beta.std() < 0.26  # TruncatedNormal(0.5, 0.25) at ±2σ
    assert spyx.LIF((4,), beta=0.9).graph.node("LIF").decay.shape == ()  # a float: one trainable scalar
    np.testing.assert_array_equal(spyx.LI((3,)).graph.node("LI").decay, np.full(3, 0.8, np.float32))
    with pytest.raises(spyx.SpyxCompatError, match="key"):
        spyx.LIF((4,))


def test_decays_train_unless_frozen():
    trained = spyx.LIF((N,), beta=0.9).program.trainable_fields
    frozen = spyx.LIF((N,), beta=0.9, trainable=False).program.trainable_fields
    assert trained == (("LIF", "decay"),) and frozen == ()


def test_surrogates_map_to_spyx_formulas():
    assert spyx.axn.superspike().params == {"beta": 25.0} and spyx.axn.superspike().name == "superspike"
    assert spyx.axn.arctan().params == {"beta": 2.0}
    assert spyx.axn.boxcar().params == {"width": 2.0, "height": 0.5}
    assert spyx.axn.triangular().params == {"beta": 2.0}
    lif = spyx.LIF((N,), beta=0.9, activation=spyx.axn.arctan(3.0))
    assert lif.graph.node("LIF").surrogate == snnir.Surrogate(name="arctan", params={"beta": 3.0})
    with pytest.raises(snnir.SnnirError, match="named surrogate"):
        spyx.axn.custom(lambda x: x)


def test_gradient_of_one_step_uses_spyx_surrogate():
    # one Spyx LIF step from a membrane v0: s_1 = H(v1 − θ) with v1 = β·v0 + x;
    # d s_1 / d x = superspike'(v1 − θ) = 1 / (1 + 25·|v1 − θ|)²
    layer = spyx.LIF((1,), beta=0.5)
    x0, x1 = 0.8, 0.1

    def second_spike(x1_):
        state = layer.initial_state(1)
        _, state = layer(jnp.array([[x0]]), state)
        _, state = layer(jnp.array([[x1_]]), state)
        out, _ = layer(jnp.zeros((1, 1)), state)
        return out.sum()

    v2 = 0.5 * (0.5 * 0 + x0) + x1  # membrane that the third call's spike reads
    expected = 1.0 / (1 + 25 * abs(v2 - 1.0)) ** 2
    np.testing.assert_allclose(jax.grad(second_spike)(x1), expected, rtol=1e-5)


def test_sequential_builds_one_graph_and_runs_like_spyx():
    k1, k2 = jax.random.split(jax.random.key(0))
    lin1, lin2 = eqx.nn.Linear(4, N, key=k1), eqx.nn.Linear(N, 3, key=k2)
    net = spyx.Sequential(lin1, spyx.LIF((N,), beta=0.8), lin2, spyx.LI((3,), beta=0.9))
    assert [n.kind for n in net.graph.nodes] == ["Input", "Linear", "LIF", "Linear", "LI", "Output"]
    xs = np.random.default_rng(4).uniform(0, 1.5, (20, 2, 4))
    h = np.einsum("tbi,oi->tbo", xs, np.asarray(lin1.weight, np.float64)) + np.asarray(lin1.bias)
    s = spyx_lif(h, 0.8)
    y = spyx_li(np.einsum("tbi,oi->tbo", s, np.asarray(lin2.weight, np.float64)) + np.asarray(lin2.bias), 0.9)
    out, _ = spyx.run(net, jnp.asarray(xs, jnp.float32))
    np.testing.assert_allclose(np.asarray(out), y, atol=1e-4)
    out_bm, _ = spyx.run(net, jnp.asarray(np.swapaxes(xs, 0, 1), jnp.float32), batch_major=True)
    np.testing.assert_allclose(np.swapaxes(np.asarray(out_bm), 0, 1), np.asarray(out), atol=1e-6)


def test_sum_pool_and_population_code_keep_the_batch():
    x = jnp.arange(2 * 1 * 4 * 4, dtype=jnp.float32).reshape(2, 1, 4, 4)
    pooled = spyx.sum_pool(x, 2, 2, "VALID", channel_axis=1)
    expected = np.asarray(x).reshape(2, 1, 2, 2, 2, 2).sum(axis=(3, 5))
    np.testing.assert_array_equal(np.asarray(pooled), expected)
    code = spyx.PopulationCode(2)(jnp.arange(12.0).reshape(2, 6))
    np.testing.assert_array_equal(np.asarray(code), [[1, 5, 9], [13, 17, 21]])
    graph = spyx.Sequential(spyx.PopulationCode(2), input_shape=(6,)).graph
    assert graph.node("PopulationCode").group_size == 2
    spikes, count = spyx.ActivityRegularization()(jnp.ones((2, 3)))
    _, count = spyx.ActivityRegularization()(spikes, count)
    np.testing.assert_array_equal(np.asarray(count), np.full((2, 3), 2.0))
