"""``snnax.functional`` over snnir: the surrogate spike functions live in ``functional.surrogate`` (as in
SNNAX) and are also offered here."""

from . import surrogate
from .surrogate import SpikeFn, piecewise_surrogate, sigmoid_surrogate, straight_through_surrogate, superspike_surrogate

__all__ = ["surrogate", "SpikeFn", "superspike_surrogate", "piecewise_surrogate", "sigmoid_surrogate",
           "straight_through_surrogate"]
