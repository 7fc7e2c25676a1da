"""``snnax.utils`` over snnir: ``filter`` (gradients with a filter spec) and ``tree`` (leaf predicates and
helpers that find parameters by field name)."""

from . import filter, tree  # noqa: A004  (SNNAX's module name)

__all__ = ["filter", "tree"]
