"""Gradients through compiled programs.

- through a spike: d spike / d input is the input gain times the surrogate's formula (written here with numpy);
- every trainable parameter of a recurrent network gets a finite, non-zero gradient; frozen ones get none;
- on spike-free paths (Linear, Scale, LI, delays) jax.grad agrees with central finite differences in float64;
- detach_reset acts on the gradient (with the expected formula) and never on the forward pass.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

import snnir

# ---------------------------------------------------------------------- reference surrogate derivatives
SURROGATE_CASES = {  # node id suffix -> (IR surrogate, numpy derivative)
    "superspike": ({"name": "superspike"}, lambda x: 1.0 / (1.0 + 10.0 * np.abs(x)) ** 2),
    "unsquared": ({"name": "superspike_unsquared", "params": {"beta": 4.0}}, lambda x: 1.0 / (1.0 + 4.0 * np.abs(x))),
    "boxcar": ({"name": "boxcar"}, lambda x: np.where(np.abs(x) < 0.5, 1.0, 0.0)),
    "sigmoid": ({"name": "sigmoid", "params": {"beta": 3.0}},
                lambda x: 3.0 / (1.0 + np.exp(-3.0 * x)) * (1.0 - 1.0 / (1.0 + np.exp(-3.0 * x)))),
    "arctan": ({"name": "arctan"}, lambda x: 1.0 / (np.pi * (1.0 + (2.0 * np.pi * x) ** 2))),
    "tanh": ({"name": "tanh", "params": {"beta": 2.0}}, lambda x: 1.0 / np.cosh(2.0 * x) ** 2),
    "triangular": ({"name": "triangular"}, lambda x: np.maximum(0.0, 1.0 - np.abs(2.0 * x))),
    "ste": ("ste", lambda x: np.ones_like(x)),
}
INPUT_SCALES = {"one": 1.0, "one_minus_decay": 0.25}  # gain g with decay 0.75
DECAY, THRESHOLD = 0.75, 0.5
# one sample's input at t=0; g*x - theta covers negative, zero, positive and the boxcar edges for both gains
X0 = np.array([-1.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0], np.float32)


def _lif_id(name: str, scale: str) -> str:
    return f"{name}-{scale}"


@pytest.fixture(scope="module")
def one_step_program():
    """One LIF per (surrogate, input_scale), each with its own Input and Output: one compile, and the
    gradient of the summed spikes separates per node."""
    nodes, edges = [], []
    for name, (surrogate, _) in SURROGATE_CASES.items():
        for scale in INPUT_SCALES:
            nid = _lif_id(name, scale)
            nodes += [snnir.Input(id=f"x-{nid}", shape=X0.shape),
                      snnir.LIF(id=nid, shape=X0.shape, decay=DECAY, threshold=THRESHOLD, input_scale=scale,
                                surrogate=surrogate, spike_from="post"),
                      snnir.Output(id=f"y-{nid}")]
            edges += [snnir.Edge(f"x-{nid}", nid), snnir.Edge(nid, f"y-{nid}")]
    return snnir.compile(snnir.Graph(nodes=nodes, edges=edges))


def _first_step_spike_sum(prog, state, xs):
    _, ys = prog(state, xs)
    return sum(v[0].sum() for v in ys.values()), ys


def test_spike_gradient_is_gain_times_surrogate(one_step_program):
    prog = one_step_program
    T = 3
    x = np.zeros((T, 2) + X0.shape, np.float32)
    x[0, 0], x[0, 1] = X0, -X0  # a batch of 2; input at t=0 only
    xs = {iid: jnp.asarray(x) for iid in prog.input_ids}
    state = prog.init_state(batch_shape=(2,))

    grads, ys = jax.jit(jax.grad(_first_step_spike_sum, argnums=2, has_aux=True))(prog, state, xs)
    for name, (_, derivative) in SURROGATE_CASES.items():
        for scale, g in INPUT_SCALES.items():
            nid = _lif_id(name, scale)
            z = g * x[0].astype(np.float64) - THRESHOLD  # u - theta at t=0 (v starts at 0)
            np.testing.assert_array_equal(np.asarray(ys[f"y-{nid}"][0]), (z > 0).astype(np.float32), err_msg=nid)
            grad = np.asarray(grads[f"x-{nid}"], np.float64)
            np.testing.assert_allclose(grad[0], g * derivative(z), rtol=1e-5, atol=1e-6, err_msg=nid)
            np.testing.assert_array_equal(grad[1:], 0.0)  # the first step's spikes ignore later inputs


def test_spike_gradient_wrt_threshold_and_decay(one_step_program):
    """dS/dθ = −sg'(u − θ); dS/dβ = 0 at t=0 (v starts at 0) with input_scale one, −x·sg' with 1 − β."""
    prog = one_step_program
    xs = {iid: jnp.asarray(X0[None]) for iid in prog.input_ids}
    state = prog.init_state(batch_shape=())
    grads, _ = jax.jit(jax.grad(_first_step_spike_sum, argnums=0, has_aux=True))(prog, state, xs)
    for name, (_, derivative) in SURROGATE_CASES.items():
        for scale, g in INPUT_SCALES.items():
            nid = _lif_id(name, scale)
            sg = derivative(g * X0.astype(np.float64) - THRESHOLD)
            k = grads.kernels[nid]
            np.testing.assert_allclose(float(k.threshold), -sg.sum(), rtol=1e-5, atol=1e-6, err_msg=nid)
            want_decay = 0.0 if scale == "one" else -(X0 * sg).sum()
            np.testing.assert_allclose(float(k.decay), want_decay, rtol=1e-5, atol=1e-6, err_msg=nid)


# ---------------------------------------------------------------------- a recurrent network trains
@pytest.fixture(scope="module")
def recurrent_program():
    b = snnir.GraphBuilder(key=0)
    x = b.input("x", shape=(3,))
    s = b.lif(b.linear(x, 5, id="inp"), decay=0.9, id="lif")
    b.connect(b.linear(s, 5, id="rec"), s)
    b.output(b.li(b.linear(s, 2, id="readout"), decay=0.8, id="li"), id="y")
    return snnir.compile(b.build())


TRAINABLE = {("inp", "weight"), ("inp", "bias"), ("lif", "decay"), ("rec", "weight"), ("rec", "bias"),
             ("readout", "weight"), ("readout", "bias"), ("li", "decay")}


def test_recurrent_program_marks_a_feedback_edge(recurrent_program):
    assert recurrent_program.feedback_edges == (("rec", "lif"),)


def test_trainable_spec_follows_the_ir(recurrent_program):
    prog = recurrent_program
    assert set(prog.trainable_fields) == TRAINABLE
    spec = prog.trainable()
    assert spec.kernels["lif"].threshold is False
    for nid, field in TRAINABLE:
        assert getattr(spec.kernels[nid], field) is True
    # every array leaf of the program is either trainable (True) or frozen (False)
    flags = jax.tree_util.tree_leaves(spec)
    assert all(isinstance(f, bool) for f in flags)
    assert sum(flags) == len(TRAINABLE)
    diff, static = eqx.partition(prog, spec)
    assert diff.kernels["lif"].threshold is None
    assert static.kernels["lif"].threshold is not None
    assert static.kernels["inp"].weight is None


def test_trainable_flags_change_the_spec():
    b = snnir.GraphBuilder(key=1)
    x = b.input("x", shape=(2,))
    s = b.lif(b.linear(x, 3, id="inp", trainable={"bias": False}), decay=0.5, id="lif",
              trainable=("decay", "threshold"))
    b.output(s)
    prog = snnir.compile(b.build())
    spec = prog.trainable()
    assert spec.kernels["lif"].threshold is True and spec.kernels["lif"].decay is True
    assert spec.kernels["inp"].weight is True and spec.kernels["inp"].bias is False


def test_every_trainable_parameter_gets_a_gradient(recurrent_program):
    prog = recurrent_program
    rng = np.random.default_rng(1)
    xs = jnp.asarray(2.0 * rng.standard_normal((12, 3, 3)), jnp.float32)
    target = jnp.asarray(rng.standard_normal((12, 3, 2)), jnp.float32)
    diff, static = eqx.partition(prog, prog.trainable())

    @eqx.filter_jit
    @eqx.filter_value_and_grad(has_aux=True)
    def loss_and_grad(diff, static, xs):
        p = eqx.combine(diff, static)
        _, traces = p.trace(p.init_state((3,)), xs, nodes=["lif", "y"])
        return jnp.mean((traces["y"] - target) ** 2), traces["lif"].sum()

    (loss, n_spikes), grads = loss_and_grad(diff, static, xs)
    assert 0 < float(n_spikes) < 12 * 3 * 5, "the test needs some (not all) neurons to spike"
    assert grads.kernels["lif"].threshold is None
    for nid, field in sorted(TRAINABLE):
        g = getattr(grads.kernels[nid], field)
        assert g is not None, (nid, field)
        assert g.shape == getattr(prog.kernels[nid], field).shape
        assert g.dtype == jnp.float32
        assert bool(jnp.all(jnp.isfinite(g))), (nid, field)
        assert bool(jnp.any(g != 0)), f"{nid}.{field} got an all-zero gradient"

    # the gradient is usable: one small step lowers the loss (same shapes: no new compile)
    stepped = jax.tree_util.tree_map(lambda p, g: p - 1e-2 * g, diff, grads)
    (loss_after, _), _ = loss_and_grad(stepped, static, xs)
    assert float(loss_after) < float(loss)


# ---------------------------------------------------------------------- finite differences (float64)
def _fd_check(prog, xs, loss_of_outputs, eps=1e-6, rtol=1e-6):
    """Compare jax.grad with central differences, per parameter coordinate and along input directions.

    Everything runs in one jitted function (the differences vmapped), so the check costs one compile."""
    diff, static = eqx.partition(prog, prog.trainable())
    flat, unravel = ravel_pytree(diff)
    assert flat.dtype == jnp.float64 and flat.size > 0
    dirs = jnp.asarray(np.random.default_rng(100).standard_normal((3,) + xs.shape))

    def loss(flat, xs):
        p = eqx.combine(unravel(flat), static)
        _, ys = p(p.init_state(batch_shape=xs.shape[1:2]), xs)
        return loss_of_outputs(ys)

    @jax.jit
    def check(flat, xs, dirs):
        g_params, g_inputs = jax.grad(loss, argnums=(0, 1))(flat, xs)
        step = eps * jnp.eye(flat.size, dtype=flat.dtype)
        on_params = jax.vmap(loss, in_axes=(0, None))
        fd_params = (on_params(flat + step, xs) - on_params(flat - step, xs)) / (2 * eps)
        on_inputs = jax.vmap(loss, in_axes=(None, 0))
        fd_inputs = (on_inputs(flat, xs + eps * dirs) - on_inputs(flat, xs - eps * dirs)) / (2 * eps)
        along = jax.vmap(lambda d: jnp.vdot(g_inputs, d))(dirs)
        return g_params, g_inputs, fd_params, along, fd_inputs

    g_params, g_inputs, fd_params, along, fd_inputs = check(flat, xs, dirs)
    assert g_params.dtype == jnp.float64 and g_inputs.dtype == jnp.float64
    scale = float(jnp.abs(fd_params).max())
    assert scale > 0
    np.testing.assert_allclose(np.asarray(g_params), np.asarray(fd_params), rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(np.asarray(along), np.asarray(fd_inputs), rtol=rtol)
    return g_params


def _weighted_loss(out_id, seed):
    def loss(ys):
        y = ys[out_id]
        w = jnp.asarray(np.random.default_rng(seed).standard_normal(y.shape), y.dtype)
        return jnp.sum(w * y) + 0.5 * jnp.sum(y ** 2)
    return loss


def test_finite_differences_linear_scale_li():
    b = snnir.GraphBuilder(key=3)
    x = b.input("x", shape=(3,))
    h = b.scale(b.linear(x, 4, id="lin"), np.array([0.5, -1.25, 2.0, 0.75]), id="scale")
    b.output(b.li(h, decay=np.array([0.6, 0.8, 0.9, 0.95]), id="li"), id="y")
    graph = b.build().astype("float64")
    with jax.enable_x64(True):
        prog = snnir.compile(graph)
        assert prog.dtype == "float64"
        xs = jnp.asarray(np.random.default_rng(4).standard_normal((8, 2, 3)))
        _fd_check(prog, xs, _weighted_loss("y", 5))


def test_finite_differences_li_with_delays_and_a_delayed_loop():
    b = snnir.GraphBuilder(key=6)
    x = b.input("x", shape=(3,))
    lin = b.linear(x, 3, id="lin")
    d = b.delay(lin, np.array([0, 1, 2]), id="delay")
    li = b.add(snnir.LI(id="li", shape=(3,), decay=np.array([0.5, 0.7, 0.9], np.float32),
                        input_scale="one_minus_decay"), d, delay=1)
    back = b.scale(li, np.array([0.3, -0.2, 0.1]), id="back")
    b.connect(back, li, delay=2)  # a loop closed by an edge delay: no feedback mark needed, no spikes
    li2 = b.li(b.linear(li, 2, id="lin2"), decay=0.75, id="li2")
    b.connect(li2, "y", delay=1)
    b.add(snnir.Output(id="y"))
    graph = b.build().astype("float64")
    with jax.enable_x64(True):
        prog = snnir.compile(graph)
        xs = jnp.asarray(np.random.default_rng(7).standard_normal((10, 2, 3)))
        grads = _fd_check(prog, xs, _weighted_loss("y", 8))
        assert bool(jnp.all(grads != 0))


# ---------------------------------------------------------------------- detach_reset
@pytest.fixture(scope="module")
def reset_program():
    """Four LIFs fed by the same input: reset subtract/zero x detach_reset True/False."""
    nodes, edges = [snnir.Input(id="x", shape=(2,))], []
    for reset in ("subtract", "zero"):
        for detach in (True, False):
            nid = f"{reset}-{'det' if detach else 'live'}"
            nodes += [snnir.LIF(id=nid, shape=(2,), decay=0.5, threshold=1.0, reset=reset, detach_reset=detach),
                      snnir.Output(id=f"y-{nid}")]
            edges += [snnir.Edge("x", nid), snnir.Edge(nid, f"y-{nid}")]
    return snnir.compile(snnir.Graph(nodes=nodes, edges=edges))


def _superspike_grad(z):
    return 1.0 / (1.0 + 10.0 * np.abs(z)) ** 2


def test_detach_reset_changes_the_gradient_by_the_formula(reset_program):
    """Two steps, β=0.5, θ=1, g=1: x0 makes a spike (u0 > θ), x1 does not; S1 depends on x0 through the reset."""
    prog = reset_program
    x0 = np.array([1.25, 1.5], np.float32)
    x1 = np.array([0.5, 0.25], np.float32)
    xs = jnp.stack([jnp.asarray(x0), jnp.asarray(x1)])
    state = prog.init_state(batch_shape=())

    def second_spikes(xs):
        _, ys = prog(state, xs)
        return {k: v[1].sum() for k, v in ys.items()}, ys

    jac, ys = jax.jacrev(second_spikes, has_aux=True)(xs)
    u0 = x0.astype(np.float64)
    sg0 = _superspike_grad(u0 - 1.0)
    dv0 = {  # d v0 / d x0 after the reset
        "subtract-det": np.ones(2), "subtract-live": 1.0 - 1.0 * sg0,
        "zero-det": np.ones(2), "zero-live": -u0 * sg0,  # v0 = u0 (1 - s0), s0 = 1
    }
    v0 = {"subtract": u0 - 1.0, "zero": np.zeros(2)}
    for nid, dv in dv0.items():
        reset = nid.split("-")[0]
        u1 = 0.5 * v0[reset] + x1
        out = f"y-{nid}"
        np.testing.assert_array_equal(np.asarray(ys[out][0]), [1.0, 1.0])
        np.testing.assert_array_equal(np.asarray(ys[out][1]), (u1 > 1.0).astype(np.float32))
        np.testing.assert_allclose(np.asarray(jac[out][0], np.float64), _superspike_grad(u1 - 1.0) * 0.5 * dv,
                                   rtol=1e-5, err_msg=nid)


def test_detach_reset_acts_on_gradient_not_forward(reset_program):
    prog = reset_program
    xs = jnp.asarray(np.abs(np.random.default_rng(9).standard_normal((10, 3, 2))) * 1.5, jnp.float32)
    state = prog.init_state(batch_shape=(3,))

    def losses(p, xs):
        _, ys = p(state, xs)
        weights = jnp.arange(1, xs.shape[0] + 1, dtype=jnp.float32)[:, None, None]
        return {k: jnp.sum(weights * v) for k, v in ys.items()}, ys

    jac, ys = jax.jit(jax.jacrev(losses, argnums=(0, 1), has_aux=True))(prog, xs)
    for reset in ("subtract", "zero"):
        det, live = f"{reset}-det", f"{reset}-live"
        spikes = np.asarray(ys[f"y-{det}"])
        assert spikes[:-1].sum() > 0, "the neuron must spike (and reset) before the last step"
        np.testing.assert_array_equal(spikes, np.asarray(ys[f"y-{live}"]))  # the forward is identical
        gx_det, gx_live = np.asarray(jac[f"y-{det}"][1]), np.asarray(jac[f"y-{live}"][1])
        assert np.all(np.isfinite(gx_det)) and np.all(np.isfinite(gx_live))
        assert not np.allclose(gx_det, gx_live, rtol=1e-3, atol=1e-6), reset
        gd_det = float(jac[f"y-{det}"][0].kernels[det].decay)
        gd_live = float(jac[f"y-{live}"][0].kernels[live].decay)
        assert np.isfinite(gd_det) and np.isfinite(gd_live) and gd_det != gd_live, reset
