"""Running a chain of Spyx-style layers: plan (cached by structure), fill with the live parameters,
translate states and layouts at the boundary."""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp

from . import _graph
from ._base import Layer, nnx
from ._flax_layers import Placed, entries
from ._layers import Flatten, PopulationCode, SumPool
from ._layout import CHANNELS_LAST, SAME, Layout

def _input_layout(layers: Sequence[Any], sample_rank: int) -> Layout:
    """Channels-last input when the first layer that cares about layout is a Conv or a channels-last pool."""
    for layer in layers:
        if isinstance(layer, nnx.Conv):
            return CHANNELS_LAST
        if isinstance(layer, SumPool):
            channel = layer.channel_axis
            return CHANNELS_LAST if channel is not None and channel != 0 and channel % (sample_rank + 1) == sample_rank \
                and sample_rank >= 2 else SAME
        if isinstance(layer, (nnx.Linear, Flatten, PopulationCode)):
            return SAME
    return SAME


def plan_chain(layers: Sequence[Any], sample_shape: tuple[int, ...]) -> tuple[list[Placed], _graph.Plan]:
    """The chain's entries and its compiled plan for per-sample inputs of ``sample_shape`` (Spyx's layout)."""
    parts = entries(layers)
    return parts, _graph.plan_for(parts, sample_shape, _input_layout(layers, len(sample_shape)))


def filled_program(parts: Sequence[Placed], plan: _graph.Plan):
    """The plan's program holding the entries' current parameters."""
    return _graph.filled(plan, parts)


def single_step(layer: Layer, x: jax.Array, state: Any):
    """One step of one layer, Spyx's way: ``(out, new_state)`` from ``x`` [B, ...] and Spyx's state."""
    x = jnp.asarray(x)
    parts, plan = plan_chain([layer], tuple(x.shape[1:]))
    prog = filled_program(parts, plan)
    ir_state = _graph.to_ir_state(plan, [state], x.shape[0])
    ir_state, ys = prog.step(ir_state, plan.input_layout.to_ir(x, x.ndim - 1))
    out = _graph.from_ir_output(plan, ys["out"], 1)
    return out, _graph.from_ir_state(plan, ir_state)[0]

