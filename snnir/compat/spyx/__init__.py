"""Spyx's API over snnir: a Spyx 1.0 program runs with only its imports changed.

    import snnir.compat.spyx as spyx          # was: import spyx
    import snnir.compat.spyx.nn as snn        # was: import spyx.nn as snn
    from flax import nnx

    rngs = nnx.Rngs(0)
    model = snn.Sequential(nnx.Linear(8, 32, rngs=rngs), snn.LIF((32,), rngs=rngs),
                           nnx.Linear(32, 3, rngs=rngs), snn.LI((3,), rngs=rngs))
    traces, state = snn.run(model, xs)        # xs time-major [T, B, 8]

``nn`` holds the layers (Flax NNX modules; flax is needed), ``axn`` the surrogate gradients, ``fn``
the losses and regularisers, ``data`` the encoders and augmentations (both over :mod:`snnir.train`),
``optimize`` Spyx's training loops (``fit``, ``compile_fit``). The layers are also reachable from here (``spyx.LIF``) for short scripts.
"""

from . import axn, nn
from ._graph import SpyxCompatError
from .nn import (ALIF, IF, LI, LIF, PSU_LIF, ActivityRegularization, AssociativeLIF, CuBaLIF, Flatten,
                 PopulationCode, RCuBaLIF, RIF, RLIF, Sequential, SumPool, run, sum_pool)

__all__ = ["axn", "nn", "fn", "data", "optimize", "SpyxCompatError", "ALIF", "IF", "LI", "LIF", "PSU_LIF", "AssociativeLIF",
           "CuBaLIF", "RIF", "RLIF", "RCuBaLIF", "ActivityRegularization", "PopulationCode", "SumPool", "sum_pool",
           "Flatten", "Sequential", "run"]


def __getattr__(name: str):
    # fn, data and optimize are imported on first use: they build on snnir.train and optax
    if name in ("fn", "data", "optimize"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
