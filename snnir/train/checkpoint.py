"""Training checkpoints: a model file that also resumes training.

    snnir.train.save_checkpoint("run.snnir", prog, opt_state, epoch=2, key=key, history=history)
    ck = snnir.train.load_checkpoint("run.snnir", prog, optimizer)   # ck.prog, ck.opt_state, ck.epoch, ...

A checkpoint is an ordinary ``.snnir`` container (``snnir.load``, ``snnir info`` and ``snnir run`` read
it as the trained model: its graph is ``prog.to_graph()``, or ``best.to_graph()`` when a best program
is given), with one more section that ``load`` ignores: ``checkpoint.json`` and ``checkpoint/<n>.npy``
entries holding

* ``params``: the program's trainable leaves, exactly as the program holds them (resuming never
  depends on how a kernel derives its fields from the IR's, nor on a cast between the IR's dtype and
  the program's), each with its tree path (``.kernels['fc1'].weight``);
* ``best``: the same for the best epoch's program, when it is another one (early stopping);
* ``opt_state``: the optimiser state's leaves, each with its tree path, and the tree it came from;
* ``epoch`` (epochs completed), the shuffle ``key`` (its key data and implementation) and the
  ``history`` so far (losses as float64 arrays, so NaN survives).

Loading rebuilds the parameters and the optimiser state on the given program's and optimiser's own
trees (``optimizer.init`` of the program's trainable partition) and checks every path, shape and dtype
against them, so a checkpoint of another model or another optimiser is a ``ModelFileError`` naming the
file and the first leaf that differs, never a silently wrong resume.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from snnir.errors import InvalidArgumentsError
from snnir.io.files import ModelFileError, read_checkpoint_file, save_checkpoint_file
from snnir.ir import Graph

__all__ = ["Checkpoint", "save_checkpoint", "load_checkpoint"]

_HISTORY_LISTS = ("loss", "step_loss", "val_loss", "seconds")
_MISMATCH = ("resume with the program and optimiser (clip_grad_norm included) the checkpoint was written with, "
             "or start a new run without resume")


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """What :func:`load_checkpoint` read: the program with the checkpoint's (latest) parameters, the
    optimiser state, the epochs completed, the shuffle key (or None), the ``History`` (or None) and the
    best epoch's program (or None when it is ``prog`` itself)."""

    prog: Any
    opt_state: Any
    epoch: int
    key: Any = None
    history: Any = None
    best: Any = None


# ---------------------------------------------------------------------------------------- saving
def save_checkpoint(path: Any, prog: Any, opt_state: Any, *, epoch: int, key: Any = None, history: Any = None,
                    best: Any = None) -> Any:
    """Write ``prog`` (trained so far), ``opt_state`` and where training stands to ``path`` atomically.

    ``epoch`` counts the epochs completed; ``key`` is the shuffle key (a JAX key, typed or raw);
    ``history`` a ``snnir.train.History``; ``best`` the program to hand out as the trained model if
    training stopped now (early stopping keeps the best epoch's), whose graph the file then holds.
    Returns the path written.
    """
    arrays: list[np.ndarray] = []

    def store(value: Any) -> dict:
        arrays.append(np.asarray(value))
        return {"$array": len(arrays) - 1}

    document = {"epoch": int(epoch), "params": _leaves(_trainable(prog), store),
                "best": None if best is None else _leaves(_trainable(best), store),
                "opt_state": {"tree": str(jax.tree_util.tree_structure(opt_state)),
                              "leaves": _leaves(opt_state, store)},
                "key": _key_document(key, store), "history": _history_document(history, store)}
    return save_checkpoint_file((best if best is not None else prog).to_graph(), path, document, arrays)


def _trainable(prog: Any) -> Any:
    if isinstance(prog, Graph) or not hasattr(prog, "trainable"):
        raise InvalidArgumentsError(f"checkpoints hold a compiled program's parameters, got {type(prog).__name__}"
                                    "\n  hint: compile the graph first: prog = snnir.compile(graph)")
    return eqx.partition(prog, prog.trainable())[0]


def _leaves(tree: Any, store) -> list[dict]:
    """Every array leaf of ``tree`` with its path; the weak type is kept, since it decides promotion."""
    out = []
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        weak = bool(getattr(getattr(leaf, "aval", None), "weak_type", False))
        out.append({"path": jax.tree_util.keystr(path), "array": store(leaf), "weak": weak})
    return out


def _key_document(key: Any, store) -> dict | None:
    if key is None:
        return None
    if jnp.issubdtype(jnp.asarray(key).dtype, jax.dtypes.prng_key):
        return {"impl": str(jax.random.key_impl(key)), "data": store(jax.random.key_data(key))}
    return {"impl": None, "data": store(key)}  # a raw uint32 key (jax.random.PRNGKey)


def _history_document(history: Any, store) -> dict | None:
    if history is None:
        return None
    return {**{name: store(np.asarray(getattr(history, name), np.float64)) for name in _HISTORY_LISTS},
            "val_metrics": {name: store(np.asarray(v, np.float64)) for name, v in history.val_metrics.items()},
            "best_epoch": history.best_epoch, "stopped_early": bool(history.stopped_early)}


# --------------------------------------------------------------------------------------- loading
def load_checkpoint(path: Any, prog: Any, optimizer: Any) -> Checkpoint:
    """Read the checkpoint at ``path`` onto ``prog`` (the compiled model being trained, e.g.
    ``snnir.compile(snnir.load(path))``) and ``optimizer`` (the optax transformation being used).

    The parameters are the stored leaves themselves, bit for bit; the optimiser state is rebuilt on
    ``optimizer.init``'s tree. A file without a checkpoint, a damaged one, or one written for another
    model or optimiser is a :class:`snnir.io.ModelFileError` naming the file and the leaf.
    """
    params = _trainable(prog)
    doc = read_checkpoint_file(path)
    reader = _Reader(path, doc)
    epoch = reader.get(doc, "epoch", int)
    if epoch < 0:
        reader.fail(f"epoch is {epoch}, not a count of epochs")
    loaded = reader.tree(params, reader.get(doc, "params", list), "params", "model")
    trained = eqx.combine(loaded, eqx.partition(prog, prog.trainable())[1])
    best = None
    if reader.get(doc, "best", (list, type(None))) is not None:
        best = eqx.combine(reader.tree(params, doc["best"], "best", "model"),
                           eqx.partition(prog, prog.trainable())[1])
    state = reader.get(doc, "opt_state", dict)
    opt_state = reader.tree(optimizer.init(loaded), reader.get(state, "leaves", list), "opt_state", "optimiser")
    return Checkpoint(prog=trained, opt_state=opt_state, epoch=epoch, key=reader.key(doc.get("key")),
                      history=reader.history(doc.get("history")), best=best)


class _Reader:
    """Typed access to a checkpoint document: every surprise is a ModelFileError naming the file."""

    def __init__(self, path: Any, doc: dict):
        self.path = path
        self.doc = doc

    def fail(self, message: str, hint: str = "the file was damaged or edited; write the checkpoint again"):
        raise ModelFileError(self.path, f"checkpoint: {message}", hint)

    def get(self, holder: Any, name: str, kind: Any) -> Any:
        if not isinstance(holder, dict) or name not in holder:
            self.fail(f"the entry {name!r} is missing")
        value = holder[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(f"{name!r} is a {type(value).__name__}, not what a checkpoint holds there")
        return value

    def array(self, value: Any, where: str) -> np.ndarray:
        if not isinstance(value, np.ndarray):
            self.fail(f"{where} is not an array reference")
        return value

    def tree(self, template: Any, entries: list, section: str, what: str) -> Any:
        """``entries`` rebuilt on ``template``'s tree, each leaf checked by path, shape and dtype."""
        expected, treedef = jax.tree_util.tree_flatten_with_path(template)
        leaves = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                self.fail(f"{section} entry {i} has no path")
        got = [e["path"] for e in entries]
        want = [jax.tree_util.keystr(p) for p, _ in expected]
        if got != want:
            missing = [p for p in want if p not in got]
            extra = [p for p in got if p not in want]
            detail = (f"has no {section} leaf {missing[0]}" if missing else
                      f"has the {section} leaf {extra[0]}, which this {what} does not" if extra else
                      f"orders its {section} leaves differently")
            raise ModelFileError(self.path, f"checkpoint was written for another {what}: it {detail} "
                                            f"({len(got)} leaves stored, {len(want)} expected)", _MISMATCH)
        for (p, leaf), entry in zip(expected, entries):
            where = f"{section} leaf {jax.tree_util.keystr(p)}"
            value = self.array(entry.get("array"), where)
            dtype = np.dtype(leaf.dtype if hasattr(leaf, "dtype") else np.asarray(leaf).dtype)
            shape = tuple(np.shape(leaf))
            if value.shape != shape or value.dtype != dtype:
                raise ModelFileError(self.path, f"checkpoint was written for another {what}: {where} is "
                                                f"{value.dtype.name}{list(value.shape)}, this {what} has "
                                                f"{dtype.name}{list(shape)}", _MISMATCH)
            leaves.append(_restore(leaf, value, bool(entry.get("weak", False))))
        return jax.tree_util.tree_unflatten(treedef, leaves)

    def key(self, doc: Any) -> Any:
        if doc is None:
            return None
        data = self.array(self.get(doc, "data", np.ndarray), "key data")
        impl = doc.get("impl")
        if impl is None:
            return jnp.asarray(data)
        if not isinstance(impl, str):
            self.fail(f"the key's implementation is {impl!r}, not a name")
        try:
            return jax.random.wrap_key_data(jnp.asarray(data), impl=impl)
        except (ValueError, TypeError, KeyError) as err:
            self.fail(f"the key's data does not make a {impl!r} key: {err}")

    def history(self, doc: Any) -> Any:
        from .fit import History  # fit imports this module: a late import breaks the cycle

        if doc is None:
            return None
        lists = {name: [float(v) for v in self.array(self.get(doc, name, np.ndarray), f"history {name}").ravel()]
                 for name in _HISTORY_LISTS}
        metrics = self.get(doc, "val_metrics", dict)
        best = doc.get("best_epoch")
        if best is not None and (not isinstance(best, int) or isinstance(best, bool) or best < 0):
            self.fail(f"history best_epoch is {best!r}, not an epoch")
        return History(**lists, val_metrics={str(k): [float(v) for v in self.array(a, f"history {k}").ravel()]
                                             for k, a in metrics.items()},
                       best_epoch=best, stopped_early=bool(self.get(doc, "stopped_early", bool)))


def _restore(template: Any, value: np.ndarray, weak: bool) -> Any:
    """``value`` as a leaf like ``template``: a JAX array (weakly typed if it was), or the Python scalar."""
    if isinstance(template, (bool, int, float)) and not hasattr(template, "dtype"):
        return type(template)(value.item())
    if isinstance(template, np.ndarray):
        return value
    if weak and value.ndim == 0:
        return _weak(value)
    return jnp.asarray(value)


def _weak(value: np.ndarray) -> jax.Array:
    """A weakly typed scalar of ``value``'s dtype (a Python scalar becomes one of the default dtype)."""
    out = jnp.asarray(value.item())
    return out if out.dtype == value.dtype else jnp.asarray(value)
