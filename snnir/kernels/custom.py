"""User-written layers: the SNNAX-style base classes and the kernel that runs such a layer in a program.

A layer is written for ONE sample; :class:`CustomKernel` runs it over any number of leading batch axes
with ``jax.vmap``, keeps its state pytree's leaves as the node's state ``{"s0": ..., "s1": ...}`` (every
leaf with the batch axes first, so ``lengths`` can freeze finished samples), and gives every sample its
own key when the program call has one.
"""

from __future__ import annotations

import math
from typing import Any, Callable, ClassVar, Optional, Sequence, Union

import equinox as eqx
import jax
import jax.numpy as jnp

from .base import Kernel


class TrainableArray(eqx.Module):
    """A parameter array with a training flag (SNNAX's ``TrainableArray``): read it as ``.data``.

    ``requires_grad=False`` keeps it out of ``prog.trainable()``; ``eqx.filter_grad`` still differentiates
    every float array, as Equinox always does."""

    data: jax.Array
    requires_grad: bool = eqx.field(static=True, default=True)


class StatefulLayer(eqx.Module):
    """Base class of user-written stateful layers (SNNAX's contract; see docs/custom-layers.md).

    Subclasses define ``__init__`` (calling ``super().__init__(init_fn)``) and
    ``__call__(state, x, *, key=None) -> (state, y)``, and may override ``init_state`` / ``init_out``.
    The state is per sample (no batch axes); by convention its last element is the layer's output.
    """

    init_fn: Optional[Callable] = eqx.field(static=True, default=None)

    def __init__(self, init_fn: Optional[Callable] = None):
        self.init_fn = init_fn

    @staticmethod
    def init_parameters(parameters: Any, shape: Optional[Union[int, Sequence[int]]] = None,
                        requires_grad: bool = True) -> TrainableArray:
        """A float32 :class:`TrainableArray`. With ``shape``: a scalar fills ``shape``; a sequence of k
        values becomes [k, *shape] (one filled array per value, as SNNAX expands per-neuron decays)."""
        data = jnp.asarray(parameters, dtype=jnp.float32)
        if shape is not None:
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            if data.ndim == 0:
                data = jnp.full(shape, data, dtype=jnp.float32)
            elif data.shape != shape:
                data = jnp.stack([jnp.full(shape, d, dtype=jnp.float32) for d in data.reshape(-1)])
        return TrainableArray(data, requires_grad)

    def init_state(self, shape, key, *args, **kwargs) -> list:
        """``[init_fn(shape, key) or zeros(shape), zeros(shape)]``: a membrane and an output."""
        first = jnp.zeros(shape) if self.init_fn is None else self.init_fn(shape, key, *args, **kwargs)
        return [first, jnp.zeros(shape)]

    def init_out(self, shape, *, key=None) -> jax.Array:
        return jnp.zeros(shape)

    def __call__(self, state, synaptic_input, *, key=None):
        raise NotImplementedError(f"{type(self).__name__} must define __call__(state, x, *, key=None) -> (state, y)")


def _trains(leaf: Any) -> Any:
    if isinstance(leaf, TrainableArray):
        return jax.tree_util.tree_map(lambda v: leaf.requires_grad and eqx.is_inexact_array(v), leaf)
    return eqx.is_inexact_array(leaf)


class CustomKernel(Kernel):
    """Runs one user module per sample. ``module`` is a leaf-bearing field: its arrays are parameters."""

    module: Any
    node: str = eqx.field(static=True)
    in_shape: tuple[int, ...] = eqx.field(static=True)
    stateful: bool = eqx.field(static=True)
    state_def: Any = eqx.field(static=True)  # PyTreeDef of one sample's state
    state_ndims: tuple[int, ...] = eqx.field(static=True)  # per-sample rank of each state leaf
    dtype: str = eqx.field(static=True)  # the program dtype: outputs are cast to it

    #: Program.init_state passes this kernel a key (the layer's init_state may draw random numbers)
    KEYED_INIT: ClassVar[bool] = True

    # ------------------------------------------------------------------ state
    def init_state(self, batch_shape, dtype, key=None):
        """``init_state(shape, key)`` of one sample, broadcast over the batch (every sample starts alike).
        Without a key the layer gets ``jax.random.key(0)``, so initial states are reproducible."""
        if not self.stateful:
            return {}
        key = jax.random.key(0) if key is None else key
        leaves = jax.tree_util.tree_leaves(self.module.init_state(self.in_shape, key))
        batch = tuple(batch_shape)
        return {f"s{i}": jnp.broadcast_to(jnp.asarray(leaf), batch + jnp.shape(leaf)) for i, leaf in enumerate(leaves)}

    def _leaves(self, state: dict) -> list:
        return [state[f"s{i}"] for i in range(len(self.state_ndims))]

    def rest_reads_input(self) -> bool:
        return not self.stateful

    def rest(self, state, x, key=None):
        """At rest a stateful layer's output is the last element of its initial state (SNNAX's
        ``states[j][-1]``), or zero where that element does not have the output's shape; a stateless
        module gives its response to ``x``, called once per sample with the same key (``jax.random.key(0)``
        without one, as :meth:`init_state`)."""
        if self.stateful:
            leaves = self._leaves(state)
            n_batch = leaves[0].ndim - self.state_ndims[0] if leaves else 0
            batch = leaves[0].shape[:n_batch] if leaves else ()
            probe = jax.ShapeDtypeStruct(batch + self.in_shape, jnp.dtype(self.dtype))
            out = jax.eval_shape(lambda s, v: self.step(s, v)[1], state, probe)
            if leaves and tuple(leaves[-1].shape) == tuple(out.shape):
                return state, leaves[-1].astype(self.dtype)
            return state, jnp.zeros(out.shape, self.dtype)
        key = jax.random.key(0) if key is None else key
        fn = lambda v: self.module(v, key=key)  # noqa: E731
        for _ in range(x.ndim - len(self.in_shape)):
            fn = jax.vmap(fn)
        return state, fn(x).astype(self.dtype)

    # ------------------------------------------------------------------ one step
    def step(self, state, x, key=None):
        n_batch = x.ndim - len(self.in_shape)
        batch = x.shape[:n_batch]
        leaves = self._leaves(state)

        def one(leaves, x, k):
            if not self.stateful:
                return [], self.module(x, key=k)
            new, y = self.module(jax.tree_util.tree_unflatten(self.state_def, leaves), x, key=k)
            return jax.tree_util.tree_leaves(new), y

        if key is None:
            fn, args = (lambda leaves, x: one(leaves, x, None)), (leaves, x)
        else:  # one key per sample: samples draw independent numbers
            keys = jax.random.split(key, math.prod(batch))
            fn, args = one, (leaves, x, keys.reshape(batch + keys.shape[1:]))
        for _ in range(n_batch):
            fn = jax.vmap(fn)
        new_leaves, y = fn(*args)
        new_state = {f"s{i}": new.astype(old.dtype) for i, (new, old) in enumerate(zip(new_leaves, leaves))}
        return new_state, y.astype(self.dtype)

    def output(self, state):
        """The output before the step's input is read (``direct_feedthrough=False``): ``module.output(s)``,
        or the output of a call on a zero input when the module has no ``output`` method."""
        leaves = self._leaves(state)
        n_batch = leaves[0].ndim - self.state_ndims[0]

        def emit(leaves):
            s = jax.tree_util.tree_unflatten(self.state_def, leaves)
            if callable(getattr(self.module, "output", None)):
                return self.module.output(s)
            return self.module(s, jnp.zeros(self.in_shape, self.dtype), key=None)[1]

        fn = emit
        for _ in range(n_batch):
            fn = jax.vmap(fn)
        return fn(leaves).astype(self.dtype)

    # ------------------------------------------------------------------ parameters
    def trainable_spec(self) -> "CustomKernel":
        """Filter spec of this kernel: True on the module's float arrays, except inside a
        ``TrainableArray(requires_grad=False)``."""
        spec = jax.tree_util.tree_map(lambda _: False, self)
        module_spec = jax.tree_util.tree_map(_trains, self.module, is_leaf=lambda v: isinstance(v, TrainableArray))
        return eqx.tree_at(lambda k: k.module, spec, module_spec)

    def ir_fields(self) -> dict[str, Any]:
        """The IR fields this kernel holds live (``Program.to_graph`` puts them back into the node)."""
        return {"module": self.module}
