"""``spyx.nn`` with Spyx ≤ 0.1.20's numbers (see :mod:`snnir.compat.spyx01`)."""

from __future__ import annotations

import functools

from snnir.compat.spyx.nn import *  # noqa: F401,F403 - the 1.0 layers, unchanged unless below
from snnir.compat.spyx.nn import __all__ as _ALL
from snnir.compat.spyx import nn as _nn

__all__ = list(_ALL)


class CuBaLIF(_nn.CuBaLIF):
    """Spyx 0.1.20's CuBaLIF: s = H(V − θ);  I' = α·I + x;  V' = β·(V − s·θ) + I' − s·θ (reset twice)."""

    def __init__(self, hidden_shape, alpha=None, beta=None, threshold=1, activation=None, *, rngs=None, name=None,
                 double_reset: bool = True):
        super().__init__(hidden_shape, alpha, beta, threshold, activation, rngs=rngs, name=name,
                         double_reset=double_reset)


class SumPool(_nn.SumPool):
    """Spyx 0.1.20's SumPool: a short window covers the trailing axes."""

    LEGACY_WINDOWS = True


sum_pool = functools.partial(_nn.sum_pool, legacy_windows=True)
sum_pool.__doc__ = "Spyx 0.1.20's sum_pool: a short window covers the trailing axes (left-padded with 1s)."
