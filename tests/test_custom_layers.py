"""User-written layers (SNNAX's StatefulLayer contract) as Custom graph nodes, and their model files.

Every run is compared with a plain numpy loop of the layer's equations, written here from the equations.
"""

import json
import os

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir

T = 24


# ---------------------------------------------------------------------- layers, written the SNNAX way
class SeedLayer(snnir.StatefulLayer):
    """The custom layer of the SNNAX documentation: m_t = α m_{t−1} + (1 − α) β x_t, output m_t.

    As written in the documentation it reads its state list as one array and returns one array as the
    new state; here the state is the one-element list [m] (its last element is the output), as the
    contract asks."""

    alpha: snnir.TrainableArray
    beta: snnir.TrainableArray

    def __init__(self, alpha, beta, init_fn=None):
        super().__init__(init_fn)
        self.alpha = self.init_parameters(alpha, (1,), requires_grad=False)
        self.beta = self.init_parameters(beta, (1,), requires_grad=True)

    def init_state(self, shape, key, *args, **kwargs):
        return [jnp.zeros(shape) if self.init_fn is None else self.init_fn(shape, key)]

    def __call__(self, state, synaptic_input, *, key=None):
        alpha = self.alpha.data[0]
        beta = self.beta.data[0]
        mem_pot = alpha * state[0] + (1.0 - alpha) * beta * synaptic_input
        return [mem_pot], mem_pot


class SpikingLayer(snnir.StatefulLayer):
    """Default state [v, s]: v' = d·v + x, s = H(v' − θ), v ← v' − θ·s; output s."""

    decay: snnir.TrainableArray
    threshold: float

    def __init__(self, decay, threshold=1.0, init_fn=None):
        super().__init__(init_fn)
        self.decay = self.init_parameters(decay)
        self.threshold = threshold

    def __call__(self, state, x, *, key=None):
        v = self.decay.data * state[0] + x
        s = (v >= self.threshold).astype(v.dtype)
        return [v - self.threshold * s, s], s


class NoFeedthroughLayer(snnir.StatefulLayer):
    """Spikes from the state before the step (SNNAX LIF's order): s_t = H(v_{t−1} − 1),
    v_t = d·(v_{t−1} − s_t) + x_t; output s_t, so ``output(state)`` needs no input."""

    decay: float

    def __init__(self, decay):
        super().__init__(None)
        self.decay = decay

    def output(self, state):
        return (state[0] >= 1.0).astype(state[0].dtype)

    def __call__(self, state, x, *, key=None):
        s = self.output(state)
        return [self.decay * (state[0] - s) + x, s], s


class NoisyGate(eqx.Module):
    """Stateless and random: y = x · m with m ~ Bernoulli(1/2) per element (identity without a key)."""

    def __call__(self, x, *, key=None):
        return x if key is None else jnp.where(jax.random.bernoulli(key, 0.5, x.shape), x, jnp.zeros_like(x))


snnir.register_layer(SeedLayer, name="tests.SeedLayer")
snnir.register_layer(SpikingLayer, name="tests.SpikingLayer")


# ---------------------------------------------------------------------- numpy references
def heaviside(v, theta):
    return (v >= theta).astype(np.float64)


def reference_chain(x, w, alpha, beta, decay, theta, delayed):
    """x: [T, *batch, 4]. fc = W x (Linear), c1 = SeedLayer, c2 = SpikingLayer; in delayed mode the edges
    fc -> c1 and c1 -> c2 read the previous step; at step 0 their rest values, zero here (fc has no bias,
    and c1's initial state [m] is zero)."""
    u = np.einsum("oi,...i->...o", w, x)
    m = np.zeros(x.shape[1:-1] + (3,))
    v = np.zeros_like(m)
    prev_u, prev_m = np.zeros_like(m), np.zeros_like(m)
    ms, ss, margins = [], [], []
    for t in range(x.shape[0]):
        m_in = prev_u if delayed else u[t]
        m_new = alpha * m + (1 - alpha) * beta * m_in
        v_in = prev_m if delayed else m_new
        v_pre = decay * v + v_in
        s = heaviside(v_pre, theta)
        margins.append(np.abs(v_pre - theta).min())
        v = v_pre - theta * s
        prev_u, prev_m, m = u[t], m_new, m_new
        ms.append(m_new)
        ss.append(s)
    return np.stack(ms), np.stack(ss), min(margins)


W = (np.arange(12, dtype=np.float32).reshape(3, 4) - 4) / 8
ALPHA, BETA, DECAY, THETA = 0.75, 0.5, 0.875, 0.25


def chain_graph(seed_layer=None):
    return snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(4,)), snnir.Linear(id="fc", weight=W),
               snnir.Custom(id="c1", module=seed_layer or SeedLayer(ALPHA, BETA)),
               snnir.Custom(id="c2", module=SpikingLayer(DECAY, THETA)),
               snnir.Output(id="m"), snnir.Output(id="s")],
        edges=[("x", "fc"), ("fc", "c1"), ("c1", "c2"), ("c1", "m"), ("c2", "s")])


def inputs(batch=(2, 3), seed=0):
    return (np.random.default_rng(seed).random((T, *batch, 4)) < 0.5).astype(np.float32)


# ---------------------------------------------------------------------- running
@pytest.mark.parametrize("mode", ["straight", "delayed"])
@pytest.mark.parametrize("strategy", ["fused-scan", "layered"])
def test_chain_matches_numpy_in_both_modes_and_strategies(mode, strategy):
    prog = snnir.compile(chain_graph(), mode=mode, strategy=strategy)
    if strategy == "layered":  # the Linear runs once over all steps; the custom layers in one scan
        assert any(k == "map" and "fc" in ids for k, ids in prog.stages)
        assert any(k == "scan" and "c1" in ids and "c2" in ids for k, ids in prog.stages)
    x = inputs()
    state, ys = prog(prog.init_state((2, 3)), jnp.asarray(x))
    m, s, margin = reference_chain(x.astype(np.float64), W.astype(np.float64), ALPHA, BETA, DECAY, THETA,
                                   delayed=mode == "delayed")
    assert margin > 1e-4  # no membrane sits on the threshold: rounding cannot flip a spike
    np.testing.assert_allclose(np.asarray(ys["m"]), m, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(ys["s"]), s)
    assert s.sum() > 0 and (s == 0).any()
    # the state is the layers' state lists, batch axes first
    own = lambda nid: {k for k in state[nid] if not k.endswith("_history")}  # noqa: E731
    assert own("c1") == {"s0"} and own("c2") == {"s0", "s1"}
    assert state["c1"]["s0"].shape == (2, 3, 3)
    np.testing.assert_allclose(np.asarray(state["c1"]["s0"]), m[-1], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(state["c2"]["s1"]), s[-1])


def test_unbatched_calls_chunks_and_lengths():
    prog = snnir.compile(chain_graph())
    x = inputs(batch=(2,), seed=1)
    _, whole = prog(prog.init_state((2,)), jnp.asarray(x))
    _, alone = prog(prog.init_state(()), jnp.asarray(x[:, 1]))  # no batch axes at all
    np.testing.assert_array_equal(alone["s"], whole["s"][:, 1])
    np.testing.assert_allclose(alone["m"], whole["m"][:, 1], rtol=1e-6)
    state, first = prog(prog.init_state((2,)), jnp.asarray(x[:10]))
    _, second = prog(state, jnp.asarray(x[10:]))
    np.testing.assert_array_equal(np.concatenate([first["s"], second["s"]]), whole["s"])
    # lengths freeze each sample's state lists past its end
    state, ys = prog(prog.init_state((2,)), jnp.asarray(x), lengths=jnp.array([T, 7]))
    short, _ = prog(prog.init_state(()), jnp.asarray(x[:7, 1]))
    np.testing.assert_allclose(state["c1"]["s0"][1], short["c1"]["s0"], rtol=1e-6)
    assert not np.asarray(ys["s"][7:, 1]).any()


def test_no_feedthrough_layer_in_a_recurrent_loop_matches_numpy():
    r = np.array([[0, 0.5, 0], [0, 0, 0.5], [0.5, 0, 0]], np.float32)
    graph = snnir.Graph(
        nodes=[snnir.Input(id="x", shape=(3,)),
               snnir.Custom(id="c", module=NoFeedthroughLayer(0.5), direct_feedthrough=False),
               snnir.Linear(id="rec", weight=r), snnir.Output(id="y")],
        edges=[("x", "c"), ("c", "rec"), ("rec", "c"), ("c", "y")])
    x = inputs(batch=(2,), seed=2)[..., :3] * 1.25
    for mode in ("straight", "delayed"):
        prog = snnir.compile(graph, mode=mode)
        assert prog.feedback_edges == ()  # the loop passes a node without feedthrough: nothing to break
        _, ys = prog(prog.init_state((2,)), jnp.asarray(x))
        v = np.zeros((2, 3))
        rec_prev, out_prev = np.zeros((2, 3)), np.zeros((2, 3))
        expect = []
        for t in range(T):
            out = heaviside(v, 1.0)  # from the state before the step
            rec = (out_prev if mode == "delayed" else out) @ r.T
            drive = x[t] + (rec_prev if mode == "delayed" else rec)
            v = 0.5 * (v - out) + drive
            rec_prev, out_prev = rec, out
            expect.append(out)
        np.testing.assert_array_equal(np.asarray(ys["y"]), np.stack(expect))
        assert np.stack(expect).sum() > 0


def test_keys_reach_the_layer_per_step_and_per_sample():
    graph = snnir.Graph(nodes=[snnir.Input(id="x", shape=(64,)), snnir.Custom(id="g", module=NoisyGate()),
                               snnir.Output(id="y")], edges=[("x", "g"), ("g", "y")])
    xs = jnp.ones((3, 2, 64))
    for strategy in ("fused-scan", "layered"):
        prog = snnir.compile(graph, strategy=strategy)
        run = lambda key: np.asarray(prog(prog.init_state((2,)), xs, key=key)[1]["y"])  # noqa: E731
        y = run(jax.random.key(0))
        assert set(np.unique(y)) == {0.0, 1.0}
        assert (y[0] != y[1]).any() and (y[:, 0] != y[:, 1]).any()  # fresh per step, own per sample
        np.testing.assert_array_equal(y, run(jax.random.key(0)))
        np.testing.assert_array_equal(run(None), np.asarray(xs))  # no key: the layer gets key=None


def test_stateless_modules_run_outside_the_loop_when_not_stochastic():
    linear = eqx.nn.Linear(4, 3, key=jax.random.key(3))
    graph = snnir.Graph(nodes=[snnir.Input(id="x", shape=(4,)),
                               snnir.Custom(id="lin", module=linear, stochastic=False),
                               snnir.Custom(id="c2", module=SpikingLayer(DECAY, THETA)), snnir.Output(id="s")],
                        edges=[("x", "lin"), ("lin", "c2"), ("c2", "s")])
    prog = snnir.compile(graph, strategy="layered")
    assert any(kind == "map" and "lin" in ids for kind, ids in prog.stages)
    assert not graph.node("lin").holds_state() and graph.node("c2").holds_state()
    x = inputs(batch=(2,), seed=3)
    _, ys = prog(prog.init_state((2,)), jnp.asarray(x))
    u = x.astype(np.float64) @ np.asarray(linear.weight, np.float64).T + np.asarray(linear.bias, np.float64)
    v, expect = np.zeros((2, 3)), []
    for t in range(T):
        v = DECAY * v + u[t]
        s = heaviside(v, THETA)
        v = v - THETA * s
        expect.append(s)
    np.testing.assert_array_equal(np.asarray(ys["s"]), np.stack(expect))


def test_initial_state_comes_from_init_state_with_the_init_key():
    random_start = lambda shape, key: jax.random.uniform(key, shape)  # noqa: E731
    graph = chain_graph(seed_layer=SeedLayer(ALPHA, BETA, init_fn=random_start))
    prog = snnir.compile(graph)
    a = prog.init_state((2, 3), key=jax.random.key(1))["c1"]["s0"]
    assert a.shape == (2, 3, 3) and (np.asarray(a) == np.asarray(a[0, 0])).all()  # one start, broadcast
    assert (np.asarray(a[0, 0]) > 0).all()
    np.testing.assert_array_equal(a, prog.init_state((2, 3), key=jax.random.key(1))["c1"]["s0"])
    assert (np.asarray(a) != np.asarray(prog.init_state((2, 3), key=jax.random.key(2))["c1"]["s0"])).any()
    np.testing.assert_array_equal(prog.init_state((1,))["c1"]["s0"], prog.init_state((1,))["c1"]["s0"])


# ---------------------------------------------------------------------- parameters
def test_gradients_reach_module_leaves_and_to_graph_gives_the_trained_ones():
    prog = snnir.compile(chain_graph())
    x = jnp.asarray(inputs(batch=(2,), seed=4))

    def loss(p):
        return p(p.init_state((2,)), x)[1]["m"].sum()

    grads = eqx.filter_grad(loss)(prog)
    # m is linear in β with m_{−1} = 0, so dL/dβ = L / β exactly
    np.testing.assert_allclose(grads.kernels["c1"].module.beta.data, [float(loss(prog)) / BETA], rtol=1e-5)
    assert float(grads.kernels["c1"].module.alpha.data[0]) != 0.0
    spec = prog.trainable()
    assert spec.kernels["c1"].module.beta.data is True and spec.kernels["c1"].module.alpha.data is False
    assert spec.kernels["c2"].module.decay.data is True and spec.kernels["fc"].weight is True

    params, static = eqx.partition(prog, spec)
    step = jax.tree_util.tree_map(lambda g: -0.125 * g, eqx.filter(grads, spec))
    trained = eqx.combine(eqx.apply_updates(params, step), static)
    graph = trained.to_graph()
    module = graph.node("c1").module
    np.testing.assert_allclose(module.beta.data, BETA - 0.125 * np.asarray(grads.kernels["c1"].module.beta.data))
    np.testing.assert_array_equal(module.alpha.data, [ALPHA])  # requires_grad=False: left alone
    assert graph != chain_graph() and snnir.compile(chain_graph()).to_graph() == chain_graph()
    again = snnir.compile(graph)
    np.testing.assert_allclose(again(again.init_state((2,)), x)[1]["m"], trained(trained.init_state((2,)), x)[1]["m"])


def test_graph_equality_compares_module_values_and_structure():
    assert chain_graph() == chain_graph()
    assert chain_graph() != chain_graph(seed_layer=SeedLayer(ALPHA, 0.25))
    assert chain_graph() != chain_graph(seed_layer=SeedLayer(ALPHA, BETA, init_fn=lambda s, k: jnp.ones(s)))
    assert "layer=tests.SeedLayer params=2" in str(chain_graph())


def test_a_module_that_fails_on_its_input_shape_is_a_verify_error():
    graph = snnir.Graph(nodes=[snnir.Input(id="x", shape=(4,)),
                               snnir.Custom(id="bad", module=SpikingLayer(jnp.ones(3))), snnir.Output(id="y")],
                        edges=[("x", "bad"), ("bad", "y")])
    with pytest.raises(snnir.VerifyError, match="'bad'.*per-sample input shape"):
        snnir.verify(graph)


# ---------------------------------------------------------------------- files
def test_registered_layers_round_trip_through_both_formats(tmp_path):
    graph = chain_graph()
    for name in ("m.snnir", "m.json"):
        loaded = snnir.load(snnir.save(graph, tmp_path / name))
        assert loaded == graph
        module = loaded.node("c1").module
        assert type(module) is SeedLayer and module.alpha.requires_grad is False
    doc = json.loads((tmp_path / "m.json").read_text())
    stored = next(n for n in doc["graph"]["nodes"] if n["id"] == "c2")["module"]
    assert stored["layer"] == "tests.SpikingLayer" and stored["fields"]["threshold"] == THETA
    assert stored["fields"]["decay"]["layer"] == "snnir.TrainableArray"
    prog, back = snnir.compile(graph), snnir.compile(snnir.load(tmp_path / "m.snnir"))
    x = jnp.asarray(inputs(batch=(2,)))
    np.testing.assert_array_equal(prog(prog.init_state((2,)), x)[1]["s"], back(back.init_state((2,)), x)[1]["s"])


class Unregistered(snnir.StatefulLayer):
    def __call__(self, state, x, *, key=None):
        return state, x


def _around(module, **fields):
    return snnir.Graph(nodes=[snnir.Input(id="x", shape=(3,)), snnir.Custom(id="odd", module=module, **fields),
                              snnir.Output(id="y")], edges=[("x", "odd"), ("odd", "y")])


@pytest.mark.parametrize("name", ["m.snnir", "m.json"])
def test_saving_an_unregistered_layer_is_refused_and_writes_nothing(tmp_path, name):
    with pytest.raises(snnir.ModelFileError, match=r"node 'odd' \(Unregistered\).*not a registered layer"
                                                   r"(.|\n)*register_layer\(Unregistered\)"):
        snnir.save(_around(Unregistered()), tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_a_field_holding_a_function_is_refused_at_save(tmp_path):
    layer = SpikingLayer(DECAY, THETA, init_fn=lambda shape, key: jnp.ones(shape))
    with pytest.raises(snnir.ModelFileError, match=r"node 'odd' \(SpikingLayer\): field module.init_fn holds a "
                                                   "function"):
        snnir.save(_around(layer), tmp_path / "m.snnir")
    assert os.listdir(tmp_path) == []


def test_an_unknown_layer_name_on_load_says_to_register_it(tmp_path):
    path = snnir.save(chain_graph(), tmp_path / "m.json")
    path.write_text(path.read_text().replace('"tests.SpikingLayer"', '"elsewhere.Missing"'))
    with pytest.raises(snnir.ModelFileError, match=r"node 'c2'(.|\n)*unknown layer 'elsewhere.Missing'"
                                                   r"(.|\n)*register_layer"):
        snnir.load(path)


def test_register_layer_checks_its_arguments():
    with pytest.raises(TypeError, match="equinox.Module subclass"):
        snnir.register_layer(int)
    with pytest.raises(snnir.SnnirError, match="already registered"):
        snnir.register_layer(Unregistered, name="tests.SeedLayer")
    assert snnir.register_layer(SeedLayer, name="tests.SeedLayer") is SeedLayer  # again: harmless
