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


# default_forward_fn is SNNAX's real timing (delayed: every edge between layers one step late); the
# straight-through reading of SNNAX's docs is the opt-in straight_forward_fn
@pytest.mark.parametrize("forward_fn", [snn.default_forward_fn, snn.straight_forward_fn], ids=["delayed", "straight"])
@pytest.mark.parametrize("name, make, ref", NEURONS, ids=[n[0] for n in NEURONS])
def test_neuron_in_a_model_matches_snnax(name, make, ref, forward_fn):
    lin = _exciting_linear(3, 4)
    model = snn.Sequential(lin, make(), forward_fn=forward_fn)
    xs = _spiky_input(3, 3)
    expected = reference([RefLinear(lin), ref()], xs.astype(np.float64), forward_fn is not snn.straight_forward_fn)
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
    default = snn.Sequential(ident, snn.SimpleIAF(), ident, snn.SimpleIAF(), ident)  # SNNAX's default: the same
    assert _run(default, xs, 2)[:, 0].tolist() == [0, 0, 0, 0, 1, 0, 0, 0]
    straight = snn.Sequential(ident, snn.SimpleIAF(), ident, snn.SimpleIAF(), ident, forward_fn=snn.straight_forward_fn)
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
    model = snn.SequentialLocalFeedback(layers, feedback_layers={1: 0}, apply_feedback=True)
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
    # straight-through, so the LI reads this step's normalisation (the test is about the statistics)
    model = snn.Sequential(lin, snn.BatchNormLayer(1e-5, 0.9, 0.8), snn.SimpleLI([0.5]),
                           forward_fn=snn.straight_forward_fn)
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


# ---------------------------------------------------------------------- SNNAX's module tree and API
SNNAX_TREE = {
    "snn": ["StatefulModel", "GraphStructure", "Sequential", "StatefulLayer", "SimpleLI", "SimpleLIF", "LIF",
            "LIFSoftReset", "AdaptiveLIF", "SimpleIAF", "IAF", "Flatten", "SpikingMaxPool2d", "SigmaDelta"],
    "snn.architecture": ["GraphStructure", "StatefulModel", "default_forward_fn"],
    "snn.composed": ["gen_feed_forward_struct", "Sequential", "Parallel", "CompoundLayer", "SequentialLocalFeedback"],
    "snn.layers": ["StatefulLayer", "RequiresStateLayer"],
    "snn.layers.stateful": ["StatefulLayer", "RequiresStateLayer", "default_init_fn", "StateShape", "StatefulOutput"],
    "snn.layers.li": ["SimpleLI"], "snn.layers.lif": ["SimpleLIF", "LIF", "LIFSoftReset", "AdaptiveLIF"],
    "snn.layers.iaf": ["SimpleIAF", "IAF"], "snn.layers.flatten": ["Flatten"],
    "snn.layers.pooling": ["SpikingMaxPool1d", "SpikingMaxPool2d"], "snn.layers.residual": ["ResNetBlock"],
    "snn.layers.sigma_delta": ["SigmaDelta"], "snn.layers.spike_counter": ["SpikeCounter"], "snn.layers.srm": ["SRM"],
    "functional.surrogate": ["superspike_surrogate", "sigmoid_surrogate", "piecewise_surrogate", "SpikeFn"],
    "utils.filter": ["filter_grad", "filter_value_and_grad"],
    "utils.tree": ["apply_to_tree_leaf", "apply_to_tree_leaf_bytype", "is_threshold", "is_decay_constant",
                   "is_decay_constants", "is_reset_val", "is_neuron_param"],
}


@pytest.mark.parametrize("module", sorted(SNNAX_TREE))
def test_every_snnax_name_is_importable_from_where_snnax_has_it(module):
    import importlib

    mod = importlib.import_module(f"snnir.compat.snnax.{module}")
    missing = [name for name in SNNAX_TREE[module] if not hasattr(mod, name)]
    assert not missing, f"snnir.compat.snnax.{module} lacks {missing}"


def test_signatures_follow_snnax_code():
    import inspect

    assert list(inspect.signature(snn.SimpleIAF).parameters)[:3] == ["leak", "threshold", "spike_fn"]
    assert list(inspect.signature(snn.IAF).parameters)[:3] == ["decay_constants", "leak", "threshold"]
    assert list(inspect.signature(snn.GraphStructure).parameters)[:3] == ["num_layers", "input_layer_ids",
                                                                          "input_connectivity"]
    struct = snn.GraphStructure(2, [[0], []], [[], [0]])
    assert struct.input_connectivity == ((), (0,)) and struct.final_layer_ids == (1,)


def test_a_layer_steps_on_its_own_with_snnax_state_list():
    lif = snn.LIF([0.5, 0.75], threshold=0.5)
    key = jax.random.key(0)
    state = lif.init_state((3,), key)
    assert len(state) == 3 and all(s.shape == (3,) for s in state)  # [U, I, S]
    u, i, s = np.zeros(3), np.zeros(3), np.zeros(3)
    for x in np.array([[1.0, 0.5, 0.0], [1.0, 1.0, 0.25], [0.0, 1.0, 1.0], [0.5, 0.5, 0.5]], np.float32):
        state, out = lif(state, jnp.asarray(x), key=key)
        u = u - u * s  # SNNAX's LIF: reset with the previous spike first, then the lagged current
        u, i = 0.5 * u + 0.5 * i, 0.75 * i + 0.25 * x
        s = (u - 0.5 >= 0).astype(float)
        np.testing.assert_allclose(np.asarray(state[0]), u, atol=1e-6)
        np.testing.assert_allclose(np.asarray(state[1]), i, atol=1e-6)
        np.testing.assert_array_equal(np.asarray(out), s)
    assert np.asarray(snn.Flatten()(jnp.ones((2, 3)))).shape == (6,)


def test_model_states_are_snnax_lists_and_a_dict_view_exists():
    lin = eqx.nn.Linear(3, 4, key=jax.random.key(0))
    model = snn.Sequential(lin, snn.LIF([0.5, 0.5]), snn.SimpleLI([0.5]))
    states = model.init_state((3,), jax.random.key(1))
    assert [len(s) for s in states] == [1, 3, 1]
    np.testing.assert_allclose(np.asarray(states[0][0]), np.asarray(lin.bias))  # a Linear's carry is its bias
    states, outs = model(states, jnp.ones((5, 3)), jax.random.key(2))
    assert states[1][0].shape == (4,) and outs[0].shape == (5, 4)
    view = model.state_dict(states, (3,))
    np.testing.assert_array_equal(np.asarray(view["layer1"]["v"]), np.asarray(states[1][0]))


def test_a_users_forward_function_runs_snnax_way():
    calls = []

    def my_forward(layers, struct, key, states, data):
        calls.append(1)
        return snn.architecture.default_forward_fn(layers, struct, key, states, data)

    lin = eqx.nn.Linear(3, 4, key=jax.random.key(0))
    mine = snn.Sequential(lin, snn.SimpleLIF([0.5], threshold=0.25), forward_fn=my_forward)
    compiled = snn.Sequential(lin, snn.SimpleLIF([0.5], threshold=0.25))
    xs = jnp.asarray(_spiky_input(1, 3, steps=8))
    key = jax.random.key(3)
    _, a = mine(mine.init_state((3,), key), xs, key)
    _, b = compiled(compiled.init_state((3,), key), xs, key)
    assert calls, "the user's forward function is what runs"
    np.testing.assert_array_equal(np.asarray(a[0]), np.asarray(b[0]))


def test_a_users_spike_function_runs_and_save_refuses_it_with_the_node(tmp_path):
    @jax.custom_jvp
    def spike(x):
        return jnp.heaviside(x, 1.0)

    spike.defjvp(lambda primals, tangents: (spike(primals[0]), 3.0 * tangents[0]))
    lin = eqx.nn.Linear(3, 4, key=jax.random.key(0))
    model = snn.Sequential(lin, snn.SimpleLIF([0.5], spike_fn=spike, threshold=0.25))
    xs = jnp.asarray(_spiky_input(2, 3, steps=6))

    def loss(m):
        return m(m.init_state((3,), None), xs, None)[1][0].sum()

    grads = eqx.filter_grad(loss)(model)
    assert np.abs(np.asarray(grads.layers[0].weight)).sum() > 0
    with pytest.raises(snnir.ModelFileError, match="layer1") as err:
        snnir.save(model.graph, tmp_path / "m.snnir")
    assert "register_spike_function" in str(err.value)


def test_dropout_reuses_one_mask_per_call_and_inference_mode_turns_it_off():
    lin = eqx.tree_at(lambda l: l.weight, eqx.nn.Linear(4, 4, key=jax.random.key(0)), jnp.eye(4))
    lin = eqx.tree_at(lambda l: l.bias, lin, jnp.zeros(4))
    model = snn.Sequential(lin, eqx.nn.Dropout(0.5), snn.SimpleLI([0.5]), forward_fn=snn.straight_forward_fn)
    key = jax.random.key(5)
    trace_states, traces = model.trace(model.init_state((4,), key), jnp.ones((6, 4)), key)
    kept = np.asarray(traces["layer1"])
    assert (kept == kept[0]).all(), "SNNAX gives a layer the same key at every step"
    off = eqx.nn.inference_mode(model)
    _, traces = off.trace(off.init_state((4,), key), jnp.ones((6, 4)), key)
    np.testing.assert_array_equal(np.asarray(traces["layer1"]), np.ones((6, 4)))


def test_shape_mistakes_name_the_layer_and_a_batch_needs_vmap():
    k = jax.random.key(0)
    bad = snn.Sequential(eqx.nn.Linear(3, 4, key=k), snn.LIF([0.5, 0.5]), eqx.nn.Linear(5, 2, key=k))
    with pytest.raises(snnir.SnnirError, match=r"layer 2 \(Linear, id 'layer2'\).*\(4,\).*in_features=5"):
        bad.init_state((3,), k)
    model = snn.Sequential(eqx.nn.Linear(3, 4, key=k), snn.LIF([0.5, 0.5]))
    with pytest.raises(ValueError, match="jax.vmap"):
        model(model.init_state((3,), k), jnp.zeros((2, 5, 3)), k)
    lif = snn.LIF([0.5, 0.5])
    with pytest.raises(ValueError, match="jax.vmap"):
        lif(lif.init_state((4,), k), jnp.zeros((2, 4)), key=k)


def test_eager_calls_build_the_ir_once_per_structure(monkeypatch):
    from snnir.compat.snnax.snn import architecture

    model = snn.Sequential(eqx.nn.Linear(3, 4, key=jax.random.key(0)), snn.LIF([0.5, 0.5]))
    states = model.init_state((3,), None)
    model(states, jnp.ones((4, 3)), None)
    built = []
    original = architecture._build_graph
    monkeypatch.setattr(architecture, "_build_graph", lambda *a: built.append(1) or original(*a))
    other = eqx.tree_at(lambda m: m.layers[0].weight, model, model.layers[0].weight * 2)  # same structure
    other(states, jnp.ones((4, 3)), None)
    model(states, jnp.ones((4, 3)), None)
    assert not built


def test_srm_keeps_snnax_state_list_and_steps_on_its_own():
    k = jax.random.key(0)
    srm = snn.SRM(eqx.nn.Linear(4, 2, key=k), decay_constants=[0.9, 0.8], reset_val=0.5, threshold=0.1)
    state = srm.init_state((4,), k)
    assert [s.shape for s in state] == [(4,), (4,), (2,), (2,)]  # [P, Q, R, S]
    state, out = srm(state, jnp.ones(4), key=k)
    np.testing.assert_allclose(np.asarray(state[0]), 0.1 * np.ones(4), atol=1e-6)  # P = α·0 + (1 − α)·x
    model = snn.Sequential(eqx.nn.Linear(3, 4, key=k), srm)
    states, _ = model(model.init_state((3,), k), jnp.ones((3, 3)), k)
    assert [s.shape for s in states[1]] == [(4,), (4,), (2,), (2,)]


def test_sequential_local_feedback_runs_feed_forward_as_snnax_unless_asked():
    k = jax.random.key(0)
    layers = [snn.CompoundLayer(eqx.nn.Linear(3, 3, key=k), snn.LIF([0.5, 0.5])), snn.SimpleLI([0.5])]
    plain = snn.SequentialLocalFeedback(*layers)
    assert plain.graph_structure.input_connectivity == ((), (0,))  # SNNAX's last commit drops the loop
    assert plain.feedback_structure.input_connectivity == ((0,), (0,))
    looped = snn.SequentialLocalFeedback(*layers, apply_feedback=True)
    assert looped.graph_structure == plain.feedback_structure


@pytest.mark.parametrize("forward_fn", ["default", "straight"])
def test_stateless_cycles_run_in_both_timings(forward_fn):
    """A GraphStructure with a cycle through stateless layers (Linear <-> Linear, the first also fed by
    the input) runs: in delayed timing every edge between layers reads the previous step; in straight
    timing the edge back into the earlier-declared layer does. Sources are summed; a read before step 0
    gives the rest value (L0 at rest is b0: its source L1 is not at rest yet; L1 at rest is W1·b0 + b1)."""
    k0, k1 = jax.random.split(jax.random.key(0))
    w0 = jnp.asarray(np.arange(16).reshape(4, 4) % 5 / 8 - 0.25, jnp.float32)
    w1 = jnp.asarray(np.arange(16).reshape(4, 4) % 3 / 8 - 0.125, jnp.float32)
    l0 = eqx.tree_at(lambda l: (l.weight, l.bias), eqx.nn.Linear(4, 4, key=k0), (w0, jnp.full(4, 0.25)))
    l1 = eqx.tree_at(lambda l: (l.weight, l.bias), eqx.nn.Linear(4, 4, key=k1), (w1, jnp.full(4, -0.125)))
    fn = snn.default_forward_fn if forward_fn == "default" else snn.straight_forward_fn
    struct = snn.GraphStructure(2, ((0,), ()), ((1,), (0,)))
    model = snn.StatefulModel(struct, [l0, l1], forward_fn=fn)
    xs = jnp.asarray(np.random.RandomState(0).randint(0, 2, (6, 4)), jnp.float32)
    _, outs = model(model.init_state((4,), jax.random.key(1)), xs, jax.random.key(2))

    W0, W1, b0, b1, x = (np.asarray(a, np.float64) for a in (w0, w1, l0.bias, l1.bias, xs))
    a_prev, c_prev, want = b0, W1 @ b0 + b1, []  # rest values
    for t in range(len(x)):
        a = W0 @ (x[t] + c_prev) + b0
        c = W1 @ (a_prev if forward_fn == "default" else a) + b1
        a_prev, c_prev = a, c
        want.append(c)
    np.testing.assert_allclose(np.asarray(outs[0]), np.stack(want), rtol=1e-6, atol=1e-6)


def test_an_eager_call_reuses_the_compiled_call(monkeypatch):
    """An eager model call runs one cached computation: after the first call, a call with the same
    structure (other weights, other data) builds no IR pieces and converts no states in Python."""
    from snnir.compat.snnax.snn import architecture

    model = snn.Sequential(eqx.nn.Linear(3, 4, key=jax.random.key(0)), snn.LIF([0.5, 0.5]), snn.SimpleLI([0.5]))
    states = model.init_state((3,), jax.random.key(1))
    first, _ = model(states, jnp.ones((4, 3)), jax.random.key(2))
    built = []
    original = architecture.build_graph
    monkeypatch.setattr(architecture, "build_graph", lambda *a: built.append(1) or original(*a))
    other = eqx.tree_at(lambda m: m.layers[0].weight, model, model.layers[0].weight * 2)
    again, outs = other(states, jnp.ones((4, 3)) * 0.5, jax.random.key(2))
    assert not built and outs[0].shape == (4, 4)
    ref_outs = architecture.StatefulModel._run(other, states, jnp.ones((4, 3)) * 0.5, jax.random.key(2), 0, ())[1]
    np.testing.assert_allclose(np.asarray(outs[0]), np.asarray(ref_outs[0]), rtol=1e-6)
