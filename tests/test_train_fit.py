"""snnir.train.fit: it learns, trains only what the IR marks trainable, keeps decays valid, honours
burn-in, early stopping and gradient clipping, and is deterministic."""

from __future__ import annotations

import functools
import io
import sys

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import tqdm

import snnir
import snnir.train as st

pytestmark = pytest.mark.standard_promotion  # optax's optimisers promote their step counts implicitly

T, C = 12, 6


def _task(n=96, seed=0):
    """Two classes: class k fires channels 3k..3k+2 often; rate-coded, sample-major [N, T, C]."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    rates = np.full((n, C), 0.05)
    for i, k in enumerate(labels):
        rates[i, 3 * k:3 * k + 3] = 0.6
    xs = (rng.uniform(size=(n, T, C)) < rates[:, None, :]).astype(np.float32)
    return jnp.asarray(xs), jnp.asarray(labels)


def _program(decay=0.8, seed=0):
    b = snnir.GraphBuilder(key=seed)
    x = b.input("x", shape=(C,))
    h = b.lif(b.linear(x, 16, id="fc1"), decay=0.9, id="lif")
    b.output(b.li(b.linear(h, 2, id="fc2"), decay=decay, id="readout"), id="y")
    return snnir.compile(b.build())


def loss(ys, labels):
    return st.integral_cross_entropy(ys["y"], labels)


def accuracy(ys, labels):
    return st.integral_accuracy(ys["y"], labels)


def test_fit_learns_a_separable_task_and_reports_every_epoch():
    xs, ys = _task()
    lines = []
    prog, history = st.fit(_program(), (xs, ys), loss, optax.adam(2e-2), epochs=6, batch_size=16,
                           validation=_task(48, seed=1), metrics={"accuracy": accuracy}, log=lines.append)
    assert len(history.loss) == 6 and len(history.step_loss) == 6 * (96 // 16) and len(lines) == 6
    assert history.loss[-1] < history.loss[0]
    assert history.val_metrics["accuracy"][-1] >= 0.9
    assert lines[0].startswith("epoch 1/6  loss ") and "accuracy" in lines[0]
    assert st.evaluate(prog, _task(48, seed=1), metrics={"accuracy": accuracy})["accuracy"] >= 0.9


def test_only_trainable_parameters_move_and_decays_stay_valid():
    xs, ys = _task()
    before = _program()
    # a huge learning rate pushes the readout decay far outside [0, 1]; the projection keeps it there
    prog, _ = st.fit(before, (xs, ys), loss, optax.sgd(50.0), epochs=2, batch_size=16, progress=False)
    graph = prog.to_graph()
    decay = np.asarray(graph.node("readout").decay)
    assert 0.0 <= decay.min() and decay.max() <= 1.0
    assert float(graph.node("lif").threshold) == float(before.to_graph().node("lif").threshold)
    assert not np.array_equal(graph.node("fc1").weight, before.to_graph().node("fc1").weight)
    snnir.verify(graph)  # a trained program always saves and reloads
    assert st.decay_bounds(before) == [("lif", "decay"), ("readout", "decay")]


def test_fit_is_deterministic_for_a_key_and_shuffles_with_it():
    xs, ys = _task()
    run = lambda key: st.fit(_program(), (xs, ys), loss, optax.adam(1e-2), epochs=2, batch_size=16,  # noqa: E731
                             key=key, progress=False)[1].step_loss
    assert run(3) == run(3)
    assert run(3) != run(4)


def test_burn_in_steps_carry_no_gradient_and_no_loss():
    xs, ys = _task(32)
    prog = _program()
    params, static = eqx.partition(prog, prog.trainable())

    def by_hand(p, k):
        model = eqx.combine(p, static)
        state = model.init_state((32,))
        state, _ = model(state, jnp.swapaxes(xs, 0, 1)[:k])
        _, out = model(jax.lax.stop_gradient(state), jnp.swapaxes(xs, 0, 1)[k:])
        return loss(out, ys)

    tx = optax.sgd(0.1)
    fitted, history = st.fit(prog, (xs, ys), loss, tx, epochs=1, batch_size=32, shuffle=False, burn_in=4,
                             progress=False)
    grads = jax.grad(by_hand)(params, 4)
    expected = eqx.apply_updates(params, jax.tree_util.tree_map(lambda g: -0.1 * g, grads))
    got = eqx.partition(fitted, fitted.trainable())[0]
    np.testing.assert_allclose(np.asarray(got.kernels["fc1"].weight), np.asarray(expected.kernels["fc1"].weight),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history.step_loss[0], float(by_hand(params, 4)), rtol=1e-5)


def test_early_stopping_keeps_the_best_epoch():
    xs, ys = _task()
    # a learning rate of 0 never improves the loss: training stops after `patience` epochs
    prog, history = st.fit(_program(), (xs, ys), loss, optax.sgd(0.0), epochs=10, batch_size=16, patience=2,
                           progress=False)
    assert history.stopped_early and len(history.loss) == 3 and history.best_epoch == 0


def test_gradient_clipping_bounds_the_update():
    xs, ys = _task(32)
    prog = _program()
    fitted, _ = st.fit(prog, (xs, ys), loss, optax.sgd(1.0), epochs=1, batch_size=32, shuffle=False,
                       clip_grad_norm=1e-3, progress=False)
    before = eqx.partition(prog, prog.trainable())[0]
    after = eqx.partition(fitted, fitted.trainable())[0]
    step = jax.tree_util.tree_leaves(jax.tree_util.tree_map(lambda a, b: a - b, after, before))
    assert float(jnp.sqrt(sum(jnp.sum(s ** 2) for s in step))) <= 1e-3 * (1 + 1e-4)


def test_bad_data_is_named():
    xs, ys = _task(32)
    with pytest.raises(snnir.ShapeError, match="same number of samples"):
        st.fit(_program(), (xs, ys[:10]), loss, optax.sgd(0.1), progress=False)
    with pytest.raises(snnir.ShapeError, match="larger than the dataset"):
        st.fit(_program(), (xs, ys), loss, optax.sgd(0.1), batch_size=64, progress=False)
    with pytest.raises(snnir.InvalidArgumentsError, match="burn_in"):
        st.fit(_program(), (xs, ys), loss, optax.sgd(0.1), burn_in=T, progress=False)


def test_evaluating_every_epoch_compiles_the_scores_once():
    xs, ys = _task(48)
    traced = []

    def counting_accuracy(out, labels):
        traced.append(1)  # runs only while tracing
        return accuracy(out, labels)

    st.fit(_program(), (xs, ys), loss, optax.adam(1e-2), epochs=3, batch_size=16, validation=(xs, ys),
           metrics={"accuracy": counting_accuracy}, progress=False)
    assert len(traced) == 1


def test_progress_off_a_terminal_prints_only_the_epoch_lines(capsys):
    xs, ys = _task(32)
    st.fit(_program(), (xs, ys), loss, optax.adam(1e-2), epochs=2, batch_size=16)
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 2 and lines[1].startswith("epoch 2/2  loss ") and "\r" not in err and "batch" not in err
    st.fit(_program(), (xs, ys), loss, optax.adam(1e-2), epochs=2, batch_size=16, progress=False)
    assert capsys.readouterr().err == ""


def test_progress_on_a_terminal_shows_a_bar_with_the_running_loss(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    # redraw at every step, so what the bar shows does not depend on how long a step takes
    monkeypatch.setattr(sys.modules["snnir.train.fit"], "tqdm", functools.partial(tqdm.tqdm, mininterval=0))
    lines = []
    xs, ys = _task(32)
    st.fit(_program(), (xs, ys), loss, optax.adam(1e-2), epochs=1, batch_size=16, log=lines.append)
    shown = terminal.getvalue()
    assert "epoch 1/1" in shown and "2/2" in shown and "loss=" in shown     # the bar, with its postfix
    assert len(lines) == 1 and lines[0].startswith("epoch 1/1  loss ")       # the summary still goes to log
