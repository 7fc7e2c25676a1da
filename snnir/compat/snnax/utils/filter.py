"""``snnax.utils.filter``: Equinox's ``filter_grad`` / ``filter_value_and_grad`` with SNNAX's extra
``filter_spec`` (which leaves of the first argument are differentiated; the others get ``None``)."""

from __future__ import annotations

import functools
from typing import Any, Callable

import equinox as eqx
import jax

__all__ = ["filter_value_and_grad", "filter_grad"]

_MISSING = object()


def _first_argument(args: tuple) -> tuple[Any, tuple]:
    if not args:
        raise TypeError("a function wrapped with filter_grad / filter_value_and_grad takes the object to "
                        "differentiate as its first positional argument")
    return args[0], args[1:]


def filter_value_and_grad(fun: Any = _MISSING, *, has_aux: bool = False,
                          filter_spec: Callable = eqx.is_inexact_array, **gradkwargs) -> Callable:
    """``fun`` and its gradient with respect to the leaves of its first argument that ``filter_spec``
    selects: returns ``(value, grads)`` (``((value, aux), grads)`` with ``has_aux``)."""
    if fun is _MISSING:
        return functools.partial(filter_value_and_grad, has_aux=has_aux, filter_spec=filter_spec, **gradkwargs)
    if "argnums" in gradkwargs:
        raise ValueError("argnums is not supported: put everything to differentiate in the first argument")

    @functools.wraps(fun)
    def wrapper(*args, **kwargs):
        x, rest = _first_argument(args)
        diff, static = eqx.partition(x, filter_spec)

        def inner(d):
            return fun(eqx.combine(d, static), *rest, **kwargs)

        return jax.value_and_grad(inner, has_aux=has_aux, **gradkwargs)(diff)

    return wrapper


def filter_grad(fun: Any = _MISSING, *, has_aux: bool = False, filter_spec: Callable = eqx.is_inexact_array,
                **gradkwargs) -> Callable:
    """The gradient of ``fun`` with respect to the selected leaves of its first argument (``(grads, aux)``
    with ``has_aux``)."""
    if fun is _MISSING:
        return functools.partial(filter_grad, has_aux=has_aux, filter_spec=filter_spec, **gradkwargs)
    value_and_grad = filter_value_and_grad(fun, has_aux=has_aux, filter_spec=filter_spec, **gradkwargs)

    @functools.wraps(fun)
    def wrapper(*args, **kwargs):
        value, grads = value_and_grad(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper
