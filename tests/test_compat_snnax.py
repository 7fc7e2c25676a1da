"""snnir.compat.snnax against SNNAX's own equations and timing (peers.md), written here in numpy in
SNNAX's form: per-layer state lists, the whole model stepped layer by layer. Before step 0 every layer
holds what SNNAX's ``init_state`` gives it: a stateless layer runs on its (earlier) sources' initial
outputs, external inputs being zero (a Linear gives its bias, a LayerNorm the normalised bias), and a
stateful layer's initial output is the last element of its state list (zeros). In delayed mode every
layer reads the previous step's outputs (the carry), as SNNAX's code runs; in straight mode a layer reads
the earlier layers' outputs of the same step."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir
from snnir.compat.snnax import functional, snn

T = 64


def H(z):  # SNNAX's heaviside(z, 1.): H(0) = 1
    return (z >= 0).astype(float)


def clamp(a):
    return np.clip(a, 0.5, 1.0)


# --------------------------------------------------------------------- SNNAX layers, one step each
class RefLinear:
    stateless = True

    def __init__(self, layer):
        self.w, self.b = np.asarray(layer.weight, float), np.asarray(layer.bias, float)

    def init(self, n_in):
        return None

    def __call__(self, state, x):
        return state, self.w @ x + self.b


class RefLayerNorm:
    """Equinox's LayerNorm over the whole sample: (x − μ)/sqrt(σ² + ε)·γ + β."""

    stateless = True

    def __init__(self, layer):
        self.eps = layer.eps
        self.g, self.b = np.asarray(layer.weight, float), np.asarray(layer.bias, float)

    def init(self, n):
        return None

    def __call__(self, state, x):
        mu = x.mean()
        return state, (x - mu) / np.sqrt(((x - mu) ** 2).mean() + self.eps) * self.g + self.b


class RefSimpleIAF:
    stateful = True

    def __init__(self, leak=0.0, theta=1.0, reset_val=None):
        self.leak, self.theta, self.reset_val = leak, theta, reset_val

    def init(self, n):
        return [np.zeros(n), np.zeros(n)]

    def __call__(self, state, x):
        u, _ = state
        u = u - self.leak + x
        s = H(u - self.theta)
        r = u * s if self.reset_val is None else self.reset_val * s
        return [u - r, s], s


class RefIAF:
    def __init__(self, beta, leak=0.0, theta=1.0):
        self.beta, self.leak, self.theta = clamp(beta), leak, theta

    def init(self, n):
        return [np.zeros(n), np.zeros(n), np.zeros(n)]

    def __call__(self, state, x):
        u, i, _ = state
        u = u - self.leak + i  # the previous step's current
        i = self.beta * i + (1 - self.beta) * x
        s = H(u - self.theta)
        return [u - u * s, i, s], s


class RefSimpleLI:
    def __init__(self, alpha):
        self.alpha = clamp(alpha)

    def init(self, n):
        return [np.zeros(n)]

    def __call__(self, state, x):
        u = self.alpha * state[0] + (1 - self.alpha) * x
        return [u], u


class RefSimpleLIF:
    def __init__(self, alpha, theta=1.0, reset_val=None):
        self.alpha, self.theta, self.reset_val = clamp(alpha), theta, reset_val

    def init(self, n):
        return [np.zeros(n), np.zeros(n)]

    def __call__(self, state, x):
        u = self.alpha * state[0] + (1 - self.alpha) * x
        s = H(u - self.theta)
        r = u * s if self.reset_val is None else np.log1p(np.exp(self.reset_val)) * s
        return [u - r, s], s


class RefLIF:
    def __init__(self, alpha, beta, theta=1.0, reset_val=None, soft=False):
        self.alpha, self.beta, self.theta, self.reset_val, self.soft = clamp(alpha), clamp(beta), theta, reset_val, soft

    def init(self, n):
        return [np.zeros(n), np.zeros(n), np.zeros(n)]

    def __call__(self, state, x):
        u, i, s_prev = state
        if self.soft:
            r = s_prev if self.reset_val is None else self.reset_val * s_prev
        else:
            r = u * s_prev if self.reset_val is None else (u - self.reset_val) * s_prev
        u = self.alpha * (u - r) + (1 - self.alpha) * i
        i = self.beta * i + (1 - self.beta) * x
        s = H(u - self.theta)
        return [u, i, s], s


class RefAdaptiveLIF:
    def __init__(self, alpha, ada_decay=0.8, step=1.0, coupling=0.5, theta=1.0):
        self.alpha, self.beta_a = clamp(alpha), clamp(ada_decay)
        self.a, self.b, self.theta = np.clip(coupling, -1, 1), np.clip(step, 0, 2), theta

    def init(self, n):
        return [np.zeros(n), np.zeros(n), np.zeros(n)]

    def __call__(self, state, x):
        u, adapt, _ = state
        u = self.alpha * u + (1 - self.alpha) * (x + adapt)
        s = H(u - self.theta)
        adapt = (1 - self.beta_a) * self.a * u + self.beta_a * adapt - self.b * s
        return [u - u * s, adapt, s], s


class RefSigmaDelta:
    def __init__(self, d_in, d_mem, d_fb, theta=1.0):
        self.d, self.theta = (d_in, d_mem, d_fb), theta

    def init(self, n):
        return [np.zeros(n) for _ in range(5)]

    def __call__(self, state, x):
        sigma, _, m, f, _ = state
        d_in, d_mem, d_fb = self.d
        sigma = d_in * sigma + x
        e = sigma - f
        m = d_mem * m + e
        s = H(m - self.theta)
        f = d_fb * f + s
        return [sigma, e, m, f, s], s


def reference(layers, xs, delayed, conn=None):
    """SNNAX's model loop over a chain (or ``conn``) of reference layers; returns the last layer's outputs."""
    n = len(layers)
    conn = conn or [[]] + [[i - 1] for i in range(1, n)]
    widths = _widths(layers, xs.shape[1])
    states = [layer.init(widths[i]) for i, layer in enumerate(layers)]
    outs = []  # SNNAX's init_state, in list order
    for i, layer in enumerate(layers):
        if getattr(layer, "stateless", False):
            reads = [outs[j] for j in conn[i] if j < i] + ([np.zeros(xs.shape[1])] if i == 0 else [])
            outs.append(layer(None, sum(reads))[1])
        else:
            outs.append(states[i][-1])
    result = []
    for x in xs:
        new = list(outs)
        for i, layer in enumerate(layers):
            reads = [(outs if delayed or j >= i else new)[j] for j in conn[i]] + ([x] if i == 0 else [])
            states[i], new[i] = layer(states[i], sum(reads))
        outs = new
        result.append(outs[-1])
    return np.array(result)


def _widths(layers, n_in):
    widths, n = [], n_in
    for layer in layers:
        widths.append(n)
        n = _out_width(layer, n)
    return widths


def _out_width(layer, n):
    return layer.w.shape[0] if isinstance(layer, RefLinear) else n


def test_snnax_linear_layernorm_lif_starts_from_the_normalised_bias():
    """SNNAX's headline model, Linear -> LayerNorm -> LIF, as SNNAX runs it: at t = 0 LayerNorm's carry is
    the normalisation of the Linear's bias (SNNAX's init_state), not LayerNorm(0)."""
    lin = eqx.nn.Linear(3, 4, key=jax.random.key(0))
    lin = eqx.tree_at(lambda l: (l.weight, l.bias), lin,
                      (jnp.asarray((np.arange(12).reshape(4, 3) % 5 - 2) / 8, jnp.float32),
                       jnp.asarray([1.0, -1.0, 0.5, -0.5], jnp.float32)))
    norm = eqx.nn.LayerNorm(4)
    model = snn.Sequential(lin, norm, snn.LIF([0.75, 0.5], threshold=0.125), forward_fn=snn.debug_forward_fn)
    xs = (np.random.default_rng(0).random((16, 3)) < 0.5).astype(np.float32)
    expected = reference([RefLinear(lin), RefLayerNorm(norm), RefLIF(0.75, 0.5, theta=0.125)],
                         xs.astype(np.float64), delayed=True)
    np.testing.assert_array_equal(_run(model, xs, 3), expected)
    # by hand: I_0 = (1 − β)·LN(b) (the LIF reads LayerNorm's initial carry), U_1 = (1 − α)·I_0, so unit 0
    # spikes at t = 1; from LayerNorm(0) = 0 nothing could spike before t = 2
    b = np.array([1.0, -1.0, 0.5, -0.5])
    normalised = (b - b.mean()) / np.sqrt(((b - b.mean()) ** 2).mean() + 1e-5)
    np.testing.assert_array_equal(expected[1], H(0.25 * 0.5 * normalised - 0.125))
    assert expected[1].tolist() == [1.0, 0.0, 0.0, 0.0]


def _exciting_linear(n_in, n_out, seed=2):
    """A Linear with positive weights, so random positive inputs drive the neurons to spike often."""
    lin = eqx.nn.Linear(n_in, n_out, key=jax.random.key(seed))
    return eqx.tree_at(lambda l: l.weight, lin, jnp.abs(lin.weight))


def _spiky_input(seed, n, steps=T):
    return np.random.default_rng(seed).uniform(0.0, 2.5, (steps, n)).astype(np.float32)


def _run(model, xs, n_in):
    state = model.init_state((n_in,), jax.random.key(0))
    _, outs = model(state, jnp.asarray(xs), jax.random.key(1))
    return np.asarray(outs[0], np.float64)


NEURONS = [
    ("SimpleIAF", lambda: snn.SimpleIAF(leak=0.1), lambda: RefSimpleIAF(leak=0.1)),
    ("SimpleIAF-reset_val", lambda: snn.SimpleIAF(reset_val=0.5), lambda: RefSimpleIAF(reset_val=0.5)),
    ("IAF", lambda: snn.IAF([0.8], leak=0.05), lambda: RefIAF(0.8, leak=0.05)),
    ("SimpleLI", lambda: snn.SimpleLI([0.7]), lambda: RefSimpleLI(0.7)),
    ("SimpleLIF", lambda: snn.SimpleLIF([0.8]), lambda: RefSimpleLIF(0.8)),
    ("SimpleLIF-reset_val", lambda: snn.SimpleLIF([0.9], reset_val=0.2), lambda: RefSimpleLIF(0.9, reset_val=0.2)),
    ("LIF", lambda: snn.LIF([0.9, 0.6]), lambda: RefLIF(0.9, 0.6)),
    ("LIF-clamped", lambda: snn.LIF([0.3, 0.95], reset_val=0.25), lambda: RefLIF(0.3, 0.95, reset_val=0.25)),
    ("LIFSoftReset", lambda: snn.LIFSoftReset([0.85, 0.7]), lambda: RefLIF(0.85, 0.7, soft=True)),
    ("AdaptiveLIF", lambda: snn.AdaptiveLIF([0.9]), lambda: RefAdaptiveLIF(0.9)),
    ("SigmaDelta", lambda: snn.SigmaDelta([0.9, 0.5, 0.8]), lambda: RefSigmaDelta(0.9, 0.5, 0.8)),
]


@pytest.mark.parametrize("forward_fn", [snn.debug_forward_fn, snn.default_forward_fn], ids=["delayed", "straight"])
@pytest.mark.parametrize("name, make, ref", NEURONS, ids=[n[0] for n in NEURONS])
def test_neuron_in_a_model_matches_snnax(name, make, ref, forward_fn):
    lin = _exciting_linear(3, 4)
    model = snn.Sequential(lin, make(), forward_fn=forward_fn)
    xs = _spiky_input(3, 3)
    expected = reference([RefLinear(lin), ref()], xs.astype(np.float64), forward_fn is snn.debug_forward_fn)
    got = _run(model, xs, 3)
    np.testing.assert_allclose(got, expected, atol=2e-5)
    if name not in ("SimpleLI",):
        assert 0.02 < expected.mean() < 0.99, "the input should make the neuron spike, but not always"


def test_pulse_through_the_seed_chain_arrives_at_step_4_in_delayed_mode():
    # peers.md: Sequential(Id, SimpleIAF, Id, SimpleIAF, Id) fed a pulse at t=0 spikes at t = 4
    ident = eqx.nn.Identity()
    model = snn.Sequential(ident, snn.SimpleIAF(), ident, snn.SimpleIAF(), ident, forward_fn=snn.debug_forward_fn)
    xs = np.zeros((8, 2), np.float32)
    xs[0] = 1.0
    out = _run(model, xs, 2)
    assert out[:, 0].tolist() == [0, 0, 0, 0, 1, 0, 0, 0]
    straight = snn.Sequential(ident, snn.SimpleIAF(), ident, snn.SimpleIAF(), ident)
    assert _run(straight, xs, 2)[:, 0].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]


def test_linear_bias_is_the_initial_carry_in_delayed_mode():
    lin = eqx.nn.Linear(2, 2, key=jax.random.key(0))
    model = snn.Sequential(lin, snn.SimpleLI([0.5]), forward_fn=snn.debug_forward_fn)
    out = _run(model, np.zeros((3, 2), np.float32), 2)
    b = np.asarray(lin.bias, float)
    np.testing.assert_allclose(out[0], 0.5 * b, atol=1e-6)  # U_0 = α·0 + (1 − α)·b


def test_graph_structure_matches_the_sequential_form_of_the_seed():
    k1, k2 = jax.random.split(jax.random.key(4))
    layers = [eqx.nn.Linear(10, 20, key=k1), eqx.nn.LayerNorm(20), snn.LIF([0.9, 0.8])]
    a = snn.Sequential(*layers)
    b = snn.StatefulModel(graph_structure=snn.GraphStructure(num_layers=3, input_layer_ids=[[0], [], []],
                                                             final_layer_ids=[2], input_connectivity=[[], [0], [1]]),
                          layers=layers)
    assert a.graph == b.graph
    assert [n.kind for n in a.graph.nodes] == ["Input", "Linear", "LayerNorm", "CubaLIF", "Output"]
    xs = _spiky_input(5, 10, steps=12)
    np.testing.assert_array_equal(_run(a, xs, 10), _run(b, xs, 10))


def test_seed_feedback_from_layernorm_into_linear_is_a_verify_error():
    layers = [eqx.nn.Linear(10, 20, key=jax.random.key(0)), eqx.nn.LayerNorm(20), snn.LIF([0.9, 0.8])]
    model = snn.SequentialLocalFeedback(layers, feedback_layers={1: 0})
    with pytest.raises(snnir.VerifyError) as err:
        model.init_state((10,), jax.random.key(0))
    assert "layer1" in str(err.value) and "layer0" in str(err.value)


def test_gradients_reach_the_layers_leaves():
    lin = eqx.nn.Linear(3, 4, key=jax.random.key(2))
    model = snn.Sequential(lin, snn.LIF([0.9, 0.8]), forward_fn=snn.debug_forward_fn)
    xs = jnp.asarray(_spiky_input(6, 3, steps=20))

    @eqx.filter_grad
    def grads(m):
        state = m.init_state((3,), None)
        _, outs = m(state, xs, None)
        return outs[0].sum()

    g = grads(model)
    assert np.abs(np.asarray(g.layers[0].weight)).sum() > 0
    assert np.abs(np.asarray(g.layers[1].decay_constants)).sum() > 0
    jitted = eqx.filter_jit(lambda m: m(m.init_state((3,), None), xs, None)[1][0])(model)
    np.testing.assert_allclose(np.asarray(jitted), _run(model, np.asarray(xs), 3), atol=1e-6)


def test_vmap_over_a_batch_like_snnax():
    lin = eqx.nn.Linear(3, 4, key=jax.random.key(2))
    model = snn.Sequential(lin, snn.SimpleLIF([0.8]))
    xs = jnp.asarray(np.stack([_spiky_input(s, 3, steps=10) for s in range(4)]))
    state = model.init_state((3,), None)
    _, outs = jax.vmap(lambda x: model(state, x, None))(xs)
    for b in range(4):
        np.testing.assert_array_equal(np.asarray(outs[0][b]), _run(model, np.asarray(xs[b]), 3))


def test_surrogates_are_snnax_formulas():
    x = jnp.array([-1.0, -0.4, 0.0, 0.3])
    grad = jax.vmap(jax.grad(functional.superspike_surrogate(10.0)))(x)
    np.testing.assert_allclose(np.asarray(grad), [1 / 11, 0.2, 1.0, 0.25], rtol=1e-6)
    assert functional.superspike_surrogate()(jnp.zeros(())) == 1.0  # H(0) = 1
    pw = jax.vmap(jax.grad(functional.piecewise_surrogate(0.5)))(jnp.array([-0.6, -0.4, 0.4, 0.6]))
    np.testing.assert_allclose(np.asarray(pw), [0, 1, 1, 0])


def test_batch_norm_layer_normalises_over_the_named_vmap_axis_like_snnax():
    lin = _exciting_linear(3, 4)
    model = snn.Sequential(lin, snn.BatchNormLayer(1e-5, 0.9, 0.8), snn.SimpleLI([0.5]))
    xs = jnp.asarray(np.stack([_spiky_input(s, 3, steps=6) for s in range(5)]))  # [B, T, 3]
    state = model.init_state((3,), None)
    _, outs = jax.vmap(lambda x: model(state, x, None), axis_name="batch_axis")(xs)
    h = np.einsum("btn,on->bto", np.asarray(xs, np.float64), np.asarray(lin.weight, np.float64)) + np.asarray(lin.bias)
    normed = 0.8 * (h - h.mean(0)) / np.sqrt(h.var(0) + 1e-5)  # per element and step, over the batch
    u, expected = np.zeros((5, 4)), []
    for t in range(6):
        u = 0.5 * u + 0.5 * normed[:, t]
        expected.append(u.copy())
    np.testing.assert_allclose(np.asarray(outs[0]), np.stack(expected, 1), atol=1e-4)
