"""Spyx's names and signatures over snnir (``spyx.nn`` layers here, ``spyx.axn`` surrogates in ``axn``).

    from snnir.compat import spyx
    lif = spyx.LIF((64,), beta=0.9, activation=spyx.axn.arctan())
    state = lif.initial_state(batch_size)
    out, state = lif(x, state)
"""

from . import axn, nn
from .nn import (
    ALIF,
    IF,
    LI,
    LIF,
    ActivityRegularization,
    CuBaLIF,
    Fragment,
    Layer,
    PopulationCode,
    RCuBaLIF,
    RIF,
    RLIF,
    Sequential,
    SpyxCompatError,
    SumPool,
    run,
    sum_pool,
)

__all__ = ["axn", "nn", "ALIF", "IF", "LIF", "LI", "CuBaLIF", "RIF", "RLIF", "RCuBaLIF", "ActivityRegularization",
           "PopulationCode", "SumPool", "sum_pool", "Sequential", "run", "Layer", "Fragment", "SpyxCompatError"]
