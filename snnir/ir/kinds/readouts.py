"""Readout helpers: spike counters (SNNAX's SpikeCounter, Spyx's ActivityRegularization) and Spyx's
population code.

Notation: x_t the input at step t (usually spikes).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from ..node import Node, ShapeProblem, register_kind
from .neurons import _Population


class _Counter(_Population):
    """y_t = x_t (identity, direct feedthrough);  c ← c + x_t (c = 0 before step 0).

    Port "out" passes the input through; port "count" gives the running count c after the step, so a loss
    can read it from ``prog.trace(..., state_vars=True)``, from the final state, or from an Output on
    port "count". A counter is a legitimate sink: nothing needs to read its output.
    """

    OUTPUT_PORTS: ClassVar[tuple[str, ...]] = ("out", "count")
    SINK: ClassVar[bool] = True


@register_kind
class SpikeCounter(_Counter):
    __doc__ = "SNNAX's SpikeCounter. " + _Counter.__doc__
    kind: Literal["SpikeCounter"] = "SpikeCounter"


@register_kind
class ActivityRegularization(_Counter):
    __doc__ = "Spyx's ActivityRegularization (spike counts for a regularising loss). " + _Counter.__doc__
    kind: Literal["ActivityRegularization"] = "ActivityRegularization"


@register_kind
class PopulationCode(Node):
    """Sums runs of C = ``group_size`` consecutive units of each sample (stateless):

        y_t[j] = Σ_{k < C} flat(x_t)[j·C + k],   j = 0 … N/C − 1,   N = the number of units per sample

    The sample is flattened in row-major order; the output has shape (N/C,). Spyx's
    ``PopulationCode(num_classes=C)`` computes ``reshape(x, (-1, C)).sum(-1)``: despite its argument's
    name it sums runs of C consecutive units, and it flattens the batch too; snnir keeps the batch, so
    each sample's values are Spyx's for that sample.
    """

    kind: Literal["PopulationCode"] = "PopulationCode"
    group_size: int = Field(ge=1, description="C, the number of consecutive units summed into one value")

    def infer_shapes(self, inputs):
        got = inputs.get("in")
        if got is None:
            return {}
        n = int(np.prod(got))
        if n % self.group_size:
            raise ShapeProblem(
                f"PopulationCode {self.id!r} sums runs of {self.group_size} units, but its input of shape "
                f"{tuple(got)} has {n} units, not a multiple of {self.group_size}",
                "make the preceding layer's size a multiple of group_size (or change group_size)")
        return {"out": (n // self.group_size,)}
