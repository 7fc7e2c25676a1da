"""Dropout: a fresh, reproducible mask every step; identity in inference; a typed error without a key."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import snnir

P = 0.25
XS = jnp.ones((6, 2, 4000))


def graph(p=P):
    return snnir.Graph(nodes=[snnir.Input(id="x", shape=(4000,)), snnir.Dropout(id="d", p=p), snnir.Output(id="y")],
                       edges=[("x", "d"), ("d", "y")])


@pytest.fixture(scope="module", params=["fused-scan", "layered"])
def prog(request):
    return snnir.compile(graph(), strategy=request.param)


def run(prog, xs=XS, key=0, state=None):
    state = prog.init_state((2,)) if state is None else state
    return prog(state, xs, key=None if key is None else jax.random.key(key))


def test_drops_at_rate_p_and_rescales_the_rest(prog):
    y = np.asarray(run(prog)[1]["y"])
    assert set(np.unique(y)) == {0.0, np.float32(1 / (1 - P))}
    assert abs((y == 0).mean() - P) < 0.01


def test_masks_differ_between_steps_and_samples_but_repeat_with_the_key(prog):
    y = np.asarray(run(prog)[1]["y"])
    assert (y[0] != y[1]).any() and (y[:, 0] != y[:, 1]).any()
    np.testing.assert_array_equal(y, run(prog)[1]["y"])
    assert (y != np.asarray(run(prog, key=1)[1]["y"])).any()


def test_chunked_calls_draw_the_same_masks(prog):
    whole = run(prog)[1]["y"]
    state, first = run(prog, XS[:2])
    _, second = run(prog, XS[2:], state=state)
    np.testing.assert_array_equal(np.concatenate([first["y"], second["y"]]), whole)


def test_strategies_draw_the_same_masks():
    a = run(snnir.compile(graph(), strategy="fused-scan"))[1]["y"]
    b = run(snnir.compile(graph(), strategy="layered"))[1]["y"]
    np.testing.assert_array_equal(a, b)


def test_inference_mode_and_p_zero_are_the_identity(prog):
    _, y = run(eqx.nn.inference_mode(prog), key=None)
    np.testing.assert_array_equal(y["y"], XS)
    _, y = run(snnir.compile(graph(p=0.0)), key=None)
    np.testing.assert_array_equal(y["y"], XS)


def test_training_without_a_key_is_a_typed_error(prog):
    with pytest.raises(snnir.SnnirError, match="'d' needs a key"):
        run(prog, key=None)


def test_p_is_checked():
    with pytest.raises(snnir.InvalidIRError):
        snnir.Dropout(id="d", p=1.0)
