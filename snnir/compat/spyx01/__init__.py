"""Spyx ≤ 0.1.20's numbers where they differ from Spyx 1.0, for programs and models of the Haiku era.

    import snnir.compat.spyx01 as spyx        # was: import spyx  (0.1.x)
    import snnir.compat.spyx01.nn as snn      # was: import spyx.nn as snn

Everything is :mod:`snnir.compat.spyx` (Spyx 1.0 on Flax NNX) except what 0.1.20 computes differently:

* ``nn.CuBaLIF`` subtracts its reset twice, V' = β·(V − θs) + I' − θs (0.1.20's bug, fixed in 1.0);
* ``nn.sum_pool`` / ``nn.SumPool`` read a window shorter than the array as covering the *trailing*
  axes, so ``(2, 2)`` on NHWC pools W and C (1.0 pools the spatial axes);
* ``data.angle_code`` one-hot encodes ``digitize(x, bins)`` without 1.0's shift and clip, so values
  below the first bin land in channel 0 and values at the top wrap to no channel.

Haiku itself (``hk.transform``, ``hk.DeepRNN``, ``hk.dynamic_unroll``) is not emulated: it does not run
on current JAX. The layers take ``rngs=`` like 1.0's, or explicit parameters.
"""

from snnir.compat.spyx import axn, fn, optimize

from . import data, nn

__all__ = ["axn", "fn", "data", "nn", "optimize"]
