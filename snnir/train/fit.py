"""``fit``: the training loop around a compiled program, for people who would rather not write one.

    prog, history = snnir.train.fit(prog, (inputs, labels), loss, optax.adam(1e-3), epochs=10,
                                    batch_size=32, validation=(val_inputs, val_labels),
                                    metrics={"accuracy": accuracy})

``inputs`` are sample-major like a dataset, [N, T, *shape] (a dict of them for a program with several
inputs); each batch is fed to the program time-major. ``loss(ys, targets)`` receives the program's
output dict (``{output_id: [T', B, ...]}``, without the burn-in steps) and the batch's targets. Only what
``prog.trainable()`` marks trains (weights, biases and decays by default; never a threshold unless the
graph says so), and after every update each decay without a ``decay_clamp`` is projected back onto
[0, 1], the range the IR accepts, so a trained program always saves and reloads (projected gradient
descent; a clamped decay may be stored anywhere, the forward pass clips it).

One step, as compiled (B the batch, K = ``burn_in``):
    s_K = sg(state after running steps 0..K−1 from rest)        (no gradient through the burn-in)
    ys  = outputs of steps K..T−1 from s_K
    θ  ← Π(θ − update(∇θ loss(ys, y)))                           (optax; Π the projection above)
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from snnir.errors import InvalidArgumentsError, ShapeError

from ._checks import check_positive_int

__all__ = ["fit", "evaluate", "History", "keep_in_range", "decay_bounds"]


@dataclass
class History:
    """What ``fit`` saw: per-epoch means (``loss``, ``val_loss``, ``metrics[name]``, ``val_metrics[name]``),
    every step's loss, the epoch whose parameters were kept, and whether early stopping ended the run."""

    loss: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_metrics: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int | None = None
    stopped_early: bool = False
    seconds: list[float] = field(default_factory=list)


# ---------------------------------------------------------------------------------- parameter ranges
def decay_bounds(prog: Any) -> list[tuple[str, str]]:
    """(node id, kernel field) of every trainable decay that must stay in [0, 1] (no ``decay_clamp``)."""
    import json

    from snnir.ir import node_kinds

    nodes = {n["id"]: n for n in json.loads(prog.graph_template)["nodes"]}
    trainable = set(prog.trainable_fields)
    bounded = []
    for nid, ir_field, kernel_field, _dtype in prog.param_map:
        node = nodes.get(nid, {})
        kind = node_kinds().get(node.get("kind"))
        if kind is None or (nid, ir_field) not in trainable:
            continue
        if ir_field in getattr(kind, "DECAYS", ()) and node.get("decay_clamp") is None:
            bounded.append((nid, kernel_field))
    return bounded


def keep_in_range(params: Any, bounds: list[tuple[str, str]]) -> Any:
    """``params`` (a partition of a program) with each bounded decay clipped onto [0, 1]."""
    leaves = [(nid, f) for nid, f in bounds if getattr(params.kernels[nid], f, None) is not None]
    if not leaves:
        return params
    get = lambda p: [getattr(p.kernels[nid], f) for nid, f in leaves]  # noqa: E731
    return eqx.tree_at(get, params, [jnp.clip(v, 0.0, 1.0) for v in get(params)])


# -------------------------------------------------------------------------------------------- data
def _samples(data: Any, what: str) -> tuple[Any, jax.Array, int]:
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise InvalidArgumentsError(f"fit: {what} must be a pair (inputs, targets)"
                                    "\n  hint: pass (xs, ys) with xs [N, T, ...] and ys [N, ...]")
    inputs, targets = data
    inputs = jax.tree_util.tree_map(jnp.asarray, inputs)
    targets = jnp.asarray(targets)
    counts = {int(jnp.shape(x)[0]) for x in jax.tree_util.tree_leaves(inputs) if jnp.ndim(x) >= 2}
    if len(counts) != 1 or jnp.ndim(targets) < 1 or targets.shape[0] not in counts:
        shapes = [tuple(jnp.shape(x)) for x in jax.tree_util.tree_leaves(inputs)]
        raise ShapeError(f"fit: {what} inputs {shapes} and targets {tuple(jnp.shape(targets))} do not hold the "
                         "same number of samples on their first axis"
                         "\n  hint: inputs are sample-major [N, T, ...] and targets [N, ...]")
    return inputs, targets, counts.pop()


def _batch(inputs: Any, targets: jax.Array, index: jax.Array) -> tuple[Any, jax.Array]:
    """One batch, inputs time-major [T, B, ...]."""
    xs = jax.tree_util.tree_map(lambda x: jnp.swapaxes(x[index], 0, 1), inputs)
    return xs, targets[index]


# ------------------------------------------------------------------------------------------- steps
def _outputs(prog: Any, xs: Any, burn_in: int) -> dict:
    """The program's outputs after ``burn_in`` steps run without gradient, from rest."""
    batch = int(jnp.shape(jax.tree_util.tree_leaves(xs)[0])[1])
    state = prog.init_state((batch,))
    if burn_in:
        head = jax.tree_util.tree_map(lambda x: x[:burn_in], xs)
        state, _ = prog(state, head)
        state = jax.lax.stop_gradient(state)
        xs = jax.tree_util.tree_map(lambda x: x[burn_in:], xs)
    return prog(state, xs)[1]


def _make_step(static: Any, loss: Callable, tx: optax.GradientTransformation, burn_in: int, bounds):
    @eqx.filter_jit
    def step(params, opt_state, xs, ys):
        def objective(p):
            return loss(_outputs(eqx.combine(p, static), xs, burn_in), ys)

        value, grads = eqx.filter_value_and_grad(objective)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = keep_in_range(eqx.apply_updates(params, updates), bounds)
        return params, opt_state, value

    return step


def evaluate(prog: Any, data: Any, loss: Callable | None = None, metrics: Mapping[str, Callable] | None = None, *,
             batch_size: int = 256, burn_in: int = 0) -> dict[str, float]:
    """Mean ``loss`` and ``metrics`` (each ``fn(ys, targets) -> scalar``) over ``data`` = (inputs, targets),
    weighted by batch size (the last batch may be smaller)."""
    inputs, targets, n = _samples(data, "data")
    fns = tuple(({"loss": loss} if loss is not None else {}).items()) + tuple((metrics or {}).items())
    totals = {name: 0.0 for name, _ in fns}
    for start in range(0, n, batch_size):
        index = jnp.arange(start, min(start + batch_size, n))
        xs, ys = _batch(inputs, targets, index)
        for name, value in _scores(prog, xs, ys, fns, int(burn_in)).items():
            totals[name] += float(value) * int(index.shape[0])
    return {name: total / n for name, total in totals.items()}


@eqx.filter_jit
def _scores(prog, xs, ys, fns, burn_in: int) -> dict:
    """Every (name, fn) of ``fns`` on one batch; at module level, so that evaluating each epoch with
    the same functions reuses one compilation."""
    out = _outputs(prog, xs, burn_in)
    return {name: fn(out, ys) for name, fn in fns}


def fit(prog: Any, data: Any, loss: Callable, optimizer: optax.GradientTransformation, *, epochs: int = 1,
        batch_size: int = 32, shuffle: bool = True, key: Any = 0, validation: Any = None,
        metrics: Mapping[str, Callable] | None = None, patience: int | None = None, min_delta: float = 0.0,
        burn_in: int = 0, clip_grad_norm: float | None = None, progress: bool = True,
        log: Callable[[str], None] | None = None) -> tuple[Any, History]:
    """Train ``prog`` on ``data`` = (inputs [N, T, ...], targets [N, ...]); returns ``(trained_prog, history)``.

    Each epoch shuffles (``key``: an int or a JAX key; ``shuffle=False`` keeps the order), runs the
    compiled step on every full batch, then scores ``validation`` (loss and ``metrics``) if given. With
    ``patience``, training stops after that many epochs without the monitored loss (validation loss, or
    training loss without validation) improving by more than ``min_delta``, and the best epoch's
    parameters are returned. ``burn_in`` steps at the start of every sequence run without gradient and
    are left out of the loss. ``clip_grad_norm`` clips the global gradient norm before ``optimizer``.
    ``progress`` prints one line per epoch (to ``log``, default stderr).
    """
    epochs = check_positive_int(epochs, "epochs", "fit")
    batch_size = check_positive_int(batch_size, "batch_size", "fit")
    inputs, targets, n = _samples(data, "data")
    if n < batch_size:
        raise ShapeError(f"fit: batch_size={batch_size} is larger than the dataset ({n} samples)"
                         "\n  hint: use a smaller batch_size")
    steps = int(jnp.shape(jax.tree_util.tree_leaves(inputs)[0])[1])
    if not 0 <= int(burn_in) < steps:
        raise InvalidArgumentsError(f"fit: burn_in={burn_in} leaves no step of the {steps} to learn from"
                                    f"\n  hint: use 0 <= burn_in < {steps}")
    if validation is not None:
        _samples(validation, "validation")
    tx = optimizer if clip_grad_norm is None else optax.chain(optax.clip_by_global_norm(clip_grad_norm), optimizer)
    params, static = eqx.partition(prog, prog.trainable())
    opt_state = tx.init(params)
    bounds = decay_bounds(prog)
    params = keep_in_range(params, bounds)
    step = _make_step(static, loss, tx, int(burn_in), bounds)
    key = jax.random.key(key) if isinstance(key, (int, np.integer)) else key
    emit = log or (lambda line: print(line, file=sys.stderr, flush=True))

    history = History(val_metrics={name: [] for name in (metrics or {})})
    best, best_params, waited = np.inf, params, 0
    for epoch in range(epochs):
        started = time.perf_counter()
        order = jax.random.permutation(jax.random.fold_in(key, epoch), n) if shuffle else jnp.arange(n)
        losses = []
        for b in range(n // batch_size):
            xs, ys = _batch(inputs, targets, order[b * batch_size:(b + 1) * batch_size])
            params, opt_state, value = step(params, opt_state, xs, ys)
            losses.append(float(value))
        history.step_loss.extend(losses)
        history.loss.append(float(np.mean(losses)))
        monitored = history.loss[-1]
        line = f"epoch {epoch + 1}/{epochs}  loss {history.loss[-1]:.4f}"
        if validation is not None:
            scores = evaluate(eqx.combine(params, static), validation, loss, metrics, batch_size=batch_size,
                              burn_in=int(burn_in))
            history.val_loss.append(scores.pop("loss"))
            monitored = history.val_loss[-1]
            line += f"  val_loss {monitored:.4f}"
            for name, value in scores.items():
                history.val_metrics[name].append(value)
                line += f"  {name} {value:.4f}"
        history.seconds.append(time.perf_counter() - started)
        if progress:
            emit(line + f"  ({history.seconds[-1]:.1f} s)")
        if monitored < best - min_delta:
            best, best_params, waited, history.best_epoch = monitored, params, 0, epoch
        else:
            waited += 1
            if patience is not None and waited >= patience:
                history.stopped_early = True
                break
    kept = best_params if patience is not None else params
    if patience is None:
        history.best_epoch = len(history.loss) - 1
    return eqx.combine(kept, static), history
