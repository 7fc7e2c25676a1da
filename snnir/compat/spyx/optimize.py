"""Spyx 1.0's ``spyx.optimize``: training loops for Flax NNX models, with Spyx's signatures and numbers.

* ``make_train_step(loss_fn)``: ``step(model, optimizer, *batch) -> loss``, one ``nnx.jit``-ed update
  (``nnx.value_and_grad`` of ``loss_fn(model, *batch)``, then ``optimizer.update(model, grads)``);
* ``make_eval_step(metric_fn)``: ``step(model, *batch) -> metric_fn(model, *batch)``, jitted;
* ``fit(model, tx, loss_fn, train_iter, *, epochs, eval_iter, eval_fn, on_epoch_end)``: the Python epoch
  loop; ``train_iter()`` / ``eval_iter()`` give a fresh iterable of batches each epoch; returns a list of
  per-epoch dicts (``train_loss``, and ``eval_acc`` / ``eval_loss`` with evaluation);
* ``compile_fit(model, solver, loss_fn, train_data, *, epochs, eval_data, metric_fn, key)``: the whole
  run as one ``jax.jit`` (a ``lax.scan`` over epochs of a ``lax.scan`` over the staged batches
  ``[n_batches, batch, ...]``); ``solver`` is an optax transformation or a :func:`backprop`-style
  builder; returns ``(trained_model, {"train_loss": [epochs], "eval_metric": [epochs]})``.

They work on any NNX model; with snnir.compat.spyx layers each step runs one compiled snnir program.
:func:`snnir.train.fit` is snnir's own loop for compiled programs (validation, early stopping, burn-in).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, NamedTuple

import jax
import jax.numpy as jnp
import optax

from ._base import nnx

__all__ = ["fit", "compile_fit", "backprop", "SolverImpl", "Solver", "make_train_step", "make_eval_step", "History"]

History = list[dict[str, float]]


def make_train_step(loss_fn: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    """A jitted ``step(model, optimizer, *loss_args) -> loss`` that updates model and optimizer in place."""

    @nnx.jit
    def step(model, optimizer, *loss_args):
        loss, grads = nnx.value_and_grad(lambda m: loss_fn(m, *loss_args))(model)
        optimizer.update(model, grads)
        return loss

    return step


def make_eval_step(metric_fn: Callable[..., Any]) -> Callable[..., Any]:
    """A jitted ``step(model, *metric_args) -> metric_fn(model, *metric_args)`` (usually (accuracy, loss))."""

    @nnx.jit
    def step(model, *metric_args):
        return metric_fn(model, *metric_args)

    return step


def _mean(values: list, kind: str, epoch: int) -> float:
    if not values:  # an empty epoch (e.g. batch_size > dataset with drop_remainder)
        raise RuntimeError(f"fit(): {kind}_iter() yielded no batches at epoch {epoch}. Check that batch_size <= "
                           "dataset size and drop_remainder=False if you want partial trailing batches.")
    return float(jnp.mean(jnp.stack(values)))


def _as_args(batch: Any) -> tuple:
    return batch if isinstance(batch, tuple) else (batch,)


def fit(model: Any, tx: optax.GradientTransformation, loss_fn: Callable[..., jax.Array],
        train_iter: Callable[[], Iterable[Any]], *, epochs: int,
        eval_iter: Callable[[], Iterable[Any]] | None = None, eval_fn: Callable[..., Any] | None = None,
        on_epoch_end: Callable[[int, dict[str, float]], None] | None = None) -> History:
    """Train ``model`` in place for ``epochs`` passes over ``train_iter()``; optionally evaluate with
    ``eval_fn(model, *batch) -> (accuracy, loss)`` over ``eval_iter()`` after each epoch."""
    optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
    train_step = make_train_step(loss_fn)
    eval_step = make_eval_step(eval_fn) if eval_fn is not None else None
    history: History = []
    for epoch in range(epochs):
        losses = [train_step(model, optimizer, *_as_args(batch)) for batch in train_iter()]
        metrics = {"train_loss": _mean(losses, "train", epoch)}
        if eval_iter is not None and eval_step is not None:
            scores = [eval_step(model, *_as_args(batch)) for batch in eval_iter()]
            metrics["eval_acc"] = _mean([acc for acc, _ in scores], "eval", epoch)
            metrics["eval_loss"] = _mean([loss for _, loss in scores], "eval", epoch)
        history.append(metrics)
        if on_epoch_end is not None:
            on_epoch_end(epoch, metrics)
    return history


class SolverImpl(NamedTuple):
    """What a solver gives :func:`compile_fit`: ``init(key) -> state``, ``step(state, batch, key) ->
    (state, metric)``, ``get_params(state) -> params``."""

    init: Callable[[jax.Array], Any]
    step: Callable[[Any, tuple, jax.Array], tuple[Any, jax.Array]]
    get_params: Callable[[Any], Any]


#: a solver builder: ``(loss_flat(params, batch), params0) -> SolverImpl``
Solver = Callable[[Callable[[Any, tuple], jax.Array], Any], SolverImpl]


def backprop(tx: optax.GradientTransformation) -> Solver:
    """Gradient descent as a :data:`Solver`: ``value_and_grad`` and an optax update."""

    def build(loss_flat, params0):
        def init(key):
            return params0, tx.init(params0)

        def step(state, batch, key):
            params, opt_state = state
            loss, grads = jax.value_and_grad(lambda p: loss_flat(p, batch))(params)
            updates, opt_state = tx.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), loss

        return SolverImpl(init, step, lambda state: state[0])

    return build


def compile_fit(model: Any, solver: Solver | optax.GradientTransformation, loss_fn: Callable[..., jax.Array],
                train_data: tuple, *, epochs: int, eval_data: tuple | None = None,
                metric_fn: Callable[..., jax.Array] | None = None, key: jax.Array | None = None):
    """The whole training run under one ``jax.jit``; returns ``(trained_model, history)``."""
    if eval_data is not None and metric_fn is None:
        raise ValueError("metric_fn is required when eval_data is given")
    graphdef, params0, rest = nnx.split(model, nnx.Param, ...)

    def loss_flat(params, batch):
        return loss_fn(nnx.merge(graphdef, params, rest), *batch)

    impl = (backprop(solver) if isinstance(solver, optax.GradientTransformation) else solver)(loss_flat, params0)

    @jax.jit
    def run(key):
        k_init, k_run = jax.random.split(key)

        def batch_step(carry, batch):
            state, key = carry
            key, sub = jax.random.split(key)
            state, metric = impl.step(state, batch, sub)
            return (state, key), metric

        def epoch_step(carry, _):
            carry, metrics = jax.lax.scan(batch_step, carry, train_data)
            record = {"train_loss": jnp.mean(metrics)}
            if eval_data is not None:
                scored = nnx.merge(graphdef, impl.get_params(carry[0]), rest)
                record["eval_metric"] = jnp.mean(jax.vmap(lambda *b: metric_fn(scored, *b))(*eval_data))
            return carry, record

        (final, _), history = jax.lax.scan(epoch_step, (impl.init(k_init), k_run), None, length=epochs)
        return impl.get_params(final), history

    params, history = run(jax.random.PRNGKey(0) if key is None else key)
    return nnx.merge(graphdef, params, rest), history
