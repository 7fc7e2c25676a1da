"""The base class users subclass to write their own layers, SNNAX's way.

    class MyLIF(snn.StatefulLayer):
        decay: jax.Array
        def __init__(self, decay, init_fn=None, shape=None):
            super().__init__(init_fn, shape)
            self.decay = self.init_parameters(decay, shape)
        def __call__(self, state, synaptic_input, *, key=None):
            ...
            return [new_state, out]

Such a layer runs inside models as snnir's ``Custom`` node (one sample per call, vmapped over batches);
its state list is kept as it returns it, and by SNNAX's convention the last element is its output.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Tuple, Union

import equinox as eqx
import jax
import jax.numpy as jnp

from snnir.kernels.custom import StatefulLayer as _CoreStatefulLayer
from snnir.kernels.custom import TrainableArray

StateShape = Union[Sequence[int], int]
StatefulOutput = Tuple[Sequence[jax.Array], jax.Array]


def default_init_fn(shape, key, *args, **kwargs):
    """SNNAX's default initial membrane: zeros of ``shape``."""
    return jnp.zeros(shape)


class StatefulLayer(_CoreStatefulLayer):
    """Base of stateful layers: ``init_state(shape, key)`` gives ``[init_fn(shape, key), zeros(shape)]``,
    ``init_out(shape)`` zeros, ``__call__(state, x, *, key=None) -> (state, out)`` one step of one
    sample. ``init_fn`` (default: zeros) is called as ``init_fn(shape, key)``."""

    shape: Any = eqx.field(static=True, default=None)

    def __init__(self, init_fn: Optional[Callable] = None, shape: Optional[StateShape] = None):
        if init_fn is not None and not callable(init_fn):
            raise TypeError(f"init_fn must be callable as init_fn(shape, key), got {init_fn!r}")
        self.init_fn = default_init_fn if init_fn is None else init_fn  # as SNNAX: subclasses call it
        self.shape = None if shape is None else (tuple(shape) if not isinstance(shape, int) else shape)

    @staticmethod
    def init_parameters(parameters: Any, shape: Optional[StateShape] = None, requires_grad: Any = None):
        """The parameter as a float32 array (SNNAX ignores ``shape``; so does this). ``requires_grad=``
        (the older SNNAX API) gives a :class:`TrainableArray` instead, read as ``.data``."""
        if requires_grad is not None:
            return _CoreStatefulLayer.init_parameters(parameters, shape, bool(requires_grad))
        if isinstance(parameters, jax.Array):
            return parameters
        return jnp.asarray(parameters, dtype=jnp.float32)

    def init_state(self, shape, key, *args, **kwargs) -> list:
        return [self.init_fn(shape, key, *args, **kwargs), jnp.zeros(shape)]


class RequiresStateLayer(eqx.Module):
    """SNNAX's base for stateless layers that read the previous layer's state (unused at SNNAX's last
    commit; kept so imports resolve)."""

    def __call__(self, state):
        raise NotImplementedError


__all__ = ["StatefulLayer", "RequiresStateLayer", "TrainableArray", "default_init_fn", "StateShape",
           "StatefulOutput"]
