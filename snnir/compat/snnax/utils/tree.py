"""``snnax.utils.tree``: predicates on pytree leaves and helpers that change every field with a given
name (``apply_to_tree_leaf(model, "threshold", lambda t: t * 2)``).

The predicates behave as SNNAX's do: they ask whether the *leaf itself* has the attribute, which a JAX
array never has, so used as a ``filter_spec`` they select nothing."""

from __future__ import annotations

from typing import Any, Callable

import equinox as eqx
import jax

__all__ = ["NEURON_PARAMS", "is_identifier", "has_identifier", "is_threshold", "is_decay_constant",
           "is_decay_constants", "is_reset_val", "is_neuron_param", "apply_to_tree_leaf",
           "apply_to_tree_leaf_bytype"]

NEURON_PARAMS = ["threshold", "leak", "decay_constant", "decay_constants", "reset_val"]


def is_identifier(name: str, leaf: Any) -> bool:
    return hasattr(leaf, name)


def has_identifier(name: str, leaf: Any) -> bool:
    return hasattr(leaf, name) and getattr(leaf, name) is not None


def is_threshold(element: Any) -> bool:
    return is_identifier("threshold", element) and eqx.is_inexact_array(element)


def is_decay_constant(element: Any) -> bool:
    return is_identifier("decay_constant", element) and eqx.is_inexact_array(element)


def is_decay_constants(element: Any) -> bool:
    return is_identifier("decay_constants", element) and eqx.is_inexact_array(element)


def is_reset_val(element: Any) -> bool:
    return is_identifier("reset_val", element) and eqx.is_inexact_array(element)


def is_neuron_param(element: Any) -> bool:
    return any(is_identifier(name, element) for name in NEURON_PARAMS) and eqx.is_inexact_array(element)


def _apply(pytree: Any, identifier: str, replace_fn: Callable, select: Callable[[Any], bool]) -> Any:
    def where(tree):
        return tuple(getattr(node, identifier)
                     for node in jax.tree_util.tree_leaves(tree, is_leaf=select) if select(node))

    return eqx.tree_at(where, pytree, replace_fn=replace_fn)


def apply_to_tree_leaf(pytree: Any, identifier: str, replace_fn: Callable) -> Any:
    """``pytree`` with ``replace_fn`` applied to every (non-None) field named ``identifier``."""
    return _apply(pytree, identifier, replace_fn, lambda node: has_identifier(identifier, node))


def apply_to_tree_leaf_bytype(pytree: Any, typ: type, identifier: str, replace_fn: Callable) -> Any:
    """As :func:`apply_to_tree_leaf`, only in nodes of exactly type ``typ``."""
    return _apply(pytree, identifier, replace_fn,
                  lambda node: type(node) is typ and has_identifier(identifier, node))
