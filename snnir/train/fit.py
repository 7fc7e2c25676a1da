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

``checkpoint=path`` saves the run as it goes (a model file that also holds the optimiser state, the
epoch, the shuffle key and the history; see ``snnir.train.checkpoint``); ``resume=True`` continues it,
with the same numbers bit for bit as a run that was never interrupted. ``mesh=`` trains data-parallel
(``snnir.train.sharding``).
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

from tqdm import tqdm

from snnir.errors import InvalidArgumentsError, ShapeError

from ._checks import check_positive_int
from .checkpoint import load_checkpoint, save_checkpoint
from .sharding import check_divisible, constrain_batch, replicate, shard_batch

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


def _make_step(static: Any, loss: Callable, tx: optax.GradientTransformation, burn_in: int, bounds,
               split: Callable):
    """The compiled training step. It gathers its batch from the whole dataset by ``index`` itself (a
    gather outside would cost a dispatch and a copy per batch, more than the step of a small network),
    and ``split`` partitions the batch over a mesh (or leaves it)."""

    @eqx.filter_jit
    def step(params, opt_state, inputs, targets, index):
        xs, ys = split(*_batch(inputs, targets, index))

        def objective(p):
            return loss(_outputs(eqx.combine(p, static), xs, burn_in), ys)

        value, grads = eqx.filter_value_and_grad(objective)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = keep_in_range(eqx.apply_updates(params, updates), bounds)
        return params, opt_state, value

    return step


def _placer(mesh: Any, batch_axis: str | None, batch_size: int, fn: str) -> Callable:
    """The function that places one batch: split over the mesh's batch axis (inputs on their axis 1,
    targets on axis 0), or left where it is without a mesh."""
    if mesh is None:
        return lambda xs, ys: (xs, ys)
    name = check_divisible(batch_size, mesh, batch_axis, fn)
    devices = int(mesh.shape[name])

    def place(xs, ys):
        if int(ys.shape[0]) % devices:  # evaluate's last, smaller batch: every device runs all of it
            return replicate(xs, mesh), replicate(ys, mesh)
        return shard_batch(xs, mesh, name, axis=1), shard_batch(ys, mesh, name, axis=0)

    return place


def _splitter(mesh: Any, batch_axis: str | None, batch_size: int) -> Callable:
    """Inside the step: the batch split over the mesh's batch axis (inputs on their axis 1, targets on
    axis 0), or left as it is without a mesh."""
    if mesh is None:
        return lambda xs, ys: (xs, ys)
    name = check_divisible(batch_size, mesh, batch_axis, "fit")
    return lambda xs, ys: (constrain_batch(xs, mesh, name, axis=1), constrain_batch(ys, mesh, name, axis=0))


def evaluate(prog: Any, data: Any, loss: Callable | None = None, metrics: Mapping[str, Callable] | None = None, *,
             batch_size: int = 256, burn_in: int = 0, mesh: Any = None, batch_axis: str | None = None
             ) -> dict[str, float]:
    """Mean ``loss`` and ``metrics`` (each ``fn(ys, targets) -> scalar``) over ``data`` = (inputs, targets),
    weighted by batch size (the last batch may be smaller).

    ``mesh`` (a ``jax.sharding.Mesh``) splits each batch over its ``batch_axis`` (default: the mesh's
    first axis) as ``fit`` does; ``batch_size`` must then be a multiple of that axis's devices (a last
    batch that is not runs replicated)."""
    inputs, targets, n = _samples(data, "data")
    batch_size = check_positive_int(batch_size, "batch_size", "evaluate")
    place = _placer(mesh, batch_axis, batch_size, "evaluate")
    if mesh is not None:
        prog = replicate(prog, mesh)
    fns = tuple(({"loss": loss} if loss is not None else {}).items()) + tuple((metrics or {}).items())
    totals = {name: 0.0 for name, _ in fns}
    for start in range(0, n, batch_size):
        index = jnp.arange(start, min(start + batch_size, n))
        xs, ys = place(*_batch(inputs, targets, index))
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
        log: Callable[[str], None] | None = None, checkpoint: Any = None, resume: bool = False,
        save_every: int = 1, mesh: Any = None, batch_axis: str | None = None) -> tuple[Any, History]:
    """Train ``prog`` on ``data`` = (inputs [N, T, ...], targets [N, ...]); returns ``(trained_prog, history)``.

    Each epoch shuffles (``key``: an int or a JAX key; ``shuffle=False`` keeps the order), runs the
    compiled step on every full batch, then scores ``validation`` (loss and ``metrics``) if given. With
    ``patience``, training stops after that many epochs without the monitored loss (validation loss, or
    training loss without validation) improving by more than ``min_delta``, and the best epoch's
    parameters are returned. ``burn_in`` steps at the start of every sequence run without gradient and
    are left out of the loss. ``clip_grad_norm`` clips the global gradient norm before ``optimizer``.

    ``progress`` shows a bar over each epoch's batches with the running loss (only where stderr is a
    terminal) and one summary line per epoch (to ``log``, default stderr); ``progress=False`` prints
    nothing.

    ``checkpoint`` (a path) saves the run every ``save_every`` epochs and when it ends, as a model
    file of the trained program that also holds the optimiser state, the epoch, the shuffle key and the
    history (``snnir.train.save_checkpoint``). ``resume=True`` continues from that file if it exists
    (and starts afresh if not): the parameters, optimiser state, key and history are the stored ones,
    ``epochs`` counts all epochs of the run, and the result equals an uninterrupted run's bit for bit
    on CPU. Resume with the same data, loss, optimiser and options.

    ``mesh`` (a ``jax.sharding.Mesh``) trains data-parallel: each batch is split over the mesh axis
    ``batch_axis`` (default: the mesh's first axis; inputs on their batch axis 1, targets on axis 0),
    parameters and optimiser state are replicated, and jit partitions the step. ``batch_size`` must be a
    multiple of that axis's devices. The dataset goes to every device once, as it goes to the one
    device without a mesh: each step gathers its batch there, each device its own share.
    """
    epochs = check_positive_int(epochs, "epochs", "fit")
    batch_size = check_positive_int(batch_size, "batch_size", "fit")
    save_every = check_positive_int(save_every, "save_every", "fit")
    if resume and checkpoint is None:
        raise InvalidArgumentsError("fit: resume=True needs the checkpoint to resume from"
                                    "\n  hint: pass checkpoint='run.snnir' (the file fit saves to and resumes from)")
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
    split = _splitter(mesh, batch_axis, batch_size)
    tx = optimizer if clip_grad_norm is None else optax.chain(optax.clip_by_global_norm(clip_grad_norm), optimizer)
    params, static = eqx.partition(prog, prog.trainable())
    bounds = decay_bounds(prog)
    key = jax.random.key(key) if isinstance(key, (int, np.integer)) else key
    history = History(val_metrics={name: [] for name in (metrics or {})})
    start, best_params = 0, None
    if resume and _exists(checkpoint):
        saved = load_checkpoint(checkpoint, prog, tx)
        params, opt_state, start = eqx.partition(saved.prog, prog.trainable())[0], saved.opt_state, saved.epoch
        key = saved.key if saved.key is not None else key
        history = saved.history or History()
        for name in metrics or {}:
            history.val_metrics.setdefault(name, [])
        if saved.best is not None:
            best_params = eqx.partition(saved.best, prog.trainable())[0]
    else:
        opt_state = tx.init(params)
    params = keep_in_range(params, bounds)
    best_params = params if best_params is None else best_params
    if mesh is not None:
        same = best_params is params  # kept the same object: a checkpoint then stores no separate best
        params, opt_state = replicate((params, opt_state), mesh)
        best_params = params if same else replicate(best_params, mesh)
        inputs, targets = replicate((inputs, targets), mesh)  # each device gathers its part of a batch
    step = _make_step(static, loss, tx, int(burn_in), bounds, split)
    emit = log or (lambda line: print(line, file=sys.stderr, flush=True))

    # where early stopping stands: the best monitored loss so far and the epochs waited since
    monitored_so_far = history.val_loss if history.val_loss else history.loss
    if history.best_epoch is not None and history.best_epoch < len(monitored_so_far):
        best, waited = monitored_so_far[history.best_epoch], len(monitored_so_far) - 1 - history.best_epoch
    else:
        best, waited = np.inf, len(monitored_so_far)
    done = history.stopped_early or start >= epochs

    def save(epoch: int) -> None:
        kept = best_params if patience is not None and best_params is not params else None
        save_checkpoint(checkpoint, eqx.combine(params, static), opt_state, epoch=epoch, key=key, history=history,
                        best=None if kept is None else eqx.combine(kept, static))

    batches = n // batch_size
    for epoch in range(start, epochs if not done else start):
        started = time.perf_counter()
        order = jax.random.permutation(jax.random.fold_in(key, epoch), n) if shuffle else jnp.arange(n)
        losses, running = [], 0.0
        # a bar only on a terminal (disable=None): logs, CI and tests get the summary line alone
        with tqdm(total=batches, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", leave=False, file=sys.stderr,
                  disable=None if progress else True, dynamic_ncols=True) as bar:
            for b in range(batches):
                params, opt_state, value = step(params, opt_state, inputs, targets,
                                                order[b * batch_size:(b + 1) * batch_size])
                losses.append(value)
                if not bar.disable:  # reading a loss waits for its step: only for a bar someone sees
                    running += float(value)
                    bar.set_postfix(loss=f"{running / len(losses):.4f}", refresh=False)
                bar.update()
        losses = [float(v) for v in losses]
        history.step_loss.extend(losses)
        history.loss.append(float(np.mean(losses)))
        monitored = history.loss[-1]
        line = f"epoch {epoch + 1}/{epochs}  loss {history.loss[-1]:.4f}"
        if validation is not None:
            scores = evaluate(eqx.combine(params, static), validation, loss, metrics, batch_size=batch_size,
                              burn_in=int(burn_in), mesh=mesh, batch_axis=batch_axis)
            history.val_loss.append(scores.pop("loss"))
            monitored = history.val_loss[-1]
            line += f"  val_loss {monitored:.4f}"
            for name, value in scores.items():
                history.val_metrics.setdefault(name, []).append(value)
                line += f"  {name} {value:.4f}"
        history.seconds.append(time.perf_counter() - started)
        if progress:
            emit(line + f"  ({history.seconds[-1]:.1f} s)")
        stop = False
        if monitored < best - min_delta:
            best, best_params, waited, history.best_epoch = monitored, params, 0, epoch
        else:
            waited += 1
            if patience is not None and waited >= patience:
                history.stopped_early = stop = True
        if checkpoint is not None and (stop or epoch + 1 == epochs or (epoch + 1) % save_every == 0):
            save(epoch + 1)
        if stop:
            break
    kept = best_params if patience is not None else params
    if patience is None and history.loss:
        history.best_epoch = len(history.loss) - 1
    return eqx.combine(kept, static), history


def _exists(path: Any) -> bool:
    """Whether a checkpoint file is there to resume from (anything else at the path is load's to refuse)."""
    try:
        with open(path, "rb"):
            return True
    except FileNotFoundError:
        return False
    except OSError:
        return True
