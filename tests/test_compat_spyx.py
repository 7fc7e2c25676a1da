"""snnir.compat.spyx (Spyx 1.0's API on Flax NNX) against Spyx's own equations (written here in numpy,
from Spyx's code as peers.md restates it) and against Flax's own layers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

import snnir
import snnir.compat.spyx as spyx
import snnir.compat.spyx.nn as snn

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


def spyx_cubalif(xs, alpha, beta, theta=1.0, w=None, double_reset=False):
    alpha, beta = np.clip(alpha, 0, 1), np.clip(beta, 0, 1)
    v = np.zeros(xs.shape[1:])
    i = np.zeros(xs.shape[1:])
    out = []
    for x in xs:
        s = (v > theta).astype(float)
        rec = 0.0 if w is None else s @ w
        i = alpha * i + x + rec
        v = beta * (v - s * theta) + i - (s * theta if double_reset else 0.0)
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


def _drive(seed, scale=0.8, shape=(T, B, N)):
    return np.random.default_rng(seed).uniform(-0.2, 1.0, shape) * scale


def _run64(layer, xs):
    """The layer's snnir graph in float64 over all steps (the equations, without float32 rounding)."""
    graph = snn.Sequential(layer).graph_for(xs.shape[2:])
    with jax.enable_x64(True):
        prog = snnir.compile(graph.astype("float64"))
        _, ys = prog(prog.init_state((xs.shape[1],)), jnp.asarray(xs))
        return np.asarray(ys["out"])


def f32(value):
    """A parameter as the layer stores it (float32), for the float64 references."""
    return np.asarray(value, np.float32).astype(np.float64)


BETA = f32(np.linspace(0.3, 0.95, N))
W = f32(np.random.default_rng(7).normal(0, 0.3, (N, N)))


def _with_w(layer, w=W):
    layer.recurrent_w[...] = jnp.asarray(w, jnp.float32)
    return layer


def _with_beta(layer, beta=BETA):
    layer.beta[...] = jnp.asarray(beta, jnp.float32)
    return layer


R = nnx.Rngs(0)


@pytest.mark.parametrize("make, reference", [
    (lambda: snn.IF((N,)), lambda xs: spyx_if(xs)),
    (lambda: snn.LIF((N,), beta=0.8, threshold=1.25, rngs=R), lambda xs: spyx_lif(xs, f32(0.8), 1.25)),
    (lambda: _with_beta(snn.LIF((N,), rngs=R)), lambda xs: spyx_lif(xs, BETA)),
    (lambda: snn.LI((N,), beta=0.7, rngs=R), lambda xs: spyx_li(xs, f32(0.7))),
    (lambda: snn.ALIF((N,), beta=0.9, gamma=0.8, rngs=R), lambda xs: spyx_alif(xs, f32(0.9), f32(0.8))),
    (lambda: _with_beta(snn.CuBaLIF((N,), alpha=0.5, rngs=R)), lambda xs: spyx_cubalif(xs, 0.5, BETA)),
    (lambda: _with_beta(snn.CuBaLIF((N,), alpha=0.5, rngs=R, double_reset=True)),
     lambda xs: spyx_cubalif(xs, 0.5, BETA, double_reset=True)),
    (lambda: _with_w(snn.RIF((N,), rngs=R)), lambda xs: spyx_if(xs, w=W)),
    (lambda: _with_w(snn.RLIF((N,), beta=0.9, rngs=R)), lambda xs: spyx_lif(xs, f32(0.9), w=W)),
    (lambda: _with_w(snn.RCuBaLIF((N,), alpha=0.6, beta=0.7, rngs=R)),
     lambda xs: spyx_cubalif(xs, f32(0.6), f32(0.7), w=W)),
], ids=["IF", "LIF", "LIF-per-neuron", "LI", "ALIF", "CuBaLIF", "CuBaLIF-0.1-double-reset", "RIF", "RLIF",
        "RCuBaLIF"])
def test_neurons_match_spyx_equations(make, reference):
    layer = make()
    xs = _drive(1)
    expected = reference(xs)
    np.testing.assert_allclose(_run64(layer, xs), expected, atol=1e-9)
    if expected.max() == 1.0:  # spiking neurons: the input must make them spike often enough to mean something
        assert 0.1 < expected.mean() < 0.9
    # the Flax way, float32: one step at a time and the whole run agree, and follow the equations
    x32 = jnp.asarray(xs[:12], jnp.float32)
    state = layer.initial_state(B)
    steps = []
    for x in x32:
        out, state = layer(x, state)
        steps.append(out)
    outs, final = snn.run(layer, x32)
    np.testing.assert_array_equal(np.asarray(outs), np.array(steps))
    np.testing.assert_array_equal(np.asarray(final), np.asarray(state))
    np.testing.assert_allclose(np.asarray(outs), expected[:12], atol=1e-5)


def test_double_reset_reproduces_spyx_0_1_hand_checked_numbers():
    # Spyx 0.1.20, input 3 then zeros with alpha = beta = 0.5: spikes 0, 1, 1, 0 and final V = I = 0.375
    cuba = snn.CuBaLIF((1,), alpha=0.5, beta=0.5, double_reset=True)
    outs, state = snn.run(cuba, jnp.array([3.0, 0, 0, 0]).reshape(4, 1, 1))
    np.testing.assert_array_equal(np.asarray(outs).ravel(), [0, 1, 1, 0])
    np.testing.assert_allclose(np.asarray(state), [[0.375, 0.375]])
    single, _ = snn.run(snn.CuBaLIF((1,), alpha=0.5, beta=0.5), jnp.array([3.0, 0, 0, 0]).reshape(4, 1, 1))
    assert np.asarray(single).ravel().tolist() != [0, 1, 1, 0]  # the default is Spyx 1.0's single reset


def test_states_are_spyx_arrays():
    assert snn.LIF((4,), beta=0.9).initial_state(2).shape == (2, 4)
    assert snn.CuBaLIF((4,), alpha=0.5, beta=0.9).initial_state(2).shape == (2, 8)  # [V, I]
    assert snn.ALIF((4,), beta=0.5, gamma=0.5).initial_state(2).shape == (2, 8)  # [V, T]
    cuba = snn.CuBaLIF((2,), alpha=0.5, beta=0.5)
    state = jnp.array([[2.0, 0.0, 0.5, 0.25]])  # V = (2, 0), I = (0.5, 0.25)
    out, new = cuba(jnp.zeros((1, 2)), state)
    np.testing.assert_array_equal(np.asarray(out), [[1.0, 0.0]])
    i = 0.5 * np.array([0.5, 0.25])
    np.testing.assert_allclose(np.asarray(new), [np.concatenate([0.5 * (np.array([2.0, 0]) - [1, 0]) + i, i])])
    with pytest.raises(spyx.SpyxCompatError, match="state"):
        cuba(jnp.zeros((1, 2)), jnp.zeros((1, 3)))


def test_decays_are_drawn_from_rngs_as_spyx_draws_them():
    lif = snn.LIF((1000,), rngs=nnx.Rngs(3))
    expected = nnx.initializers.truncated_normal(stddev=0.25)(nnx.Rngs(3).params(), (1000,)) + 0.5
    np.testing.assert_array_equal(np.asarray(lif.beta[...]), np.asarray(expected))
    beta = np.asarray(lif.beta[...])
    assert 0 <= beta.min() and beta.max() <= 1 and abs(beta.mean() - 0.5) < 0.03
    # RLIF draws the recurrent weight first, then beta, from the same stream
    rngs = nnx.Rngs(5)
    rlif = snn.RLIF((3,), rngs=nnx.Rngs(5))
    w = nnx.initializers.truncated_normal()(rngs.params(), (3, 3))
    b = nnx.initializers.truncated_normal(stddev=0.25)(rngs.params(), (3,)) + 0.5
    np.testing.assert_array_equal(np.asarray(rlif.recurrent_w[...]), np.asarray(w))
    np.testing.assert_array_equal(np.asarray(rlif.beta[...]), np.asarray(b))
    assert snn.LIF((4,), beta=0.9).beta[...].shape == ()  # a number: one trainable scalar
    np.testing.assert_array_equal(np.asarray(snn.LI((3,)).beta[...]), np.full(3, 0.8, np.float32))
    with pytest.raises(spyx.SpyxCompatError, match="rngs"):
        snn.LIF((4,))


def test_decay_gradient_at_the_bounds_is_one_half_as_with_jnp_clip():
    # Spyx uses jnp.clip(beta, 0, 1): at exactly 1.0 (or 0.0) its gradient is 1/2, so such a decay trains
    xs = jnp.asarray(_drive(5)[:8], jnp.float32)

    def loss(model, xs):
        return snn.run(model, xs)[0].sum()

    def by_hand(beta, xs):
        v, total = jnp.zeros(xs.shape[1:]), 0.0
        for x in xs:
            v = jnp.clip(beta, 0, 1) * v + x
            total = total + v.sum()
        return total

    for start in (1.0, 0.0, 0.6):
        li = snn.LI((N,), beta=start)
        got = nnx.grad(loss)(li, xs).beta[...]
        np.testing.assert_allclose(got, jax.grad(by_hand)(jnp.float32(start), xs), rtol=1e-5)
        assert got != 0


def test_surrogates_are_spyx_activations():
    assert spyx.axn.superspike().surrogate == snnir.Surrogate(name="superspike", params={"beta": 25.0})
    assert spyx.axn.arctan().surrogate.params == {"beta": 2.0}
    assert spyx.axn.boxcar().surrogate.params == {"width": 2.0, "height": 0.5}
    x = jnp.array([-0.3, 0.0, 0.2])
    for act, grad in [(spyx.axn.superspike(), lambda x: 1 / (1 + 25 * abs(x)) ** 2),
                      (spyx.axn.arctan(), lambda x: 1 / (np.pi * (1 + (2 * np.pi * x) ** 2))),
                      (spyx.axn.tanh(), lambda x: 4 / (np.exp(-x) + np.exp(x)) ** 2),
                      (spyx.axn.boxcar(), lambda x: 0.5 * (abs(x) < 1)),
                      (spyx.axn.triangular(), lambda x: np.maximum(0, 1 - abs(2 * x))),
                      (spyx.axn.custom(), lambda x: x)]:
        np.testing.assert_array_equal(np.asarray(act(x)), [0.0, 0.0, 1.0])  # strict Heaviside, H(0) = 0
        np.testing.assert_allclose(jax.grad(lambda x: act(x).sum())(x), grad(np.asarray(x)), rtol=1e-6, atol=1e-7)
    lif = snn.LIF((N,), beta=0.9, activation=spyx.axn.arctan(3.0))
    assert snn.Sequential(lif).graph.node("LIF").surrogate == snnir.Surrogate(name="arctan", params={"beta": 3.0})


def test_a_custom_activation_trains_through_the_compiled_model():
    act = spyx.axn.custom(lambda x: jnp.ones_like(x))  # a true straight-through estimator
    lif = snn.LIF((1,), beta=0.5, activation=act)
    g = jax.grad(lambda x: snn.run(lif, x)[0].sum())(jnp.array([0.8, 0.7, 0.0]).reshape(3, 1, 1))
    # s_2 = H(v_1 − θ) with v_1 = 0.5·0.8 + 0.7: d s_2 / d x_0 = 0.5, d s_2 / d x_1 = 1, x_2 reaches no output
    np.testing.assert_allclose(np.asarray(g).ravel(), [0.5, 1.0, 0.0])


def _flax_reference(model, xs):
    """Spyx 1.0's Sequential run step by step: Flax's own layers, Spyx's pooling code, and the neurons'
    equations in jnp (no snnir graph involved)."""
    def neuron_step(layer, x, state):
        if isinstance(layer, snn.ActivityRegularization):
            return x, state + x
        if isinstance(layer, snn.LI):
            v = jnp.clip(layer.beta[...], 0, 1) * state + x
            return v, v
        theta = layer.threshold
        s = layer.spike(state - theta)  # Spyx: the activation of V − θ (strict Heaviside, surrogate gradient)
        v = jnp.clip(layer.beta[...], 0, 1) * state + x - s * theta
        return s, v

    states = [layer.initial_state(xs.shape[1]) if hasattr(layer, "initial_state") else None for layer in model.layers]
    outs = []
    for x in xs:
        new = []
        for layer, st in zip(model.layers, states):
            if st is None:
                x = layer(x)
                new.append(None)
            else:
                x, st = neuron_step(layer, x, st)
                new.append(st)
        states = new
        outs.append(x)
    return jnp.stack(outs), states


def test_a_channels_last_conv_net_matches_flax_layer_by_layer():
    rngs = nnx.Rngs(1)
    model = snn.Sequential(
        nnx.Conv(2, 4, (3, 3), padding="SAME", rngs=rngs), snn.LIF((6, 6, 4), beta=0.8, rngs=rngs),
        snn.SumPool((2, 2), (2, 2), "VALID"), nnx.Conv(4, 3, (2, 2), strides=1, padding="VALID", rngs=rngs),
        snn.LIF((2, 2, 3), beta=0.7, rngs=rngs), snn.Flatten(), nnx.Linear(12, 5, rngs=rngs),
        snn.LI((5,), beta=0.9, rngs=rngs))
    xs = jnp.asarray(np.random.default_rng(2).uniform(0, 1.6, (10, 2, 6, 6, 2)), jnp.float32)
    outs, states = snn.run(model, xs)
    ref, ref_states = _flax_reference(model, xs)
    np.testing.assert_allclose(np.asarray(outs), np.asarray(ref), rtol=1e-5, atol=1e-5)
    for got, want in zip(states, ref_states):
        assert (got is None) == (want is None)
        if got is not None:
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)
    assert [n.kind for n in model.graph_for((6, 6, 2)).nodes] == [
        "Input", "Conv2d", "LIF", "SumPool2d", "Conv2d", "LIF", "Flatten", "Linear", "LI", "Output"]
    # gradients reach every parameter as through Flax's own layers
    g = nnx.grad(lambda m: snn.run(m, xs)[0].sum())(model)
    g_ref = nnx.grad(lambda m: _flax_reference(m, xs)[0].sum())(model)
    for a, b in zip(jax.tree.leaves(nnx.state(g, nnx.Param)), jax.tree.leaves(nnx.state(g_ref, nnx.Param))):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("window, strides, padding, channel_axis, shape", [
    (2, 2, "VALID", -1, (5, 6, 2)), ((2, 3), (1, 2), "SAME", -1, (5, 6, 2)), ((1, 2, 2, 1), (1, 2, 2, 1), "VALID", -1, (4, 4, 3)),
    (2, 1, "SAME", 1, (2, 5, 5)), ((3,), (2,), "VALID", -1, (7, 2)), (2, 2, "SAME", 1, (3, 7)),
], ids=["int", "tuple-same", "full-rank", "channels-first", "1d", "1d-channels-first"])
def test_every_pooling_option_runs_in_a_graph_as_spyx_pools(window, strides, padding, channel_axis, shape):
    pool = snn.SumPool(window, strides, padding, channel_axis=channel_axis)
    xs = jnp.asarray(np.random.default_rng(3).integers(0, 2, (3, 2) + shape), jnp.float32)
    pooled = jax.vmap(lambda x: snn.sum_pool(x, window, strides, padding, channel_axis))(xs)
    out_shape = pooled.shape[2:]
    model = snn.Sequential(pool, snn.LI(out_shape, beta=0.0))  # LI with β = 0 passes its input through
    outs, _ = snn.run(model, xs)
    np.testing.assert_array_equal(np.asarray(outs), np.asarray(pooled))


def test_pools_no_snnir_node_computes_run_the_spyx_way_and_have_no_graph():
    xs = jnp.asarray(np.random.default_rng(5).integers(0, 2, (2, 1, 4, 4, 2)), jnp.float32)
    model = snn.Sequential(snn.SumPool((1, 2, 2, 2), 1, "VALID"), snn.LI((3, 3, 1), beta=0.0))  # pools channels
    outs, _ = snn.run(model, xs)
    np.testing.assert_array_equal(np.asarray(outs), np.asarray(jax.vmap(
        lambda x: snn.sum_pool(x, (1, 2, 2, 2), 1, "VALID"))(xs)))
    with pytest.raises(spyx.SpyxCompatError, match="channel"):
        model.graph_for((4, 4, 2))
    with pytest.raises(spyx.SpyxCompatError, match="SAME"):
        snn.SumPool(2, 2, "same")


def test_repeated_layers_get_haiku_style_names():
    rngs = nnx.Rngs(0)
    model = snn.Sequential(nnx.Linear(3, 4, rngs=rngs), snn.LIF((4,), beta=0.9), nnx.Linear(4, 4, rngs=rngs),
                           snn.LIF((4,), beta=0.9), snn.LIF((4,), beta=0.5, name="last"))
    assert [n.id for n in model.graph.nodes] == ["in", "linear", "LIF", "linear_1", "LIF_1", "last", "out"]


def test_recurrent_layers_show_their_cycle_without_an_extra_delay():
    graph = snn.Sequential(_with_w(snn.RLIF((N,), beta=0.9, rngs=R, name="r"))).graph
    assert {(e.src, e.dst) for e in graph.edges} >= {("r", "r_rec"), ("r_rec", "r")}
    np.testing.assert_array_equal(graph.node("r_rec").weight, W.T.astype(np.float32))
    assert snnir.compile(graph).feedback_edges == ()  # a pre-spiking neuron has no feedthrough


def test_activity_regularization_and_population_code_as_spyx_1_0():
    rngs = nnx.Rngs(0)
    model = snn.Sequential(nnx.Linear(3, 6, rngs=rngs), snn.LIF((6,), beta=0.9),
                           snn.ActivityRegularization((6,)), nnx.Linear(6, 4, rngs=rngs), snn.PopulationCode(2))
    xs = jnp.asarray(np.random.default_rng(8).uniform(0, 2, (12, 2, 3)), jnp.float32)
    outs, states = snn.run(model, xs)
    ref, ref_states = _flax_reference(model, xs)
    assert outs.shape == (12, 4)  # Spyx's PopulationCode flattens the batch: [2, 4] -> [4]
    np.testing.assert_allclose(np.asarray(outs), np.asarray(ref), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(states[2]), np.asarray(ref_states[2]))  # the spike counts
    assert np.asarray(states[2]).sum() > 0
    code = snn.PopulationCode(2)(jnp.arange(12.0).reshape(2, 6))
    np.testing.assert_array_equal(np.asarray(code), [1, 5, 9, 13, 17, 21])
    reg = snn.ActivityRegularization("ActReg")  # Spyx 0.1.x's form: the name first, the shape from the chain
    old_style = snn.Sequential(model.layers[0], model.layers[1], reg)  # the same Linear and LIF
    assert old_style.graph.node("ActReg").shape == (6,)
    assert [None if s is None else s.shape for s in old_style.initial_state(2)] == [None, (2, 6), (2, 6)]
    _, counts = snn.run(old_style, xs)
    np.testing.assert_array_equal(np.asarray(counts[2]), np.asarray(states[2]))


@pytest.mark.standard_promotion  # optax's Adam promotes its step count implicitly
def test_training_with_nnx_optimizer_moves_only_params():
    rngs = nnx.Rngs(0)
    model = snn.Sequential(nnx.Linear(4, 8, rngs=rngs), snn.LIF((8,), rngs=rngs, threshold=1.0),
                           nnx.Linear(8, 2, rngs=rngs), snn.LI((2,), rngs=rngs))
    xs = jnp.asarray(np.random.default_rng(9).uniform(0, 1.5, (16, 4, 4)), jnp.float32)
    optimizer = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)

    @nnx.jit
    def step(model, optimizer, xs):
        loss, grads = nnx.value_and_grad(lambda m: (snn.run(m, xs)[0].sum(0) ** 2).mean())(model)
        optimizer.update(model, grads)
        return loss

    losses = [float(step(model, optimizer, xs)) for _ in range(5)]
    assert losses[-1] < losses[0]
    assert model.layers[1].threshold == 1.0  # a plain number, as in Spyx: never trained


class Doubler(nnx.Module):
    """A user's own stateless module (Spyx's Sequential takes any callable)."""

    def __call__(self, x):
        return 2.0 * x


def test_a_chain_with_a_users_own_module_runs_the_spyx_way():
    model = snn.Sequential(snn.LIF((3,), beta=0.5), Doubler(), snn.LI((3,), beta=0.9))
    xs = jnp.asarray(np.random.default_rng(4).uniform(0, 2, (10, 2, 3)), jnp.float32)
    outs, states = snn.run(model, xs)
    ref, ref_states = _flax_reference(model, xs)
    np.testing.assert_allclose(np.asarray(outs), np.asarray(ref), rtol=1e-6)
    assert states[1] is None
    g = nnx.grad(lambda m: snn.run(m, xs)[0].sum())(model)
    g_ref = nnx.grad(lambda m: _flax_reference(m, xs)[0].sum())(model)
    for a, b in zip(jax.tree.leaves(nnx.state(g, nnx.Param)), jax.tree.leaves(nnx.state(g_ref, nnx.Param))):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5)
    with pytest.raises(spyx.SpyxCompatError, match="layer 1 is a Doubler"):
        model.graph  # noqa: B018 - no snnir graph holds it


def test_layers_snnir_cannot_place_are_named():
    with pytest.raises(spyx.SpyxCompatError, match="hidden_shape"):
        snn.run(snn.Sequential(nnx.Linear(3, 4, rngs=nnx.Rngs(0)), snn.LIF((5,), beta=0.5)), jnp.zeros((2, 1, 3)))


def test_spyx01_keeps_the_haiku_era_numbers_where_they_differ():
    import snnir.compat.spyx01 as spyx01

    # CuBaLIF subtracts its reset twice by default (0.1.20), as the hand-checked sequence shows
    outs, state = spyx01.nn.run(spyx01.nn.CuBaLIF((1,), alpha=0.5, beta=0.5), jnp.array([3.0, 0, 0, 0]).reshape(4, 1, 1))
    np.testing.assert_array_equal(np.asarray(outs).ravel(), [0, 1, 1, 0])
    # a short window covers the trailing axes: (2, 2) on NHWC pools W and C
    frames = jnp.ones((1, 4, 4, 2))
    assert spyx01.nn.sum_pool(frames, (2, 2), (2, 2), "VALID").shape == (1, 4, 2, 1)
    assert snn.sum_pool(frames, (2, 2), (2, 2), "VALID").shape == (1, 2, 2, 2)
    # angle_code without 1.0's shift and clip: bins (-1, 0, 1); digitize gives 0, 2, 3 for -2, 0, 1
    values = jnp.array([-2.0, 0.0, 1.0])
    np.testing.assert_array_equal(np.asarray(spyx01.data.angle_code(3, -1.0, 1.0)(values)),
                                  [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(np.asarray(spyx.data.angle_code(3, -1.0, 1.0)(values)),
                                  [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
